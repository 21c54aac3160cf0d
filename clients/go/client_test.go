package warden_test

import (
	"errors"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	warden "github.com/wardenpdp/warden/clients/go"
	"github.com/wardenpdp/warden/clients/go/wardentest"
)

// newClient connects to the shared server as the service caller.
func newClient(t *testing.T, opts ...warden.Option) *warden.Client {
	t.Helper()
	c, err := warden.New(addr, append([]warden.Option{warden.WithPlaintext(), warden.WithAPIKey(apiKey)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// alice is user 1 of organisation 1, as a trusted service states her.
var alice = warden.Principal{Role: "user", Session: map[string]string{"x-hasura-user-id": "1", "x-hasura-org-id": "1"}}

// article is a row of public.articles.
func article(id, org, author int, published bool) map[string]any {
	return map[string]any{"id": id, "org_id": org, "author_id": author, "published": published,
		"title": "t", "created_at": "2024-01-10T09:00:00Z"}
}

func TestCheckRow(t *testing.T) {
	c := newClient(t)
	tests := []struct {
		name string
		row  map[string]any
		want warden.Effect
	}{
		{"her own draft", article(2, 1, 1, false), warden.Allow},
		{"a published article of her organisation", article(3, 1, 2, true), warden.Allow},
		{"a draft of a colleague", article(4, 1, 2, false), warden.Deny},
		{"a published article of another organisation", article(5, 2, 3, true), warden.Deny},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.CheckRow(t.Context(), alice, "articles", warden.Select, tc.row)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Decisions) != 1 {
				t.Fatalf("%d decisions, want 1", len(res.Decisions))
			}
			d := res.Decisions[0]
			if d.Effect != tc.want || d.Allowed() != (tc.want == warden.Allow) || res.Allowed() != d.Allowed() {
				t.Errorf("effect %v (allowed %v), want %v; reason %q", d.Effect, d.Allowed(), tc.want, d.Reason)
			}
			if d.ID != "0" || d.Reason == "" || res.Role != "user" || res.Revision == "" || res.DecisionID == "" {
				t.Errorf("decision %+v of result %+v: want id 0, a reason, role user, a revision and a decision id", d, res)
			}
			if tc.want == warden.Allow && !slices.Contains(d.AllowedColumns, "title") {
				t.Errorf("allowed columns %v lack title", d.AllowedColumns)
			}
		})
	}
}

func TestCheckBatch(t *testing.T) {
	c := newClient(t)
	res, err := c.Check(t.Context(), warden.CheckRequest{
		Principal: alice,
		Table:     "public.articles",
		Operation: warden.Select,
		Columns:   []string{"id", "title"},
		Rows: []warden.Row{
			{ID: "own-draft", Values: article(2, 1, 1, false)},
			{ID: "colleague-draft", Values: article(4, 1, 2, false)},
			{Values: article(1, 1, 1, true)}, // no id: its position, "2"
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range res.Decisions {
		got = append(got, d.ID+"="+d.Effect.String())
	}
	want := []string{"own-draft=DECISION_ALLOW", "colleague-draft=DECISION_DENY", "2=DECISION_ALLOW"}
	if !slices.Equal(got, want) {
		t.Errorf("decisions %v, want %v", got, want)
	}
	if res.Allowed() {
		t.Error("Allowed() with a denied row")
	}
	if d, ok := res.Decision("colleague-draft"); !ok || d.Allowed() {
		t.Errorf("Decision(colleague-draft) = %+v, %v", d, ok)
	}
	if _, ok := res.Decision("nope"); ok {
		t.Error("Decision(nope) found a row")
	}
}

func TestCheckInsertPresets(t *testing.T) {
	c := newClient(t)
	// The row states what the caller writes; the presets (org_id,
	// author_id from the session) are applied before the check.
	row := map[string]any{"title": "New", "body": "b", "published": false}
	res, err := c.CheckRow(t.Context(), alice, "articles", warden.Insert, row)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Allowed() {
		t.Errorf("insert into her organisation denied: %s", res.Decisions[0].Reason)
	}
	want := map[string]any{"author_id": float64(1), "org_id": float64(1)}
	if len(res.Presets) != 2 || res.Presets["author_id"] != want["author_id"] || res.Presets["org_id"] != want["org_id"] {
		t.Errorf("presets %v, want %v", res.Presets, want)
	}
}

func TestCheckErrors(t *testing.T) {
	c := newClient(t)
	ctx := t.Context()

	// A session variable the rule reads is missing.
	_, err := c.CheckRow(ctx, warden.Principal{Role: "user", Session: map[string]string{"x-hasura-user-id": "1"}},
		"articles", warden.Select, article(5, 2, 3, true))
	var e *warden.Error
	if !errors.Is(err, warden.ErrFailedPrecondition) || !errors.As(err, &e) ||
		!slices.Equal(e.MissingVariables, []string{"x-hasura-org-id"}) || e.Reason != "MISSING_SESSION_VARIABLES" {
		t.Errorf("missing x-hasura-org-id: got %v (%+v), want FailedPrecondition naming it", err, e)
	}
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("status.Code = %v, want FailedPrecondition", status.Code(err))
	}

	// A column the table does not have.
	row := article(2, 1, 1, false)
	row["colour"] = "red"
	_, err = c.CheckRow(ctx, alice, "articles", warden.Select, row)
	if !errors.Is(err, warden.ErrInvalidArgument) || !errors.As(err, &e) || len(e.Fields) == 0 {
		t.Fatalf("unknown column: got %v, want InvalidArgument with field violations", err)
	}
	if e.Fields[0].Field != "rows[0].values.colour" {
		t.Errorf("field violations %+v, want rows[0].values.colour", e.Fields)
	}

	// No rows at all.
	_, err = c.Check(ctx, warden.CheckRequest{Principal: alice, Table: "articles", Operation: warden.Select})
	if !errors.Is(err, warden.ErrInvalidArgument) {
		t.Errorf("no rows: got %v, want InvalidArgument", err)
	}

	// An unknown table.
	_, err = c.CheckRow(ctx, alice, "invoices", warden.Select, map[string]any{"id": 1})
	if !errors.Is(err, warden.ErrNotFound) || errors.Is(err, warden.ErrInvalidArgument) {
		t.Errorf("unknown table: got %v, want NotFound", err)
	}
}

func TestCallerAuthentication(t *testing.T) {
	ctx := t.Context()
	tests := []struct {
		name string
		opts []warden.Option
		p    warden.Principal
		want error
	}{
		{"no key", []warden.Option{warden.WithAPIKey("")}, alice, warden.ErrUnauthenticated},
		{"a wrong key", []warden.Option{warden.WithAPIKey("wk_not_a_key")}, alice, warden.ErrUnauthenticated},
		{"a caller without the trusted-session grant stating a session", []warden.Option{warden.WithAPIKey(tokenKey.Secret)}, alice, warden.ErrPermissionDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, tc.opts...)
			_, err := c.CheckRow(ctx, tc.p, "articles", warden.Select, article(2, 1, 1, false))
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestEndUserToken(t *testing.T) {
	c := newClient(t, warden.WithAPIKey(tokenKey.Secret))
	ctx := t.Context()
	carol := wardentest.Token(jwtSecret, wardentest.User{ID: "3", OrgID: "2", Roles: []string{"user", "editor"}})

	// Her default role, user: her own draft, not a draft of org 1.
	res, err := c.Check(ctx, warden.CheckRequest{Principal: warden.Principal{Token: carol}, Table: "articles", Operation: warden.Select,
		Rows: []warden.Row{{Values: article(6, 2, 3, false)}, {Values: article(2, 1, 1, false)}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Role != "user" || !res.Decisions[0].Allowed() || res.Decisions[1].Allowed() {
		t.Errorf("role %s, decisions %+v: want user, allow, deny", res.Role, res.Decisions)
	}
	// As editor, a colleague's draft too.
	res, err = c.CheckRow(ctx, warden.Principal{Token: carol, Role: "editor"}, "articles", warden.Select, article(7, 2, 4, false))
	if err != nil || res.Role != "editor" || !res.Allowed() {
		t.Errorf("as editor: %+v, %v; want allowed for role editor", res, err)
	}
	// A token signed with another key.
	forged := wardentest.Token(wardentest.HS256Secret(), wardentest.User{ID: "3", OrgID: "2", Roles: []string{"user"}})
	if _, err := c.CheckRow(ctx, warden.Principal{Token: forged}, "articles", warden.Select, article(6, 2, 3, false)); !errors.Is(err, warden.ErrUnauthenticated) {
		t.Errorf("forged token: got %v, want Unauthenticated", err)
	}
}

func TestCheckNeedsData(t *testing.T) {
	c := newClient(t)
	// A comment's insert check reads its article, which the row lacks.
	comment := map[string]any{"article_id": 3, "body": "Well done"}
	res, err := c.CheckRow(t.Context(), alice, "comments", warden.Insert, comment)
	if err != nil {
		t.Fatal(err)
	}
	d := res.Decisions[0]
	if d.Effect != warden.NeedsData || !slices.Contains(d.MissingData, "article") {
		t.Fatalf("without the article: %+v, want NeedsData naming the article", d)
	}
	// Sent along, nested under the relationship, the article decides.
	comment["article"] = map[string]any{"id": 3, "org_id": 1, "author_id": 2, "published": true}
	if res, err = c.CheckRow(t.Context(), alice, "comments", warden.Insert, comment); err != nil || !res.Allowed() {
		t.Errorf("with the article: %+v, %v; want allowed", res, err)
	}
}

// Explain says why: the rule on the row node by node.
func TestCheckExplain(t *testing.T) {
	c := newClient(t)
	res, err := c.Check(t.Context(), warden.CheckRequest{Principal: alice, Table: "articles", Operation: warden.Select,
		Rows: []warden.Row{{Values: article(4, 1, 2, false)}}, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Decisions[0]
	f := d.Explanation.GetFilter()
	if d.Effect != warden.Deny || f.GetOp() != "or" || f.GetOutcome().String() != "EXPLAIN_OUTCOME_FALSE" || len(f.GetChildren()) != 2 {
		t.Fatalf("decision %v, explanation %v", d.Effect, d.Explanation)
	}
	if leaf := f.GetChildren()[0]; leaf.GetText() != "author_id = 1" || leaf.GetRowValue().GetNumberValue() != 2 || leaf.GetValue().GetNumberValue() != 1 {
		t.Errorf("first comparison %v, want author_id = 1 with the row's 2 and the session's 1", leaf)
	}
	res, err = c.CheckRow(t.Context(), alice, "articles", warden.Select, article(4, 1, 2, false))
	if err != nil || res.Decisions[0].Explanation != nil {
		t.Errorf("not asked: %v, explanation %v", err, res.Decisions[0].Explanation)
	}
}
