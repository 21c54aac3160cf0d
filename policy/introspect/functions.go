package introspect

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/wardenpdp/warden/policy/model"
)

// Function is one introspected SQL function that a computed field calls:
// what it returns, a type (as a column's: Type, Base, Enum) or the rows of
// a table (SetOf).
type Function struct {
	Name  model.TableName
	Type  string
	Base  string
	Enum  []string
	SetOf *model.TableName
	// unread says, for a result Warden does not read, what it is (a
	// single row of a table, a set of scalars).
	unread string
}

// Functions introspects the named functions (PostgreSQL only: computed
// fields are PostgreSQL functions). A function the database does not have,
// or that Warden cannot use (a single composite row, several overloads
// with different results), is left out with a warning; the loader then
// reports its computed fields as inconsistent.
func Functions(ctx context.Context, db *sql.DB, d Dialect, names []model.TableName) (out []Function, warnings []string, err error) {
	if len(names) == 0 {
		return nil, nil, nil
	}
	if d != Postgres {
		for _, n := range names {
			warnings = append(warnings, fmt.Sprintf("function %s: computed fields call PostgreSQL functions, and this is a %s database: not written", n, d))
		}
		return nil, warnings, nil
	}
	for _, n := range names {
		fs, err := postgresFunction(ctx, db, n)
		if err != nil {
			return nil, nil, fmt.Errorf("function %s: %w", n, err)
		}
		switch {
		case len(fs) == 0:
			warnings = append(warnings, fmt.Sprintf("function %s: not in the database: its computed fields will be inconsistent", n))
		case len(fs) > 1 && !sameResult(fs):
			warnings = append(warnings, fmt.Sprintf("function %s: %d overloads with different results: not written, its computed fields will be inconsistent", n, len(fs)))
		case fs[0].Type == "" && fs[0].SetOf == nil:
			warnings = append(warnings, fmt.Sprintf("function %s: returns %s, which Warden does not read: not written, its computed fields will be inconsistent", n, fs[0].unread))
		default:
			out = append(out, fs[0])
		}
	}
	return out, warnings, nil
}

func sameResult(fs []Function) bool {
	for _, f := range fs[1:] {
		a, b := f.SetOf, fs[0].SetOf
		if f.Type != fs[0].Type || f.Base != fs[0].Base || f.unread != fs[0].unread || (a == nil) != (b == nil) || a != nil && *a != *b {
			return false
		}
	}
	return true
}

// postgresFunction reads every overload of a function: its result type,
// written as a column's type is (an enum or domain schema-qualified, with
// its labels or base type), or the table of a SETOF table result.
func postgresFunction(ctx context.Context, db *sql.DB, n model.TableName) ([]Function, error) {
	rows, err := db.QueryContext(ctx, `
		SELECT p.proretset, rt.typtype = 'c' AND rc.oid IS NOT NULL,
		       COALESCE(rcn.nspname, ''), COALESCE(rc.relname, ''),
		       CASE WHEN rt.typtype IN ('e', 'd') THEN quote_ident(rn.nspname) || '.' || quote_ident(rt.typname)
		            ELSE format_type(p.prorettype, NULL) END,
		       CASE WHEN rt.typtype = 'd' AND bt.typtype = 'e' THEN quote_ident(bn.nspname) || '.' || quote_ident(bt.typname)
		            WHEN rt.typtype = 'd' THEN format_type(rt.typbasetype, rt.typtypmod)
		            ELSE '' END,
		       COALESCE((SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder)::text FROM pg_enum e
		                 WHERE e.enumtypid = CASE WHEN rt.typtype = 'd' THEN rt.typbasetype ELSE rt.oid END), '')
		FROM pg_proc p
		JOIN pg_namespace s ON s.oid = p.pronamespace
		JOIN pg_type rt ON rt.oid = p.prorettype
		JOIN pg_namespace rn ON rn.oid = rt.typnamespace
		LEFT JOIN pg_type bt ON bt.oid = rt.typbasetype
		LEFT JOIN pg_namespace bn ON bn.oid = bt.typnamespace
		LEFT JOIN pg_class rc ON rc.oid = rt.typrelid AND rc.relkind IN ('r', 'p', 'v', 'm', 'f')
		LEFT JOIN pg_namespace rcn ON rcn.oid = rc.relnamespace
		WHERE s.nspname = $1 AND p.proname = $2
		ORDER BY p.oid`, n.Schema, n.Name)
	if err != nil {
		return nil, err
	}
	var out []Function
	for rows.Next() {
		var setof, table bool
		var tschema, tname, typ, base, labels string
		if err := rows.Scan(&setof, &table, &tschema, &tname, &typ, &base, &labels); err != nil {
			rows.Close()
			return nil, err
		}
		f := Function{Name: n}
		switch {
		case table && setof:
			f.SetOf = &model.TableName{Schema: tschema, Name: tname}
		case table:
			// One row of a table: not a computed field Warden reads.
			f.unread = "one composite row (" + typ + ")"
		case setof:
			// A set of scalars: neither.
			f.unread = "a set of scalars (SETOF " + typ + ")"
		default:
			f.Type, f.Base = typ, base
			if labels != "" {
				if err := json.Unmarshal([]byte(labels), &f.Enum); err != nil {
					rows.Close()
					return nil, fmt.Errorf("the labels of %s: %w", typ, err)
				}
			}
		}
		out = append(out, f)
	}
	return out, closeRows(rows)
}
