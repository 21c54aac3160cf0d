package client

import (
	"io"
	"testing"

	"google.golang.org/grpc/mem"
)

func TestSegReader(t *testing.T) {
	r := &segReader{segs: [3][]byte{[]byte("ab"), nil, []byte("cdef")}}
	var got []byte
	buf := make([]byte, 3)
	for {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if string(got) != "abcdef" {
		t.Errorf("read %q", got)
	}
}

func TestRawCodec(t *testing.T) {
	segs := mem.BufferSlice{mem.SliceBuffer("ab"), mem.SliceBuffer("c")}
	out, err := rawCodec{}.Marshal(&frame{segs: segs})
	if err != nil || string(out.Materialize()) != "abc" {
		t.Fatalf("marshal %q %v", out.Materialize(), err)
	}
	// gRPC frees what it sent; the segments must survive for the next call.
	out.Free()
	if string(segs.Materialize()) != "abc" {
		t.Fatal("segments freed")
	}
	if (rawCodec{}).Name() != "proto" {
		t.Error("the codec must be named proto so that the server decodes with protobuf")
	}
	if err := (rawCodec{}).Unmarshal(nil, &discard{}); err != nil {
		t.Error(err)
	}
}
