package server

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// listOf is a list of n null values.
func listOf(n int) *structpb.Value {
	l := &structpb.ListValue{}
	for range n {
		l.Values = append(l.Values, structpb.NewNullValue())
	}
	return structpb.NewListValue(l)
}

// nestedValue is a scalar under depth-1 lists: a column value at depth depth.
func nestedValue(depth int) *structpb.Value {
	v := structpb.NewStringValue("x")
	for range depth - 1 {
		v = structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{v}})
	}
	return v
}

// capRequest is a Check of the notes table whose one row holds id and
// the column value tags; more related rows hold more values.
func capRequest(tags *structpb.Value, related int) *wardenv1.CheckRequest {
	row := &structpb.Struct{Fields: map[string]*structpb.Value{"id": structpb.NewNumberValue(1), "tags": tags}}
	req := &wardenv1.CheckRequest{Table: "notes", Operation: wardenv1.Operation_OPERATION_SELECT,
		Principal: &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "1"}},
		Rows:      []*wardenv1.Row{{Id: "r", Values: row}}}
	if related > 0 {
		tr := &wardenv1.TableRows{Table: "other"}
		for i := range related {
			tr.Rows = append(tr.Rows, &structpb.Struct{Fields: map[string]*structpb.Value{"id": structpb.NewNumberValue(float64(i))}})
		}
		req.Tables = []*wardenv1.TableRows{tr}
	}
	return req
}

func reasonAndCap(st *status.Status) (reason, capFlag string) {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason(), info.GetMetadata()["cap"]
		}
	}
	return "", ""
}

func TestRequestCapsCheck(t *testing.T) {
	caps := RequestCaps{MaxValues: 20, MaxListElements: 5, MaxDepth: 4}
	md := (&wardenv1.CheckRequest{}).ProtoReflect().Descriptor()
	for _, c := range []struct {
		name   string
		req    *wardenv1.CheckRequest
		code   codes.Code
		reason string
	}{
		// id and tags are 2 values; a list adds its elements.
		{"at every cap", capRequest(listOf(5), 13), codes.OK, ""},
		{"one value too many, in related rows", capRequest(listOf(5), 14), codes.ResourceExhausted, ReasonTooManyValues},
		{"a list one element too long", capRequest(listOf(6), 0), codes.ResourceExhausted, ReasonListTooLong},
		{"as deep as allowed", capRequest(nestedValue(4), 0), codes.OK, ""},
		{"one level too deep", capRequest(nestedValue(5), 0), codes.InvalidArgument, ReasonTooDeep},
		{"nested structs count as deep as lists", capRequest(structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
			"a": structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{"b": nestedValue(3)}})}}), 0), codes.InvalidArgument, ReasonTooDeep},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := proto.Marshal(c.req)
			if err != nil {
				t.Fatal(err)
			}
			st := status.Convert(caps.Check(b, md))
			if st.Code() != c.code {
				t.Fatalf("code %s (%s), want %s", st.Code(), st.Message(), c.code)
			}
			if reason, _ := reasonAndCap(st); reason != c.reason {
				t.Errorf("reason %q, want %q", reason, c.reason)
			}
		})
	}
	// Bytes that are not a message are protobuf's to refuse; caps off
	// check nothing.
	if err := caps.Check([]byte{0xff, 0xff, 0xff}, md); err != nil {
		t.Errorf("malformed bytes: %v, want nil (left to protobuf)", err)
	}
	big, _ := proto.Marshal(capRequest(listOf(1000), 0))
	if err := (RequestCaps{}).Check(big, md); err != nil {
		t.Errorf("no caps: %v", err)
	}
}

