package session

import (
	"context"
	"errors"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/wardenpdp/warden/server/callerauth"
)

// Error is the error Resolve returns: a gRPC code, an ErrorInfo reason and
// a message safe to show the caller; it converts itself to a gRPC status.
// Its Cause (a JWKS fetch failure, a webhook's HTTP status) is for the
// server's log only.
type Error = callerauth.Error

// ErrorInfo reasons of session resolution. Every one is in the ErrorInfo of
// the status; the message says the same in words and never echoes a token
// or a key.
const (
	// ReasonMissingCallerCredentials: Resolve was called without a caller
	// (Unauthenticated); the interceptor should have refused the call.
	ReasonMissingCallerCredentials = callerauth.ReasonMissingCallerCredentials
	// ReasonMissingToken: no end-user token and no unauthorized role
	// (Unauthenticated).
	ReasonMissingToken = "MISSING_TOKEN"
	// ReasonTokenMalformed: the authorization header or cookie is not a
	// bearer token, or the token is not a compact JWS (Unauthenticated).
	ReasonTokenMalformed = "TOKEN_MALFORMED"
	// ReasonTokenTooLarge: the token is longer than MaxTokenBytes
	// (Unauthenticated).
	ReasonTokenTooLarge = "TOKEN_TOO_LARGE"
	// ReasonEndUserAuthNotConfigured: a token was sent but neither JWT nor
	// webhook mode is configured (Unauthenticated).
	ReasonEndUserAuthNotConfigured = "END_USER_AUTH_NOT_CONFIGURED"

	ReasonJWTAlgNotAllowed     = "JWT_ALG_NOT_ALLOWED"
	ReasonJWTUnknownKey        = "JWT_UNKNOWN_KEY"
	ReasonJWTInvalidSignature  = "JWT_INVALID_SIGNATURE"
	ReasonJWTExpired           = "JWT_EXPIRED"
	ReasonJWTNotYetValid       = "JWT_NOT_YET_VALID"
	ReasonJWTInvalidAudience   = "JWT_INVALID_AUDIENCE"
	ReasonJWTInvalidIssuer     = "JWT_INVALID_ISSUER"
	ReasonJWTInvalidClaims     = "JWT_INVALID_CLAIMS"
	ReasonJWTMissingRoleClaims = "JWT_MISSING_ROLE_CLAIMS"
	// ReasonJWKSUnavailable: no signing keys could be fetched from jwk_url
	// (Unavailable).
	ReasonJWKSUnavailable = "JWKS_UNAVAILABLE"

	// ReasonWebhookDenied: the auth webhook answered 401 (Unauthenticated)
	// or 403 (PermissionDenied).
	ReasonWebhookDenied = "WEBHOOK_DENIED"
	// ReasonWebhookUnavailable: the webhook could not be reached, timed
	// out, or answered another status (Unavailable).
	ReasonWebhookUnavailable = "WEBHOOK_UNAVAILABLE"
	// ReasonWebhookInvalidResponse: the webhook answered 200 with a body
	// that is not a JSON object of session variables with a role
	// (Unavailable: the webhook is broken, not the user).
	ReasonWebhookInvalidResponse = "WEBHOOK_INVALID_RESPONSE"

	// ReasonRoleNotAllowed: the requested role is not among the token's
	// allowed roles, not the webhook's role, or (without a token) not the
	// unauthorized role (PermissionDenied).
	ReasonRoleNotAllowed = "ROLE_NOT_ALLOWED"
	// ReasonAdminRoleNotAllowed: a caller below admin level stated the
	// admin role (PermissionDenied).
	ReasonAdminRoleNotAllowed = "ADMIN_ROLE_NOT_ALLOWED"
	// ReasonSessionVariablesNotAllowed: a caller without the
	// trusted-session grant stated x-hasura-* variables (PermissionDenied).
	ReasonSessionVariablesNotAllowed = "SESSION_VARIABLES_NOT_ALLOWED"
	// ReasonBackendOnlyNotAllowed: a caller below admin level asked for
	// backend_only permissions (PermissionDenied).
	ReasonBackendOnlyNotAllowed = "BACKEND_ONLY_NOT_ALLOWED"
	// ReasonAmbiguousSession: a token and stated variables at once
	// (InvalidArgument).
	ReasonAmbiguousSession = "AMBIGUOUS_SESSION"
	// ReasonRoleRequired: stated variables without a role (InvalidArgument).
	ReasonRoleRequired = "ROLE_REQUIRED"
	// ReasonInvalidSessionVariables: stated variables that are not
	// x-hasura-*, duplicated by case, too many or too long
	// (InvalidArgument).
	ReasonInvalidSessionVariables = "INVALID_SESSION_VARIABLES"
)

func newError(code codes.Code, reason, msg string, cause error, kv ...string) *Error {
	e := &Error{Code: code, Reason: reason, Message: msg, Cause: cause}
	if len(kv) > 0 {
		e.Metadata = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			e.Metadata[kv[i]] = kv[i+1]
		}
	}
	return e
}

func unauthenticated(reason, msg string, cause error) *Error {
	return newError(codes.Unauthenticated, reason, msg, cause)
}

func roleNotAllowed(role, msg string) *Error {
	return newError(codes.PermissionDenied, ReasonRoleNotAllowed, msg, nil, "role", role)
}

// ctxError is the status for a call whose context ended while waiting.
// A call past its deadline is DeadlineExceeded even when the context says
// Canceled: grpc-go closes a stream at its deadline by cancelling it, and
// that may come first.
func ctxError(ctx context.Context) *Error {
	if deadline, ok := ctx.Deadline(); errors.Is(ctx.Err(), context.DeadlineExceeded) || (ok && !time.Now().Before(deadline)) {
		return newError(codes.DeadlineExceeded, "DEADLINE_EXCEEDED", "deadline exceeded while resolving the session", ctx.Err())
	}
	return newError(codes.Canceled, "CANCELED", "canceled while resolving the session", ctx.Err())
}
