package rls

// Column presets (insert_permissions.set, update_permissions.set).
//
// Hasura writes a preset column itself: the column is left out of the
// mutation's input (a role cannot state it), and on every insert or
// update by the role the preset's value (a literal, or a session variable
// cast to the column's type) is written over the row before the check
// reads it. The script does the same with a BEFORE INSERT OR UPDATE
// trigger per table, warden_presets, whose function sets NEW.col for the
// database role the statement runs as, and with no privilege on a preset
// column, so that a statement naming it is refused as Hasura refuses it.
// Row-level security's WITH CHECK reads the row after BEFORE triggers:
// the check sees the presets, as in Hasura.
//
// The trigger applies the presets of the mapped role whose policies
// apply to the current role (pg_has_role(role, 'USAGE'), the test
// row-level security makes). A role that acts as several mapped roles
// with a permission of the operation on the table has no single set of
// presets: the statement fails. A role that bypasses row-level security
// (a superuser, BYPASSRLS) gets no presets, as Hasura's admin gets none.
// Session values are read at run time (current_setting through
// warden_session), never written into the function; the function's own
// text holds only the policy's literals, quoted.

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// presetTrigger is the trigger's name on every table with presets.
const presetTrigger = "warden_presets"

// presetTriggerQ is presetTrigger quoted.
const presetTriggerQ = `"` + presetTrigger + `"`

// rolePresets are the assignments of one expressed insert or update
// permission: PL/pgSQL statements, in column order.
type rolePresets struct {
	role  string // quoted as a literal
	stmts []string
}

// presets renders the permission's presets as PL/pgSQL statements, or
// refuses the permission.
func (g *generator) presets(t *model.Table, perm *model.Permission, refuse func(string, ...any) error) ([]string, error) {
	var out []string
	for _, col := range slices.Sorted(maps.Keys(perm.Set)) {
		c, ok := t.Column(col)
		if !ok || c.Computed != nil {
			return nil, refuse("preset of %s: not a column of the table", col)
		}
		q, err := sqlgen.QuoteIdent(sqlgen.Postgres, col)
		if err != nil {
			return nil, refuse("preset of %s: %v", col, err)
		}
		switch v := perm.Set[col].(type) {
		case model.Literal:
			lit, err := presetLiteral(c, v.V)
			if err != nil {
				return nil, refuse("preset of %s: %v", col, err)
			}
			out = append(out, "NEW."+q+" := "+lit+";")
		case model.SessionVar:
			stmts, err := g.sessionPreset(c, q, v)
			if err != nil {
				return nil, refuse("preset of %s: %v", col, err)
			}
			out = append(out, stmts...)
		default:
			return nil, refuse("preset of %s: a %T value", col, v)
		}
	}
	return out, nil
}

// presetLiteral writes a literal preset as PostgreSQL reads it into the
// column, the value Check reports: its canonical form.
func presetLiteral(c *model.Column, v any) (string, error) {
	if v == nil {
		return "NULL", nil
	}
	if c.Type.Canon != "" {
		return "", fmt.Errorf("a %s column's value is compared by a canonical text, not written from it", c.Type.Declared)
	}
	var text string
	switch x := v.(type) {
	case json.Number:
		text = x.String()
	case bool:
		text = fmt.Sprint(x)
	case string:
		text = x
	default:
		if c.Type.Kind != model.KindJSONB {
			return "", fmt.Errorf("a %T value", v)
		}
	}
	if c.Type.Kind == model.KindJSONB {
		js, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		text = string(js)
	}
	return sqlgen.QuoteLiteral(text)
}

