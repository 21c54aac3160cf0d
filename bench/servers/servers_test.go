package servers

import (
	"strings"
	"testing"

	"github.com/wardenpdp/warden/server/callerauth"
)

// TestAPIKeyFitsCallerauth: the key the load generator makes is one the
// server accepts, configured as an admin-level caller.
func TestAPIKeyFitsCallerauth(t *testing.T) {
	k, err := NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	if HashKey(k.Key) != callerauth.HashKey(k.Key) {
		t.Fatalf("HashKey %s, callerauth.HashKey %s", HashKey(k.Key), callerauth.HashKey(k.Key))
	}
	if !strings.HasPrefix(k.Key, callerauth.KeyPrefix) {
		t.Errorf("key %q lacks the prefix %q", k.Key, callerauth.KeyPrefix)
	}
	es, err := callerauth.ParseEntries([]byte(k.Entries))
	if err != nil {
		t.Fatal(err)
	}
	if err := callerauth.ValidateEntries(es); err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Level != callerauth.LevelAdmin || es[0].Hash != HashKey(k.Key) {
		t.Fatalf("entries %+v", es)
	}
}

func TestTail(t *testing.T) {
	tl := &tail{max: 10}
	tl.Write([]byte("0123456789"))
	tl.Write([]byte("abc"))
	if got := tl.String(); got != "3456789abc" {
		t.Errorf("tail %q", got)
	}
}
