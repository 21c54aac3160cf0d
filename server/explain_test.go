package server

import (
	"context"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

func explainRequest(t testing.TB, role string, op wardenv1.Operation, table string, explain bool, rows ...map[string]any) *wardenv1.CheckRequest {
	t.Helper()
	req := &wardenv1.CheckRequest{
		Principal: &wardenv1.Principal{Role: role, SessionVariables: map[string]string{"x-hasura-user-id": "1", "x-hasura-org-id": "1"}},
		Table:     table, Operation: op, Explain: explain,
	}
	for i, r := range rows {
		s, err := structpb.NewStruct(r)
		if err != nil {
			t.Fatal(err)
		}
		req.Rows = append(req.Rows, &wardenv1.Row{Id: string(rune('a' + i)), Values: s})
	}
	return req
}

func TestCheckExplain(t *testing.T) {
	ctx := context.Background()
	set := exampleSet(t)
	own := map[string]any{"id": 2, "org_id": 1, "author_id": 1, "title": "t", "published": false, "created_at": "2024-01-01T00:00:00Z"}
	other := map[string]any{"id": 4, "org_id": 1, "author_id": 2, "title": "t", "published": false, "created_at": "2024-01-01T00:00:00Z"}

	// Not asked: no explanation.
	resp, err := CheckOffline(ctx, set, explainRequest(t, "user", wardenv1.Operation_OPERATION_SELECT, "articles", false, own), Limits{MaxRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetDecisions()[0].GetExplanation() != nil {
		t.Errorf("an explanation nobody asked for: %v", resp.GetDecisions()[0].GetExplanation())
	}

	resp, err = CheckOffline(ctx, set, explainRequest(t, "user", wardenv1.Operation_OPERATION_SELECT, "articles", true, own, other), Limits{MaxRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	want := map[wardenv1.Decision]wardenv1.ExplainOutcome{
		wardenv1.Decision_DECISION_ALLOW: wardenv1.ExplainOutcome_EXPLAIN_OUTCOME_TRUE,
		wardenv1.Decision_DECISION_DENY:  wardenv1.ExplainOutcome_EXPLAIN_OUTCOME_FALSE,
	}
	for _, d := range resp.GetDecisions() {
		f := d.GetExplanation().GetFilter()
		if f.GetOutcome() != want[d.GetDecision()] || f.GetOp() != "or" || len(f.GetChildren()) != 2 {
			t.Errorf("row %s (%s): filter explanation %v", d.GetId(), d.GetDecision(), f)
		}
	}
	// The denied row: author_id = 1 is false, with the row's 2 and the
	// session's 1 after coercion.
	leaf := resp.GetDecisions()[1].GetExplanation().GetFilter().GetChildren()[0]
	if leaf.GetText() != "author_id = 1" || leaf.GetColumn() != "author_id" || leaf.GetRowValue().GetNumberValue() != 2 ||
		leaf.GetValue().GetNumberValue() != 1 || leaf.GetOutcome() != wardenv1.ExplainOutcome_EXPLAIN_OUTCOME_FALSE {
		t.Errorf("leaf %v, want author_id = 1: 2 vs 1, false", leaf)
	}

	// An inherited role (author_editor: user and editor) on users: which
	// parent grants the row, and the email column that only editor grants.
	colleague := map[string]any{"id": 2, "org_id": 1, "name": "Bob", "email": "bob@acme.example"}
	resp, err = CheckOffline(ctx, set, explainRequest(t, "author_editor", wardenv1.Operation_OPERATION_SELECT, "users", true, colleague), Limits{MaxRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	e := resp.GetDecisions()[0].GetExplanation()
	if len(e.GetGrantedBy()) != 2 || e.GetGrantedBy()[0] != "user" || e.GetGrantedBy()[1] != "editor" {
		t.Errorf("granted by %v, want [user editor] (role_set order)", e.GetGrantedBy())
	}
	if cc := e.GetColumnConditions(); len(cc) != 1 || cc[0].GetColumn() != "email" ||
		cc[0].GetOutcome() != wardenv1.ExplainOutcome_EXPLAIN_OUTCOME_TRUE || len(cc[0].GetGrantedBy()) != 1 || cc[0].GetGrantedBy()[0] != "editor" {
		t.Errorf("column conditions %v, want email: true, granted by editor", cc)
	}
	// A colleague of another organisation: neither parent's filter holds.
	stranger := map[string]any{"id": 3, "org_id": 2, "name": "Carol", "email": "carol@globex.example"}
	resp, err = CheckOffline(ctx, set, explainRequest(t, "author_editor", wardenv1.Operation_OPERATION_SELECT, "users", true, stranger), Limits{MaxRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	if e := resp.GetDecisions()[0].GetExplanation(); len(e.GetGrantedBy()) != 0 || e.GetColumnConditions()[0].GetOutcome() != wardenv1.ExplainOutcome_EXPLAIN_OUTCOME_FALSE ||
		e.GetFilter().GetOutcome() != wardenv1.ExplainOutcome_EXPLAIN_OUTCOME_FALSE || resp.GetDecisions()[0].GetDecision() != wardenv1.Decision_DECISION_DENY {
		t.Errorf("another organisation's user: %v %v", resp.GetDecisions()[0].GetDecision(), e)
	}

	// Filter: the rule before and after the session is bound.
	fr, err := FilterOffline(ctx, set, &wardenv1.FilterRequest{Principal: &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "1", "x-hasura-org-id": "1"}},
		Table: "articles", Operation: wardenv1.Operation_OPERATION_SELECT, Explain: true}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if x := fr.GetExplanation(); x.GetRule() != "{_or: [{author_id: {_eq: X-Hasura-User-Id}}, {_and: [{org_id: {_eq: X-Hasura-Org-Id}}, {published: {_eq: true}}]}]}" ||
		x.GetBound() != "(author_id = 1 OR (org_id = 1 AND published = true))" {
		t.Errorf("filter explanation %v", x)
	}
}
