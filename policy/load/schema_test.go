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

// TestParseTypeName: a type name is read as PostgreSQL reads identifiers:
// unquoted parts lower-cased, quoted parts as written.
func TestParseTypeName(t *testing.T) {
	for in, want := range map[string][2]string{
		"leave_status":        {"", "leave_status"},
		"Public.Leave_Status": {"public", "leave_status"},
		`hr."Leave Status"`:   {"hr", "Leave Status"},
		`"a""b"."c.d"`:        {`a"b`, "c.d"},
		` auth . email `:      {"auth", "email"},
	} {
		s, n, err := parseTypeName(in)
		if err != nil || s != want[0] || n != want[1] {
			t.Errorf("parseTypeName(%q) = %q, %q, %v; want %q, %q", in, s, n, err, want[0], want[1])
		}
	}
	for _, in := range []string{"", "a.b.c", `"a`, "a.", ".a", `""`, `a"b"`} {
		if s, n, err := parseTypeName(in); err == nil {
			t.Errorf("parseTypeName(%q) = %q, %q; want an error", in, s, n)
		}
	}
}
