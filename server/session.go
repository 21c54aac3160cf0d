package server

import (
	"context"
	"errors"

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
	logging.AddFields(ctx, logging.Fields{"warden.role", sess.Role})
	return sess, nil
}
