// Package session resolves the session of a request (role and x-hasura-*
// variables) the way Hasura v2 resolves it, for the policy engine to
// decide with. It works on Go values: a Request in, an engine.Session or
// an *Error (a gRPC status with an ErrorInfo reason) out, so it is tested
// without a gRPC server.
//
// # Where things travel
//
// The caller (a service) is authenticated by package callerauth, from the
// x-warden-api-key metadata or its client certificate. The end user's
// token travels as in Hasura: "authorization: Bearer <jwt>" metadata, or
// the cookie named in the JWT configuration's header setting. The
// requested role and any stated variables travel in the request's
// Principal, never in metadata.
//
// # Modes
//
// One of (as in Hasura, JWT and webhook exclude each other):
//
//   - JWT (--jwt-secret, Hasura's HASURA_GRAPHQL_JWT_SECRET JSON as is):
//     type+key or jwk_url, claims_namespace / claims_namespace_path,
//     claims_format, claims_map, audience, issuer, allowed_skew, header.
//   - Auth webhook (--auth-hook): GET with the forwarded headers or POST
//     with {"headers": {...}}, plus a shared secret header; 200 with
//     X-Hasura-* values, 401 to refuse; answers cached per
//     Cache-Control/Expires; down or slow is Unavailable within
//     --auth-hook-timeout.
//   - Neither: only trusted sessions and the unauthorized role.
//
// In every mode a caller with the trusted-session grant may state the
// session itself, and a request without a token gets --unauthorized-role
// if set.
//
// # JWT library
//
// Tokens are verified with github.com/lestrrat-go/jwx/v3: maintained,
// complete (HS, RS, PS, ES, EdDSA; JWK sets; PEM and certificates),
// already in Warden's module graph through OPA, so it adds no new code to
// the binary. This package writes no cryptography. It does, explicitly,
// what a JWT library leaves to its user:
//
//   - the algorithm is pinned: with a static key, the token's alg must be
//     the configured type (an HS256 token against an RSA public key is
//     refused before its signature is looked at); with jwk_url, only
//     asymmetric algorithms are accepted and the key must match the
//     token's alg by kty (and by alg and use when the key states them);
//   - alg "none", JWE, the JSON serialisations and nested tokens are
//     refused;
//   - exp, nbf and iat are checked with allowed_skew; audience (any of
//     the configured ones) and issuer when configured.
//
// The JWKS is fetched by this package so its cache follows Hasura:
// refreshed when Cache-Control max-age (else Expires, else
// --jwks-default-ttl) runs out, early on an unknown kid, never more than
// once per --jwks-min-refresh-interval, keeping the previous keys when a
// refresh fails.
//
// # Session values
//
// Names are lower-cased. Values are text. JSON numbers and booleans in
// claims or webhook answers become their JSON text, and arrays of those
// become Postgres array literals ({1,2}, with quoting where needed), the
// form Hasura rules read. (Hasura v2 itself refuses non-string values;
// accepting them is a Warden extension.) Values are never interpreted
// here: a value that looks like SQL is carried as data, and reaches SQL
// only as a bind parameter.
package session
