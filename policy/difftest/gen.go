// Package difftest generates random policy sets with data: schemas with
// relationships, permission rules from the whole boolean expression
// language, sessions and rows with NULLs and edge values. Its test proves
// the central property of Warden: for every generated case, Check allows a
// row exactly when the Filter predicate, rendered as SQL and pushed into a
// real database (SQLite, PostgreSQL, MariaDB), returns it.
//
// Everything is derived from one seed, so a failing case is reproduced by
// its seed alone.
package difftest

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"

	"github.com/wardenpdp/warden/policy/model"
)

// Case is one generated policy set with its data.
type Case struct {
	Seed   uint64
	Policy *model.Policy
	// Rows by table, in canonical form (model.CoerceJSON), with key "id".
	Rows map[model.TableName][]map[string]any
	// Rules lists the generated permissions to check, in a stable order.
	Rules []Rule
	// Sessions per rule: variables as text, as a request carries them.
	Sessions map[string][]map[string]string
}

// Rule names one permission.
type Rule struct {
	Table model.TableName
	Op    model.Operation
	Role  string
	// UsesExists says the rule reads other tables (_exists).
	UsesExists bool
	// Depth is how many relationship hops the rule reads.
	Depth int
}

// Key identifies the rule for Sessions.
func (r Rule) Key() string { return fmt.Sprintf("%s/%s/%s", r.Table, r.Op, r.Role) }

// Limits bound a generated case.
type Limits struct {
	Tables, Columns, Rows, RulesPerTable, Sessions, Depth int
	// Database adds the comparisons Warden leaves to the database
	// (dbops.go): PostGIS geometry columns, Hasura's comparisons on
	// tsvector and int4range, array ordering. PostgreSQL then needs
	// PostGIS (DB.WithPostGIS); Check answers NEEDS_DATA on them.
	Database bool
	// BackendOnly marks about one insert, update or delete permission
	// in three backend_only (Hasura applies it only to a trusted
	// backend's request: Check's Session.BackendOnly). Chosen from the
	// rule's name, not the random stream, so that the rest of the case
	// is the seed's as without it.
	BackendOnly bool
	// SessionComputed gives every table a computed field "sess", an
	// integer, whose function takes the session (session_argument
	// "hasura_session"; SessionFunction names it), compared now and then
	// in select and delete rules. The caller creates the functions and
	// gives Check each row's value for the session (computed fields are
	// the caller's to read); only package rls's leg does.
	SessionComputed bool
}

// SessionFunction is the function of a table's computed field "sess"
// (Limits.SessionComputed), before the caller renames it.
func SessionFunction(t model.TableName) model.TableName {
	return model.TableName{Schema: "public", Name: "wdt_sess_" + t.Name}
}

// DefaultLimits keep one case small enough for hundreds per minute.
var DefaultLimits = Limits{Tables: 4, Columns: 5, Rows: 9, RulesPerTable: 6, Sessions: 3, Depth: 3}

type gen struct {
	r    *rand.Rand
	lim  Limits
	p    *model.Policy
	vars map[string]model.SessionVar // session variables used, by name and form
	pats map[string]model.Operator   // pattern variables by name
	// rule-local state
	exists bool
	depth  int
	// database: the rule may compare with operators the database decides
	// (dbops.go): select and delete filters only.
	database bool
	// computed: the rule may compare the computed field "sess"
	// (Limits.SessionComputed): select and delete filters only.
	computed bool
}

// Generate builds the case of a seed.
func Generate(seed uint64, lim Limits) *Case {
	c := GenerateFrom(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15), lim)
	c.Seed = seed
	return c
}

