// Package enginetest runs Check with both of the engine's evaluators and
// says where they disagree: for the tests and the benchmark's
// cross-checks that prove the native evaluator decides as OPA does.
package enginetest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/residual"
)

// CheckBoth runs Check on set with the native evaluator and with OPA's, at
// one instant (clock words and presets read the same time), and returns
// the native answer. disagree is non-nil when the two differ in anything:
// an error or its text, a row's decision, reason, columns, missing data or
// residuals, or the presets.
func CheckBoth(ctx context.Context, set *engine.Set, in engine.CheckInput) (res *engine.CheckResult, err, disagree error) {
	now := time.Now()
	clock := func() time.Time { return now }
	nat := set.WithEvaluator(engine.EvaluatorNative).WithClock(clock)
	opa := set.WithEvaluator(engine.EvaluatorOPA).WithClock(clock)
	// Check may not modify the caller's rows; both get the same input.
	res, err = nat.Check(ctx, in)
	ores, oerr := opa.Check(ctx, in)
	if d := Compare(res, err, ores, oerr); d != nil {
		return res, err, d
	}
	// The rows given as Objects (as the server's decoder gives them) are
	// decided as the same rows given as maps, by either evaluator.
	fin := withFields(in)
	for _, ev := range []*engine.Set{nat, opa} {
		fres, ferr := ev.Check(ctx, fin)
		if d := Compare(res, err, fres, ferr); d != nil {
			return res, err, fmt.Errorf("rows as maps and as Objects (%s evaluator): %w", ev.Evaluator(), d)
		}
	}
	return res, err, nil
}

// withFields returns in with every row's values given as Objects.
func withFields(in engine.CheckInput) engine.CheckInput {
	rows := make([]engine.Row, len(in.Rows))
	for i, r := range in.Rows {
		rows[i] = engine.Row{ID: r.ID}
		if r.Values != nil {
			rows[i].Fields = engine.ObjectOf(r.Values)
		}
		if r.New != nil {
			rows[i].NewFields = engine.ObjectOf(r.New)
		}
	}
	in.Rows = rows
	return in
}

// Compare says where a native answer (res, err) and OPA's (ores, oerr)
// differ; nil when they agree.
func Compare(res *engine.CheckResult, err error, ores *engine.CheckResult, oerr error) error {
	if (err == nil) != (oerr == nil) || err != nil && err.Error() != oerr.Error() {
		return fmt.Errorf("native evaluator: error %v; OPA: error %v", err, oerr)
	}
	if err != nil {
		return nil
	}
	if res.Role != ores.Role || res.Revision != ores.Revision {
		return fmt.Errorf("native evaluator: role %q revision %q; OPA: role %q revision %q", res.Role, res.Revision, ores.Role, ores.Revision)
	}
	if !reflect.DeepEqual(res.Presets, ores.Presets) {
		return fmt.Errorf("native evaluator: presets %v; OPA: presets %v", res.Presets, ores.Presets)
	}
	if len(res.Rows) != len(ores.Rows) {
		return fmt.Errorf("native evaluator: %d rows; OPA: %d rows", len(res.Rows), len(ores.Rows))
	}
	for i := range res.Rows {
		if d := diffRow(res.Rows[i], ores.Rows[i]); d != "" {
			return fmt.Errorf("row %d (%s): %s", i, res.Rows[i].ID, d)
		}
	}
	return nil
}

func diffRow(a, b engine.RowResult) string {
	switch {
	case a.ID != b.ID:
		return fmt.Sprintf("id %q, OPA %q", a.ID, b.ID)
	case a.Decision != b.Decision:
		return fmt.Sprintf("native evaluator %s (%s), OPA %s (%s)", a.Decision, a.Reason, b.Decision, b.Reason)
	case a.Reason != b.Reason:
		return fmt.Sprintf("native evaluator's reason %q, OPA's %q", a.Reason, b.Reason)
	case !slices.Equal(a.AllowedColumns, b.AllowedColumns):
		return fmt.Sprintf("native evaluator allows columns %q, OPA %q", a.AllowedColumns, b.AllowedColumns)
	case !slices.Equal(a.DeniedColumns, b.DeniedColumns):
		return fmt.Sprintf("native evaluator denies columns %q, OPA %q", a.DeniedColumns, b.DeniedColumns)
	case !slices.Equal(a.MissingData, b.MissingData):
		return fmt.Sprintf("native evaluator misses %q, OPA %q", a.MissingData, b.MissingData)
	case str(a.Residual) != str(b.Residual):
		return fmt.Sprintf("native evaluator's residual %s, OPA's %s", str(a.Residual), str(b.Residual))
	case str(a.CheckResidual) != str(b.CheckResidual):
		return fmt.Sprintf("native evaluator's check residual %s, OPA's %s", str(a.CheckResidual), str(b.CheckResidual))
	}
	return ""
}

func str(e residual.Expr) string {
	if e == nil {
		return "<none>"
	}
	return residual.String(e)
}
