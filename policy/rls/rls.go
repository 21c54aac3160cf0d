// Package rls generates PostgreSQL row-level security from a policy set:
// the same permissions Check and Filter decide, enforced by the database
// for a service that connects as a database role and states the request's
// session per transaction (SET LOCAL request.jwt.claims = '{...}').
//
// Per table it enables and forces row-level security, and per role and
// operation creates a policy named warden_<role>_<operation> (USING for
// select, update and delete, WITH CHECK for insert and update) and grants
// the table or column privileges Hasura's column permissions map to. The
// predicates are Filter's templates rendered by package sqlgen, with the
// session variables read inside the database (sqlgen.SessionRead) through
// a function the script creates, from the setting's json object or one
// inside it (Options.ClaimsPath). Column presets are written by a trigger
// (presets.go); expressions over other tables or computed fields are the
// bodies of SECURITY DEFINER helpers (helpers.go). What row-level
// security cannot express with Check's meaning is refused, never
// weakened: the permission gets no policy and no privilege (the role is
// denied), and Generate reports it.
package rls

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// DefaultSetting is the setting that holds the session: PostgREST's
// convention.
const DefaultSetting = "request.jwt.claims"

// FunctionName is the function the script creates to read a session
// variable: warden_session(setting, name) returns its text.
const FunctionName = "warden_session"

// ListFunctionName is the function the script creates to split a list
// variable's text into its elements as Check does:
// warden_session_list(text) returns text[] (see listFunctionSQL).
const ListFunctionName = "warden_session_list"

// TimestamptzFunctionName is the function the script creates to read a
// timestamptz variable as Check does, without an offset as UTC:
// warden_session_timestamptz(text) (sqlgen.TimestamptzFunctionSQL).
const TimestamptzFunctionName = "warden_session_timestamptz"

// LabelsFunctionName is the function the script creates to check a
// variable compared with an enum column against the enum's labels as
// Check does (sqlgen.LabelsFunctionSQL).
const LabelsFunctionName = "warden_session_labels"

// JSONFunctionName is the function the script creates to pass the session
// to a computed field that takes it (session_argument) as Hasura passes
// it: warden_session_json(setting, path, role) (jsonFunctionSQL).
const JSONFunctionName = "warden_session_json"

// FoldFunctionName is the function the script creates to lower-case text
// as Check lower-cases a citext value: warden_fold(text)
// (sqlgen.FoldFunctionSQL).
const FoldFunctionName = "warden_fold"

// CaseFoldFunctionName is the function the script creates to map text to
// its case-folding orbits, for _ilike with a session pattern:
// warden_casefold(text) (sqlgen.CaseFoldFunctionSQL).
const CaseFoldFunctionName = "warden_casefold"

// PolicyPrefix starts the name of every policy the script creates; a
// re-run drops every policy so named on the tables it manages.
const PolicyPrefix = "warden_"

// maxIdent is PostgreSQL's identifier length in bytes (NAMEDATALEN-1); a
// longer name is truncated, and two policies could collide.
const maxIdent = 63

// Options configure generation.
type Options struct {
	// Setting holds the session's variables as a json object
	// ({"x-hasura-user-id": "1"}); empty means DefaultSetting.
	Setting string
	// Roles maps a Hasura role to the database role a service uses for
	// it; a role absent from the map has a database role of its name.
	Roles map[string]string
	// Schemas maps a schema of the policy to the database schema holding
	// its tables (as sqlgen.Options.Schemas).
	Schemas map[string]string
	// FunctionSchema holds the session function, the preset triggers'
	// functions and the helpers of rules that read other tables; empty
	// means "public".
	FunctionSchema string
	// ClaimsPath is where the session variables are inside the
	// setting's json object, as keys (jsonb's #> path): nil or empty
	// for the top level, PostgREST's layout; ["https://hasura.io/jwt/claims"]
	// for Hasura's namespace inside a token's claims.
	ClaimsPath []string
	// BackendOnlySetting, when not empty, names the transaction-local
	// setting by which a trusted backend asks for backend_only
	// permissions (Hasura's x-hasura-use-backend-only-permissions with
	// the admin secret; Check's Session.BackendOnly, which the server
	// grants admin-level callers only): a backend_only permission's
	// policy holds only where the setting is exactly 'true'. It must be a
	// setting only the trusted backend sets (not the session's claims,
	// which an end user's token states). Empty: backend_only permissions
	// are refused.
	BackendOnlySetting string
}

