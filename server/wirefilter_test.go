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
	switch r.IntN(24) {
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
	case 5: // the table again: the last one holds
		b = protowire.AppendTag(b, filterRequestTable, protowire.BytesType)
		b = protowire.AppendString(b, "public.second")
	case 6: // SQL options again, merged into the first
		seg, _ := proto.Marshal(&wardenv1.SqlOptions{TableAlias: "u", FirstPlaceholder: -3})
		b = protowire.AppendTag(b, filterRequestSql, protowire.BytesType)
		b = protowire.AppendBytes(b, seg)
	case 7: // an operation and explain beyond their ranges: int32 and bool as protobuf reads them
		b = protowire.AppendTag(b, filterRequestOperation, protowire.VarintType)
		b = protowire.AppendVarint(b, 1<<40+2)
		b = protowire.AppendTag(b, filterRequestExplain, protowire.VarintType)
		b = protowire.AppendVarint(b, 2)
	case 8: // an unknown field: left to protobuf
		b = protowire.AppendTag(b, 77, protowire.VarintType)
		b = protowire.AppendVarint(b, 1)
	case 9: // the table as a varint: an unknown field to protobuf
		b = protowire.AppendTag(b, filterRequestTable, protowire.VarintType)
		b = protowire.AppendVarint(b, 1)
	case 10: // SQL options with an unknown field: left to protobuf
		seg := protowire.AppendTag(nil, 9, protowire.BytesType)
		seg = protowire.AppendString(seg, "x")
		b = protowire.AppendTag(b, filterRequestSql, protowire.BytesType)
		b = protowire.AppendBytes(b, seg)
	case 11: // a table alias not in UTF-8: protobuf refuses it
		seg := protowire.AppendTag(nil, sqlOptionsTableAlias, protowire.BytesType)
		seg = protowire.AppendString(seg, "\xff")
		b = protowire.AppendTag(b, filterRequestSql, protowire.BytesType)
		b = protowire.AppendBytes(b, seg)
	case 12: // a table not in UTF-8: protobuf refuses it
		b = protowire.AppendTag(b, filterRequestTable, protowire.BytesType)
		b = protowire.AppendString(b, "t\xff")
	case 13: // a dialect as a 10-byte varint
		seg := protowire.AppendTag(nil, sqlOptionsDialect, protowire.VarintType)
		seg = protowire.AppendVarint(seg, ^uint64(0))
		b = protowire.AppendTag(b, filterRequestSql, protowire.BytesType)
		b = protowire.AppendBytes(b, seg)
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

// BenchmarkFilterWire: a FilterRequest as the bench's workload sends it,
// by the fast path and by protobuf.
func BenchmarkFilterWire(b *testing.B) {
	req := &wardenv1.FilterRequest{
		Principal: &wardenv1.Principal{Role: "viewer", SessionVariables: map[string]string{"x-hasura-user-id": "7920", "x-hasura-org-id": "1", "x-hasura-team-ids": "{1,8,14}"}},
		Table:     "public.accounts", Operation: wardenv1.Operation_OPERATION_SELECT,
		Sql: &wardenv1.SqlOptions{Dialect: wardenv1.SqlDialect_SQL_DIALECT_POSTGRES},
	}
	raw, err := proto.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	caps := DefaultConfig().requestCaps()
	b.Run("path=wire", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var r wardenv1.FilterRequest
			if ok, err := decodeFilterWire(raw, &r, caps); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("path=protobuf", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var r wardenv1.FilterRequest
			if err := proto.Unmarshal(raw, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
