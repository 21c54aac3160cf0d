package model

// BoolExp is a parsed Hasura boolean expression. Every node is one of the
// types below; load builds them fully resolved (columns and relationships
// exist, operators apply to the column types, values are typed).
type BoolExp interface{ boolExp() }

// True is the empty expression {} and _and: [].
type True struct{}

// False is _or: [].
type False struct{}

// And is an object with several keys, or _and.
type And struct{ Items []BoolExp }

// Or is _or.
type Or struct{ Items []BoolExp }

// Not is _not.
type Not struct{ Item BoolExp }

// Exists is _exists: {_table, _where}. No join condition; Where is evaluated
// against the rows of Table, with "$" still bound to the permission's root
// table.
type Exists struct {
	Table TableName
	Where BoolExp
}

// RelExists traverses a relationship: for an object relationship the related
// row must exist and satisfy Where; for an array relationship some related
// row must. Hasura compiles both to EXISTS (SELECT 1 FROM target WHERE join
// AND where).
type RelExists struct {
	Relationship *Relationship
	// From is the table the relationship is declared on.
	From  TableName
	Where BoolExp
}

// Compare is a column operator: {column: {op: value}}.
type Compare struct {
	// Column is the column of the current table (the table the expression
	// is evaluated on: the root table, a relationship target or an _exists
	// table).
	Column *Column
	// Op is the operator, normalised to its canonical "_" spelling with
	// aliases resolved (_ne -> _neq, _cne -> _cneq).
	Op Operator
	// Value is the right-hand side.
	Value Value
	// Cast is the type the column is cast to before Op applies (Hasura's
	// _cast: SpatialGeography on a geometry column, SpatialGeometry on a
	// geography column, CastText on a jsonb column), so that Op has that
	// type's semantics; "" for none.
	Cast string
}

// EachCompare calls f on every comparison of e, through _and, _or, _not,
// relationships and _exists, in order.
func EachCompare(e BoolExp, f func(Compare)) {
	switch x := e.(type) {
	case And:
		for _, it := range x.Items {
			EachCompare(it, f)
		}
	case Or:
		for _, it := range x.Items {
			EachCompare(it, f)
		}
	case Not:
		EachCompare(x.Item, f)
	case RelExists:
		EachCompare(x.Where, f)
	case Exists:
		EachCompare(x.Where, f)
	case Compare:
		f(x)
	}
}

func (True) boolExp()      {}
func (False) boolExp()     {}
func (And) boolExp()       {}
func (Or) boolExp()        {}
func (Not) boolExp()       {}
func (Exists) boolExp()    {}
func (RelExists) boolExp() {}
func (Compare) boolExp()   {}

// Operator is a canonical Hasura column operator.
type Operator string

// The operators.
const (
	OpEq         Operator = "_eq"
	OpNeq        Operator = "_neq"
	OpGt         Operator = "_gt"
	OpLt         Operator = "_lt"
	OpGte        Operator = "_gte"
	OpLte        Operator = "_lte"
	OpIn         Operator = "_in"
	OpNin        Operator = "_nin"
	OpIsNull     Operator = "_is_null"
	OpLike       Operator = "_like"
	OpNlike      Operator = "_nlike"
	OpIlike      Operator = "_ilike"
	OpNilike     Operator = "_nilike"
	OpSimilar    Operator = "_similar"
	OpNsimilar   Operator = "_nsimilar"
	OpRegex      Operator = "_regex"
	OpIregex     Operator = "_iregex"
	OpNregex     Operator = "_nregex"
	OpNiregex    Operator = "_niregex"
	OpCeq        Operator = "_ceq"
	OpCneq       Operator = "_cneq"
	OpCgt        Operator = "_cgt"
	OpClt        Operator = "_clt"
	OpCgte       Operator = "_cgte"
	OpClte       Operator = "_clte"
	OpContains   Operator = "_contains"
	OpContained  Operator = "_contained_in"
	OpHasKey     Operator = "_has_key"
	OpHasKeysAny Operator = "_has_keys_any"
	OpHasKeysAll Operator = "_has_keys_all"
	// OpAncestor and OpDescendant are ltree's @> and <@: the column is an
	// ancestor (a descendant) of the value, or equal to it.
	OpAncestor   Operator = "_ancestor"
	OpDescendant Operator = "_descendant"
	// ltree's operators that Warden does not evaluate (DatabaseOps):
	// lquery and ltxtquery matching, and the _any forms of _ancestor and
	// _descendant.
	OpMatches         Operator = "_matches"
	OpMatchesFulltext Operator = "_matches_fulltext"
	OpMatchesAny      Operator = "_matches_any"
	OpAncestorAny     Operator = "_ancestor_any"
	OpDescendantAny   Operator = "_descendant_any"
	// The PostGIS operators (Hasura's _st_*) on geometry and geography
	// columns: the value is a GeoJSON geometry (for the _d_within forms
	// {distance, from, use_spheroid}); Warden does not evaluate them
	// (Check answers NEEDS_DATA), Filter renders PostGIS's function.
	OpStContains     Operator = "_st_contains"
	OpStCrosses      Operator = "_st_crosses"
	OpStEquals       Operator = "_st_equals"
	OpStIntersects   Operator = "_st_intersects"
	OpStOverlaps     Operator = "_st_overlaps"
	OpStTouches      Operator = "_st_touches"
	OpStWithin       Operator = "_st_within"
	OpStDWithin      Operator = "_st_d_within"
	OpSt3dIntersects Operator = "_st_3d_intersects"
	OpSt3dDWithin    Operator = "_st_3d_d_within"
)