// ErrRefused is wrapped by every *RefusedError.
var ErrRefused = errors.New("not expressible as row-level security")

// RefusedError names a permission that row-level security cannot express
// with Check's meaning, and why. The script leaves it out: denied.
type RefusedError struct {
	Table  model.TableName
	Op     model.Operation
	Role   string
	Reason string
	Source model.Source
}

func (e *RefusedError) Error() string {
	msg := fmt.Sprintf("%s %s role %s: %s", e.Table, e.Op, e.Role, e.Reason)
	if s := e.Source.String(); s != "" {
		msg += " (" + s + ")"
	}
	return msg
}

// Unwrap returns ErrRefused.
func (e *RefusedError) Unwrap() error { return ErrRefused }

// Script is a generated script and what it leaves out.
type Script struct {
	// Apply creates (or replaces) the row-level security, in one
	// transaction.
	Apply string
	// Drop undoes Apply.
	Drop string
	// Refused lists the permissions left out (*RefusedError), sorted by
	// table, operation and role.
	Refused []error
	// Notes say what the policies enforce differently from Hasura
	// without granting more (a select limit, for one).
	Notes []string
}

// Generate writes the script for every table and permission of set.
func Generate(set *engine.Set, o Options) (*Script, error) {
	if o.Setting == "" {
		o.Setting = DefaultSetting
	}
	if o.FunctionSchema == "" {
		o.FunctionSchema = "public"
	}
	if b := o.BackendOnlySetting; b != "" && (!strings.Contains(b, ".") || strings.HasPrefix(b, ".") || strings.HasSuffix(b, ".")) {
		// PostgreSQL sets only a qualified custom setting (prefix.name);
		// any other could never be 'true', and the permissions would be
		// denied without a word.
		return nil, fmt.Errorf("rls: backend-only setting %q is not a custom setting name such as app.backend_only", b)
	}
	path := append([]string{}, o.ClaimsPath...) // never nil: the three-argument reader
	g := &generator{set: set, o: o, sql: sqlgen.Options{Dialect: sqlgen.Postgres, Schemas: o.Schemas,
		Session: &sqlgen.SessionRead{Schema: o.FunctionSchema, Function: FunctionName, Setting: o.Setting, Path: path, List: ListFunctionName, Timestamptz: TimestamptzFunctionName,
			Labels: LabelsFunctionName, Enums: enums(set.Policy()), JSON: JSONFunctionName, Fold: FoldFunctionName, CaseFold: CaseFoldFunctionName}}}
	if err := g.roles(); err != nil {
		return nil, err
	}
	fn, err := g.function()
	if err != nil {
		return nil, err
	}
	if g.fnSchema, err = sqlgen.QuoteIdent(sqlgen.Postgres, o.FunctionSchema); err != nil {
		return nil, fmt.Errorf("rls: function schema: %w", err)
	}
	var apply, drop, body strings.Builder
	apply.WriteString("-- Row-level security generated by warden rls from policy revision " + set.Revision() + ".\n")
	apply.WriteString("-- Re-running it replaces what it created before.\n")
	apply.WriteString("BEGIN;\n\n")
	drop.WriteString("-- Undoes the row-level security warden rls generated from policy revision " + set.Revision() + ".\n")
	drop.WriteString("BEGIN;\n\n")

	tables := set.Policy().SortedTables()
	refs := make([]string, 0, len(tables))
	for _, t := range tables {
		ref, err := g.sql.TableRef(t.Name)
		if err != nil {
			return nil, err
		}
		refs = append(refs, ref)
	}
	dropOld, err := dropPolicies(refs, true)
	if err != nil {
		return nil, err
	}
	// What an earlier run created goes first: its policies, then the
	// triggers and functions they and the policies used.
	apply.WriteString(dropOld)
	dropOwned, err := g.dropObjects(refs)
	if err != nil {
		return nil, err
	}
	apply.WriteString(dropOwned)
	apply.WriteString(functionSQL(fn))
	apply.WriteString(listFunctionSQL(g.fnSchema + `."` + ListFunctionName + `"`))
	apply.WriteString(sqlgen.TimestamptzFunctionSQL(g.fnSchema + `."` + TimestamptzFunctionName + `"`))
	apply.WriteString(sqlgen.LabelsFunctionSQL(g.fnSchema + `."` + LabelsFunctionName + `"`))
	apply.WriteString(jsonFunctionSQL(g.fnSchema + `."` + JSONFunctionName + `"`))
	if dropOld, err = dropPolicies(refs, false); err != nil {
		return nil, err
	}
	drop.WriteString(dropOld)
	drop.WriteString(dropOwned)
	for i, t := range tables {
		text, err := g.table(t, refs[i])
		if err != nil {
			return nil, err
		}
		body.WriteString(text)
		for _, r := range g.dbRoles {
			fmt.Fprintf(&drop, "REVOKE ALL ON TABLE %s FROM %s;\n", refs[i], r)
		}
		fmt.Fprintf(&drop, "ALTER TABLE %s NO FORCE ROW LEVEL SECURITY;\nALTER TABLE %s DISABLE ROW LEVEL SECURITY;\n\n", refs[i], refs[i])
	}
	// The case tables hold characters of all Unicode, which a database
	// whose encoding is not UTF8 cannot hold: created only where a policy
	// calls them, so that other scripts run in any encoding.
	for _, fn := range []struct{ name, sql string }{
		{FoldFunctionName, sqlgen.FoldFunctionSQL(g.fnSchema + `."` + FoldFunctionName + `"`)},
		{CaseFoldFunctionName, sqlgen.CaseFoldFunctionSQL(g.fnSchema + `."` + CaseFoldFunctionName + `"`)},
	} {
		if strings.Contains(body.String(), g.fnSchema+`."`+fn.name+`"(`) {
			apply.WriteString(fn.sql)
		}
	}
	if g.helpers > 0 {
		apply.WriteString(helperOwnerCheck)
	}
	apply.WriteString(body.String())
	// The two-argument reader is an earlier version's.
	fmt.Fprintf(&drop, "DROP FUNCTION IF EXISTS %s(text, text, text[]);\nDROP FUNCTION IF EXISTS %s(text, text);\n", fn, fn)
	fmt.Fprintf(&drop, "DROP FUNCTION IF EXISTS %s.\"%s\"(text);\nDROP FUNCTION IF EXISTS %s.\"%s\"(text);\nDROP FUNCTION IF EXISTS %s.\"%s\"(text[], text[]);\nDROP FUNCTION IF EXISTS %s.\"%s\"(text, text[], text);\nDROP FUNCTION IF EXISTS %s.\"%s\"(text);\nDROP FUNCTION IF EXISTS %s.\"%s\"(text);\n",
		g.fnSchema, ListFunctionName, g.fnSchema, TimestamptzFunctionName, g.fnSchema, LabelsFunctionName, g.fnSchema, JSONFunctionName, g.fnSchema, FoldFunctionName,
		g.fnSchema, CaseFoldFunctionName)
	apply.WriteString("COMMIT;\n")
	drop.WriteString("\nCOMMIT;\n")
	return &Script{Apply: apply.String(), Drop: drop.String(), Refused: g.refused, Notes: g.notes}, nil
}

