package session

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"google.golang.org/grpc/codes"
)

// MaxTokenBytes bounds an end-user token; longer ones are refused before
// any parsing.
const MaxTokenBytes = 16 << 10

// jwtVerifier verifies tokens as Hasura's JWT mode does and reads their
// claims.
type jwtVerifier struct {
	cfg *JWTConfig
	// alg and key for a static key; jwks otherwise.
	alg  string
	key  any
	jwks *jwksCache
	// pinned, with a JWKS, is the one algorithm accepted ("" means any of
	// jwksAlgorithms).
	pinned  string
	nsPath  *jsonPath
	claimsM map[string]claimSource
	now     func() time.Time
}

// claimSource is a compiled claims_map entry.
type claimSource struct {
	literal any
	path    *jsonPath
	def     any
}

func newJWTVerifier(cfg *JWTConfig, o *options) (*jwtVerifier, error) {
	v := &jwtVerifier{cfg: cfg, now: o.now}
	if cfg.Key != "" {
		alg, err := algorithmOf(cfg.Type)
		if err != nil {
			return nil, err
		}
		key, err := staticKey(cfg.Type, cfg.Key)
		if err != nil {
			return nil, err
		}
		v.alg, v.key = alg.String(), key
	} else {
		v.jwks = newJWKSCache(cfg.JWKURL, o)
		if cfg.Type != "" {
			alg, err := algorithmOf(cfg.Type)
			if err != nil {
				return nil, err
			}
			if _, ok := jwksAlgorithms[alg.String()]; !ok {
				return nil, errors.New("jwt secret: HMAC types cannot be used with jwk_url")
			}
			v.pinned = alg.String()
		}
	}
	if cfg.ClaimsNamespacePath != "" {
		p, err := parseJSONPath(cfg.ClaimsNamespacePath)
		if err != nil {
			return nil, err
		}
		v.nsPath = &p
	}
	if cfg.ClaimsMap != nil {
		v.claimsM = make(map[string]claimSource, len(cfg.ClaimsMap))
		for name, m := range cfg.ClaimsMap {
			src := claimSource{literal: m.Literal, def: m.Default}
			if m.Path != "" {
				p, err := parseJSONPath(m.Path)
				if err != nil {
					return nil, err
				}
				src.path = &p
			}
			v.claimsM[name] = src
		}
	}
	return v, nil
}

// token finds the end-user token in the request headers (lower-case
// names, as gRPC metadata has them). present is false when there is none.
func (v *jwtVerifier) token(headers map[string][]string) (token string, present bool, err error) {
	if v.cfg.Header.Type == "Cookie" {
		return cookieToken(headers, v.cfg.Header.Name)
	}
	return bearerToken(headers)
}

// bearerToken reads "authorization: Bearer <token>".
func bearerToken(headers map[string][]string) (string, bool, error) {
	vals := headers["authorization"]
	switch len(vals) {
	case 0:
		return "", false, nil
	case 1:
	default:
		return "", true, unauthenticated(ReasonTokenMalformed, "send one authorization header, not several", nil)
	}
	scheme, tok, ok := strings.Cut(strings.TrimSpace(vals[0]), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" || strings.ContainsAny(tok, " \t") {
		return "", true, unauthenticated(ReasonTokenMalformed, `malformed authorization header: want "Bearer <token>"`, nil)
	}
	return tok, true, nil
}

// cookieToken reads the named cookie from the cookie headers.
func cookieToken(headers map[string][]string, name string) (string, bool, error) {
	var found []string
	for _, line := range headers["cookie"] {
		cookies, err := http.ParseCookie(line)
		if err != nil {
			continue
		}
		for _, c := range cookies {
			if c.Name == name {
				found = append(found, c.Value)
			}
		}
	}
	switch {
	case len(found) == 0:
		return "", false, nil
	case len(found) > 1 && slices.ContainsFunc(found, func(s string) bool { return s != found[0] }):
		return "", true, unauthenticated(ReasonTokenMalformed, "the token cookie is sent several times with different values", nil)
	case found[0] == "":
		return "", true, unauthenticated(ReasonTokenMalformed, "the token cookie is empty", nil)
	}
	return found[0], true, nil
}

