package permtest

import (
	"fmt"
	"io"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// WriteExplanation writes a row's explanation (RowDecision.explanation)
// as an indented tree, each node with its outcome, and for a comparison
// the row's value and what it is compared with (`warden check --explain`,
// and a failing test's decision in `warden test`):
//
//	row 1:
//	  filter:
//	    or                          true
//	      author_id = 1             true    author_id=1 vs 1
func WriteExplanation(w io.Writer, id string, e *wardenv1.Explanation) {
	fmt.Fprintf(w, "row %s:\n", id)
	if e.GetFilter() != nil {
		fmt.Fprintln(w, "  filter:")
		printNode(w, e.GetFilter(), 2)
	}
	if e.GetCheck() != nil {
		fmt.Fprintln(w, "  check (new row):")
		printNode(w, e.GetCheck(), 2)
	}
	if len(e.GetGrantedBy()) > 0 {
		fmt.Fprintf(w, "  granted by parent role(s): %s\n", strings.Join(e.GetGrantedBy(), ", "))
	}
	for _, c := range e.GetColumnConditions() {
		by := ""
		if len(c.GetGrantedBy()) > 0 {
			by = " (granted by " + strings.Join(c.GetGrantedBy(), ", ") + ")"
		}
		fmt.Fprintf(w, "  column %s: the filter of the parents granting it is %s%s\n", c.GetColumn(), outcomeText(c.GetOutcome()), by)
	}
	if e.GetTruncated() {
		fmt.Fprintln(w, "  ... (truncated: the rule has more nodes than an explanation shows)")
	}
}

func printNode(w io.Writer, n *wardenv1.ExplainNode, depth int) {
	label := n.GetText()
	switch n.GetOp() {
	case "and", "or", "not":
		label = n.GetOp()
	}
	line := strings.Repeat("  ", depth) + label
	detail := ""
	switch {
	case n.GetRowValueMissing():
		detail = n.GetColumn() + " not in the row"
	case n.GetColumn() != "" && n.GetOp() != "exists":
		detail = n.GetColumn() + "=" + valueText(n.GetRowValue())
		if n.GetValue() != nil {
			detail += " vs " + valueText(n.GetValue())
		}
	}
	if n.GetNote() != "" {
		if detail != "" {
			detail += "; "
		}
		detail += n.GetNote()
	}
	fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("%-44s %-7s %s", line, outcomeText(n.GetOutcome()), detail), " "))
	for _, c := range n.GetChildren() {
		printNode(w, c, depth+1)
	}
}

func outcomeText(o wardenv1.ExplainOutcome) string {
	return strings.ToLower(strings.TrimPrefix(o.String(), "EXPLAIN_OUTCOME_"))
}

// valueText is a value as JSON: 1, "a", null.
func valueText(v *structpb.Value) string {
	if v == nil {
		return "null"
	}
	b, err := protojson.Marshal(v)
	if err != nil {
		return "?"
	}
	return string(b)
}