// enums collects the enum types of the policy's columns by name.
func enums(p *model.Policy) map[string]*model.Enum {
	out := map[string]*model.Enum{}
	for _, t := range p.Tables {
		for _, c := range t.Columns {
			if e := c.Type.Enum; e != nil {
				out[e.String()] = e
			}
		}
	}
	return out
}

type generator struct {
	set *engine.Set
	o   Options
	sql sqlgen.Options
	// dbRoles holds every mapped database role, quoted, sorted.
	dbRoles []string
	dbRole  map[string]string // Hasura role -> quoted database role
	refused []error
	notes   []string
	// fnSchema is Options.FunctionSchema, quoted.
	fnSchema string
	// helpers counts the SECURITY DEFINER helpers written.
	helpers int
	// written holds the current table's expressed insert and update
	// permissions with their presets, for its trigger.
	written map[model.Operation][]rolePresets
}

// roles maps every Hasura role of the policy to its database role. Two
// Hasura roles on one database role would merge their permissions, which
// no session could tell apart: an error.
func (g *generator) roles() error {
	g.dbRole = map[string]string{}
	by := map[string]string{}
	for _, r := range Roles(g.set.Policy()) {
		name := r
		if m, ok := g.o.Roles[r]; ok {
			name = m
		}
		if len(name) > maxIdent {
			return fmt.Errorf("rls: database role %q of role %s is longer than %d bytes", name, r, maxIdent)
		}
		if other, ok := by[name]; ok {
			return fmt.Errorf("rls: roles %s and %s map to the same database role %q, whose sessions could not be told apart", other, r, name)
		}
		by[name] = r
		q, err := sqlgen.QuoteIdent(sqlgen.Postgres, name)
		if err != nil {
			return fmt.Errorf("rls: database role of role %s: %w", r, err)
		}
		g.dbRole[r] = q
	}
	g.dbRoles = slices.Sorted(maps.Values(g.dbRole))
	return nil
}