// SpatialFunctions maps each PostGIS operator to the PostGIS function it
// calls, as Hasura renders it.
var SpatialFunctions = map[Operator]string{
	OpStContains: "ST_Contains", OpStCrosses: "ST_Crosses", OpStEquals: "ST_Equals",
	OpStIntersects: "ST_Intersects", OpStOverlaps: "ST_Overlaps", OpStTouches: "ST_Touches",
	OpStWithin: "ST_Within", OpStDWithin: "ST_DWithin",
	OpSt3dIntersects: "ST_3DIntersects", OpSt3dDWithin: "ST_3DDWithin",
}

// IsSpatial reports whether op is a PostGIS operator.
func IsSpatial(op Operator) bool {
	_, ok := SpatialFunctions[op]
	return ok
}

// SpatialDistance reports whether a PostGIS operator takes {distance,
// from, use_spheroid} rather than a geometry.
func SpatialDistance(op Operator) bool { return op == OpStDWithin || op == OpSt3dDWithin }

// SpatialCast reports whether Hasura's _cast takes column c to the
// PostGIS type target: geometry to geography, geography to geometry.
func SpatialCast(c *Column, target string) bool {
	return c != nil && (c.Type.Spatial == SpatialGeometry && target == SpatialGeography ||
		c.Type.Spatial == SpatialGeography && target == SpatialGeometry)
}

// SpatialOnGeography reports whether a PostGIS operator applies to
// geography columns too (Hasura: _st_intersects and _st_d_within).
func SpatialOnGeography(op Operator) bool { return op == OpStIntersects || op == OpStDWithin }

// DatabaseOp is how Filter's PostgreSQL SQL renders an operator Warden
// leaves to the database: column Symbol $n::text::Type (Type "" for the
// column's own type, as the ordering of ltree and arrays takes).
type DatabaseOp struct {
	Symbol string
	Type   string
}

// DatabaseOps are ltree's operators Warden never evaluates, as Hasura
// renders them: Check answers NEEDS_DATA for a row whose rule reads one,
// Filter's PostgreSQL SQL applies PostgreSQL's operator. The value is the
// text PostgreSQL reads as Type (an array as its {...} literal).
var DatabaseOps = map[Operator]DatabaseOp{
	OpMatches:         {Symbol: "~", Type: "lquery"},
	OpMatchesFulltext: {Symbol: "@", Type: "ltxtquery"},
	OpMatchesAny:      {Symbol: "?", Type: "lquery[]"},
	OpAncestorAny:     {Symbol: "@>", Type: "ltree[]"},
	OpDescendantAny:   {Symbol: "<@", Type: "ltree[]"},
}

// DatabaseOrder maps the ordering operators to PostgreSQL's, which Warden
// leaves to the database on ltree and array columns (DatabaseDecided).
var DatabaseOrder = map[Operator]DatabaseOp{
	OpGt: {Symbol: ">"}, OpLt: {Symbol: "<"}, OpGte: {Symbol: ">="}, OpLte: {Symbol: "<="},
}

