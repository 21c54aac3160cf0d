package engine

import "testing"

// TestReasonCache checks that a cached reason is the text reasonOf makes,
// for the role asked, whichever role asked first.
func TestReasonCache(t *testing.T) {
	var rc reasonCache
	for _, role := range []string{"user", "editor", "user"} {
		for filter := range 3 {
			for check := range 3 {
				var reasons []string
				if filter > 0 {
					reasons = append(reasons, []string{"", "filter holds", "filter does not hold"}[filter])
				}
				if check > 0 {
					reasons = append(reasons, []string{"", "check holds", "check does not hold"}[check])
				}
				code := reasonCode(filter, check, false)
				if got, want := rc.of(code, role, reasons), reasonOf(role, reasons); got != want {
					t.Fatalf("role %s, code %d: %q, want %q", role, code, got, want)
				}
			}
		}
	}
	var none *reasonCache
	if got := none.of(0, "user", []string{"filter holds"}); got != "role user: filter holds" {
		t.Fatalf("no cache: %q", got)
	}
}