// Roles lists every role that holds a permission, or that the policy
// names, sorted, without admin: the roles the script maps.
func Roles(p *model.Policy) []string {
	seen := map[string]bool{}
	for _, r := range p.Roles {
		seen[r] = true
	}
	for _, t := range p.Tables {
		for _, perms := range t.Permissions {
			for r := range perms {
				seen[r] = true
			}
		}
	}
	delete(seen, model.AdminRole)
	return slices.Sorted(maps.Keys(seen))
}

func (g *generator) function() (string, error) {
	s, err := sqlgen.QuoteIdent(sqlgen.Postgres, g.o.FunctionSchema)
	if err != nil {
		return "", fmt.Errorf("rls: function schema: %w", err)
	}
	return s + `."` + FunctionName + `"`, nil
}

// dropPolicies drops every policy named warden_* on the tables, those of
// roles and operations no longer in the policy included, and stops the
// script at a permissive policy of someone else's: permissive policies
// are OR-ed, so it would allow rows Check denies. (Restrictive ones only
// narrow.) The drop script only drops. The table names
// reach the block through a transaction-local setting, not as its text.
func dropPolicies(refs []string, refuseForeign bool) (string, error) {
	lit, err := sqlgen.QuoteLiteral(strings.Join(refs, "\n"))
	if err != nil {
		return "", err
	}
	foreign := ""
	if refuseForeign {
		foreign = `
  FOR p IN
    SELECT pol.polname, pol.polrelid::regclass AS rel FROM pg_catalog.pg_policy AS pol
    WHERE pol.polpermissive AND left(pol.polname, 7) <> 'warden_' AND pol.polrelid IN (
      SELECT to_regclass(t) FROM unnest(string_to_array(current_setting('warden.rls_tables'), E'\n')) AS t)
  LOOP
    RAISE EXCEPTION 'warden: permissive policy % on % is not warden''s: it would widen what the generated policies allow', p.polname, p.rel
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END LOOP;`
	}
	return `SELECT set_config('warden.rls_tables', ` + lit + `, true);
DO $warden$
DECLARE
  p record;
BEGIN
  FOR p IN
    SELECT pol.polname, pol.polrelid::regclass AS rel FROM pg_catalog.pg_policy AS pol
    WHERE left(pol.polname, 7) = 'warden_' AND pol.polrelid IN (
      SELECT to_regclass(t) FROM unnest(string_to_array(current_setting('warden.rls_tables'), E'\n')) AS t)
  LOOP
    EXECUTE format('DROP POLICY %I ON %s', p.polname, p.rel);
  END LOOP;` + foreign + `
END
$warden$;

`, nil
}