// SymbolAny is the DatabaseOp.Symbol of _in and _nin on an opaque
// column: column = ANY($n::text::type[]).
const SymbolAny = "= ANY"

// DatabaseOpaque are Hasura's generic comparisons, which apply to every
// scalar type, on a column Warden loads as opaque (tsvector, ranges, ...)
// whose type Filter's SQL can name (Type.Cast): Warden does not know the
// type's equality or order, so the database decides them, the value a
// text parameter cast to the column's type. _neq and _nin are the
// negations of _eq and _in.
var DatabaseOpaque = map[Operator]DatabaseOp{
	OpEq: {Symbol: "="}, OpNeq: {Symbol: "="},
	OpGt: {Symbol: ">"}, OpLt: {Symbol: "<"}, OpGte: {Symbol: ">="}, OpLte: {Symbol: "<="},
	OpIn: {Symbol: SymbolAny}, OpNin: {Symbol: SymbolAny},
}

// DatabaseColumns maps the column comparison operators to PostgreSQL's,
// as Hasura renders them (a > b): those Warden leaves to the database
// (DatabaseDecided) compare two columns of one type, the column's and the
// other's, with no value and no cast.
var DatabaseColumns = map[Operator]DatabaseOp{
	OpCeq: {Symbol: "="}, OpCneq: {Symbol: "<>"},
	OpCgt: {Symbol: ">"}, OpClt: {Symbol: "<"}, OpCgte: {Symbol: ">="}, OpClte: {Symbol: "<="},
}

// DatabaseDecided reports whether Warden leaves op on column c to the
// database, and how Filter renders it: PostGIS's operators (rendered by
// their function), ltree's DatabaseOps, and the ordering of ltree (whose
// order is not its text's: a label ends before a hyphen in ltree_compare)
// and of arrays (array_cmp orders text elements by the column's
// collation), by a value or another column (_cgt _clt _cgte _clte); on
// an opaque column Hasura's generic comparisons (DatabaseOpaque, where
// its type can be written into the cast) and the column comparisons
// (_ceq ... _clte, whatever its type's name: two columns need no cast).
// The bool is false for everything Warden evaluates.
func DatabaseDecided(c *Column, op Operator) (DatabaseOp, bool) {
	if IsSpatial(op) {
		return DatabaseOp{Symbol: SpatialFunctions[op]}, true
	}
	if d, ok := DatabaseColumns[op]; ok && c != nil {
		switch {
		case op != OpCeq && op != OpCneq && (c.Type.Canon == CanonLtree || c.Type.Canon == CanonArray):
			return d, true
		case c.Type.Kind == KindOpaque && c.Type.Spatial == "" && !c.Type.JSON:
			return d, true
		}
		return DatabaseOp{}, false
	}
	if d, ok := DatabaseOps[op]; ok {
		return d, true
	}
	if d, ok := DatabaseOrder[op]; ok && c != nil && (c.Type.Canon == CanonLtree || c.Type.Canon == CanonArray) {
		return d, true
	}
	if c != nil && c.Type.Kind == KindOpaque && c.Type.Spatial == "" && c.Type.Cast != "" {
		if d, ok := DatabaseOpaque[op]; ok {
			if d.Symbol == SymbolAny {
				d.Type = c.Type.Cast + "[]"
			}
			return d, true
		}
	}
	return DatabaseOp{}, false
}

// CastText is the target of Hasura's _cast of a jsonb column to text.
const CastText = "text"

// JSONBTextCast reports whether Hasura's _cast takes column c to text: c
// is jsonb (json has no _cast) and target is text.
func JSONBTextCast(c *Column, target string) bool {
	return c != nil && c.Type.Kind == KindJSONB && !c.Type.JSON && target == CastText
}

