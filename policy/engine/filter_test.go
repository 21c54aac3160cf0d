package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

func TestFilterHandPolicy(t *testing.T) {
	ctx := context.Background()
	set, err := New(ctx, handPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	articles := model.TableName{Schema: "public", Name: "articles"}
	user1 := Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "1", "x-hasura-allowed-ids": "{1,2}"}}
	tests := []struct {
		name     string
		in       FilterInput
		kind     FilterKind
		pred     string
		wantErr  error
		columns  int
		presets  int
		hasCheck bool
	}{
		{"or of a session comparison and a literal", FilterInput{Session: user1, Table: articles, Op: model.OpSelect},
			Conditional, `(author_id = 1 OR published = true)`, nil, 4, 0, false},
		{"not exists over an array relationship", FilterInput{Session: Session{Role: "critic", Vars: user1.Vars}, Table: articles, Op: model.OpSelect},
			Conditional, `NOT EXISTS comments [id = article_id] (author_id = 1)`, nil, 2, 0, false},
		{"negated like keeps its NULL guard", FilterInput{Session: Session{Role: "reader"}, Table: articles, Op: model.OpSelect},
			Conditional, `(NOT title IS NULL AND NOT title LIKE "draft%")`, nil, 1, 0, false},
		{"insert: the check with an array session variable, and presets", FilterInput{Session: user1, Table: articles, Op: model.OpInsert},
			Conditional, `author_id IN [1,2]`, nil, 2, 2, false},
		{"insert with an empty array is always denied", FilterInput{Session: Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "1", "x-hasura-allowed-ids": "{}"}}, Table: articles, Op: model.OpInsert},
			AlwaysDenied, `FALSE`, nil, 0, 2, false},
		{"admin", FilterInput{Session: Session{Role: "admin"}, Table: articles, Op: model.OpUpdate},
			AlwaysAllowed, `TRUE`, nil, 4, 0, true},
		{"no permission", FilterInput{Session: Session{Role: "nobody"}, Table: articles, Op: model.OpSelect},
			AlwaysDenied, `FALSE`, nil, 0, 0, false},
		{"missing session variable", FilterInput{Session: Session{Role: "user"}, Table: articles, Op: model.OpSelect},
			0, "", ErrMissingSessionVariables, 0, 0, false},
		{"bad session value", FilterInput{Session: Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "x", "x-hasura-allowed-ids": "{1}"}}, Table: articles, Op: model.OpSelect},
			0, "", ErrInvalidValue, 0, 0, false},
		{"bad array session value", FilterInput{Session: Session{Role: "user", Vars: map[string]string{"x-hasura-user-id": "1", "x-hasura-allowed-ids": "{1,a}"}}, Table: articles, Op: model.OpInsert},
			0, "", ErrInvalidValue, 0, 0, false},
		{"unknown table", FilterInput{Session: user1, Table: model.TableName{Schema: "public", Name: "nope"}, Op: model.OpSelect},
			0, "", ErrUnknownTable, 0, 0, false},
	}
	for _, fallback := range []bool{false, true} {
		for _, tc := range tests {
			name := tc.name
			if fallback {
				name = "fallback/" + name
			}
			t.Run(name, func(t *testing.T) {
				set := set
				if fallback {
					set = fallbackSet(t, handPolicy(t))
				}
				res, err := set.Filter(ctx, tc.in)
				if tc.wantErr != nil {
					if !errors.Is(err, tc.wantErr) {
						t.Fatalf("err = %v, want %v", err, tc.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if res.Kind != tc.kind {
					t.Errorf("kind = %s, want %s (%s)", res.Kind, tc.kind, res.Reason)
				}
				if got := residual.String(res.Predicate); got != tc.pred {
					t.Errorf("predicate = %s\nwant        %s", got, tc.pred)
				}
				if len(res.Columns) != tc.columns || len(res.Presets) != tc.presets || (res.Check != nil) != tc.hasCheck {
					t.Errorf("columns %v presets %v check %v", res.Columns, res.Presets, res.Check)
				}
				if res.Revision != "test" {
					t.Errorf("revision %q", res.Revision)
				}
			})
		}
	}
}

// fallbackSet builds a set whose permissions all use the per-request
// partial evaluation.
func fallbackSet(t *testing.T, p *model.Policy) *Set {
	t.Helper()
	forceFilterFallback = true
	defer func() { forceFilterFallback = false }()
	set, err := New(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if st := set.FilterTemplateStats(); st.Templated != 0 || st.Fallback == 0 {
		t.Fatalf("stats %+v", st)
	}
	return set
}

func TestFilterFallbackIsCounted(t *testing.T) {
	set := fallbackSet(t, handPolicy(t))
	before := FilterPartialEvaluations()
	in := FilterInput{Session: Session{Role: "reader"}, Table: model.TableName{Schema: "public", Name: "articles"}, Op: model.OpSelect}
	if _, err := set.Filter(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if got := FilterPartialEvaluations() - before; got != 1 {
		t.Errorf("counted %d partial evaluations, want 1", got)
	}
}

// TestSessionValueForOPA: Check and Filter share one coercion of session
// variables (sessionValues); the OPA evaluator reads its values through
// sessionAST, which must hold each of them as it is (a pattern as its
// regular expression).
func TestSessionValueForOPA(t *testing.T) {
	citext := model.Type{Declared: "citext", Kind: model.KindText, Fold: true}
	bpchar := model.Type{Declared: "character(5)", Kind: model.KindText, PadSpace: true, Length: 5}
	smallint := model.Type{Declared: "smallint", Kind: model.KindInteger, Bits: 16}
	needs := []sessionNeed{
		{v: model.SessionVar{Name: "x-hasura-a", Kind: model.KindText}},
		{v: model.SessionVar{Name: "x-hasura-a", Kind: model.KindText, Type: citext}},
		{v: model.SessionVar{Name: "x-hasura-a", Kind: model.KindText, Array: true, Type: citext}},
		{v: model.SessionVar{Name: "x-hasura-a", Kind: model.KindText, Type: bpchar}},
		{v: model.SessionVar{Name: "x-hasura-a", Kind: model.KindText, Array: true, Type: bpchar}},
		{v: model.SessionVar{Name: "x-hasura-a", Kind: model.KindInteger, Type: smallint}},
		{v: model.SessionVar{Name: "x-hasura-a", Kind: model.KindInteger, Array: true, Type: smallint}},
		{v: model.SessionVar{Name: "x-hasura-a", Kind: model.KindInteger}},
		{v: model.SessionVar{Name: "x-hasura-a", Kind: model.KindNumeric}},
		{v: model.SessionVar{Name: "x-hasura-a", Kind: model.KindTimestamptz}},
		{v: model.SessionVar{Name: "x-hasura-a", Kind: model.KindBoolean}},
		{v: model.SessionVar{Name: "x-hasura-a", Kind: model.KindUUID, Array: true}},
		{v: model.SessionVar{Name: "x-hasura-a", Kind: model.KindJSONB}},
		{v: model.SessionVar{Name: "x-hasura-a", Kind: model.KindText}, pattern: model.OpNilike},
		{v: model.SessionVar{Name: "x-hasura-a", Kind: model.KindText}, pattern: model.OpRegex},
	}
	raws := []string{"1", "-0", "1.50", "abc", "{1,2}", "{}", "t", "2024-02-29 10:00:00+02", `{"a":[1]}`, `\`, `(?<x>a)`, "00000000-0000-0000-0000-00000000000A",
		"{00000000-0000-0000-0000-00000000000a}", `[[[[[[[[[1]]]]]]]]]`, "AnN  ", `{"Kİ ",x}`, "40000", "{1,40000}", "abcdefgh  "}
	accepted := 0
	for _, n := range needs {
		for _, raw := range raws {
			gv, gerr := sessionGoValue(n, raw)
			if gerr != nil {
				continue
			}
			accepted++
			// Check gives OPA the same value: every coerced value has its
			// OPA form, a pattern as its regular expression.
			key, av, err := sessionAST(n, gv)
			if err != nil {
				t.Errorf("%v %q: coerced to %v, which OPA's input cannot hold: %v", n, raw, gv, err)
				continue
			}
			want := gv
			if pv, ok := gv.(residual.PatternValue); ok {
				want = pv.Regex
				if key != "pattern" {
					t.Errorf("%v %q: a pattern grouped under %q", n, raw, key)
				}
			}
			wv, werr := ast.InterfaceToValue(want)
			if werr != nil {
				t.Fatal(werr)
			}
			if av.Compare(wv) != 0 {
				t.Errorf("%v %q: OPA reads %v, the coercion gave %v", n, raw, av, wv)
			}
		}
	}
	if accepted == 0 {
		t.Fatal("no value coerced: the cases test nothing")
	}
}

// TestFilterConcurrent: concurrent requests on the templates New built
// never share mutable state.
func TestFilterConcurrent(t *testing.T) {
	ctx := context.Background()
	set, err := New(ctx, benchPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	articles := model.TableName{Schema: "public", Name: "articles"}
	done := make(chan error)
	for g := 0; g < 8; g++ {
		go func() {
			var err error
			for i := 0; i < 50 && err == nil; i++ {
				var res *FilterResult
				res, err = set.Filter(ctx, FilterInput{Session: Session{Role: "related", Vars: map[string]string{"x-hasura-user-id": strconv.Itoa(g*100 + i)}}, Table: articles, Op: model.OpSelect})
				if err == nil && !strings.Contains(residual.String(res.Predicate), "= "+strconv.Itoa(g*100+i)+" ") {
					err = fmt.Errorf("session %d got %s", g*100+i, residual.String(res.Predicate))
				}
			}
			done <- err
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
