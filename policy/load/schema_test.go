package load

import "testing"

// TestCharLength: the n of character(n) as PostgreSQL reads the declared
// type: a bare character or char is character(1), bpchar without a length
// has none (0: no padding, no limit).
func TestCharLength(t *testing.T) {
	for decl, want := range map[string]int{
		"character(5)": 5, "char(5)": 5, "CHARACTER (12)": 12, "bpchar(3)": 3, "char( 7 )": 7,
		"character": 1, "char": 1, "CHAR": 1, "bpchar": 0, "BPCHAR": 0,
	} {
		got, err := charLength(decl)
		if err != nil || got != want {
			t.Errorf("charLength(%q) = %d, %v; want %d", decl, got, err, want)
		}
	}
	for _, decl := range []string{"char(0)", "char(-1)", "char(x)", "char()", "char(10485761)"} {
		if n, err := charLength(decl); err == nil {
			t.Errorf("charLength(%q) = %d, want an error", decl, n)
		}
	}
}
