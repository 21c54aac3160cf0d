package session

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

// DefaultClaimsNamespace is where Hasura looks for its claims by default.
const DefaultClaimsNamespace = "https://hasura.io/jwt/claims"

// JWTConfig is Hasura's JWT configuration (HASURA_GRAPHQL_JWT_SECRET),
// parsed by ParseJWTConfig from the same JSON.
type JWTConfig struct {
	// Type is the algorithm of Key: HS256, HS384, HS512, RS256, RS384,
	// RS512, ES256, ES384, ES512 or Ed25519. With JWKURL it is optional and,
	// when given, the only algorithm accepted.
	Type string
	// Key is the HMAC secret, or a PEM public key or X.509 certificate.
	Key string
	// JWKURL is where the signing keys are published (a JWKS document).
	JWKURL string
	// ClaimsNamespace is the claim holding Hasura's claims.
	ClaimsNamespace string
	// ClaimsNamespacePath is a JSON path to Hasura's claims instead.
	ClaimsNamespacePath string
	// ClaimsFormat is "json" or "stringified_json".
	ClaimsFormat string
	// ClaimsMap, when set, builds the claims from the token instead of a
	// namespace.
	ClaimsMap map[string]ClaimMapValue
	// Audience accepts a token whose aud contains any of these.
	Audience []string
	// Issuer, when set, must equal the token's iss.
	Issuer string
	// AllowedSkew tolerates clock differences on exp, nbf and iat.
	AllowedSkew time.Duration
	// Header says where the token is: "Authorization" (a bearer token,
	// the default) or a cookie.
	Header TokenLocation
	// RequireExp refuses a token without exp (--jwt-require-exp); Hasura,
	// like Warden by default, takes such a token as never expiring.
	RequireExp bool
}

// ClaimMapValue is one claims_map entry: a literal, or a JSON path into
// the token with an optional default.
type ClaimMapValue struct {
	// Literal is the value when no path is given: a string, or a list of
	// strings for x-hasura-allowed-roles.
	Literal any
	// Path is the JSON path into the token's claims.
	Path string
	// Default is used when Path finds nothing; nil means none.
	Default any
}

// TokenLocation is where the end-user token travels.
type TokenLocation struct {
	// Type is "Authorization" or "Cookie".
	Type string `json:"type"`
	// Name is the cookie's name.
	Name string `json:"name,omitempty"`
}

// rawJWTConfig is the JSON shape.
type rawJWTConfig struct {
	Type                string                     `json:"type"`
	Key                 string                     `json:"key"`
	JWKURL              string                     `json:"jwk_url"`
	ClaimsNamespace     string                     `json:"claims_namespace"`
	ClaimsNamespacePath string                     `json:"claims_namespace_path"`
	ClaimsFormat        string                     `json:"claims_format"`
	ClaimsMap           map[string]json.RawMessage `json:"claims_map"`
	Audience            json.RawMessage            `json:"audience"`
	Issuer              string                     `json:"issuer"`
	AllowedSkew         *float64                   `json:"allowed_skew"`
	Header              *TokenLocation             `json:"header"`
}

