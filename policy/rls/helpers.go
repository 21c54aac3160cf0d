package rls

// Rules that read other tables: relationships, _exists and computed
// fields.
//
// Hasura decides a relationship or an _exists in a permission over every
// row of the target table, whatever the role may read there (its
// permissions on the target play no part), and Check does the same with
// the rows it is given. A subquery in a policy would not: it runs as the
// querying role, under the target's privileges and its row-level
// security, and the script enables and forces row-level security on
// every table of the policy, so the subquery would see only the rows the
// role may select there (none where it has no select permission). Plain
// subqueries are equivalent only on a target without row-level security,
// which no table of the policy is.
//
// So an expression that reads another table (or calls a computed field)
// becomes the body of a helper, one per policy expression:
//
//	CREATE FUNCTION schema."warden_<hash>_<role>_<op>_<using|check>"(warden_row schema.table)
//	  RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
//	  SET search_path = pg_catalog, pg_temp SET row_security = off
//	  AS $$ SELECT (<the expression, the row's columns read as warden_row.col>) $$;
//
// and the policy calls it with the row: schema."warden_..."("table".*).
//
//   - SECURITY DEFINER: the body runs as the helper's owner, the role
//     that ran the script, not as the querying role.
//   - SET row_security = off: a query of the body that row-level
//     security would filter fails instead. The body therefore reads every
//     row of the targets (its owner bypasses row-level security:
//     superuser or BYPASSRLS) or fails, never a filtered subset. The
//     table owner does not bypass it, since the script forces row-level
//     security; the script checks before it creates a helper that the
//     role running it bypasses row-level security (helperOwnerCheck), and
//     a helper whose owner is later changed to one that does not fails
//     closed.
//   - SET search_path = pg_catalog, pg_temp, and every table, function and
//     type the body names qualified with its schema: nothing the querying
//     role could create shadows them.
//   - STABLE: the body reads with the statement's snapshot, as the
//     policy's own expression would (an INSERT's check does not see the
//     row being inserted).
//   - EXECUTE is revoked from PUBLIC and granted to the permission's
//     database role only: the policy is evaluated with the querying
//     role's privileges.
//
// The session variables the body reads are read inside it, from the same
// transaction-local setting. A helper answers for whatever row it is
// given: a role that may call it can ask, for rows of its own making,
// what the rule says of the target tables, which Hasura answers only for
// rows an insert or update states.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// helperArg names the row a helper is called with.
const helperArg = "warden_row"

// objectPrefix starts the name of every function the script creates for
// the table ref (helpers and the preset trigger's): warden_ and 8 hex
// digits of a hash of ref, so that a re-run finds and drops them, and
// tables of the same name in two schemas do not share them.
func objectPrefix(ref string) string {
	h := sha256.Sum256([]byte(ref))
	return PolicyPrefix + hex.EncodeToString(h[:4]) + "_"
}

// readsOthers says whether e reads another table or calls a computed
// field: whether its policy expression needs a helper.
func readsOthers(e residual.Expr) bool {
	found := false
	residual.Walk(e, func(x residual.Expr) {
		if _, ok := x.(residual.Exists); ok {
			found = true
		}
		for _, c := range columns(x) {
			found = found || c.Function != ""
		}
	})
	return found
}

// columns are the column operands of a leaf of an expression.
func columns(x residual.Expr) []residual.Column {
	switch y := x.(type) {
	case residual.Compare:
		if c, ok := y.Right.(residual.Column); ok {
			return []residual.Column{y.Left, c}
		}
		return []residual.Column{y.Left}
	case residual.IsNull:
		return []residual.Column{y.Column}
	case residual.In:
		return []residual.Column{y.Column}
	case residual.Match:
		return []residual.Column{y.Column}
	case residual.JSONB:
		return []residual.Column{y.Column}
	case residual.Array:
		return []residual.Column{y.Column}
	case residual.Spatial:
		return []residual.Column{y.Column}
	case residual.Database:
		if c, ok := y.Value.(residual.Column); ok {
			// A column comparison the database decides.
			return []residual.Column{y.Column, c}
		}
		return []residual.Column{y.Column}
	}
	return nil
}