// verify checks the token's form, algorithm, signature and registered
// claims (exp, nbf, iat with the allowed skew; aud; iss) and returns its
// claims. Every failure is an Unauthenticated *Error with its reason,
// except an unreachable JWKS (Unavailable).
func (v *jwtVerifier) verify(ctx context.Context, token string) (map[string]any, error) {
	if len(token) > MaxTokenBytes {
		return nil, unauthenticated(ReasonTokenTooLarge, "the token is too large", nil)
	}
	// Compact serialisation only: three parts. This refuses JWE (five
	// parts) and the JSON serialisations before any parser sees them.
	if strings.Count(token, ".") != 2 {
		return nil, unauthenticated(ReasonTokenMalformed, "the token is not a signed JWT", nil)
	}
	// Read alg before the JWS parser does, so that "none" in any case,
	// and algorithms the parser does not know, get their own reason.
	alg, err := headerAlg(token)
	if err != nil {
		return nil, err
	}
	msg, err := jws.ParseString(token)
	if err != nil || len(msg.Signatures()) != 1 {
		return nil, unauthenticated(ReasonTokenMalformed, "the token is not a signed JWT", err)
	}
	hdr := msg.Signatures()[0].ProtectedHeaders()
	if a, ok := hdr.Algorithm(); !ok || a.String() != alg {
		return nil, unauthenticated(ReasonTokenMalformed, "the token is not a signed JWT", nil)
	}
	// RFC 7515 4.1.11: a token whose header lists critical extensions
	// the recipient does not understand must be refused; Warden
	// understands none.
	if crit, ok := hdr.Critical(); ok && len(crit) > 0 {
		return nil, unauthenticated(ReasonTokenMalformed, "the token's header lists critical extensions Warden does not understand", nil)
	}
	var key any
	if v.jwks == nil {
		// The algorithm is pinned by the configuration: a token that names
		// another one (HS256 against an RSA public key, say) is refused
		// before its signature is looked at.
		if alg != v.alg && !(isEd25519(alg) && isEd25519(v.alg)) {
			return nil, unauthenticated(ReasonJWTAlgNotAllowed, "the token's signing algorithm is not accepted", nil)
		}
		key = v.key
	} else {
		if _, ok := jwksAlgorithms[alg]; !ok || (v.pinned != "" && alg != v.pinned && !(isEd25519(alg) && isEd25519(v.pinned))) {
			return nil, unauthenticated(ReasonJWTAlgNotAllowed, "the token's signing algorithm is not accepted", nil)
		}
		kid, _ := hdr.KeyID()
		k, err := v.jwks.key(ctx, kid, alg)
		if err != nil {
			return nil, err
		}
		key = k
	}
	sigAlg, ok := jwa.LookupSignatureAlgorithm(alg)
	if !ok {
		return nil, unauthenticated(ReasonJWTAlgNotAllowed, "the token's signing algorithm is not accepted", nil)
	}
	payload, err := jws.Verify([]byte(token), jws.WithKey(sigAlg, key))
	if err != nil {
		return nil, unauthenticated(ReasonJWTInvalidSignature, "the token's signature does not verify", err)
	}
	// The payload must be a claims object itself, never a nested token.
	if p := bytes.TrimSpace(payload); len(p) == 0 || p[0] != '{' {
		return nil, unauthenticated(ReasonTokenMalformed, "the token's payload is not a JSON object", nil)
	}
	tok, err := jwt.Parse(payload, jwt.WithVerify(false), jwt.WithValidate(false))
	if err != nil {
		return nil, unauthenticated(ReasonJWTInvalidClaims, "the token's registered claims are malformed", err)
	}
	if err := jwt.Validate(tok, jwt.WithClock(jwt.ClockFunc(v.now)), jwt.WithAcceptableSkew(v.cfg.AllowedSkew)); err != nil {
		switch {
		case errors.Is(err, jwt.TokenExpiredError()):
			return nil, unauthenticated(ReasonJWTExpired, "the token has expired", nil)
		case errors.Is(err, jwt.TokenNotYetValidError()), errors.Is(err, jwt.InvalidIssuedAtError()):
			return nil, unauthenticated(ReasonJWTNotYetValid, "the token is not valid yet", nil)
		}
		return nil, unauthenticated(ReasonJWTInvalidClaims, "the token's registered claims are invalid", err)
	}
	if _, ok := tok.Expiration(); !ok && v.cfg.RequireExp {
		return nil, unauthenticated(ReasonJWTInvalidClaims, "the token has no exp claim, and this server requires one", nil)
	}
	if len(v.cfg.Audience) > 0 {
		aud, _ := tok.Audience()
		if !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(v.cfg.Audience, a) }) {
			return nil, unauthenticated(ReasonJWTInvalidAudience, "the token is not meant for this audience", nil)
		}
	}
	if v.cfg.Issuer != "" {
		if iss, _ := tok.Issuer(); iss != v.cfg.Issuer {
			return nil, unauthenticated(ReasonJWTInvalidIssuer, "the token is not from the expected issuer", nil)
		}
	}
	claims, err := decodeObject(payload)
	if err != nil {
		return nil, unauthenticated(ReasonJWTInvalidClaims, "the token's claims are not a JSON object", err)
	}
	return claims, nil
}