// TestRequestCapsServed: over gRPC, a request over a cap is refused with
// the cap's status, after its caller is authenticated and before any
// decision; under the caps the same request is decided.
func TestRequestCapsServed(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxRequestValues, cfg.MaxListElements, cfg.MaxValueDepth = 200, 100, 8
	ts := startTest(t, cfg, notesPolicy(t))
	client := wardenv1.NewAuthorizationServiceClient(ts.conn(t, "gateway"))
	decisions := func() float64 { return decisionsMade(t, ts) }
	for _, c := range []struct {
		name         string
		req          *wardenv1.CheckRequest
		code         codes.Code
		reason, flag string
	}{
		{"too many values", capRequest(listOf(90), 150), codes.ResourceExhausted, ReasonTooManyValues, "max-request-values"},
		{"list too long", capRequest(listOf(101), 0), codes.ResourceExhausted, ReasonListTooLong, "max-list-elements"},
		{"too deep", capRequest(nestedValue(9), 0), codes.InvalidArgument, ReasonTooDeep, "max-value-depth"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := decisions()
			ctx, cancel := context.WithTimeout(context.Background(), 10e9)
			defer cancel()
			resp, err := client.Check(ctx, c.req)
			st := status.Convert(err)
			if st.Code() != c.code || resp != nil {
				t.Fatalf("%v, %s (%s); want no answer and %s", resp, st.Code(), st.Message(), c.code)
			}
			if reason, flag := reasonAndCap(st); reason != c.reason || flag != c.flag {
				t.Errorf("ErrorInfo %s cap=%s, want %s cap=%s", reason, flag, c.reason, c.flag)
			}
			if d := decisions(); d != before {
				t.Errorf("%v decisions made", d-before)
			}
		})
	}
	// Control: a request under the caps is decoded and decided.
	ok := capRequest(structpb.NewNumberValue(1), 0)
	ok.Rows[0].Values.Fields["owner_id"] = ok.Rows[0].Values.Fields["tags"]
	delete(ok.Rows[0].Values.Fields, "tags")
	resp, err := client.Check(context.Background(), ok)
	if err != nil || len(resp.GetDecisions()) != 1 {
		t.Fatalf("under the caps: %v, %v", resp, err)
	}
}

// decisionsMade is the server's count of row decisions (all labels).
func decisionsMade(t *testing.T, ts *testServer) float64 {
	t.Helper()
	families, err := ts.srv.metrics.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, f := range families {
		if f.GetName() == "warden_decisions_total" {
			for _, m := range f.GetMetric() {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}

// BenchmarkDecodeCaps measures the walk's cost on a Check of one row of
// ten columns, and on one of 100 rows, against decoding without it.
func BenchmarkDecodeCaps(b *testing.B) {
	for _, rows := range []int{1, 100} {
		req := &wardenv1.CheckRequest{Table: "notes", Operation: wardenv1.Operation_OPERATION_SELECT,
			Principal: &wardenv1.Principal{Role: "user", SessionVariables: map[string]string{"x-hasura-user-id": "1"}}}
		for i := range rows {
			f := map[string]*structpb.Value{}
			for c := range 10 {
				f[fmt.Sprint("col", c)] = structpb.NewStringValue("some text value")
			}
			f["tags"] = listOf(3)
			req.Rows = append(req.Rows, &wardenv1.Row{Id: fmt.Sprint(i), Values: &structpb.Struct{Fields: f}})
		}
		data, err := proto.Marshal(req)
		if err != nil {
			b.Fatal(err)
		}
		md := req.ProtoReflect().Descriptor()
		caps := DefaultConfig().requestCaps()
		b.Run(fmt.Sprintf("rows=%d/unmarshal", rows), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := proto.Unmarshal(data, &wardenv1.CheckRequest{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("rows=%d/caps", rows), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := caps.Check(data, md); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("rows=%d/caps+unmarshal", rows), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := caps.Check(data, md); err != nil {
					b.Fatal(err)
				}
				if err := proto.Unmarshal(data, &wardenv1.CheckRequest{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestWalkNodesMatchDescriptors: the caps walk's nodes say what the
// descriptors say, for every message a request reaches: a field holds a
// message exactly when its descriptor's does, and numbers a type does not
// have hold nothing.
func TestWalkNodesMatchDescriptors(t *testing.T) {
	seen := map[protoreflect.MessageDescriptor]bool{}
	var visit func(md protoreflect.MessageDescriptor)
	visit = func(md protoreflect.MessageDescriptor) {
		if seen[md] {
			return
		}
		seen[md] = true
		n := walkNodeOf(md)
		if n.value != (md == valueDesc) || n.list != (md == listValueDesc) {
			t.Errorf("%s: value %v list %v", md.FullName(), n.value, n.list)
		}
		fields := md.Fields()
		for num := protowire.Number(1); num < 300; num++ {
			fd := fields.ByNumber(num)
			child := n.child(num)
			switch {
			case fd == nil || fd.Message() == nil:
				if child != nil {
					t.Errorf("%s field %d: a node where the descriptor has no message", md.FullName(), num)
				}
			case child != walkNodeOf(fd.Message()):
				t.Errorf("%s field %d (%s): the node is not %s's", md.FullName(), num, fd.Name(), fd.Message().FullName())
			default:
				visit(fd.Message())
			}
		}
	}
	for _, m := range []proto.Message{&wardenv1.CheckRequest{}, &wardenv1.FilterRequest{}, &wardenv1.CheckGraphQLRequest{}, &wardenv1.EchoRequest{}} {
		visit(m.ProtoReflect().Descriptor())
	}
	if !seen[valueDesc] || !seen[listValueDesc] || len(seen) < 8 {
		t.Errorf("the walk reached %d message types, Value %v, ListValue %v", len(seen), seen[valueDesc], seen[listValueDesc])
	}
}