// table writes one table's statements: row-level security on, every
// mapped role's privileges revoked and granted anew, a policy per
// permission.
func (g *generator) table(t *model.Table, ref string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "-- %s\nALTER TABLE %s ENABLE ROW LEVEL SECURITY;\nALTER TABLE %s FORCE ROW LEVEL SECURITY;\n", t.Name, ref, ref)
	for _, r := range g.dbRoles {
		fmt.Fprintf(&b, "REVOKE ALL ON TABLE %s FROM %s;\n", ref, r)
	}
	for _, op := range model.Operations {
		for _, role := range slices.Sorted(maps.Keys(t.Permissions[op])) {
			stmts, err := g.permission(t, ref, op, role)
			if err != nil {
				var re *RefusedError
				if errors.As(err, &re) {
					g.refused = append(g.refused, re)
					fmt.Fprintf(&b, "-- refused, so denied: %s\n", strings.ReplaceAll(re.Error(), "\n", " "))
					continue
				}
				return "", err
			}
			b.WriteString(stmts)
		}
	}
	trig, err := g.trigger(ref)
	if err != nil {
		return "", err
	}
	b.WriteString(trig)
	b.WriteString("\n")
	return b.String(), nil
}

// permission writes one permission's policy and privileges, or refuses
// it.
func (g *generator) permission(t *model.Table, ref string, op model.Operation, role string) (string, error) {
	perm := t.Permissions[op][role]
	refuse := func(format string, args ...any) error {
		return &RefusedError{Table: t.Name, Op: op, Role: role, Source: perm.Source, Reason: fmt.Sprintf(format, args...)}
	}
	dbRole, ok := g.dbRole[role]
	if !ok {
		return "", refuse("the role is not among the policy's roles")
	}
	switch {
	case perm.BackendOnly && g.o.BackendOnlySetting == "":
		return "", refuse("backend_only: the database cannot tell a trusted backend's session from another without a setting only that backend sets (warden rls --backend-only-setting)")
	case len(perm.ColumnConditions) > 0:
		return "", refuse("an inherited role's columns readable only where some parents' filters hold (column nullification) have no column privilege that depends on the row")
	}
	presets, err := g.presets(t, perm, refuse)
	if err != nil {
		return "", err
	}
	name := PolicyPrefix + role + "_" + op.String()
	if len(name) > maxIdent {
		return "", refuse("the policy name %s is longer than PostgreSQL's %d bytes", name, maxIdent)
	}
	qname, err := sqlgen.QuoteIdent(sqlgen.Postgres, name)
	if err != nil {
		return "", refuse("policy name: %v", err)
	}
	tmpl, err := g.set.Template(t.Name, op, role)
	if err != nil {
		return "", refuse("%v", err)
	}
	var helpers strings.Builder
	render := func(e residual.Expr, part string) (string, error) {
		if why := g.inexpressible(e); why != "" {
			return "", refuse("%s", why)
		}
		o := g.sql
		// The Hasura role a computed field that takes the session is
		// passed as x-hasura-role (sqlgen.SessionJSON).
		o.Role = role
		helper := readsOthers(e)
		if helper {
			// Rendered as the body of a helper the policy calls with
			// the row (see helper).
			o.Alias = helperArg
		}
		r, err := sqlgen.NewRenderer(g.set.Policy(), t.Name, o)
		if err != nil {
			return "", err
		}
		f, err := r.Render(e)
		if err != nil {
			var ue *sqlgen.UnsupportedError
			if errors.As(err, &ue) {
				return "", refuse("%v", err)
			}
			return "", err
		}
		if len(f.Args) > 0 {
			// A policy takes no parameters; a bound value here would be
			// lost. Never expected: every Param is read in the database.
			return "", refuse("the predicate needs %d bind parameters, which a policy cannot take", len(f.Args))
		}
		if !helper {
			return f.SQL, nil
		}
		call, ddl, err := g.helper(t, ref, role, op, part, dbRole, f.SQL, refuse)
		if err != nil {
			return "", err
		}
		helpers.WriteString(ddl)
		return call, nil
	}
	var b strings.Builder
	guard, err := g.guard(tmpl, refuse)
	if err != nil {
		return "", err
	}
	part := "using"
	if op == model.OpInsert {
		part = "check"
	}
	pred, err := render(tmpl.Predicate, part)
	if err != nil {
		return "", err
	}
	pred = guard(pred)
	backend, err := g.backendOnly(perm)
	if err != nil {
		return "", refuse("%v", err)
	}
	pred = backend(pred)
	switch op {
	case model.OpSelect:
		if perm.Limit != nil {
			g.notes = append(g.notes, fmt.Sprintf("%s select role %s: the row limit %d is not enforced (row-level security has no limit)", t.Name, role, *perm.Limit))
		}
		if len(perm.ComputedFields) > 0 {
			g.notes = append(g.notes, fmt.Sprintf("%s select role %s: computed fields are functions; EXECUTE on them is not managed", t.Name, role))
		}
		fmt.Fprintf(&b, "CREATE POLICY %s ON %s AS PERMISSIVE FOR SELECT TO %s USING %s;\n", qname, ref, dbRole, pred)
	case model.OpDelete:
		fmt.Fprintf(&b, "CREATE POLICY %s ON %s AS PERMISSIVE FOR DELETE TO %s USING %s;\n", qname, ref, dbRole, pred)
	case model.OpInsert:
		fmt.Fprintf(&b, "CREATE POLICY %s ON %s AS PERMISSIVE FOR INSERT TO %s WITH CHECK %s;\n", qname, ref, dbRole, pred)
	case model.OpUpdate:
		check := residual.Expr(residual.True{})
		if tmpl.Check != nil {
			check = tmpl.Check
		}
		cs, err := render(check, "check")
		if err != nil {
			return "", err
		}
		cs = backend(guard(cs))
		fmt.Fprintf(&b, "CREATE POLICY %s ON %s AS PERMISSIVE FOR UPDATE TO %s USING %s WITH CHECK %s;\n", qname, ref, dbRole, pred, cs)
	}
	if op == model.OpDelete {
		fmt.Fprintf(&b, "GRANT DELETE ON TABLE %s TO %s;\n", ref, dbRole)
		return g.withHelpers(helpers.String(), b.String()), nil
	}
	g.expressed(t, op, role, presets)
	// A preset column is not the role's to write (Hasura leaves it out
	// of the mutation's input): no privilege; the trigger writes it.
	var cols []string
	for _, c := range perm.Columns {
		if _, preset := perm.Set[c]; preset {
			continue
		}
		q, err := sqlgen.QuoteIdent(sqlgen.Postgres, c)
		if err != nil {
			return "", err
		}
		cols = append(cols, q)
	}
	if len(cols) == 0 {
		if len(perm.Set) > 0 && op == model.OpInsert {
			g.notes = append(g.notes, fmt.Sprintf("%s insert role %s: every column it may write is preset; an INSERT names no column the role may write, so it is denied", t.Name, role))
		}
		return g.withHelpers(helpers.String(), b.String()), nil
	}
	fmt.Fprintf(&b, "GRANT %s (%s) ON TABLE %s TO %s;\n", strings.ToUpper(op.String()), strings.Join(cols, ", "), ref, dbRole)
	return g.withHelpers(helpers.String(), b.String()), nil
}

