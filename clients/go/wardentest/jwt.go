package wardentest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"time"
)

// ClaimsNamespace is where Hasura (and Warden, by default) read the
// session from a JWT.
const ClaimsNamespace = "https://hasura.io/jwt/claims"

// JWTConfig returns the value of `warden serve --jwt-secret` for HS256
// tokens signed with secret (Hasura's JWT configuration JSON).
func JWTConfig(secret string) string {
	b, _ := json.Marshal(map[string]string{"type": "HS256", "key": secret})
	return string(b)
}

// User describes the end user of a test token.
type User struct {
	// ID and OrgID become x-hasura-user-id and x-hasura-org-id.
	ID, OrgID string
	// Roles are x-hasura-allowed-roles; the first is the default role.
	Roles []string
}

// Token signs an HS256 JWT for the user, valid for an hour, with the
// session in Hasura's claims namespace.
func Token(secret string, u User) string {
	hasura := map[string]any{
		"x-hasura-allowed-roles": u.Roles,
		"x-hasura-default-role":  u.Roles[0],
		"x-hasura-user-id":       u.ID,
	}
	if u.OrgID != "" {
		hasura["x-hasura-org-id"] = u.OrgID
	}
	now := time.Now()
	return SignHS256(secret, map[string]any{
		"sub":           u.ID,
		"iat":           now.Unix(),
		"exp":           now.Add(time.Hour).Unix(),
		ClaimsNamespace: hasura,
	})
}

// SignHS256 signs claims as a compact HS256 JWT.
func SignHS256(secret string, claims map[string]any) string {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT"})
	payload, _ := json.Marshal(claims)
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}
