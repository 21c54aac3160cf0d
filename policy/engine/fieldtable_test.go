package engine

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
)

// TestFieldTableAsMap checks that a fieldTable finds exactly what the map
// it is made from holds, for names that share prefixes, differ only in
// length or past the key's bytes, hold NUL bytes or are 255 bytes and
// longer, in tables narrow (scanned) and wide (the map).
func TestFieldTableAsMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := "ab_\x00é"
	name := func() string {
		var b strings.Builder
		switch rng.IntN(4) {
		case 0:
			b.WriteString("created_") // a shared prefix longer than the key
		case 1:
			b.WriteString(strings.Repeat("x", 250+rng.IntN(10)))
		}
		for range rng.IntN(10) {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for round := range 2000 {
		n := rng.IntN(2 * maxLinearFields)
		fields := make(map[string]fieldRef, n)
		tbl := &model.Table{}
		for range n {
			k := name()
			fields[k] = fieldRef{f: &fieldPlan{}, quick: model.Quick{}}
			if rng.IntN(2) == 0 {
				tbl.Columns = append(tbl.Columns, &model.Column{Name: k})
			}
		}
		ft := newFieldTable(tbl, fields)
		if (ft.wide != nil) != (len(fields) > maxLinearFields) {
			t.Fatalf("round %d: %d fields, wide %v", round, len(fields), ft.wide != nil)
		}
		for k, want := range fields {
			if got := ft.lookup(k); got.f != want.f {
				t.Fatalf("round %d: lookup(%q) found another field", round, k)
			}
			// The same bytes in another string, and near misses.
			if got := ft.lookup(strings.Clone(k)); got.f != want.f {
				t.Fatalf("round %d: lookup of a copy of %q found another field", round, k)
			}
			for _, near := range []string{k + "a", k + "\x00", strings.TrimSuffix(k, k[max(len(k)-1, 0):])} {
				got, ok := ft.lookup(near), fields[near]
				if got.f != ok.f {
					t.Fatalf("round %d: lookup(%q) = %v, want %v", round, near, got.f, ok.f)
				}
			}
		}
		for range 20 {
			k := name()
			if got, want := ft.lookup(k), fields[k]; got.f != want.f {
				t.Fatalf("round %d: lookup(%q) disagrees with the map", round, k)
			}
		}
	}
}
