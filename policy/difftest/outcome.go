package difftest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/engine/enginetest"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// Outcome is Filter's answer for one rule and session, already found to
// agree with Check on every row of the table.
type Outcome struct {
	Rule Rule
	Vars map[string]string
	// Result is nil when Check and Filter both refused the session (a
	// variable missing or malformed).
	Result *engine.FilterResult
	// Rows are the table's rows with their related rows nested, as Check
	// took them; Allowed and Columns say what the predicate (and the
	// column conditions) allow for each.
	Rows    []map[string]any
	Allowed []bool
	Columns [][]string
	// Written counts the rows of an insert or update rule that Check
	// was asked about as Hasura writes them (writes): PresetApplied those
	// whose check read a preset Check applied, Refused the rows that wrote
	// a column outside the permission's or stated a preset column, each
	// denied naming exactly that column, and Undecided the inserts that
	// answered NEEDS_DATA for a column the permission does not let them
	// write.
	PresetApplied, Refused, Undecided int
	// Database marks the rows whose decision Check left to the database
	// (NEEDS_DATA naming only operators the database decides, dbops.go):
	// Allowed is not known for them, and the database's answer (Filter's
	// SQL) must be Hasura's. DatabaseDecided counts the rows of such a
	// rule that Check decided all the same, the rest of the rule deciding.
	Database        []bool
	DatabaseDecided int
}

// Outcomes runs Check (with both evaluators, which must agree) and Filter
// for every rule and session of the case,
// evaluates the Filter predicate on every row with residual.Eval, and
// returns an error at the first row where the two disagree: a different
// decision, different allowed columns, or only one of them failing.
func (c *Case) Outcomes(ctx context.Context, set *engine.Set) ([]Outcome, error) {
	var out []Outcome
	for _, rule := range c.Rules {
		tbl := c.Policy.Tables[rule.Table]
		rows := c.Rows[rule.Table]
		for _, vars := range c.Sessions[rule.Key()] {
			sess := engine.Session{Role: rule.Role, Vars: vars}
			o := Outcome{Rule: rule, Vars: vars}
			in := engine.CheckInput{Session: sess, Table: rule.Table, Op: rule.Op, Tables: c.Rows}
			perm := tbl.Permissions[rule.Op][rule.Role]
			for _, r := range rows {
				n := c.Nested(tbl, r, rule.Depth)
				o.Rows = append(o.Rows, n)
				in.Rows = append(in.Rows, writes(tbl, perm, rule.Op, fmt.Sprint(r["id"]), n))
			}
			// Check with both evaluators, which must agree row for row.
			chk, cerr, disagree := enginetest.CheckBoth(ctx, set, in)
			if disagree != nil {
				return nil, fmt.Errorf("%s session %v: the evaluators disagree: %w", rule.Key(), vars, disagree)
			}
			res, ferr := set.Filter(ctx, engine.FilterInput{Session: sess, Table: rule.Table, Op: rule.Op})
			if cerr != nil || ferr != nil {
				if !sameError(cerr, ferr) {
					return nil, fmt.Errorf("%s session %v: Check error %v, Filter error %v", rule.Key(), vars, cerr, ferr)
				}
				out = append(out, o)
				continue
			}
			o.Result = res
			database := perm != nil && (usesDatabase(perm.Filter) || usesDatabase(perm.Check))
			o.Database = make([]bool, len(o.Rows))
			for i, row := range o.Rows {
				ok, cols := allowed(res, residual.Data{Row: row, Tables: c.Rows})
				o.Allowed = append(o.Allowed, ok)
				o.Columns = append(o.Columns, cols)
				dec := chk.Rows[i]
				want := ok
				if perm != nil && len(perm.Set) > 0 {
					// Check applied the presets to the written row:
					// the check reads them, not the stored values.
					want = writtenAllowed(res, rule.Op, row, withPresets(tbl, row, res.Presets), c.Rows)
					if want != ok {
						o.PresetApplied++
						cols = nil
						if want {
							// Insert and update have no column conditions.
							cols = res.Columns
						}
					}
				}
				if database && dec.Decision == engine.NeedsData {
					// Only the operators the database decides may be
					// missing: the row is complete.
					for _, m := range dec.MissingData {
						if !strings.HasSuffix(m, ", decided by the database)") {
							return nil, fmt.Errorf("%s session %v row %v: NEEDS_DATA for %q, which the row has (%s)", rule.Key(), vars, row, m, dec.Reason)
						}
					}
					o.Database[i] = true
					continue
				}
				if database {
					// Decided without the database: by the rest of the
					// rule, which the residual's reference evaluation
					// (database operators false) must agree with, and
					// so must the database (runCase).
					o.DatabaseDecided++
				}
				if dec.Decision == engine.NeedsData && rule.Op == model.OpInsert {
					// An insert states only the columns it may write;
					// a check that reads another one needs it.
					if err := onlyUnwritten(perm, dec.MissingData); err != nil {
						return nil, fmt.Errorf("%s session %v row %v: %w (%s)", rule.Key(), vars, row, err, dec.Reason)
					}
					o.Undecided++
					continue
				}
				if (dec.Decision == engine.Allow) != want || want && strings.Join(dec.AllowedColumns, ",") != strings.Join(cols, ",") {
					return nil, fmt.Errorf("%s session %v row %v:\nCheck: %s %v (%s)\nFilter: %v %v\npredicate: %s",
						rule.Key(), vars, row, dec.Decision, dec.AllowedColumns, dec.Reason, want, cols, residual.String(res.Predicate))
				}
			}
			if perm != nil && (rule.Op == model.OpInsert || rule.Op == model.OpUpdate) {
				n, err := refusedWrites(ctx, set, in, tbl, perm, o.Rows)
				if err != nil {
					return nil, fmt.Errorf("%s session %v: %w", rule.Key(), vars, err)
				}
				o.Refused += n
			}
			out = append(out, o)
		}
	}
	return out, nil
}

// allowed evaluates a Filter result on a row: the predicate (and the
// update check), and the columns whose conditions hold.
func allowed(res *engine.FilterResult, d residual.Data) (bool, []string) {
	ok := residual.Eval(res.Predicate, d) && (res.Check == nil || residual.Eval(res.Check, d))
	var cols []string
	if ok {
		for _, col := range res.Columns {
			if cond, has := res.ColumnConditions[col]; !has || residual.Eval(cond, d) {
				cols = append(cols, col)
			}
		}
	}
	return ok, cols
}

func sameError(a, b error) bool {
	for _, target := range []error{engine.ErrMissingSessionVariables, engine.ErrInvalidValue} {
		if errors.Is(a, target) && errors.Is(b, target) {
			return true
		}
	}
	return false
}
