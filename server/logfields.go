package server

import (
	"context"
	"log/slog"
	"strings"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
)

// The log line of a failed call carries what went wrong, never a value of
// the request: a status message may quote what the caller sent (a session
// variable's value, a row value, a claim, a table name: "\"alice@example.com\"
// is not a valid integer"), and those are the end users' data, which a log
// must not collect. So the line has the code, the ErrorInfo reason and the
// request fields the details name (BadRequest field violations,
// PreconditionFailure subjects: paths and variable names, as the request
// spells them), and not the message. The caller still gets the whole
// status: it sent the value.

// errorLogFields are the log fields of a call's error (logging's
// WithErrorFields): error.reason and error.fields.
func errorLogFields(err error) logging.Fields {
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	var reason string
	var fields []string
	for _, d := range st.Details() {
		switch x := d.(type) {
		case *errdetails.ErrorInfo:
			reason = x.GetReason()
		case *errdetails.BadRequest:
			for _, v := range x.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		case *errdetails.PreconditionFailure:
			for _, v := range x.GetViolations() {
				fields = append(fields, v.GetSubject())
			}
		}
	}
	var f logging.Fields
	if reason != "" {
		f = append(f, "error.reason", reason)
	}
	if len(fields) > 0 {
		f = append(f, "error.fields", strings.Join(fields, ","))
	}
	return f
}

// slogAdapter lets the logging interceptor write to slog, without the
// status message the interceptor adds as grpc.error (see errorLogFields).
func slogAdapter(l *slog.Logger) logging.Logger {
	return logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		for i := 0; i+1 < len(fields); i += 2 {
			if fields[i] == "grpc.error" {
				fields = append(fields[:i:i], fields[i+2:]...)
				break
			}
		}
		l.Log(ctx, slog.Level(lvl), msg, fields...)
	})
}