// helper writes the helper of one policy expression (body, rendered with
// the row as helperArg) and returns the policy's call of it.
func (g *generator) helper(t *model.Table, ref, role string, op model.Operation, part, dbRole, body string, refuse func(string, ...any) error) (call, ddl string, err error) {
	for _, other := range g.set.Policy().Tables {
		if _, ok := other.Field(helperArg); ok {
			// In the body, warden_row.col could name that column's field.
			return "", "", refuse("table %s has a column %s, the name of the helper's row", other.Name, helperArg)
		}
	}
	name := objectPrefix(ref) + role + "_" + op.String() + "_" + part
	if len(name) > maxIdent {
		return "", "", refuse("the helper function's name %s is longer than PostgreSQL's %d bytes", name, maxIdent)
	}
	qname, err := sqlgen.QuoteIdent(sqlgen.Postgres, name)
	if err != nil {
		return "", "", refuse("helper name: %v", err)
	}
	fn := g.fnSchema + "." + qname
	rel, err := sqlgen.QuoteIdent(sqlgen.Postgres, t.Name.Name)
	if err != nil {
		return "", "", err
	}
	sig := fn + "(" + ref + ")"
	ddl = fmt.Sprintf(`-- %s %s role %s: the %s expression reads other tables (or calls a computed field)
-- as Hasura does, over all their rows: a SECURITY DEFINER helper (see the note before the first table).
CREATE FUNCTION %s(%s %s) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET row_security = off
AS %s;
REVOKE ALL ON FUNCTION %s FROM PUBLIC;
GRANT EXECUTE ON FUNCTION %s TO %s;
`, t.Name, op, role, part, fn, helperArg, ref, dollarQuote("SELECT "+body), sig, sig, dbRole)
	return "(" + fn + "(" + rel + ".*))", ddl, nil
}

// dollarQuote quotes body as a dollar-quoted string whose tag the body
// does not contain, so that no text of the body (a literal of the
// policy's) ends it.
func dollarQuote(body string) string {
	for i := 0; ; i++ {
		tag := "$warden$"
		if i > 0 {
			tag = "$warden" + strconv.Itoa(i) + "$"
		}
		if strings.Index(body+tag, tag) == len(body) {
			return tag + "\n" + body + "\n" + tag
		}
	}
}

// helperOwnerCheck stops the script when the role running it, which owns
// the helpers, does not bypass row-level security: their bodies would
// fail (row_security = off) on every forced table they read.
const helperOwnerCheck = `-- Rules over relationships, _exists and computed fields: Hasura reads the other tables over all
-- their rows, whatever the role may read there. A subquery in a policy would run as the role,
-- under those tables' (forced) row-level security. Each such expression is instead the body of
-- a helper function the policy calls with the row: SECURITY DEFINER (it runs as its owner, the
-- role running this script), SET row_security = off (a query row-level security would filter
-- fails rather than sees fewer rows), SET search_path = pg_catalog, pg_temp with every name
-- qualified, STABLE (the statement's snapshot), EXECUTE for its mapped role only. Its owner must
-- bypass row-level security: a superuser or a role WITH BYPASSRLS.
DO $warden$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = current_user AND (rolsuper OR rolbypassrls)) THEN
    RAISE EXCEPTION 'warden: role % does not bypass row-level security; the helpers it would own could not read the tables their rules read (run the script as a superuser or a role WITH BYPASSRLS)', current_user
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END
$warden$;

`

// dropObjects drops, on the tables refs, the preset triggers and, in the
// function schema, every function an earlier run created for them (named
// objectPrefix(ref)...). The prefixes reach the block through a
// transaction-local setting, not as its text.
func (g *generator) dropObjects(refs []string) (string, error) {
	var b strings.Builder
	prefixes := make([]string, len(refs))
	for i, ref := range refs {
		fmt.Fprintf(&b, "DROP TRIGGER IF EXISTS %s ON %s;\n", presetTriggerQ, ref)
		prefixes[i] = objectPrefix(ref)
	}
	lit, err := sqlgen.QuoteLiteral(strings.Join(prefixes, "\n"))
	if err != nil {
		return "", err
	}
	schema, err := sqlgen.QuoteLiteral(g.fnSchema)
	if err != nil {
		return "", err
	}
	b.WriteString(`SELECT set_config('warden.rls_prefixes', ` + lit + `, true);
DO $warden$
DECLARE
  f record;
BEGIN
  FOR f IN
    SELECT p.oid::regprocedure AS fn FROM pg_catalog.pg_proc AS p
    WHERE p.pronamespace = ` + schema + `::regnamespace
      AND left(p.proname, ` + strconv.Itoa(len(objectPrefix(""))) + `) = ANY (string_to_array(current_setting('warden.rls_prefixes'), E'\n'))
  LOOP
    EXECUTE format('DROP FUNCTION %s', f.fn);
  END LOOP;
END
$warden$;

`)
	return b.String(), nil
}
