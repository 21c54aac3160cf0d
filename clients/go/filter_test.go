package warden_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	warden "github.com/wardenpdp/warden/clients/go"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

func TestFilter(t *testing.T) {
	c := newClient(t)
	f, err := c.Filter(t.Context(), warden.FilterRequest{
		Principal: alice, Table: "articles", Operation: warden.Select,
		Dialect: warden.Postgres, TableAlias: "a", FirstPlaceholder: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != warden.Conditional || f.Role != "user" || f.Revision == "" || f.DecisionID == "" {
		t.Errorf("kind %v role %q revision %q decision %q: want a conditional filter for role user", f.Kind, f.Role, f.Revision, f.DecisionID)
	}
	if !f.HasLimit || f.Limit != 100 || f.AllowAggregations {
		t.Errorf("limit %d (%v), aggregations %v: want 100 and no aggregations", f.Limit, f.HasLimit, f.AllowAggregations)
	}
	if want := []string{"author_id", "body", "created_at", "id", "org_id", "published", "title"}; !slices.Equal(f.Columns, want) {
		t.Errorf("columns %v, want %v", f.Columns, want)
	}
	// Own articles, or published ones of her organisation: three values,
	// numbered from $3, on alias a.
	if !strings.Contains(f.SQL, "$3") || !strings.Contains(f.SQL, "$5") || strings.Contains(f.SQL, "$2") || !strings.Contains(f.SQL, `"a"`) {
		t.Errorf("SQL %s: want placeholders $3 to $5 on alias a", f.SQL)
	}
	if want := []any{int64(1), int64(1), true}; !sameMultiset(f.Args, want) {
		t.Errorf("args %#v, want %#v in some order", f.Args, want)
	}
	if f.Predicate.GetAny() == nil {
		t.Errorf("predicate %v: want an OR", f.Predicate)
	}
}

func TestFilterPredicateOnly(t *testing.T) {
	c := newClient(t)
	f, err := c.Filter(t.Context(), warden.FilterRequest{
		Principal: warden.Principal{Role: "editor", Session: map[string]string{"x-hasura-org-id": "2"}},
		Table:     "public.articles", Operation: warden.Delete,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &wardenv1.Predicate{Node: &wardenv1.Predicate_Comparison{Comparison: &wardenv1.Comparison{
		Operator: wardenv1.ComparisonOperator_COMPARISON_OPERATOR_EQ,
		Column:   &wardenv1.ColumnRef{Name: "org_id", Kind: wardenv1.ColumnKind_COLUMN_KIND_INTEGER},
		Right:    &wardenv1.Comparison_Value{Value: structpb.NewNumberValue(2)},
	}}}
	if diff := cmp.Diff(want, f.Predicate, protocmp.Transform()); diff != "" {
		t.Errorf("predicate (-want +got):\n%s", diff)
	}
	if f.SQL != "" || f.Args != nil {
		t.Errorf("SQL %q %v without a dialect", f.SQL, f.Args)
	}
}

func TestFilterInsertPresets(t *testing.T) {
	c := newClient(t)
	f, err := c.Filter(t.Context(), warden.FilterRequest{Principal: alice, Table: "articles", Operation: warden.Insert, Dialect: warden.SQLite})
	if err != nil {
		t.Fatal(err)
	}
	if f.Presets["author_id"] != float64(1) || f.Presets["org_id"] != float64(1) {
		t.Errorf("presets %v, want author_id and org_id 1", f.Presets)
	}
	if want := []string{"body", "published", "title"}; !slices.Equal(f.Columns, want) {
		t.Errorf("columns %v, want %v", f.Columns, want)
	}
	if strings.Contains(f.SQL, "$") || !strings.Contains(f.SQL, "?") || len(f.Args) != 1 {
		t.Errorf("SQLite check %s %v: want one ? placeholder", f.SQL, f.Args)
	}
}

func TestFilterErrors(t *testing.T) {
	c := newClient(t)
	ctx := t.Context()
	_, err := c.Filter(ctx, warden.FilterRequest{Principal: warden.Principal{Role: "user", Session: map[string]string{"x-hasura-user-id": "1"}},
		Table: "articles", Operation: warden.Select, Dialect: warden.Postgres})
	var e *warden.Error
	if !errors.Is(err, warden.ErrFailedPrecondition) || !errors.As(err, &e) || !slices.Equal(e.MissingVariables, []string{"x-hasura-org-id"}) {
		t.Errorf("missing x-hasura-org-id: got %v, want FailedPrecondition naming it", err)
	}
	_, err = c.Filter(ctx, warden.FilterRequest{Principal: alice, Table: "articles"})
	if !errors.Is(err, warden.ErrInvalidArgument) || !errors.As(err, &e) || len(e.Fields) == 0 || e.Fields[0].Field != "operation" {
		t.Errorf("no operation: got %v, want InvalidArgument on operation", err)
	}
}

func TestSQLArg(t *testing.T) {
	arr := func(ps ...*wardenv1.SqlParameter) *wardenv1.SqlParameter {
		return &wardenv1.SqlParameter{Value: &wardenv1.SqlParameter_Array{Array: &wardenv1.SqlArray{Elements: ps}}}
	}
	text := func(s string) *wardenv1.SqlParameter {
		return &wardenv1.SqlParameter{Value: &wardenv1.SqlParameter_Text{Text: s}}
	}
	integer := func(i int64) *wardenv1.SqlParameter {
		return &wardenv1.SqlParameter{Value: &wardenv1.SqlParameter_Integer{Integer: i}}
	}
	for _, tc := range []struct {
		in      *wardenv1.SqlParameter
		want    any
		wantErr bool
	}{
		{text("x"), "x", false},
		{integer(-3), int64(-3), false},
		{&wardenv1.SqlParameter{Value: &wardenv1.SqlParameter_Boolean{Boolean: true}}, true, false},
		{&wardenv1.SqlParameter{Value: &wardenv1.SqlParameter_Real{Real: 1.5}}, 1.5, false},
		{arr(integer(1), integer(2)), []int64{1, 2}, false},
		{arr(text("a")), []string{"a"}, false},
		{arr(), []string{}, false},
		{arr(integer(1), text("a")), nil, true},
		{&wardenv1.SqlParameter{}, nil, true},
	} {
		got, err := warden.SQLArg(tc.in)
		if (err != nil) != tc.wantErr || !cmp.Equal(got, tc.want) {
			t.Errorf("SQLArg(%v) = %#v, %v; want %#v (error %v)", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

// sameMultiset compares two argument lists ignoring order.
func sameMultiset(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	used := make([]bool, len(b))
next:
	for _, x := range a {
		for j, y := range b {
			if !used[j] && cmp.Equal(x, y) {
				used[j] = true
				continue next
			}
		}
		return false
	}
	return true
}
