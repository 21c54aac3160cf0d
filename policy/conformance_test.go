// The conformance suite: Hasura permission semantics as case files, run
// through the whole pipeline (load -> compile -> engine).
//
// Every file under testdata/conformance/ holds one or more YAML documents
// (separated by ---). A document is one policy set and the checks made
// against it:
//
//	description: what the document covers
//	schema: {tables: [...]}             # the schema file, as policy/load reads it
//	metadata: {version: 3, sources: [...], inherited_roles: [...]}
//	                                    # Hasura's metadata.json export form
//	metadata_raw: '{"version": 3, ...}' # instead of metadata: written verbatim
//	files: {path: content}              # instead of metadata: a directory layout
//	defaults: {role, table, operation, session, backend_only}
//	load_error: [substring, ...]        # the set must not load; each substring
//	                                    # appears in some reported problem
//	known_failure: reason               # Warden disagrees with Hasura (see below)
//	checks:
//	  - name: unique in the document
//	    description: why the expectation is what it is
//	    role: user
//	    session: {X-Hasura-User-Id: "1"}  # names in any case; the runner
//	                                      # lower-cases them as the server does
//	    backend_only: false
//	    table: public.articles
//	    operation: select | insert | update | delete
//	    columns: [id, title]              # the columns the caller wants
//	    tables: {public.memberships: [{...}]}   # rows for _exists
//	    rows:
//	      - id: a
//	        values: {...}                 # JSON values; related rows nest
//	        new_values: {...}             # update: the row after the update
//	        json_nulls: [values.j, ...]   # nulls that are a json/jsonb column's
//	                                      # JSON null, not SQL NULL (Row.json_nulls)
//	        expect: allow | deny | needs_data
//	        missing: [path, ...]          # needs_data: exactly these paths
//	        allowed_columns: [...]        # optional: exactly these
//	        denied_columns: [...]         # optional: exactly these
//	    presets: {...}                    # optional: exactly these presets
//	    error:                            # instead of decisions
//	      kind: missing_session_variables | invalid_value | unknown_table | unknown_columns
//	      missing: [x-hasura-...]         # missing_session_variables: exactly these
//	      contains: [substring, ...]      # in the error message, any case
//	    known_failure: reason
//
// Each check is one case, and so is each document with load_error. Row
// values go through JSON, so numbers reach the engine as float64, as they
// do from a protobuf Struct.
//
// Every expectation is derived by hand from Hasura's and PostgreSQL's
// semantics (/work/shared/HASURA.md), never copied from Warden's output.
// Where Warden documents a safe choice of its own, the case's description
// says so. A case marked known_failure is one where Warden is known to
// disagree with Hasura: it is still run, a mismatch is logged instead of
// failing, and the test fails once the case passes so that the marker is
// removed with the fix.
package policy_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/engine/enginetest"
	"github.com/wardenpdp/warden/policy/load"
)

func TestConformance(t *testing.T) {
	suites := loadSuites(t)
	total := 0
	for _, s := range suites {
		total += s.cases()
	}
	t.Logf("%d conformance cases in %d documents", total, len(suites))
	if total < minCases {
		t.Errorf("the conformance suite has %d cases, want at least %d", total, minCases)
	}
	var native, opa atomic.Int64
	t.Cleanup(func() {
		t.Logf("permissions decided by their template: %d; by OPA (no template): %d", native.Load(), opa.Load())
		if native.Load() == 0 {
			t.Error("no permission has a native template: the evaluators were not both exercised")
		}
	})
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			if len(s.LoadError) > 0 {
				t.Run(s.Description, func(t *testing.T) {
					knownFailure(t, s.KnownFailure, func(r *reporter) { s.runLoadError(t, r) })
				})
				return
			}
			set := s.build(t)
			st := set.NativeStats()
			native.Add(int64(st.Native))
			opa.Add(int64(st.OPA))
			for _, c := range s.Checks {
				t.Run(c.Name, func(t *testing.T) {
					knownFailure(t, c.KnownFailure, func(r *reporter) { s.runCheck(t, r, set, c) })
				})
			}
		})
	}
}

// reporter collects mismatches, so that a known failure can be told apart
// from a pass.
type reporter struct{ msgs []string }

func (r *reporter) errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// knownFailure runs f; without a reason every mismatch fails the test, with
// one the mismatches are logged and a clean run fails instead.
func knownFailure(t *testing.T, reason string, f func(*reporter)) {
	t.Helper()
	r := &reporter{}
	f(r)
	switch {
	case reason == "":
		for _, m := range r.msgs {
			t.Error(m)
		}
	case len(r.msgs) == 0:
		t.Errorf("marked known_failure (%s) but passes: remove the marker", reason)
	default:
		t.Logf("known failure (%s):\n\t%s", reason, strings.Join(r.msgs, "\n\t"))
	}
}

