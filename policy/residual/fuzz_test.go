package residual_test

import (
	"context"
	"testing"

	"github.com/wardenpdp/warden/policy/difftest"
	"github.com/wardenpdp/warden/policy/engine"
)

// fuzzLimits keep one fuzz input fast.
var fuzzLimits = difftest.Limits{Tables: 3, Columns: 4, Rows: 5, RulesPerTable: 3, Sessions: 2, Depth: 2}

// FuzzTranslate: for a policy set, data and sessions generated from the
// fuzzer's bytes, the residual of every rule (partial evaluation, then
// translation, then binding) allows exactly the rows Check allows, with the
// same columns; and Filter fails exactly when Check does.
//
//	go test ./policy/residual -run - -fuzz FuzzTranslate
func FuzzTranslate(f *testing.F) {
	for _, seed := range [][]byte{
		{},
		{1, 2, 3, 4, 5, 6, 7, 8},
		[]byte("relationships and _exists and _not"),
		{0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 3},
	} {
		f.Add(seed)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		c := difftest.GenerateFrom(difftest.NewByteSource(data), fuzzLimits)
		set, err := engine.New(ctx, c.Policy)
		if err != nil {
			t.Fatalf("engine.New: %v", err)
		}
		if _, err := c.Outcomes(ctx, set); err != nil {
			t.Fatal(err)
		}
	})
}

// TestTranslateGenerated runs the same property over seeded cases, so that
// plain go test covers it.
func TestTranslateGenerated(t *testing.T) {
	ctx := context.Background()
	n := uint64(200)
	if testing.Short() {
		n = 30
	}
	for seed := uint64(1000); seed < 1000+n; seed++ {
		c := difftest.Generate(seed, fuzzLimits)
		set, err := engine.New(ctx, c.Policy)
		if err != nil {
			t.Fatalf("seed %d: engine.New: %v", seed, err)
		}
		if _, err := c.Outcomes(ctx, set); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
}
