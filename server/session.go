package server

import (
	"context"
	"errors"
	"log/slog"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	otelcodes "go.opentelemetry.io/otel/codes"

	"github.com/wardenpdp/warden/policy/engine"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server/callerauth"
	"github.com/wardenpdp/warden/server/session"
	"github.com/wardenpdp/warden/server/tracing"
)

// resolveSession returns the session a call decides for, as Hasura would
// resolve it: from the end user's token (JWT or auth webhook) in the
// call's metadata, or the session a trusted caller states in principal,
// or the unauthorized role (see session.Resolver.Resolve). The caller is
// the one the authentication interceptor put in ctx.
//
// Its error is returned to the caller unchanged: a status with an
// ErrorInfo reason (UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT,
// UNAVAILABLE, DEADLINE_EXCEEDED). Its cause, when it has one (why the
// webhook or the JWKS endpoint failed), goes to the call's log line only.
func (s *Server) resolveSession(ctx context.Context, principal *wardenv1.Principal) (engine.Session, error) {
	ctx, span := tracing.Start(ctx, "warden.session")
	defer span.End()
	sess, err := s.resolver.Resolve(ctx, session.RequestFromContext(ctx, principal))
	if err != nil {
		var e *callerauth.Error
		if errors.As(err, &e) && e.Cause != nil {
			logging.AddFields(ctx, logging.Fields{"warden.session_error", e.Cause.Error()})
		}
		span.SetStatus(otelcodes.Error, "session refused")
		return engine.Session{}, err
	}
	if s.logsOK(ctx) {
		logging.AddFields(ctx, logging.Fields{"warden.role", sess.Role})
	}
	return sess, nil
}

// logsOK says whether the call's log line is written when the call
// succeeds: the logging interceptor logs an OK call at info. The fields a
// handler adds for that line (logging.AddFields copies them, a few
// allocations each) are built only then; a call that fails after its
// session was resolved gets the role from failFor, whatever the level.
func (s *Server) logsOK(ctx context.Context) bool {
	return s.log.Enabled(ctx, slog.LevelInfo)
}

// failFor is fail for a call whose session is resolved: its log line
// names the role even when a successful call's line is not written (and
// resolveSession did not add it).
func (s *Server) failFor(ctx context.Context, sess engine.Session, err error) error {
	if !s.logsOK(ctx) {
		logging.AddFields(ctx, logging.Fields{"warden.role", sess.Role})
	}
	return s.fail(ctx, err)
}
