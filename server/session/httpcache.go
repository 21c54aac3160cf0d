package session

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// freshness says how long a response may be reused, from its Cache-Control
// and Expires values, as HTTP caches read them: max-age (else s-maxage)
// wins over Expires; no-store and no-cache mean not at all; an Expires that
// does not parse means already expired. ok is false when neither value
// says anything, so the caller applies its default.
func freshness(cacheControl, expires string, now time.Time) (ttl time.Duration, ok bool) {
	if cacheControl != "" {
		maxAge, sMaxAge := -1, -1
		for d := range strings.SplitSeq(cacheControl, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			val = strings.Trim(strings.TrimSpace(val), `"`)
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store", "no-cache":
				return 0, true
			case "max-age":
				if n, err := strconv.Atoi(val); err == nil && n >= 0 {
					maxAge = n
				}
			case "s-maxage":
				if n, err := strconv.Atoi(val); err == nil && n >= 0 {
					sMaxAge = n
				}
			}
		}
		if maxAge < 0 {
			maxAge = sMaxAge
		}
		if maxAge >= 0 {
			return time.Duration(maxAge) * time.Second, true
		}
	}
	if expires != "" {
		t, err := http.ParseTime(strings.TrimSpace(expires))
		if err != nil {
			return 0, true
		}
		return max(0, t.Sub(now)), true
	}
	return 0, false
}