// headerAlg returns the alg of a compact token's protected header. A
// missing alg is malformed; "none" (any case) and algorithms outside the
// JWS registry are not allowed.
func headerAlg(token string) (string, error) {
	seg, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return "", unauthenticated(ReasonTokenMalformed, "the token is not a signed JWT", err)
	}
	var h struct {
		Alg *string `json:"alg"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return "", unauthenticated(ReasonTokenMalformed, "the token is not a signed JWT", err)
	}
	switch {
	case h.Alg == nil || *h.Alg == "":
		return "", unauthenticated(ReasonTokenMalformed, "the token has no alg header", nil)
	case strings.EqualFold(*h.Alg, jwa.NoSignature().String()):
		return "", unauthenticated(ReasonJWTAlgNotAllowed, `unsigned tokens (alg "none") are refused`, nil)
	}
	if _, ok := jwa.LookupSignatureAlgorithm(*h.Alg); !ok {
		return "", unauthenticated(ReasonJWTAlgNotAllowed, "the token's signing algorithm is not accepted", nil)
	}
	return *h.Alg, nil
}

// hasuraClaims are the claims Hasura reads from a token.
type hasuraClaims struct {
	allowedRoles []string
	defaultRole  string
	vars         map[string]string // without the two role claims
}

func invalidClaims(msg string, cause error) *Error {
	return unauthenticated(ReasonJWTInvalidClaims, msg, cause)
}

func missingRoleClaim(name string) *Error {
	return newError(codes.Unauthenticated, ReasonJWTMissingRoleClaims, "the token has no "+name+" claim", nil, "claim", name)
}

// hasura reads Hasura's claims: from the namespace (or namespace path),
// or built by the claims_map.
func (v *jwtVerifier) hasura(claims map[string]any) (*hasuraClaims, error) {
	if v.claimsM != nil {
		return v.fromClaimsMap(claims)
	}
	var ns any
	var ok bool
	if v.nsPath != nil {
		ns, ok = v.nsPath.lookup(claims)
	} else {
		ns, ok = claims[v.cfg.ClaimsNamespace]
	}
	if !ok {
		return nil, invalidClaims("the token has no Hasura claims where the configuration says", nil)
	}
	if v.cfg.ClaimsFormat == "stringified_json" {
		s, isString := ns.(string)
		if !isString {
			return nil, invalidClaims("the Hasura claims must be stringified JSON", nil)
		}
		obj, err := decodeObject([]byte(s))
		if err != nil {
			return nil, invalidClaims("the Hasura claims are not stringified JSON", err)
		}
		ns = obj
	}
	obj, isObject := ns.(map[string]any)
	if !isObject {
		return nil, invalidClaims("the Hasura claims must be a JSON object", nil)
	}
	lower := make(map[string]any, len(obj))
	for k, val := range obj {
		if isSessionVariable(k) {
			if _, dup := lower[strings.ToLower(k)]; dup {
				return nil, invalidClaims(strings.ToLower(k)+" is given twice, in different case", nil)
			}
			lower[strings.ToLower(k)] = val
		}
	}
	hc := &hasuraClaims{}
	ar, ok := lower[AllowedRolesVariable]
	if !ok {
		return nil, missingRoleClaim(AllowedRolesVariable)
	}
	roles, err := roleList(ar)
	if err != nil {
		return nil, invalidClaims("invalid "+AllowedRolesVariable+": want a list of role names", nil)
	}
	dr, ok := lower[DefaultRoleVariable]
	if !ok {
		return nil, missingRoleClaim(DefaultRoleVariable)
	}
	def, isString := dr.(string)
	if !isString || def == "" {
		return nil, invalidClaims("invalid "+DefaultRoleVariable+": want a role name", nil)
	}
	delete(lower, AllowedRolesVariable)
	delete(lower, DefaultRoleVariable)
	hc.allowedRoles, hc.defaultRole = roles, def
	if hc.vars, err = sessionVariables(lower); err != nil {
		return nil, invalidClaims("invalid session variable claim", err)
	}
	return hc, nil
}

func (v *jwtVerifier) fromClaimsMap(claims map[string]any) (*hasuraClaims, error) {
	hc := &hasuraClaims{vars: map[string]string{}}
	for name, src := range v.claimsM {
		val := src.literal
		if src.path != nil {
			var ok bool
			if val, ok = src.path.lookup(claims); !ok {
				val = src.def
			}
		}
		if val == nil {
			if name == AllowedRolesVariable || name == DefaultRoleVariable {
				return nil, missingRoleClaim(name)
			}
			return nil, invalidClaims("the claim for "+name+" from claims_map is not in the token", nil)
		}
		switch name {
		case AllowedRolesVariable:
			roles, err := roleList(val)
			if err != nil {
				return nil, invalidClaims("invalid "+AllowedRolesVariable+": want a list of role names", nil)
			}
			hc.allowedRoles = roles
		case DefaultRoleVariable:
			def, ok := val.(string)
			if !ok || def == "" {
				return nil, invalidClaims("invalid "+DefaultRoleVariable+": want a role name", nil)
			}
			hc.defaultRole = def
		default:
			s, err := sessionValue(val)
			if err != nil {
				return nil, invalidClaims("invalid session variable claim "+name, err)
			}
			hc.vars[name] = s
		}
	}
	return hc, nil
}