// ParseJWTConfig parses and checks Hasura's JWT configuration JSON. Unknown
// fields are errors, so a misspelt setting does not silently fall back to
// a default.
func ParseJWTConfig(data []byte) (*JWTConfig, error) {
	var raw rawJWTConfig
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("jwt secret: %w", err)
	}
	c := &JWTConfig{Type: raw.Type, Key: raw.Key, JWKURL: raw.JWKURL, ClaimsNamespace: raw.ClaimsNamespace,
		ClaimsNamespacePath: raw.ClaimsNamespacePath, ClaimsFormat: raw.ClaimsFormat, Issuer: raw.Issuer,
		Header: TokenLocation{Type: "Authorization"}}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("jwt secret: "+format, args...)) }
	switch {
	case c.Key == "" && c.JWKURL == "":
		bad("key and jwk_url cannot both be empty")
	case c.Key != "" && c.JWKURL != "":
		bad("key and jwk_url cannot both be present")
	case c.Key != "" && c.Type == "":
		bad("type is required with key")
	}
	if c.JWKURL != "" {
		if u, err := url.Parse(c.JWKURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("jwk_url %q: want an http(s) URL", c.JWKURL)
		}
	}
	if c.Type != "" {
		if _, err := algorithmOf(c.Type); err != nil {
			bad("%v", err)
		}
	}
	if c.ClaimsNamespace != "" && c.ClaimsNamespacePath != "" {
		bad("claims_namespace and claims_namespace_path both cannot be set")
	}
	if c.ClaimsNamespacePath != "" {
		if _, err := parseJSONPath(c.ClaimsNamespacePath); err != nil {
			bad("claims_namespace_path: %v", err)
		}
	}
	if c.ClaimsNamespace == "" && c.ClaimsNamespacePath == "" {
		c.ClaimsNamespace = DefaultClaimsNamespace
	}
	switch c.ClaimsFormat {
	case "":
		c.ClaimsFormat = "json"
	case "json", "stringified_json":
	default:
		bad("claims_format %q: want json or stringified_json", c.ClaimsFormat)
	}
	if raw.ClaimsMap != nil {
		m, err := parseClaimsMap(raw.ClaimsMap)
		if err != nil {
			bad("claims_map: %v", err)
		}
		c.ClaimsMap = m
	}
	if len(raw.Audience) > 0 && string(raw.Audience) != "null" {
		var one string
		if err := json.Unmarshal(raw.Audience, &one); err == nil {
			c.Audience = []string{one}
		} else if err := json.Unmarshal(raw.Audience, &c.Audience); err != nil {
			bad("audience: want a string or a list of strings")
		}
	}
	if raw.AllowedSkew != nil {
		s := *raw.AllowedSkew
		if s < 0 || math.IsNaN(s) || s > 86400 {
			bad("allowed_skew %g: want seconds between 0 and 86400", s)
		} else {
			c.AllowedSkew = time.Duration(s * float64(time.Second))
		}
	}
	if h := raw.Header; h != nil {
		switch strings.ToLower(h.Type) {
		case "authorization":
			c.Header = TokenLocation{Type: "Authorization"}
		case "cookie":
			if h.Name == "" {
				bad("header: a Cookie header needs a name")
			}
			c.Header = TokenLocation{Type: "Cookie", Name: h.Name}
		default:
			bad("header type %q: want Authorization or Cookie", h.Type)
		}
	}
	if c.Key != "" && c.Type != "" {
		if _, err := staticKey(c.Type, c.Key); err != nil {
			bad("key: %v", err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

func parseClaimsMap(raw map[string]json.RawMessage) (map[string]ClaimMapValue, error) {
	m := make(map[string]ClaimMapValue, len(raw))
	for name, r := range raw {
		if !isSessionVariable(name) {
			return nil, fmt.Errorf("%q is not a session variable (x-hasura-*)", name)
		}
		lower := strings.ToLower(name)
		if _, dup := m[lower]; dup {
			return nil, fmt.Errorf("%s is given twice", lower)
		}
		var v ClaimMapValue
		var obj struct {
			Path    *string         `json:"path"`
			Default json.RawMessage `json:"default"`
		}
		if bytes.HasPrefix(bytes.TrimSpace(r), []byte("{")) {
			if err := json.Unmarshal(r, &obj); err != nil || obj.Path == nil {
				return nil, fmt.Errorf("%s: want a literal or {\"path\": ..., \"default\": ...}", lower)
			}
			if _, err := parseJSONPath(*obj.Path); err != nil {
				return nil, fmt.Errorf("%s: %w", lower, err)
			}
			v.Path = *obj.Path
			if len(obj.Default) > 0 && string(obj.Default) != "null" {
				if err := json.Unmarshal(obj.Default, &v.Default); err != nil {
					return nil, fmt.Errorf("%s: default: %w", lower, err)
				}
			}
		} else if err := json.Unmarshal(r, &v.Literal); err != nil {
			return nil, fmt.Errorf("%s: %w", lower, err)
		}
		for _, val := range []any{v.Literal, v.Default} {
			if val == nil {
				continue
			}
			if err := checkClaimLiteral(lower, val); err != nil {
				return nil, err
			}
		}
		m[lower] = v
	}
	for _, need := range []string{AllowedRolesVariable, DefaultRoleVariable} {
		if _, ok := m[need]; !ok {
			return nil, fmt.Errorf("%s is expected but not found", need)
		}
	}
	return m, nil
}

func checkClaimLiteral(name string, v any) error {
	if name == AllowedRolesVariable {
		if _, err := roleList(v); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	if s, ok := v.(string); !ok || (name == DefaultRoleVariable && s == "") {
		return fmt.Errorf("%s: want a non-empty string", name)
	}
	return nil
}

// roleList reads a JSON list of role names.
func roleList(v any) ([]string, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, errors.New("want a list of role names")
	}
	roles := make([]string, len(arr))
	for i, r := range arr {
		s, ok := r.(string)
		if !ok || s == "" {
			return nil, errors.New("want a list of role names")
		}
		roles[i] = s
	}
	return roles, nil
}

// algorithmOf maps a Hasura key type to its JWS algorithm.
func algorithmOf(typ string) (jwa.SignatureAlgorithm, error) {
	switch typ {
	case "HS256":
		return jwa.HS256(), nil
	case "HS384":
		return jwa.HS384(), nil
	case "HS512":
		return jwa.HS512(), nil
	case "RS256":
		return jwa.RS256(), nil
	case "RS384":
		return jwa.RS384(), nil
	case "RS512":
		return jwa.RS512(), nil
	case "ES256":
		return jwa.ES256(), nil
	case "ES384":
		return jwa.ES384(), nil
	case "ES512":
		return jwa.ES512(), nil
	case "Ed25519":
		return jwa.EdDSA(), nil
	}
	return jwa.SignatureAlgorithm{}, fmt.Errorf("type %q is not supported (want HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384, ES512 or Ed25519)", typ)
}

// staticKey parses Key for its type: the HMAC secret as bytes (at least as
// long as the hash, as Hasura requires), else a PEM public key or
// certificate of the matching kind.
func staticKey(typ, key string) (any, error) {
	switch typ {
	case "HS256", "HS384", "HS512":
		minLen := map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}[typ]
		if len(key) < minLen {
			return nil, fmt.Errorf("an %s key must be at least %d characters", typ, minLen)
		}
		return []byte(key), nil
	}
	pub, err := parsePEMPublicKey(key)
	if err != nil {
		return nil, err
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if strings.HasPrefix(typ, "RS") {
			if k.N.BitLen() < 2048 {
				return nil, fmt.Errorf("RSA key of %d bits; want at least 2048", k.N.BitLen())
			}
			return k, nil
		}
	case *ecdsa.PublicKey:
		want := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}[typ]
		if want != nil {
			if k.Curve != want {
				return nil, fmt.Errorf("%s needs curve %s, the key is %s", typ, want.Params().Name, k.Curve.Params().Name)
			}
			return k, nil
		}
	case ed25519.PublicKey:
		if typ == "Ed25519" {
			return k, nil
		}
	}
	return nil, fmt.Errorf("the key is %T, which cannot verify %s", pub, typ)
}

// parsePEMPublicKey reads the first PEM block: a certificate, a PKIX
// public key or a PKCS #1 RSA public key. Private keys are refused: the
// configuration needs only the public half.
func parsePEMPublicKey(s string) (any, error) {
	block, _ := pem.Decode([]byte(strings.ReplaceAll(s, `\n`, "\n")))
	if block == nil {
		return nil, errors.New("want a PEM public key or certificate")
	}
	switch block.Type {
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		return cert.PublicKey, nil
	case "PUBLIC KEY":
		return x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	}
	return nil, fmt.Errorf("PEM block %q: want PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE", block.Type)
}
