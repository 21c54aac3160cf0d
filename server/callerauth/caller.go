package callerauth

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Level is what a caller may do in general: an admin may do everything, a
// user only what its grants allow.
type Level int

// The levels. The zero Level is invalid, so a forgotten level never grants
// anything.
const (
	LevelUser Level = iota + 1
	LevelAdmin
)

// String returns "user" or "admin".
func (l Level) String() string {
	switch l {
	case LevelUser:
		return "user"
	case LevelAdmin:
		return "admin"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// ParseLevel parses "user" or "admin".
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "user":
		return LevelUser, nil
	case "admin":
		return LevelAdmin, nil
	}
	return 0, fmt.Errorf("unknown level %q (want user or admin)", s)
}

// MarshalText writes the level's name.
func (l Level) MarshalText() ([]byte, error) {
	if l != LevelUser && l != LevelAdmin {
		return nil, fmt.Errorf("invalid level %d", int(l))
	}
	return []byte(l.String()), nil
}

// UnmarshalText parses the level's name.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// Grant is one thing a user-level caller may do.
type Grant string

// The grants.
const (
	// GrantCheck allows AuthorizationService.Check and CheckGraphQL.
	GrantCheck Grant = "check"
	// GrantFilter allows AuthorizationService.Filter.
	GrantFilter Grant = "filter"
	// GrantMetrics allows reading the Prometheus metrics.
	GrantMetrics Grant = "metrics"
	// GrantTrustedSession allows stating a session (role and x-hasura-*
	// variables) directly instead of forwarding an end-user token. The
	// caller vouches for the end user; give it only to services that have
	// authenticated the end user themselves.
	GrantTrustedSession Grant = "trusted-session"
)

// Grants lists every grant, in a stable order.
func Grants() []Grant {
	return []Grant{GrantCheck, GrantFilter, GrantMetrics, GrantTrustedSession}
}

// ParseGrant parses a grant's name.
func ParseGrant(s string) (Grant, error) {
	g := Grant(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Grants(), g) {
		return g, nil
	}
	return "", fmt.Errorf("unknown grant %q (want one of check, filter, metrics, trusted-session)", s)
}

// UnmarshalText parses and normalises a grant's name.
func (g *Grant) UnmarshalText(b []byte) error {
	v, err := ParseGrant(string(b))
	if err != nil {
		return err
	}
	*g = v
	return nil
}

// Via says how a caller proved who it is.
type Via int

// The ways a caller authenticates.
const (
	ViaAPIKey Via = iota + 1
	ViaCertificate
)

// String returns "api-key" or "certificate".
func (v Via) String() string {
	switch v {
	case ViaAPIKey:
		return "api-key"
	case ViaCertificate:
		return "certificate"
	}
	return "unknown"
}

// Caller is an authenticated service calling Warden. It is immutable once
// authenticated; share it freely.
type Caller struct {
	// ID names the caller in logs and metrics, as configured.
	ID string
	// Level is user or admin.
	Level Level
	// Grants are what a user-level caller may do; an admin may do
	// everything whatever its grants.
	Grants []Grant
	// Via is how the caller authenticated.
	Via Via
}

// Can reports whether the caller holds the grant. An admin can everything;
// a nil caller can nothing.
func (c *Caller) Can(g Grant) bool {
	if c == nil {
		return false
	}
	return c.Level == LevelAdmin || (c.Level == LevelUser && slices.Contains(c.Grants, g))
}

// IsAdmin reports whether the caller is admin-level.
func (c *Caller) IsAdmin() bool { return c != nil && c.Level == LevelAdmin }

type callerKey struct{}

// NewContext returns ctx carrying the caller.
func NewContext(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// FromContext returns the caller the authentication interceptor put in ctx.
func FromContext(ctx context.Context) (*Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(*Caller)
	return c, ok && c != nil
}