// GenerateFrom builds a case from a source of randomness (a fuzzer's bytes,
// see ByteSource).
func GenerateFrom(src rand.Source, lim Limits) *Case {
	g := &gen{r: rand.New(src), lim: lim}
	c := &Case{Sessions: map[string][]map[string]string{}}
	g.schema()
	c.Policy = g.p
	c.Rows = g.rows()
	for _, t := range g.p.SortedTables() {
		// Sessions carry every variable the table's rules read.
		g.vars, g.pats = map[string]model.SessionVar{}, map[string]model.Operator{}
		var rules []Rule
		n := 1 + g.r.IntN(lim.RulesPerTable)
		for i := 0; i < n; i++ {
			rules = append(rules, g.permission(t, i))
		}
		if inh, ok := g.inherited(t, rules); ok {
			rules = append(rules, inh)
		}
		for _, rule := range rules {
			sessions := make([]map[string]string, 0, lim.Sessions)
			for j := 0; j < 1+g.r.IntN(lim.Sessions); j++ {
				sessions = append(sessions, g.session())
			}
			c.Rules = append(c.Rules, rule)
			c.Sessions[rule.Key()] = sessions
		}
	}
	return c
}

var kindsPool = []model.Kind{
	model.KindInteger, model.KindNumeric, model.KindText, model.KindText, model.KindBoolean,
	model.KindUUID, model.KindDate, model.KindTimestamp, model.KindTimestamptz, model.KindJSONB,
}

// schema builds 2..Tables tables with an integer id, columns of random
// kinds, and foreign keys to earlier tables with their object and array
// relationships.
func (g *gen) schema() {
	g.p = &model.Policy{Tables: map[model.TableName]*model.Table{}, Source: "difftest", Revision: "difftest"}
	n := 2 + g.r.IntN(g.lim.Tables-1)
	var tables []*model.Table
	for i := 0; i < n; i++ {
		t := &model.Table{
			Name:          model.TableName{Schema: "public", Name: fmt.Sprintf("t%d", i)},
			PrimaryKey:    []string{"id"},
			Relationships: map[string]*model.Relationship{},
			Permissions:   map[model.Operation]map[string]*model.Permission{},
		}
		t.Columns = append(t.Columns, &model.Column{Name: "id", Type: model.Type{Declared: "bigint", Kind: model.KindInteger}})
		for j := 0; j < 2+g.r.IntN(g.lim.Columns-1); j++ {
			k := kindsPool[g.r.IntN(len(kindsPool))]
			name, typ := columnName(k, j), model.Type{Declared: declared(k), Kind: k}
			if k == model.KindText {
				switch g.r.IntN(4) {
				case 0, 1:
					// citext: comparisons lower-case the column (and the
					// values), LIKE and regex ignore case.
					name, typ = "ci"+name, model.Type{Declared: "citext", Kind: k, Fold: true}
				case 2:
					// character(n): comparisons ignore trailing spaces,
					// pattern operators see the value padded to n.
					n := charLengths[g.r.IntN(len(charLengths))]
					name = "ch" + name
					typ = model.Type{Declared: fmt.Sprintf("character(%d)", n), Kind: k, PadSpace: true, Length: n}
				}
			}
			t.Columns = append(t.Columns, &model.Column{Name: name, Type: typ, Nullable: g.r.IntN(3) > 0})
		}
		// Columns of the types PostgreSQL users declare beyond the
		// built-in ones: an enum, domains, and types only _is_null
		// decides on.
		for j, typ := range g.extraTypes() {
			t.Columns = append(t.Columns, &model.Column{Name: fmt.Sprintf("x%d_%s", j, typ.Kind), Type: typ, Nullable: g.r.IntN(3) > 0})
		}
		// Foreign keys to earlier tables (and sometimes to itself).
		for _, parent := range tables {
			if g.r.IntN(3) == 0 {
				continue
			}
			g.foreignKey(t, parent)
		}
		if g.r.IntN(5) == 0 {
			g.foreignKey(t, t)
		}
		tables = append(tables, t)
		g.p.Tables[t.Name] = t
	}
	for _, t := range tables {
		t.IndexColumns()
		if g.lim.SessionComputed {
			t.Computed = map[string]*model.Column{"sess": {Name: "sess", Type: model.Type{Declared: "bigint", Kind: model.KindInteger, Bits: 64}, Nullable: true,
				Computed: &model.ComputedField{Name: "sess", Function: SessionFunction(t.Name), SessionArgument: "hasura_session"}}}
		}
	}
}