func (s *suite) runLoadError(t *testing.T, r *reporter) {
	// Loaded as Hasura does, the problem is a load error or makes an object
	// inconsistent: either way it is reported, never dropped.
	if p, err := s.load(t); err == nil {
		var reasons []string
		for _, i := range p.Inconsistent {
			reasons = append(reasons, strings.ToLower(strings.Join(i.Reasons, " | ")))
		}
		for _, want := range s.LoadError {
			if !slices.ContainsFunc(reasons, func(x string) bool { return strings.Contains(x, strings.ToLower(want)) }) {
				r.errorf("loaded without --strict, and no inconsistent object says %q; inconsistent: %q", want, reasons)
			}
		}
	}
	_, err := s.load(t, load.WithStrict())
	if err == nil {
		r.errorf("loaded, want a load error containing %q", []string(s.LoadError))
		return
	}
	t.Logf("load error:\n%v", err)
	var ve *load.ValidationError
	if !errors.As(err, &ve) {
		r.errorf("load error is %T (%v), want *load.ValidationError", err, err)
		return
	}
	var problems []string
	for _, p := range ve.Problems {
		problems = append(problems, strings.ToLower(p.Message+" | "+p.Source.String()))
	}
	for _, want := range s.LoadError {
		found := false
		for _, p := range problems {
			if strings.Contains(p, strings.ToLower(want)) {
				found = true
				break
			}
		}
		if !found {
			r.errorf("no load problem contains %q; problems:\n%v", want, err)
		}
	}
}

func (s *suite) runCheck(t *testing.T, r *reporter, set *engine.Set, c *check) {
	in, err := s.input(c)
	if err != nil {
		t.Fatalf("case: %v", err)
	}
	// Both evaluators decide every case, row for row alike; the native
	// answer is the one held to the case.
	res, err, disagree := enginetest.CheckBoth(context.Background(), set, in)
	if disagree != nil {
		t.Errorf("the evaluators disagree: %v", disagree)
	}
	if c.Error != nil {
		checkError(r, err, c.Error)
		return
	}
	if err != nil {
		r.errorf("Check: %v", err)
		return
	}
	if len(res.Rows) != len(c.Rows) {
		r.errorf("got %d row results, want %d", len(res.Rows), len(c.Rows))
		return
	}
	for i, want := range c.Rows {
		got := res.Rows[i]
		if got.ID != want.ID {
			r.errorf("row %d: id %q, want %q", i, got.ID, want.ID)
		}
		if d := decisionName(got.Decision); d != want.Expect {
			r.errorf("row %s: %s, want %s (reason: %s; missing: %v)", want.ID, d, want.Expect, got.Reason, got.MissingData)
			continue
		}
		if want.Expect == "needs_data" && !sameStrings(got.MissingData, want.Missing) {
			r.errorf("row %s: missing %v, want %v", want.ID, got.MissingData, []string(want.Missing))
		}
		if want.AllowedColumns != nil && !sameStrings(got.AllowedColumns, *want.AllowedColumns) {
			r.errorf("row %s: allowed columns %v, want %v", want.ID, got.AllowedColumns, *want.AllowedColumns)
		}
		if want.DeniedColumns != nil && !sameStrings(got.DeniedColumns, *want.DeniedColumns) {
			r.errorf("row %s: denied columns %v, want %v", want.ID, got.DeniedColumns, *want.DeniedColumns)
		}
	}
	if c.Presets.Kind != 0 {
		want, err := jsonValue(&c.Presets)
		if err != nil {
			t.Fatalf("presets: %v", err)
		}
		if want == nil {
			want = map[string]any{}
		}
		got, err := roundTrip(res.Presets)
		if err != nil {
			r.errorf("presets %v: %v", res.Presets, err)
			return
		}
		if got == nil {
			got = map[string]any{}
		}
		if !reflect.DeepEqual(got, want) {
			r.errorf("presets %s, want %s", mustJSON(got), mustJSON(want))
		}
	}
}

func checkError(r *reporter, err error, want *errorCase) {
	if err == nil {
		r.errorf("no error, want %s", want.Kind)
		return
	}
	var sentinel error
	switch want.Kind {
	case "missing_session_variables":
		sentinel = engine.ErrMissingSessionVariables
	case "invalid_value":
		sentinel = engine.ErrInvalidValue
	case "unknown_table":
		sentinel = engine.ErrUnknownTable
	case "unknown_columns":
		sentinel = engine.ErrUnknownColumns
	case "ambiguous_table":
		sentinel = engine.ErrAmbiguousTable
	}
	if !errors.Is(err, sentinel) {
		r.errorf("error %q is not %s", err, want.Kind)
		return
	}
	if len(want.Missing) > 0 {
		var me *engine.MissingSessionVariablesError
		if !errors.As(err, &me) {
			r.errorf("error %q is not a *MissingSessionVariablesError", err)
		} else if !sameStrings(me.Names, want.Missing) {
			r.errorf("missing variables %v, want %v", me.Names, []string(want.Missing))
		}
	}
	msg := strings.ToLower(err.Error())
	for _, s := range want.Contains {
		if !strings.Contains(msg, strings.ToLower(s)) {
			r.errorf("error %q does not contain %q", err, s)
		}
	}
}

func decisionName(d engine.Decision) string {
	switch d {
	case engine.Allow:
		return "allow"
	case engine.Deny:
		return "deny"
	case engine.NeedsData:
		return "needs_data"
	}
	return d.String()
}

// sameStrings compares as sets of distinct values, ignoring order.
func sameStrings(got, want []string) bool {
	g := append([]string(nil), got...)
	w := append([]string(nil), want...)
	sort.Strings(g)
	sort.Strings(w)
	if len(g) == 0 && len(w) == 0 {
		return true
	}
	return reflect.DeepEqual(g, w)
}

// roundTrip passes a value through JSON so that it compares with an
// expectation decoded the same way.
func roundTrip(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
