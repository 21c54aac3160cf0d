package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/wardenpdp/warden/server/session"
)

// token signs an end-user JWT the way an identity provider configured for
// Hasura would: Hasura's claims under the configured namespace, audience
// and issuer from the configuration. Only for symmetric (HS*) keys, whose
// configuration holds the signing key itself; for trials, tests and load
// generation, never as an identity provider.
func (a *app) token(_ context.Context, args []string) error {
	var (
		secret, role, allowed, sub string
		ttl                        time.Duration
		vars                       listFlag
	)
	fs := a.flagSet("token", "--role R [--var x-hasura-user-id=1 ...] [flags]",
		"Signs an end-user JWT with the HS256/HS384/HS512 key of --jwt-secret (Hasura's\n"+
			"JWT configuration, the same JSON and WARDEN_JWT_SECRET as serve), with\n"+
			"x-hasura-default-role, x-hasura-allowed-roles and the given session\n"+
			"variables under the configured claims namespace, the configured audience and\n"+
			"issuer, and an expiry. Prints the token. For trials and tests: in production\n"+
			"tokens come from your identity provider.")
	fs.StringVar(&secret, "jwt-secret", "", "Hasura JWT configuration `JSON` with an HS256, HS384 or HS512 key")
	fs.StringVar(&role, "role", "", "the default `role` (x-hasura-default-role); required")
	fs.StringVar(&allowed, "allowed-roles", "", "comma-separated allowed `roles`; default the role alone")
	fs.Var(&vars, "var", "a session `variable` x-hasura-name=value; repeatable")
	fs.StringVar(&sub, "sub", "warden-token", "the `subject` (sub claim)")
	fs.DurationVar(&ttl, "ttl", time.Hour, "how long the token is valid")
	if err := a.parse(fs, args); err != nil {
		return err
	}
	tok, err := signToken(secret, role, allowed, sub, ttl, vars, time.Now())
	if err != nil {
		return usageError{err}
	}
	fmt.Fprintln(a.stdout, tok)
	return nil
}

func signToken(secret, role, allowed, sub string, ttl time.Duration, vars []string, now time.Time) (string, error) {
	if secret == "" {
		return "", errors.New("--jwt-secret (or WARDEN_JWT_SECRET) is required")
	}
	cfg, err := session.ParseJWTConfig([]byte(secret))
	if err != nil {
		return "", err
	}
	alg, ok := map[string]jwa.SignatureAlgorithm{"HS256": jwa.HS256(), "HS384": jwa.HS384(), "HS512": jwa.HS512()}[cfg.Type]
	if !ok || cfg.Key == "" {
		return "", fmt.Errorf("--jwt-secret: type %q: only an HS256, HS384 or HS512 key can sign here; asymmetric keys sign at your identity provider", cfg.Type)
	}
	if cfg.ClaimsMap != nil || cfg.ClaimsNamespacePath != "" {
		return "", errors.New("--jwt-secret: claims_map and claims_namespace_path describe your identity provider's tokens; this command writes Hasura's claims under claims_namespace")
	}
	if role == "" {
		return "", errors.New("--role is required")
	}
	if ttl <= 0 {
		return "", fmt.Errorf("--ttl %s: want a positive duration", ttl)
	}
	roles := []string{role}
	if allowed != "" {
		roles = nil
		for r := range strings.SplitSeq(allowed, ",") {
			if r = strings.TrimSpace(r); r != "" {
				roles = append(roles, r)
			}
		}
	}
	hasura := map[string]any{session.DefaultRoleVariable: role, session.AllowedRolesVariable: roles}
	for _, kv := range vars {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || !strings.HasPrefix(k, session.SessionPrefix) {
			return "", fmt.Errorf("--var %q: want x-hasura-name=value", kv)
		}
		hasura[k] = v
	}
	var claims any = hasura
	if cfg.ClaimsFormat == "stringified_json" {
		b, err := json.Marshal(hasura)
		if err != nil {
			return "", err
		}
		claims = string(b)
	}
	ns := cfg.ClaimsNamespace
	if ns == "" {
		ns = session.DefaultClaimsNamespace
	}
	payload := map[string]any{"sub": sub, "iat": now.Unix(), "exp": now.Add(ttl).Unix(), ns: claims}
	if len(cfg.Audience) > 0 {
		payload["aud"] = cfg.Audience[0]
	}
	if cfg.Issuer != "" {
		payload["iss"] = cfg.Issuer
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	tok, err := jws.Sign(b, jws.WithKey(alg, []byte(cfg.Key)))
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return string(tok), nil
}
