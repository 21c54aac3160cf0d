package model_test

import (
	"testing"

	"github.com/wardenpdp/warden/policy/model"
)

// FuzzKeyedTypes: reading any text as interval, timetz, money, inet or
// cidr never panics; a value read has a key that reads back as itself,
// and PostgreSQL's text of the key (model.CanonPG) reads as the same key.
func FuzzKeyedTypes(f *testing.F) {
	for _, tc := range keyedInputs {
		for _, s := range append(append([]string{}, tc.must...), tc.others...) {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, tc := range keyedInputs {
			key, err := model.CoerceColumn(tc.typ, s, false)
			if err != nil {
				continue
			}
			if again, err := model.CoerceColumn(tc.typ, key, false); err != nil || again != key {
				t.Fatalf("%s %q: key %v reads back as %v, %v", tc.typ.Declared, s, key, again, err)
			}
			pg, err := model.CanonPG(tc.typ, key)
			if err != nil {
				t.Fatalf("%s %q: CanonPG(%v): %v", tc.typ.Declared, s, key, err)
			}
			if again, err := model.CoerceColumn(tc.typ, pg, false); err != nil || again != key {
				t.Fatalf("%s %q: key %v, PostgreSQL text %q reads as %v, %v", tc.typ.Declared, s, key, pg, again, err)
			}
		}
	})
}
