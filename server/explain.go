package server

import (
	"context"
	"slices"
	"sort"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/explain"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// explainRows adds to each decision of resp its explanation, for a request
// that asked for them (CheckRequest.explain): the role's rule evaluated on
// the row node by node (package explain), a second evaluation after the
// decision, never part of it. The rule bound to the session is the one
// Filter computes for it. A role without a permission for the operation
// (and admin, which has no rule) gets no explanation: its reason says why.
func explainRows(ctx context.Context, set *engine.Set, in engine.CheckInput, resp *wardenv1.CheckResponse) error {
	p := set.Policy()
	t := p.Tables[p.Resolve(in.Table, "")]
	if t == nil {
		return nil
	}
	perm := t.Permissions[in.Op][in.Session.Role]
	if perm == nil {
		return nil
	}
	res, err := set.Filter(ctx, engine.FilterInput{Session: in.Session, Table: in.Table, Op: in.Op})
	if err != nil {
		return err
	}
	// For an inherited role, each parent's own rule: which of them grant
	// the row.
	type parentRule struct {
		role string
		pred *engine.FilterResult
	}
	var parents []parentRule
	for _, role := range perm.Inherited {
		if t.Permissions[in.Op][role] == nil {
			continue
		}
		sess := in.Session
		sess.Role = role
		sess.Vars = withRole(in.Session.Vars, role)
		pr, err := set.Filter(ctx, engine.FilterInput{Session: sess, Table: in.Table, Op: in.Op})
		if err != nil {
			continue // the parent needs what the session lacks: it grants nothing
		}
		parents = append(parents, parentRule{role, pr})
	}
	conds := make([]string, 0, len(res.ColumnConditions))
	for c := range res.ColumnConditions {
		conds = append(conds, c)
	}
	sort.Strings(conds)
	for i, row := range in.Rows {
		if i >= len(resp.Decisions) {
			break
		}
		values := row.ValuesMap()
		if in.Op == model.OpInsert {
			values = explain.WithPresets(values, res.Presets)
		}
		ex := explain.Row(p, t, res.Predicate, values, in.Tables, 0)
		e := &wardenv1.Explanation{Filter: nodeToProto(ex.Root), Truncated: ex.Truncated}
		if in.Op == model.OpUpdate && res.Check != nil {
			newRow := row.NewMap()
			if newRow == nil {
				newRow = row.ValuesMap()
			}
			cx := explain.Row(p, t, res.Check, newRow, in.Tables, 0)
			e.Check, e.Truncated = nodeToProto(cx.Root), e.Truncated || cx.Truncated
		}
		var holds []parentRule
		for _, pr := range parents {
			if explain.Row(p, t, pr.pred.Predicate, values, in.Tables, 0).Root.Outcome == explain.True {
				e.GrantedBy = append(e.GrantedBy, pr.role)
				holds = append(holds, pr)
			}
		}
		for _, c := range conds {
			o := explain.Row(p, t, res.ColumnConditions[c], values, in.Tables, 0).Root.Outcome
			ce := &wardenv1.ColumnExplanation{Column: c, Outcome: explainOutcomeToProto(o)}
			for _, pr := range holds {
				if slices.Contains(pr.pred.Columns, c) {
					ce.GrantedBy = append(ce.GrantedBy, pr.role)
				}
			}
			e.ColumnConditions = append(e.ColumnConditions, ce)
		}
		resp.Decisions[i].Explanation = e
	}
	return nil
}

func withRole(vars map[string]string, role string) map[string]string {
	out := make(map[string]string, len(vars)+1)
	for k, v := range vars {
		out[k] = v
	}
	out["x-hasura-role"] = role
	return out
}

func explainOutcomeToProto(o explain.Outcome) wardenv1.ExplainOutcome {
	switch o {
	case explain.True:
		return wardenv1.ExplainOutcome_EXPLAIN_OUTCOME_TRUE
	case explain.False:
		return wardenv1.ExplainOutcome_EXPLAIN_OUTCOME_FALSE
	case explain.Unknown:
		return wardenv1.ExplainOutcome_EXPLAIN_OUTCOME_UNKNOWN
	}
	return wardenv1.ExplainOutcome_EXPLAIN_OUTCOME_UNSPECIFIED
}

func nodeToProto(n *explain.Node) *wardenv1.ExplainNode {
	if n == nil {
		return nil
	}
	out := &wardenv1.ExplainNode{
		Op:              n.Op,
		Text:            n.Text,
		Outcome:         explainOutcomeToProto(n.Outcome),
		Column:          n.Column,
		RowValueMissing: n.RowMissing,
		Note:            n.Note,
	}
	if n.Column != "" && !n.RowMissing && n.Op != "exists" {
		// A value protoValue cannot carry (none in canonical form) is
		// left out rather than failing the explanation.
		out.RowValue, _ = protoValue(n.RowValue)
	}
	if n.HasValue {
		out.Value, _ = protoValue(n.Value)
	}
	for _, c := range n.Children {
		out.Children = append(out.Children, nodeToProto(c))
	}
	return out
}

// filterExplanation is a FilterResponse's explanation: the role's rule as
// the metadata states it and the predicate once the session is bound.
func filterExplanation(set *engine.Set, table model.TableName, op model.Operation, sess engine.Session, res *engine.FilterResult) *wardenv1.FilterExplanation {
	role := sess.Role
	out := &wardenv1.FilterExplanation{Bound: residual.String(res.Predicate)}
	t := set.Policy().Tables[set.Policy().Resolve(table, "")]
	if t == nil {
		return out
	}
	perm := t.Permissions[op][role]
	switch {
	case perm == nil:
		out.Rule = "(no " + op.String() + " permission for role " + role + ")"
	case op == model.OpInsert:
		out.Rule = explain.Rule(perm.Check)
		out.FellAway = explain.FellAway(perm.Check, sess.Vars)
	default:
		out.Rule = explain.Rule(perm.Filter)
		out.FellAway = explain.FellAway(perm.Filter, sess.Vars)
	}
	return out
}
