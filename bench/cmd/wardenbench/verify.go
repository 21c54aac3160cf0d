package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/wardenpdp/warden/bench/workload"
	"github.com/wardenpdp/warden/policy/engine/enginetest"
	"github.com/wardenpdp/warden/server"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// verifySample is how many calls of each scenario are checked.
const verifySample = 40

// verify asks Warden and OPA the first calls of every scenario, as the
// many-users runs will, and compares the answers row by row: a baseline
// that answers other questions would measure nothing. It also sends one
// Echo, to check that the no-op RPC returns its payload.
func (b *bench) verify(ctx context.Context) error {
	if err := b.verifyEcho(ctx); err != nil {
		return err
	}
	for _, name := range scenarioNames {
		s := b.scen[name]
		if s == nil || s.skipped != "" {
			continue
		}
		var st tally
		for i, c := range s.calls[:min(len(s.calls), verifySample)] {
			user := (i * 7919) % b.many.N
			if err := b.verifyCall(ctx, c, user, &st); err != nil {
				return fmt.Errorf("%s: call %d (%s %s %s): %w", name, i, c.Table, c.Op, c.Role, err)
			}
		}
		line := fmt.Sprintf("%s: %d requests (%d Check rows, %d Filter; %d rows decided alike by both evaluators), different users", name, st.calls, st.rows, st.filters, st.bothEvaluators)
		switch {
		case b.opac == nil:
			line += ": Warden answered every one (OPA not run)"
		case st.disagree == 0:
			line += ": Warden and OPA agree on every answer (" + st.summary() + ")"
		default:
			line += fmt.Sprintf(": Warden and OPA DISAGREE on %d answers, first: %s", st.disagree, st.first)
			b.failures = append(b.failures, fmt.Sprintf("%s: Warden and OPA disagree on %d answers", name, st.disagree))
		}
		b.checks = append(b.checks, line)
		b.logf("checked %s", line)
	}
	return nil
}

type tally struct {
	calls, rows, filters, allowed, disagree int
	// bothEvaluators counts the rows the engine's two evaluators decided
	// alike, in process, as the server did.
	bothEvaluators int
	filterKinds                             map[string]int
	first                                   string
}

// summary says what the answers were: the share of rows allowed, the
// filter kinds.
func (t *tally) summary() string {
	var parts []string
	if t.rows > 0 {
		parts = append(parts, fmt.Sprintf("%.0f%% of rows allowed", pct(t.allowed, t.rows)))
	}
	if t.filters > 0 {
		parts = append(parts, "filters "+t.kinds())
	}
	return strings.Join(parts, ", ")
}

func (t *tally) kinds() string {
	out := ""
	for _, k := range []string{"CONDITIONAL", "ALWAYS_ALLOWED", "ALWAYS_DENIED"} {
		if n := t.filterKinds[k]; n > 0 {
			if out != "" {
				out += ", "
			}
			out += fmt.Sprintf("%d %s", n, k)
		}
	}
	return out
}

func (t *tally) mismatch(format string, args ...any) {
	t.disagree++
	if t.first == "" {
		t.first = fmt.Sprintf(format, args...)
	}
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) * 100 / float64(b)
}

