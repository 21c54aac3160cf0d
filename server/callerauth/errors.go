package callerauth

import (
	"maps"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"
)

// ErrorDomain is the ErrorInfo domain of every Warden error; it equals
// server.ErrorDomain (this package cannot import server).
const ErrorDomain = "warden.dev"

// ErrorInfo reasons of caller authentication, authorization and limits.
const (
	// ReasonMissingCallerCredentials: no API key and no mapped client
	// certificate (Unauthenticated).
	ReasonMissingCallerCredentials = "MISSING_CALLER_CREDENTIALS"
	// ReasonInvalidCallerCredentials: an API key that matches no configured
	// key, several keys at once, or a client certificate that maps to no
	// caller (Unauthenticated).
	ReasonInvalidCallerCredentials = "INVALID_CALLER_CREDENTIALS"
	// ReasonCallerNotPermitted: an authenticated caller outside its grants
	// (PermissionDenied). Metadata: "caller", "method", "requires".
	ReasonCallerNotPermitted = "CALLER_NOT_PERMITTED"
	// ReasonRateLimited: the caller's token bucket is empty
	// (ResourceExhausted, with RetryInfo).
	ReasonRateLimited = "RATE_LIMITED"
)

// Error is a failure a caller may see: a gRPC code, an ErrorInfo reason and
// a message that is safe to show. It converts itself to a gRPC status
// (GRPCStatus), so returning it from an interceptor or handler gives the
// caller exactly that status.
type Error struct {
	Code     codes.Code
	Reason   string
	Message  string
	Metadata map[string]string
	// RetryDelay, when positive, is sent as errdetails.RetryInfo.
	RetryDelay time.Duration
	// Details are sent after the ErrorInfo (a BadRequest, say).
	Details []protoadapt.MessageV1
	// Cause is the underlying error, for the server's log only: it is in
	// Error() and Unwrap() but never in the status the caller sees.
	Cause error
}

// Error returns the message and, for the log, the cause.
func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Message + ": " + e.Cause.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// GRPCStatus returns the status the caller sees: code, message, ErrorInfo
// and, for rate limits, RetryInfo and QuotaFailure.
func (e *Error) GRPCStatus() *status.Status {
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: e.Reason, Domain: ErrorDomain, Metadata: maps.Clone(e.Metadata)}}
	if e.RetryDelay > 0 {
		details = append(details,
			&errdetails.RetryInfo{RetryDelay: durationpb.New(e.RetryDelay)},
			&errdetails.QuotaFailure{Violations: []*errdetails.QuotaFailure_Violation{{
				Subject:     "caller:" + e.Metadata["caller"],
				Description: "request rate limit of this caller",
			}}})
	}
	details = append(details, e.Details...)
	st := status.New(e.Code, e.Message)
	if withDetails, err := st.WithDetails(details...); err == nil {
		return withDetails
	}
	return st
}

// Is matches another *Error with the same code and reason, so tests and
// callers can write errors.Is(err, &Error{Code: ..., Reason: ...}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Reason == e.Reason
}

func errMissingCredentials() *Error {
	return &Error{Code: codes.Unauthenticated, Reason: ReasonMissingCallerCredentials,
		Message: "caller credentials required: send an API key in the " + APIKeyMetadata + " metadata or connect with a client certificate"}
}

func errInvalidCredentials(msg string) *Error {
	return &Error{Code: codes.Unauthenticated, Reason: ReasonInvalidCallerCredentials, Message: msg}
}

func errNotPermitted(c *Caller, method string, req Requirement) *Error {
	return &Error{Code: codes.PermissionDenied, Reason: ReasonCallerNotPermitted,
		Message:  "caller " + c.ID + " may not call " + method + ": it requires " + req.String(),
		Metadata: map[string]string{"caller": c.ID, "method": method, "requires": req.String()}}
}
