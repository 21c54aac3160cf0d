package server

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
)

// columns is the JSON body of one row of n columns.
func columns(n int) string {
	var b strings.Builder
	b.WriteString(`{"rows": [{"values": {`)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `"c%d": %d`, i, i)
	}
	b.WriteString(`}}]}`)
	return b.String()
}

// TestCheckJSON: the gateway's scan counts what the wire walk counts,
// object keys aside, and allows the request's own structure (rows, ids,
// principal) on top, so that a request the gRPC caps accept is not
// refused over HTTP for its JSON form, and a body far over them is
// refused before it is decoded. (rows 0 here: no structure allowed.)
func TestCheckJSON(t *testing.T) {
	caps := RequestCaps{MaxValues: 20, MaxListElements: 5, MaxDepth: 4}
	for _, c := range []struct {
		name   string
		req    string
		code   codes.Code
		reason string
	}{
		{"at every cap: 20 values and the structure, a list of 5, depth 4 (keys not counted)",
			`{"table": "notes", "rows": [{"id": "r", "values": {"tags": [null, 1, "a,b\"]", true, [[["x"]]]], "a": 1, "b": 2, "c": 3, "d": 4, "e": 5}}]}`, codes.OK, ""},
		// 4 values of structure ({, [, {, {) and n columns: at most 20
		// and the structure of a request of no rows (256).
		{"as many values as allowed", columns(20 + jsonValuesPerRequest - 4), codes.OK, ""},
		{"one value too many", columns(20 + jsonValuesPerRequest - 3), codes.ResourceExhausted, ReasonTooManyValues},
		{"a list one element too long", `{"rows": [{"values": {"a": [1,2,3,4,5,6]}}]}`, codes.ResourceExhausted, ReasonListTooLong},
		{"an empty list", `{"rows": [{"values": {"a": []}}]}`, codes.OK, ""},
		{"one level too deep", `{"rows": [{"values": {"a": [[[[[1]]]]]}}]}`, codes.InvalidArgument, ReasonTooDeep},
		{"brackets in strings do not count", `{"rows": [{"values": {"a": "[[[[[[[[[[", "b": "{{{{{{{{{{{{"}}]}`, codes.OK, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := status.Convert(caps.checkJSON([]byte(c.req), 0))
			if st.Code() != c.code {
				t.Fatalf("code %s (%s), want %s", st.Code(), st.Message(), c.code)
			}
			if reason, _ := reasonAndCap(st); reason != c.reason {
				t.Errorf("reason %q, want %q", reason, c.reason)
			}
		})
	}
	// The wire walk and the scan agree on a request at the caps.
	req := capRequest(listOf(5), 13)
	js, err := protojson.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := caps.checkJSON(js, 14); err != nil {
		t.Errorf("the JSON form of a request within the caps: %v\n%s", err, js)
	}
	// Over the values cap by more than the structure of its rows.
	req = capRequest(listOf(5), 0)
	for i := range jsonValuesPerRow + jsonValuesPerRequest + 10 {
		req.Rows[0].Values.Fields[fmt.Sprint("c", i)] = structpb.NewNullValue()
	}
	js, _ = protojson.Marshal(req)
	if st := status.Convert(caps.checkJSON(js, 1)); !strings.Contains(st.Message(), "more than 20 values") {
		t.Errorf("the JSON form of a request far over: %v", st.Message())
	}
}