// sessionPreset reads the session variable inside the database and
// assigns its text to the column, which PostgreSQL parses as the column's
// type. Only kinds whose cast parses the text as Check does are written
// (sqlgen.SessionSQL's); text the cast accepts and Check rejects
// (sqlgen.SessionRejected) fails the statement, as Check fails.
func (g *generator) sessionPreset(c *model.Column, col string, v model.SessionVar) ([]string, error) {
	if v.Clock != "" {
		return nil, fmt.Errorf("%s is Check's clock at the decision, not the database's", v.Clock)
	}
	ty := c.Type
	if ty.Fold || ty.PadSpace || ty.Enum != nil || ty.Canon != "" || ty.Base != "" {
		return nil, fmt.Errorf("a %s column, whose values Check normalises", ty.Declared)
	}
	p := residual.Param{Name: v.Name, Kind: v.Kind}
	read, err := sqlgen.SessionSQL(g.sql.Session, p)
	if err != nil {
		return nil, err
	}
	text, err := sqlgen.SessionText(g.sql.Session, v.Name)
	if err != nil {
		return nil, err
	}
	if v.Kind == model.KindTimestamptz {
		// An assignment of the text would read it in the session's
		// TimeZone; the timestamptz function reads it as Check does,
		// without an offset as UTC, and fails outside Check's years.
		text = read
	}
	rej, err := sqlgen.SessionRejected(g.sql.Session, p)
	if err != nil {
		return nil, err
	}
	var out []string
	if rej != "" {
		name, err := sqlgen.QuoteLiteral(v.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, "IF "+rej+" THEN\n        RAISE EXCEPTION 'warden: session variable % is not a valid "+v.Kind.String()+"', "+name+" USING ERRCODE = 'invalid_text_representation';\n      END IF;")
	}
	return append(out, "NEW."+col+" := "+text+";"), nil
}

// expressed records an insert or update permission the script writes a
// policy for, with its presets, for the table's trigger.
func (g *generator) expressed(t *model.Table, op model.Operation, role string, stmts []string) {
	if op != model.OpInsert && op != model.OpUpdate {
		return
	}
	if g.written == nil {
		g.written = map[model.Operation][]rolePresets{}
	}
	name := role
	if m, ok := g.o.Roles[role]; ok {
		name = m
	}
	lit, _ := sqlgen.QuoteLiteral(name) // a valid identifier (roles) quotes
	g.written[op] = append(g.written[op], rolePresets{role: lit, stmts: stmts})
}

// trigger writes the table's preset trigger, or nothing when none of its
// expressed permissions has a preset. It resets what expressed recorded.
func (g *generator) trigger(ref string) (string, error) {
	written := g.written
	g.written = nil
	some := false
	for _, rs := range written {
		for _, r := range rs {
			some = some || len(r.stmts) > 0
		}
	}
	if !some {
		return "", nil
	}
	qname, err := sqlgen.QuoteIdent(sqlgen.Postgres, objectPrefix(ref)+"presets")
	if err != nil {
		return "", err
	}
	fn := g.fnSchema + "." + qname
	var b strings.Builder
	fmt.Fprintf(&b, `DECLARE
  roles text[];
BEGIN
  IF (SELECT r.rolsuper OR r.rolbypassrls FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user) THEN
    RETURN NEW; -- row-level security does not apply, nor do presets
  END IF;
`)
	for i, op := range []model.Operation{model.OpInsert, model.OpUpdate} {
		kw := "IF"
		if i > 0 {
			kw = "ELSIF"
		}
		fmt.Fprintf(&b, "  %s TG_OP = '%s' THEN\n", kw, strings.ToUpper(op.String()))
		var names []string
		for _, r := range written[op] {
			names = append(names, r.role)
		}
		if len(names) == 0 {
			b.WriteString("    RETURN NEW;\n")
			continue
		}
		fmt.Fprintf(&b, `    roles := ARRAY(SELECT m FROM unnest(ARRAY[%s]::text[]) AS m WHERE pg_catalog.pg_has_role(m, 'USAGE'));
    IF cardinality(roles) > 1 THEN
      RAISE EXCEPTION 'warden: role %% acts as the roles %% on %%.%%, whose presets differ', current_user, roles, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
    END IF;
`, strings.Join(names, ", "))
		for _, r := range written[op] {
			if len(r.stmts) == 0 {
				continue
			}
			fmt.Fprintf(&b, "    IF roles = ARRAY[%s]::text[] THEN\n      %s\n    END IF;\n", r.role, strings.Join(r.stmts, "\n      "))
		}
	}
	b.WriteString("  END IF;\n  RETURN NEW;\nEND")
	return fmt.Sprintf(`CREATE FUNCTION %s() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS %s;
REVOKE ALL ON FUNCTION %s() FROM PUBLIC;
CREATE TRIGGER %s BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION %s();
`, fn, dollarQuote(b.String()), fn, presetTriggerQ, ref, fn), nil
}
