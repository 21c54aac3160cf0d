package model

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
)

// TestValidColumnAsCoerce: ValidColumn accepts exactly what CoerceColumn
// (fold false) accepts, with the same message, over the types its fast
// paths take and their neighbours, and values of every JSON kind.
func TestValidColumnAsCoerce(t *testing.T) {
	enum := &Enum{Name: "mood", Labels: []string{"ok", "sad"}}
	types := []Type{
		{Kind: KindInteger}, {Kind: KindInteger, Bits: 16}, {Kind: KindInteger, Bits: 32}, {Kind: KindInteger, Bits: 64},
		{Kind: KindText}, {Kind: KindText, PadSpace: true, Length: 3}, {Kind: KindText, Enum: enum}, {Kind: KindText, Fold: true},
		{Kind: KindBoolean}, {Kind: KindNumeric}, {Kind: KindTimestamptz}, {Kind: KindTimestamp}, {Kind: KindDate}, {Kind: KindTimestamptz, Enum: enum}, {Kind: KindUUID}, {Kind: KindJSONB},
		{Kind: KindJSONB, Spatial: SpatialGeometry}, {Kind: KindText, Canon: CanonInterval}, {Kind: KindNumeric, Canon: CanonMoney},
	}
	values := []any{nil, true, false, "", "ok", "sad  ", "abcd", "12", "2024-01-01T00:00:00Z", "2024-01-01", "2024-02-30", "2024-01-01 12:00:00+02", "2024-01-01T00:00:00.1234567", "now", "x\x00y",
		0.0, math.Copysign(0, -1), 1.0, -1.0, 1.5, 32767.0, 32768.0, -32768.0, -32769.0, 2147483647.0, 2147483648.0, -2147483649.0,
		1 << 53, -(1 << 53), (1 << 53) - 1, math.NaN(), math.Inf(1), math.Inf(-1), 1e300,
		5e-324, -5e-324, 1e-7, -1.5e-7, 123.45, 0.1, 1e20, 1e21, 9007199254740991.5, math.SmallestNonzeroFloat64 * 3, math.Nextafter(1<<53, 0),
		json.Number("7"), json.Number("1e3"), []any{1.0}, map[string]any{"a": 1.0}, JSONNull}
	r := rand.New(rand.NewPCG(7, 8))
	for range 2000 {
		values = append(values, math.Trunc((r.Float64()-0.5)*float64(int64(1)<<r.IntN(60))), (r.Float64()-0.5)*1e6,
			math.Ldexp(r.Float64()-0.5, r.IntN(1200)-1100)) // numerics of every magnitude, subnormal to beyond 2^53
	}
	fast := 0
	quick := map[quickKind]int{}
	for _, typ := range types {
		for _, v := range values {
			_, want := CoerceColumn(typ, v, false)
			got := ValidColumn(typ, v)
			if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
				t.Fatalf("%+v, %#v: ValidColumn %v, CoerceColumn %v", typ, v, got, want)
			}
			if got == nil {
				fast++
			}
			// Quick accepts only what ValidColumn accepts.
			if QuickOf(typ).Accepts(v) {
				if got != nil {
					t.Fatalf("%+v, %#v: Quick accepts what ValidColumn refuses: %v", typ, v, got)
				}
				quick[QuickOf(typ).kind]++
			}
		}
	}
	if fast < 1000 {
		t.Errorf("only %d values accepted: the comparison says little", fast)
	}
	// Each kind of Quick accepts something (null alone for quickNull):
	// the quick tests are used, not only harmless.
	for k := quickNull; k <= quickDateTime; k++ {
		if quick[k] == 0 {
			t.Errorf("Quick of kind %d accepted no value", k)
		}
	}
	if quick[quickInteger] < 1000 || quick[quickNumeric] < 1000 {
		t.Errorf("Quick accepted few doubles: %v", quick)
	}
}