func (b *bench) verifyCall(ctx context.Context, c *workload.Call, user int, st *tally) error {
	authz := wardenv1.NewAuthorizationServiceClient(b.grpc.Conn())
	raw := workload.Join(b.many, user, c)
	var opa []byte
	if b.opac != nil {
		var buf bytes.Buffer
		if err := b.opac.Post(ctx, b.opac.URL(c.OPA.Path), workload.OPABody(b.many, user, c), nil, nil, &buf); err != nil {
			return fmt.Errorf("opa: %w", err)
		}
		opa = buf.Bytes()
	}
	st.calls++
	switch c.Kind {
	case workload.Check:
		req := &wardenv1.CheckRequest{}
		if err := proto.Unmarshal(raw, req); err != nil {
			return err
		}
		if req.GetPrincipal().GetRole() != c.Role || len(req.GetPrincipal().GetSessionVariables()) == 0 {
			return fmt.Errorf("the joined request lost its principal: %v", req.GetPrincipal())
		}
		resp, err := authz.Check(ctx, req)
		if err != nil {
			return fmt.Errorf("warden: %w", err)
		}
		if len(resp.GetDecisions()) != c.Rows {
			return fmt.Errorf("warden: %d decisions for %d rows", len(resp.GetDecisions()), c.Rows)
		}
		st.rows += c.Rows
		for _, d := range resp.GetDecisions() {
			if d.GetDecision() == wardenv1.Decision_DECISION_ALLOW {
				st.allowed++
			}
		}
		// Both of the engine's evaluators, in process, decide as the
		// server did (it runs the default, native).
		in, err := server.CheckInput(req, server.SessionFromPrincipal(req.GetPrincipal()))
		if err != nil {
			return fmt.Errorf("convert: %w", err)
		}
		res, cerr, disagree := enginetest.CheckBoth(ctx, b.set, in)
		switch {
		case disagree != nil:
			st.mismatch("%s %s role %s: the evaluators disagree: %v", c.Table, c.Op, c.Role, disagree)
		case cerr != nil:
			st.mismatch("%s %s role %s: in process, Check fails: %v", c.Table, c.Op, c.Role, cerr)
		default:
			for j, d := range resp.GetDecisions() {
				if got := res.Rows[j].Decision.String(); d.GetDecision().String() != "DECISION_"+got {
					st.mismatch("%s %s role %s row %d: the server %s, both evaluators in process %s", c.Table, c.Op, c.Role, j, d.GetDecision(), got)
				}
			}
			st.bothEvaluators += len(res.Rows)
		}
		if opa == nil {
			return nil
		}
		allowed, err := opaDecisions(c.OPA.Form, opa, c.Rows)
		if err != nil {
			return err
		}
		for j, d := range resp.GetDecisions() {
			w := d.GetDecision() == wardenv1.Decision_DECISION_ALLOW
			if d.GetDecision() == wardenv1.Decision_DECISION_NEEDS_DATA || w != allowed[j] {
				st.mismatch("%s %s role %s row %d: Warden %s (%s), OPA allowed=%v", c.Table, c.Op, c.Role, j, d.GetDecision(), d.GetReason(), allowed[j])
			}
		}
	case workload.Filter:
		req := &wardenv1.FilterRequest{}
		if err := proto.Unmarshal(raw, req); err != nil {
			return err
		}
		resp, err := authz.Filter(ctx, req)
		if err != nil {
			return fmt.Errorf("warden: %w", err)
		}
		st.filters++
		kind := resp.GetKind().String()[len("FILTER_KIND_"):]
		if st.filterKinds == nil {
			st.filterKinds = map[string]int{}
		}
		st.filterKinds[kind]++
		if opa == nil {
			return nil
		}
		ok, err := opaFilterKind(opa)
		if err != nil {
			return err
		}
		if ok != kind {
			st.mismatch("Filter %s role %s: Warden %s, OPA's partial evaluation %s", c.Table, c.Role, kind, ok)
		}
	}
	return nil
}

// opaDecisions reads a Data API answer: one boolean, or a list of them.
func opaDecisions(form workload.OPAForm, body []byte, rows int) ([]bool, error) {
	switch form {
	case workload.OPAData:
		var r struct{ Result *bool }
		if err := json.Unmarshal(body, &r); err != nil {
			return nil, fmt.Errorf("opa answer %q: %w", body, err)
		}
		return []bool{r.Result != nil && *r.Result}, nil
	case workload.OPABatch:
		var r struct{ Result []bool }
		if err := json.Unmarshal(body, &r); err != nil {
			return nil, fmt.Errorf("opa answer %q: %w", body, err)
		}
		if len(r.Result) != rows {
			return nil, fmt.Errorf("opa answered %d rows of %d: %s", len(r.Result), rows, body)
		}
		return r.Result, nil
	}
	return nil, fmt.Errorf("opa answer form %d is not a decision", form)
}

// opaFilterKind reads a Compile API answer as a filter kind: no query
// means no row, an empty query every row.
func opaFilterKind(body []byte) (string, error) {
	var r struct {
		Result struct {
			Queries []json.RawMessage `json:"queries"`
		} `json:"result"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return "", fmt.Errorf("opa compile answer %q: %w", body, err)
	}
	if len(r.Result.Queries) == 0 {
		return "ALWAYS_DENIED", nil
	}
	for _, q := range r.Result.Queries {
		if string(bytes.TrimSpace(q)) == "[]" {
			return "ALWAYS_ALLOWED", nil
		}
	}
	return "CONDITIONAL", nil
}

func (b *bench) verifyEcho(ctx context.Context) error {
	payload := []byte("wardenbench")
	resp, err := wardenv1.NewDiagnosticsServiceClient(b.grpc.Conn()).Echo(ctx, &wardenv1.EchoRequest{Payload: payload})
	if err != nil {
		return fmt.Errorf("echo: %w", err)
	}
	if !bytes.Equal(resp.GetPayload(), payload) {
		return fmt.Errorf("echo returned %q", resp.GetPayload())
	}
	return nil
}