// moodEnum is the enum type of generated enum columns: its label order is
// neither bytewise nor case-insensitive order, and a label has a space.
var moodEnum = &model.Enum{Schema: "public", Name: "mood", Labels: []string{"sad", "Ok", "happy", "a b", "É", "ok"}}

// extraTypes picks the types of a table's extra columns: often an enum
// (public.mood), sometimes a domain over citext or bigint, sometimes
// tsvector, int4range or PostGIS geometry (opaque: Warden decides only
// _is_null, the database the rest; dbops.go), often a type
// compared by canonical text (time, bytea, inet, integer[], text[],
// interval, timetz, money).
func (g *gen) extraTypes() []model.Type {
	var out []model.Type
	if g.r.IntN(2) == 0 {
		out = append(out, model.Type{Declared: "public.mood", Kind: model.KindText, Enum: moodEnum})
	}
	switch g.r.IntN(4) {
	case 0:
		out = append(out, model.Type{Declared: "public.email", Base: "citext", Kind: model.KindText, Fold: true})
	case 1:
		out = append(out, model.Type{Declared: "public.score", Base: "bigint", Kind: model.KindInteger, Bits: 64})
	}
	switch g.r.IntN(4) {
	case 0:
		out = append(out, model.Type{Declared: "tsvector", Kind: model.KindOpaque, Cast: g.cast("tsvector")})
	case 1:
		out = append(out, model.Type{Declared: "int4range", Kind: model.KindOpaque, Cast: g.cast("int4range")})
	case 2:
		if g.lim.Database && g.r.IntN(2) == 0 {
			out = append(out, geometryType)
		}
	}
	if g.r.IntN(2) == 0 {
		out = append(out, canonTypes[g.r.IntN(len(canonTypes))])
	}
	return out
}

// cast is an opaque type's Type.Cast, as load gives it, when the case
// has comparisons the database decides: then Hasura's comparisons on the
// type are the database's (model.DatabaseOpaque); else "", only _is_null.
func (g *gen) cast(typ string) string {
	if g.lim.Database {
		return typ
	}
	return ""
}

// canonTypes are the generated types compared by canonical text
// (model.Type.Canon), as load makes them.
var canonTypes = []model.Type{
	{Declared: "time", Kind: model.KindText, Canon: model.CanonTime, Cast: "time"},
	{Declared: "bytea", Kind: model.KindText, Canon: model.CanonBytea, Cast: "bytea"},
	{Declared: "inet", Kind: model.KindText, Canon: model.CanonInet, Cast: "inet"},
	{Declared: "integer[]", Kind: model.KindText, Canon: model.CanonArray, Cast: "integer[]", Elem: &model.Type{Declared: "integer", Kind: model.KindInteger, Bits: 32}},
	{Declared: "text[]", Kind: model.KindText, Canon: model.CanonArray, Cast: "text[]", Elem: &model.Type{Declared: "text", Kind: model.KindText}},
	{Declared: "interval", Kind: model.KindText, Canon: model.CanonInterval, Cast: "interval"},
	{Declared: "timetz", Kind: model.KindText, Canon: model.CanonTimetz, Cast: "time with time zone"},
	{Declared: "money", Kind: model.KindText, Canon: model.CanonMoney, Cast: "money"},
}

// charLengths are the n of generated character(n) columns: short, so that
// values often fill them and patterns reach into the padding.
var charLengths = []int{1, 2, 3, 5}

func columnName(k model.Kind, j int) string {
	names := map[model.Kind]string{
		model.KindInteger: "n", model.KindNumeric: "amount", model.KindText: "label", model.KindBoolean: "flag",
		model.KindUUID: "ref", model.KindDate: "day", model.KindTimestamp: "at", model.KindTimestamptz: "ts", model.KindJSONB: "doc",
	}
	name := fmt.Sprintf("%s_%d", names[k], j)
	if j == 3 {
		name = fmt.Sprintf(`we"ird %s`+"`%d", names[k], j) // identifiers must be quoted
	}
	return name
}

