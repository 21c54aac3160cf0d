package server

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
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

// callLogOptions are the logging interceptor's options for every call.
// The levels and codes are stated (they are the library's defaults) because
// unaryCallLog decides with the same two functions whether a line will be
// written.
func callLogOptions() []logging.Option {
	return []logging.Option{
		logging.WithLogOnEvents(logging.FinishCall),
		logging.WithErrorFields(errorLogFields),
		logging.WithLevels(logging.DefaultServerCodeToLevel),
		logging.WithCodes(logging.DefaultErrorToCode),
		logging.WithFieldsFromContext(replayedCallFields),
	}
}

// unaryCallLog is the logging interceptor, paid for only by the calls
// whose line is written. The library's interceptor builds a call's fields
// (method, peer address, start time, deadline, duration, code) before it
// knows whether the logger will take the line: about 6% of the server's
// CPU under load, for nothing when the server logs at warn or error (an OK
// call logs at info).
//
// So when l does not write info, the call runs with only an empty field
// holder in its context (logging.AddFields works as ever), and when its
// code's level is one l writes, its outcome is replayed through the
// library's interceptor, which builds and writes the line as it always
// does: the same fields, with the call's own start time and duration
// (replayedCallFields) in place of the replay's. When l writes info,
// every call goes through the library's interceptor as it is.
func unaryCallLog(l *slog.Logger) grpc.UnaryServerInterceptor {
	lib := logging.UnaryServerInterceptor(slogAdapter(l), callLogOptions()...)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if l.Enabled(ctx, slog.LevelInfo) {
			return lib(ctx, req, info, handler)
		}
		start := time.Now()
		ctx = logging.InjectFields(ctx, logging.Fields{})
		resp, err := handler(ctx, req)
		if !l.Enabled(ctx, slog.Level(logging.DefaultServerCodeToLevel(logging.DefaultErrorToCode(err)))) {
			return resp, err
		}
		replay := context.WithValue(ctx, replayedCallKey{}, replayedCall{start: start, took: time.Since(start)})
		return lib(replay, req, info, func(context.Context, any) (any, error) { return resp, err })
	}
}

type replayedCallKey struct{}

// replayedCall is when a call replayed by unaryCallLog started and how
// long it took.
type replayedCall struct {
	start time.Time
	took  time.Duration
}

// replayedCallFields are a replayed call's own start time and duration,
// in the library's format; they win over the replay's (nil for a call the
// library's interceptor ran itself).
func replayedCallFields(ctx context.Context) logging.Fields {
	c, ok := ctx.Value(replayedCallKey{}).(replayedCall)
	if !ok {
		return nil
	}
	return append(logging.Fields{"grpc.start_time", c.start.Format(time.RFC3339)}, logging.DurationToTimeMillisFields(c.took)...)
}
