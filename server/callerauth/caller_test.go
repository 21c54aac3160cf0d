package callerauth

import (
	"context"
	"strings"
	"testing"
)

func TestCallerCan(t *testing.T) {
	user := &Caller{ID: "svc", Level: LevelUser, Grants: []Grant{GrantCheck}}
	admin := &Caller{ID: "ops", Level: LevelAdmin}
	var none *Caller
	zero := &Caller{ID: "zero", Grants: Grants()} // no level: grants nothing
	tests := []struct {
		c    *Caller
		g    Grant
		want bool
	}{
		{user, GrantCheck, true},
		{user, GrantFilter, false},
		{user, GrantTrustedSession, false},
		{admin, GrantFilter, true},
		{admin, GrantTrustedSession, true},
		{none, GrantCheck, false},
		{zero, GrantCheck, false},
	}
	for _, tt := range tests {
		if got := tt.c.Can(tt.g); got != tt.want {
			t.Errorf("%v.Can(%s) = %v, want %v", tt.c, tt.g, got, tt.want)
		}
	}
	if user.IsAdmin() || !admin.IsAdmin() || none.IsAdmin() {
		t.Error("IsAdmin wrong")
	}
}

func TestParseLevelAndGrant(t *testing.T) {
	for _, s := range []string{"user", "Admin", " admin "} {
		if _, err := ParseLevel(s); err != nil {
			t.Errorf("ParseLevel(%q): %v", s, err)
		}
	}
	if _, err := ParseLevel("root"); err == nil {
		t.Error("ParseLevel(root) succeeded")
	}
	if g, err := ParseGrant("Trusted-Session"); err != nil || g != GrantTrustedSession {
		t.Errorf("ParseGrant = %q, %v", g, err)
	}
	if _, err := ParseGrant("everything"); err == nil || !strings.Contains(err.Error(), "unknown grant") {
		t.Errorf("ParseGrant(everything) = %v", err)
	}
}

func TestContext(t *testing.T) {
	ctx := context.Background()
	if _, ok := FromContext(ctx); ok {
		t.Fatal("caller in an empty context")
	}
	c := &Caller{ID: "x", Level: LevelUser}
	got, ok := FromContext(NewContext(ctx, c))
	if !ok || got != c {
		t.Fatalf("FromContext = %v, %v", got, ok)
	}
	if _, ok := FromContext(NewContext(ctx, nil)); ok {
		t.Fatal("nil caller reported as present")
	}
}