func declared(k model.Kind) string {
	switch k {
	case model.KindNumeric:
		return "numeric"
	case model.KindText:
		return "text"
	}
	return k.String()
}

func (g *gen) foreignKey(child, parent *model.Table) {
	col := fmt.Sprintf("%s_id_%d", parent.Name.Name, len(child.ForeignKeys))
	child.Columns = append(child.Columns, &model.Column{Name: col, Type: model.Type{Declared: "bigint", Kind: model.KindInteger}, Nullable: true})
	child.ForeignKeys = append(child.ForeignKeys, model.ForeignKey{Columns: []string{col}, RefTable: parent.Name, RefColumns: []string{"id"}})
	obj := &model.Relationship{Name: "to_" + col, Kind: model.RelObject, Target: parent.Name, Mapping: []model.ColumnPair{{Local: col, Remote: "id"}}}
	arr := &model.Relationship{Name: "from_" + child.Name.Name + "_" + col, Kind: model.RelArray, Target: child.Name, Mapping: []model.ColumnPair{{Local: "id", Remote: col}}}
	child.Relationships[obj.Name] = obj
	parent.Relationships[arr.Name] = arr
}

// permission adds one random permission to t and returns it.
func (g *gen) permission(t *model.Table, i int) Rule {
	g.exists, g.depth = false, 0
	ops := []model.Operation{model.OpSelect, model.OpSelect, model.OpSelect, model.OpDelete, model.OpUpdate, model.OpInsert}
	op := ops[g.r.IntN(len(ops))]
	g.database = g.lim.Database && (op == model.OpSelect || op == model.OpDelete)
	g.computed = g.lim.SessionComputed && (op == model.OpSelect || op == model.OpDelete)
	defer func() { g.database, g.computed = false, false }()
	role := fmt.Sprintf("r%d", i)
	cols := t.ColumnNames()
	sort.Strings(cols)
	perm := &model.Permission{Role: role, Op: op, Source: model.Source{File: "difftest", Path: fmt.Sprintf("%s.%s[role=%s]", t.Name, op, role)}}
	switch op {
	case model.OpSelect, model.OpDelete:
		perm.Filter = g.boolExp(t, t, 0)
	case model.OpUpdate:
		perm.Filter = g.boolExp(t, t, 0)
		if g.r.IntN(2) == 0 {
			perm.Check = g.boolExp(t, t, 0)
		} else {
			perm.Check = model.True{}
		}
	case model.OpInsert:
		perm.Check = g.boolExp(t, t, 0)
	}
	if op != model.OpDelete {
		perm.Columns = cols
	}
	if op == model.OpInsert || op == model.OpUpdate {
		g.written(t, perm)
	}
	if g.lim.BackendOnly && op != model.OpSelect {
		h := fnv.New32a()
		h.Write([]byte(t.Name.String() + "/" + role))
		perm.BackendOnly = h.Sum32()%3 == 0
	}
	if t.Permissions[op] == nil {
		t.Permissions[op] = map[string]*model.Permission{}
	}
	t.Permissions[op][role] = perm
	return Rule{Table: t.Name, Op: op, Role: role, UsesExists: g.exists, Depth: g.depth}
}