// JSONBText are text's operators, which Hasura admits on a jsonb column
// cast to text ({doc: {_cast: {text: {_like: "%a%"}}}}), as PostgreSQL
// writes them on (col)::text: the text of a jsonb value is PostgreSQL's
// output form (jsonb_out), which Warden does not reproduce, so the
// database decides them all, the value a text parameter ($1::text, for
// _in and _nin = ANY($1::text[])). The negative operators are the
// negations of their positive twins (NULL for a NULL column, as Hasura's
// <>, NOT LIKE, !~ ...).
var JSONBText = map[Operator]DatabaseOp{
	OpEq: {Symbol: "=", Type: "text"}, OpNeq: {Symbol: "=", Type: "text"},
	OpGt: {Symbol: ">", Type: "text"}, OpLt: {Symbol: "<", Type: "text"},
	OpGte: {Symbol: ">=", Type: "text"}, OpLte: {Symbol: "<=", Type: "text"},
	OpIn: {Symbol: SymbolAny, Type: "text[]"}, OpNin: {Symbol: SymbolAny, Type: "text[]"},
	OpLike: {Symbol: "LIKE", Type: "text"}, OpNlike: {Symbol: "LIKE", Type: "text"},
	OpIlike: {Symbol: "ILIKE", Type: "text"}, OpNilike: {Symbol: "ILIKE", Type: "text"},
	OpSimilar: {Symbol: "SIMILAR TO", Type: "text"}, OpNsimilar: {Symbol: "SIMILAR TO", Type: "text"},
	OpRegex: {Symbol: "~", Type: "text"}, OpNregex: {Symbol: "~", Type: "text"},
	OpIregex: {Symbol: "~*", Type: "text"}, OpNiregex: {Symbol: "~*", Type: "text"},
}

// DatabaseDecidedCast is DatabaseDecided for op on column c cast to cast
// (Compare.Cast): for a jsonb column cast to text JSONBText, for a PostGIS
// cast or none DatabaseDecided.
func DatabaseDecidedCast(c *Column, op Operator, cast string) (DatabaseOp, bool) {
	if JSONBTextCast(c, cast) {
		d, ok := JSONBText[op]
		return d, ok
	}
	return DatabaseDecided(c, op)
}

// DatabaseLabel names what decides a database-decided operator in Check's
// NEEDS_DATA text: PostGIS, ltree, or an array column's type.
func DatabaseLabel(c *Column, op Operator) string {
	switch {
	case IsSpatial(op):
		return "PostGIS"
	case c != nil && (c.Type.Canon == CanonArray || c.Type.Kind == KindOpaque):
		return c.Type.Declared
	}
	return "ltree"
}

// negatedOps maps each negative operator to the positive one it negates.
var negatedOps = map[Operator]Operator{
	OpNeq:      OpEq,
	OpNin:      OpIn,
	OpNlike:    OpLike,
	OpNilike:   OpIlike,
	OpNsimilar: OpSimilar,
	OpNregex:   OpRegex,
	OpNiregex:  OpIregex,
}

// Positive returns the positive operator a negative one negates (_nlike:
// _like, true) and any other operator itself (false).
func (o Operator) Positive() (Operator, bool) {
	if pos, ok := negatedOps[o]; ok {
		return pos, true
	}
	return o, false
}

// Value is the right-hand side of a comparison.
type Value interface{ value() }

// Literal is a constant from the metadata, already coerced to the column's
// JSON representation (see Kind): integers and numerics are json.Number,
// text, uuid, date and timestamp kinds are strings in the canonical form Kind
// describes, booleans bool, jsonb any JSON value decoded with UseNumber. For
// _in/_nin/_has_keys_* it is a []any of such values; for _has_key a string;
// for _is_null a bool.
type Literal struct{ V any }

// SessionVar is a session variable reference (lower-cased name, e.g.
// "x-hasura-user-id"). Array says the value is a Postgres array literal
// ({1,2,3}) to be parsed into a list (for _in, _nin, _has_keys_*).
// Kind is the kind the value is coerced to (the column's kind, or text for
// _has_key/_has_keys_*).
type SessionVar struct {
	Name  string
	Kind  Kind
	Array bool
	// Type is the type of the column compared with, when the variable is
	// coerced to that column's kind (zero otherwise, e.g. for _has_key): its
	// Bits, Fold and PadSpace apply (see Normalize).
	Type Type
	// Clock, when set, makes this not a session variable but a clock word
	// of a rule ("now", "today", "tomorrow", "yesterday": ClockWord) on a
	// date or time column; Name is ClockPrefix + Clock. The engine supplies
	// its value per decision (ClockValue); Filter's SQL reads the
	// database's clock.
	Clock string
}

// ColumnRef is the right side of a column comparison operator (_ceq ...).
// Root means ["$", col]: a column of the permission's root table.
type ColumnRef struct {
	Root   bool
	Column *Column
}

func (Literal) value()    {}
func (SessionVar) value() {}
func (ColumnRef) value()  {}