// withHelpers is a permission's statements after its helpers, counted
// for helperOwnerCheck.
func (g *generator) withHelpers(helpers, stmts string) string {
	if helpers != "" {
		g.helpers++
	}
	return helpers + stmts
}

// backendOnly returns what wraps a backend_only permission's expressions:
// CASE WHEN the setting is 'true' THEN the expression ELSE FALSE END, as
// Check applies the permission only to a session that asks for
// backend_only permissions (engine: perm.BackendOnly && !BackendOnly is
// no permission). Other permissions apply whatever the setting says, as
// Hasura applies them to a backend's request too.
func (g *generator) backendOnly(perm *model.Permission) (func(string) string, error) {
	if !perm.BackendOnly {
		return func(s string) string { return s }, nil
	}
	lit, err := sqlgen.QuoteLiteral(g.o.BackendOnlySetting)
	if err != nil {
		return nil, fmt.Errorf("backend-only setting: %w", err)
	}
	return func(s string) string {
		return "(CASE WHEN pg_catalog.current_setting(" + lit + ", true) = 'true' THEN " + s + " ELSE FALSE END)"
	}, nil
}

// guard returns what wraps a policy's expression so that every session
// variable the permission reads is read, and cast, before the predicate
// is evaluated: CASE WHEN v1 IS NULL OR ... THEN FALSE ELSE pred END. Check
// refuses a session that lacks one of them, or holds one that does not
// parse, whatever the row; the predicate alone would not read a variable
// in a branch PostgreSQL decides it need not evaluate (author_id = v1 OR
// org_id = v2 holds without v2 where author_id = v1). CASE evaluates its
// condition first, and the reads raise an error when a variable is
// missing or malformed. The (never true) IS NULL only makes the reads a
// condition. Text the cast would accept and Check rejects
// (sqlgen.SessionRejected) makes the expression FALSE.
func (g *generator) guard(tmpl *engine.Template, refuse func(string, ...any) error) (func(string) string, error) {
	seen := map[string]bool{}
	var reads []string
	// Every variable the permission reads, those partial evaluation
	// left out of the predicate included (Check still requires them).
	params := slices.Clone(tmpl.Params)
	for _, e := range []residual.Expr{tmpl.Predicate, tmpl.Check} {
		if e != nil {
			params = append(params, residual.Params(e)...)
		}
	}
	for _, p := range params {
		sql, err := sqlgen.SessionSQL(g.sql.Session, p)
		if err != nil {
			return nil, refuse("%v", err)
		}
		if !seen[sql] {
			seen[sql] = true
			reads = append(reads, sql+" IS NULL")
		}
		rej, err := sqlgen.SessionRejected(g.sql.Session, p)
		if err != nil {
			return nil, refuse("%v", err)
		}
		if rej != "" && !seen[rej] {
			seen[rej] = true
			reads = append(reads, rej)
		}
	}
	slices.Sort(reads)
	if len(reads) == 0 {
		return func(s string) string { return s }, nil
	}
	cond := strings.Join(reads, " OR ")
	return func(s string) string { return "(CASE WHEN " + cond + " THEN FALSE ELSE " + s + " END)" }, nil
}

// inexpressible says why a template cannot become a policy's expression
// with Check's meaning, or "" when it can. Relationships, _exists and
// computed fields are read by a helper (see helper); a computed field
// that takes the session is passed it as Hasura passes it, a json object
// read from the setting (jsonFunctionSQL).
func (g *generator) inexpressible(e residual.Expr) string {
	var why string
	note := func(s string) {
		if why == "" {
			why = s
		}
	}
	param := func(o residual.Operand, what string) {
		if p, ok := o.(residual.Param); ok {
			note(fmt.Sprintf("session variable %s used as %s is not read inside the database in this version", p.Name, what))
		}
	}
	residual.Walk(e, func(x residual.Expr) {
		switch y := x.(type) {
		case residual.Array:
			param(y.Value, "an array")
		}
	})
	return why
}
