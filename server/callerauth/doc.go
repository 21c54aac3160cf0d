// Package callerauth authenticates and authorizes the services that call
// Warden (the callers), as opposed to the end users they act for (see
// package session).
//
// # Credentials on the wire
//
//   - API key: gRPC metadata "x-warden-api-key: <key>" (the same header over
//     HTTP). Only the SHA-256 of each key is configured (HashKey,
//     GenerateKey); keys are compared in constant time and never logged.
//   - Client certificate (mTLS): a certificate verified against the client
//     CA and mapped to a caller by URI SAN (SPIFFE ID), DNS SAN or subject
//     CN (Entry.Certificate).
//
// The "authorization" metadata is deliberately not used for callers: it
// carries the end user's token ("Bearer <jwt>"), as in Hasura, and one
// header meaning two things invites confusion about which was checked.
// When a key is sent it decides, even if a certificate is presented too;
// a wrong key is never rescued by a certificate.
//
// # Levels and grants
//
// An admin-level caller may do everything: the admin service, metrics,
// stating any session, posing as any role including admin, backend-only
// permissions. A user-level caller may do what its grants say: check,
// filter, metrics, trusted-session (state session variables directly
// instead of forwarding an end-user token).
//
// # Statuses
//
// No credentials, or credentials that match no caller: Unauthenticated
// (reasons MISSING_CALLER_CREDENTIALS, INVALID_CALLER_CREDENTIALS). A
// caller outside its grants: PermissionDenied (CALLER_NOT_PERMITTED). An
// empty token bucket: ResourceExhausted (RATE_LIMITED) with RetryInfo.
// grpc.health.v1 stays open; server reflection needs a caller; a method
// missing from the MethodTable needs an admin.
//
// # Server TLS
//
// CertReloader serves a certificate from files and picks up renewed files
// (and a rotated client CA) without a restart.
package callerauth
