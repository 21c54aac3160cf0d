package model

import (
	"encoding/json"
	"testing"
)

func TestCheckIntRange(t *testing.T) {
	tests := []struct {
		bits int
		v    any
		ok   bool
	}{
		{16, json.Number("32767"), true},
		{16, json.Number("32768"), false},
		{16, json.Number("-32768"), true},
		{16, json.Number("-32769"), false},
		{32, json.Number("2147483647"), true},
		{32, json.Number("2147483648"), false},
		{32, json.Number("-2147483648"), true},
		{32, json.Number("-2147483649"), false},
		{64, json.Number("9223372036854775807"), true},
		{0, json.Number("9223372036854775807"), true},
		{32, "not a number", true},
		{32, nil, true},
	}
	for _, tc := range tests {
		err := CheckIntRange(tc.bits, tc.v)
		if (err == nil) != tc.ok {
			t.Errorf("CheckIntRange(%d, %v) = %v, want ok=%v", tc.bits, tc.v, err, tc.ok)
		}
	}
}