// inherited adds an inherited select role over the table's select roles,
// with column conditions as load resolves them: a column granted by only
// some parents is readable where one of their filters holds.
func (g *gen) inherited(t *model.Table, rules []Rule) (Rule, bool) {
	{
		var parents []*model.Permission
		for _, role := range sortedRoles(t.Permissions[model.OpSelect]) {
			parents = append(parents, t.Permissions[model.OpSelect][role])
		}
		if len(parents) < 2 {
			return Rule{}, false
		}
		for _, p := range parents {
			if usesDatabase(p.Filter) {
				// Its column conditions would be the database's too.
				return Rule{}, false
			}
		}
		cols := t.ColumnNames()
		sort.Strings(cols)
		// Parent 0 grants every column; the others only some.
		grants := map[string][]model.BoolExp{}
		var filters []model.BoolExp
		for i, p := range parents {
			filters = append(filters, p.Filter)
			for j, c := range cols {
				if i == 0 && j%2 == 0 || i > 0 && g.r.IntN(2) == 0 {
					grants[c] = append(grants[c], p.Filter)
				}
			}
		}
		inh := &model.Permission{Role: "inherited", Op: model.OpSelect, Filter: model.Or{Items: filters},
			Inherited: sortedRoles(t.Permissions[model.OpSelect]), ColumnConditions: map[string]model.BoolExp{},
			Source: model.Source{File: "difftest", Path: t.Name.String() + ".select[role=inherited]"}}
		for _, c := range cols {
			if len(grants[c]) == 0 {
				continue
			}
			inh.Columns = append(inh.Columns, c)
			if len(grants[c]) < len(parents) {
				inh.ColumnConditions[c] = model.Or{Items: grants[c]}
			}
		}
		t.Permissions[model.OpSelect]["inherited"] = inh
		rule := Rule{Table: t.Name, Op: model.OpSelect, Role: "inherited"}
		for _, r := range rules {
			if r.Op == model.OpSelect {
				rule.UsesExists = rule.UsesExists || r.UsesExists
				rule.Depth = max(rule.Depth, r.Depth)
			}
		}
		return rule, true
	}
}

// ByteSource is a rand.Source that replays bytes, then a fixed stream, so
// that a fuzzer's mutations of the input change the generated case locally.
type ByteSource struct {
	data []byte
	rest *rand.PCG
}

// NewByteSource returns a source reading data.
func NewByteSource(data []byte) *ByteSource {
	return &ByteSource{data: data, rest: rand.NewPCG(1, 2)}
}

// Uint64 returns the next 8 bytes as a number.
func (s *ByteSource) Uint64() uint64 {
	if len(s.data) == 0 {
		return s.rest.Uint64()
	}
	var v uint64
	for i := 0; i < 8; i++ {
		v <<= 8
		if len(s.data) > 0 {
			v |= uint64(s.data[0])
			s.data = s.data[1:]
		}
	}
	return v
}

func sortedRoles(m map[string]*model.Permission) []string {
	out := make([]string, 0, len(m))
	for r := range m {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// written narrows an insert or update permission as Hasura metadata often
// does: now and then to some of the columns, and now and then with a
// preset on a column of a plain kind (a literal, or a timestamptz
// session variable). Check then denies a row
// that writes another column or states the preset one, and applies the
// preset before the check (see Case.Outcomes).
func (g *gen) written(t *model.Table, perm *model.Permission) {
	if g.r.IntN(3) == 0 {
		var some []string
		for _, c := range perm.Columns {
			if c == "id" || g.r.IntN(2) == 0 {
				some = append(some, c)
			}
		}
		perm.Columns = some
	}
	if g.r.IntN(3) != 0 {
		return
	}
	var plain []*model.Column
	for _, c := range t.Columns {
		ty := c.Type
		if c.Name == "id" || ty.Canon != "" || ty.Enum != nil || ty.Fold || ty.PadSpace || ty.Base != "" {
			continue
		}
		switch ty.Kind {
		case model.KindInteger, model.KindText, model.KindBoolean, model.KindUUID, model.KindDate, model.KindTimestamptz:
			plain = append(plain, c)
		}
	}
	if len(plain) == 0 {
		return
	}
	c := plain[g.r.IntN(len(plain))]
	if c.Type.Kind == model.KindTimestamptz {
		// From the session, as Hasura's presets mostly are: its text
		// read as Check reads it (without an offset as UTC).
		v := g.sessionVar(model.KindTimestamptz, false)
		v.Type = c.Type
		perm.Set = map[string]model.Value{c.Name: v}
		return
	}
	perm.Set = map[string]model.Value{c.Name: model.Literal{V: g.literalOf(c.Type.Kind, c.Type)}}
}
