package warden

import (
	"errors"
	"fmt"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Sentinels for errors.Is, one per status code Warden answers with.
var (
	// ErrInvalidArgument: a malformed request (Error.Fields says where), or
	// a session value that does not parse for its column.
	ErrInvalidArgument = errors.New("warden: invalid argument")
	// ErrNotFound: an unknown table.
	ErrNotFound = errors.New("warden: not found")
	// ErrFailedPrecondition: the rule reads session variables the session
	// lacks (Error.MissingVariables).
	ErrFailedPrecondition = errors.New("warden: failed precondition")
	// ErrUnauthenticated: no caller credentials, unknown ones, or an end
	// user's token that does not verify.
	ErrUnauthenticated = errors.New("warden: unauthenticated")
	// ErrPermissionDenied: the caller lacks the grant for the call.
	ErrPermissionDenied = errors.New("warden: permission denied")
	// ErrResourceExhausted: too many rows, or the caller's rate limit
	// (Error.RetryDelay).
	ErrResourceExhausted = errors.New("warden: resource exhausted")
	// ErrUnavailable: the server could not be reached, after retries.
	ErrUnavailable = errors.New("warden: unavailable")
	// ErrDeadlineExceeded: the call's deadline passed.
	ErrDeadlineExceeded = errors.New("warden: deadline exceeded")
)

var sentinels = map[codes.Code]error{
	codes.InvalidArgument:    ErrInvalidArgument,
	codes.NotFound:           ErrNotFound,
	codes.FailedPrecondition: ErrFailedPrecondition,
	codes.Unauthenticated:    ErrUnauthenticated,
	codes.PermissionDenied:   ErrPermissionDenied,
	codes.ResourceExhausted:  ErrResourceExhausted,
	codes.Unavailable:        ErrUnavailable,
	codes.DeadlineExceeded:   ErrDeadlineExceeded,
}

// Error is a call that Warden, or the transport, refused. It carries the
// gRPC status; status.Code(err) and status.FromError work on it.
type Error struct {
	Code    codes.Code
	Message string
	// Reason is the ErrorInfo reason, such as MISSING_SESSION_VARIABLES or
	// UNKNOWN_TABLE; Metadata its metadata.
	Reason   string
	Metadata map[string]string
	// Fields are the BadRequest field violations of an InvalidArgument.
	Fields []FieldViolation
	// MissingVariables are the session variables a FailedPrecondition
	// names.
	MissingVariables []string
	// RetryDelay is how long the server asks the caller to wait
	// (RetryInfo), or 0.
	RetryDelay time.Duration

	status *status.Status
}

// FieldViolation is one problem with a request field.
type FieldViolation struct {
	// Field is the path of the field, such as "rows[1].values.author_id".
	Field       string
	Description string
}

func (e *Error) Error() string {
	return fmt.Sprintf("warden: %s: %s", e.Code, e.Message)
}

// Is matches the sentinel of the error's code.
func (e *Error) Is(target error) bool {
	s, ok := sentinels[e.Code]
	return ok && s == target
}

// GRPCStatus returns the status the server sent.
func (e *Error) GRPCStatus() *status.Status { return e.status }

// fromStatus converts a gRPC error to an *Error.
func fromStatus(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("warden: %w", err)
	}
	e := &Error{Code: st.Code(), Message: st.Message(), status: st}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			e.Reason, e.Metadata = d.GetReason(), d.GetMetadata()
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				e.Fields = append(e.Fields, FieldViolation{Field: v.GetField(), Description: v.GetDescription()})
			}
		case *errdetails.PreconditionFailure:
			for _, v := range d.GetViolations() {
				if v.GetType() == "SESSION_VARIABLE" {
					e.MissingVariables = append(e.MissingVariables, v.GetSubject())
				}
			}
		case *errdetails.RetryInfo:
			e.RetryDelay = d.GetRetryDelay().AsDuration()
		}
	}
	return e
}
