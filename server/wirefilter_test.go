package server

import (
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// randomFilterRequest is a FilterRequest as clients send it, sometimes
// with its principal split in two segments (as wardenbench sends it), a
// variable named twice, or bytes protobuf decodes and the fast path
// leaves to it.
func randomFilterRequest(r *rand.Rand) []byte {
	names := []string{"x-hasura-user-id", "x-hasura-org-id", "X-Hasura-Team-Ids", "", "x-hasura-é"}
	vals := []string{"1", "", "{1,2,3}", "ann", "\u00e9t\u00e9"}
	p := &wardenv1.Principal{Role: []string{"", "user", "manager"}[r.IntN(3)], UseBackendOnlyPermissions: r.IntN(4) == 0}
	if n := r.IntN(4); n > 0 {
		p.SessionVariables = map[string]string{}
		for range n {
			p.SessionVariables[names[r.IntN(len(names))]] = vals[r.IntN(len(vals))]
		}
	}
	req := &wardenv1.FilterRequest{Table: []string{"articles", "public.tags", ""}[r.IntN(3)], Operation: wardenv1.Operation(r.IntN(5)), Explain: r.IntN(3) == 0}
	if r.IntN(2) == 0 {
		req.Sql = &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect(r.IntN(4)), TableAlias: "t", FirstPlaceholder: int32(r.IntN(3))}
	}
	if r.IntN(3) > 0 {
		req.Principal = p
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		panic(err)
	}
	switch r.IntN(10) {
	case 0: // a second principal segment, merged into the first
		seg, _ := proto.Marshal(&wardenv1.Principal{Role: "second", SessionVariables: map[string]string{"x-hasura-user-id": "2", "x-hasura-new": "n"}})
		b = protowire.AppendTag(b, filterRequestPrincipal, protowire.BytesType)
		b = protowire.AppendBytes(b, seg)
	case 1: // an unknown field of the principal: left to protobuf
		seg := protowire.AppendTag(nil, 9, protowire.VarintType)
		seg = protowire.AppendVarint(seg, 5)
		b = protowire.AppendTag(b, filterRequestPrincipal, protowire.BytesType)
		b = protowire.AppendBytes(b, seg)
	case 2: // invalid UTF-8 in a session variable: protobuf refuses it
		seg := protowire.AppendTag(nil, principalSession, protowire.BytesType)
		seg = protowire.AppendBytes(seg, protowire.AppendBytes(protowire.AppendTag(nil, mapEntryKey, protowire.BytesType), []byte("\xff")))
		b = protowire.AppendTag(b, filterRequestPrincipal, protowire.BytesType)
		b = protowire.AppendBytes(b, seg)
	case 3: // the principal as a varint: protobuf refuses it
		b = protowire.AppendTag(b, filterRequestPrincipal, protowire.VarintType)
		b = protowire.AppendVarint(b, 1)
	case 4: // cut short
		if len(b) > 0 {
			b = b[:r.IntN(len(b))]
		}
	}
	return b
}

// sameFilterRequest: where the fast path takes b, it decodes what
// protobuf decodes; where protobuf refuses b, the fast path does not take
// it. It returns whether the fast path took b.
func sameFilterRequest(t *testing.T, b []byte) bool {
	t.Helper()
	got := &wardenv1.FilterRequest{Table: "left over"}
	ok, err := decodeFilterWire(b, got, DefaultConfig().requestCaps())
	if err != nil {
		t.Fatalf("%x: a cap refused a FilterRequest: %v", b, err)
	}
	want := &wardenv1.FilterRequest{}
	wantErr := proto.Unmarshal(b, want)
	if !ok {
		return false
	}
	if wantErr != nil {
		t.Fatalf("%x: the fast path took bytes protobuf refuses (%v): %v", b, wantErr, got)
	}
	if !proto.Equal(got, want) {
		t.Fatalf("%x:\n fast path %v\n  protobuf %v", b, got, want)
	}
	return true
}

// TestFilterWireAsProtobuf: the Filter fast path decodes requests as
// protobuf does, and takes the usual ones.
func TestFilterWireAsProtobuf(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 9))
	taken, left := 0, 0
	for range 5000 {
		if sameFilterRequest(t, randomFilterRequest(r)) {
			taken++
		} else {
			left++
		}
	}
	if taken < 3000 || left < 1000 {
		t.Fatalf("taken %d, left to protobuf %d: the generator no longer covers both", taken, left)
	}
}

// FuzzFilterWire holds the Filter fast path to protobuf.
//
//	go test ./server -run '^$' -fuzz FuzzFilterWire -fuzztime 60s
func FuzzFilterWire(f *testing.F) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 40 {
		f.Add(randomFilterRequest(r))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sameFilterRequest(t, b)
	})
}
