package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
)

// ErrorDomain is the ErrorInfo domain of every Warden error.
const ErrorDomain = "warden.dev"

// ErrorInfo reasons.
const (
	ReasonUnknownTable            = "UNKNOWN_TABLE"
	ReasonMissingSessionVariables = "MISSING_SESSION_VARIABLES"
	ReasonInvalidValue            = "INVALID_VALUE"
	ReasonUnknownColumns          = "UNKNOWN_COLUMNS"
	ReasonInconsistentObject      = "INCONSISTENT_OBJECT"
	ReasonAmbiguousTable          = "AMBIGUOUS_TABLE"
)

// internalMessage is all a caller learns of an internal error.
const internalMessage = "internal error"

type protoDetail = protoadapt.MessageV1

// StatusFromError maps an error to the gRPC status a caller sees. It is the
// one place that does: the typed errors of the policy engine get their code
// and details, a status error passes through, and anything else is Internal
// with a generic message (see (*Server).fail, which logs the real error).
func StatusFromError(err error) *status.Status {
	if err == nil {
		return status.New(codes.OK, "")
	}
	if st, ok := status.FromError(err); ok {
		return st
	}
	if st := filterStatus(err); st != nil {
		return st
	}
	var (
		unknownTable   *engine.UnknownTableError
		missingVars    *engine.MissingSessionVariablesError
		invalidValues  engine.InvalidValueErrors
		invalidValue   *engine.InvalidValueError
		unknownColumns *engine.UnknownColumnsError
		inconsistent   *engine.InconsistentError
		ambiguous      *engine.AmbiguousTableError
	)
	switch {
	case errors.As(err, &inconsistent):
		obj := inconsistent.Object
		pf := &errdetails.PreconditionFailure{}
		for _, r := range obj.Reasons {
			pf.Violations = append(pf.Violations, &errdetails.PreconditionFailure_Violation{
				Type: "INCONSISTENT_OBJECT", Subject: obj.String(), Description: r,
			})
		}
		return newStatus(codes.FailedPrecondition, inconsistent.Error(),
			errorInfo(ReasonInconsistentObject, "object", obj.String(), "kind", obj.Kind, "source", obj.Source.String()), pf)
	case errors.As(err, &ambiguous):
		return newStatus(codes.InvalidArgument, ambiguous.Error(),
			errorInfo(ReasonAmbiguousTable, "table", ambiguous.Table.String(), "sources", strings.Join(ambiguous.Sources, ",")),
			&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{
				Field:       "table",
				Description: ambiguous.Error(),
			}}})
	case errors.As(err, &unknownTable):
		return newStatus(codes.NotFound, unknownTable.Error(),
			errorInfo(ReasonUnknownTable, "table", unknownTable.Table.String()),
			&errdetails.ResourceInfo{ResourceType: "table", ResourceName: unknownTable.Table.String()})
	case errors.As(err, &missingVars):
		pf := &errdetails.PreconditionFailure{}
		for _, n := range missingVars.Names {
			pf.Violations = append(pf.Violations, &errdetails.PreconditionFailure_Violation{
				Type:        "SESSION_VARIABLE",
				Subject:     n,
				Description: fmt.Sprintf("the rule needs the session variable %s and the request does not state it", n),
			})
		}
		return newStatus(codes.FailedPrecondition, missingVars.Error(),
			errorInfo(ReasonMissingSessionVariables, "variables", strings.Join(missingVars.Names, ",")), pf)
	case errors.As(err, &invalidValues) && len(invalidValues) > 0:
		return invalidValueStatus(invalidValues)
	case errors.As(err, &invalidValue):
		return invalidValueStatus(engine.InvalidValueErrors{invalidValue})
	case errors.As(err, &unknownColumns):
		br := &errdetails.BadRequest{}
		for _, c := range unknownColumns.Columns {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
				Field:       "columns",
				Description: fmt.Sprintf("table %s has no column %q", unknownColumns.Table, c),
			})
		}
		return newStatus(codes.InvalidArgument, unknownColumns.Error(),
			errorInfo(ReasonUnknownColumns, "table", unknownColumns.Table.String(), "columns", strings.Join(unknownColumns.Columns, ",")), br)
	case errors.Is(err, context.DeadlineExceeded):
		return status.New(codes.DeadlineExceeded, "deadline exceeded")
	case errors.Is(err, context.Canceled):
		return status.New(codes.Canceled, "canceled")
	}
	return status.New(codes.Internal, internalMessage)
}

func invalidValueStatus(errs engine.InvalidValueErrors) *status.Status {
	br := &errdetails.BadRequest{}
	for _, e := range errs {
		desc := e.Reason
		if e.Kind != model.KindUnknown {
			desc = fmt.Sprintf("not a valid %s: %s", e.Kind, e.Reason)
		}
		// The engine names the request field: "rows[3].values.author_id".
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: e.Field, Description: desc})
	}
	// In the order of the message: the engine finds them in the order it
	// reads a row's fields, which for a map is a new order every time.
	slices.SortStableFunc(br.FieldViolations, func(x, y *errdetails.BadRequest_FieldViolation) int {
		return cmp.Or(strings.Compare(x.GetField(), y.GetField()), strings.Compare(x.GetDescription(), y.GetDescription()))
	})
	return newStatus(codes.InvalidArgument, errs.Error(), errorInfo(ReasonInvalidValue), br)
}

func errorInfo(reason string, kv ...string) *errdetails.ErrorInfo {
	info := &errdetails.ErrorInfo{Reason: reason, Domain: ErrorDomain}
	if len(kv) > 0 {
		info.Metadata = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			info.Metadata[kv[i]] = kv[i+1]
		}
	}
	return info
}

func newStatus(code codes.Code, msg string, details ...protoDetail) *status.Status {
	st := status.New(code, msg)
	if d, err := st.WithDetails(details...); err == nil {
		return d
	}
	return st
}

// fail converts a handler's error to the status error returned to the
// caller. The cause of an Internal error goes to the log — as a field of
// the call's one log line when the logging interceptor is in the chain —
// and never to the caller.
func (s *Server) fail(ctx context.Context, err error) error {
	st := StatusFromError(err)
	if st.Code() == codes.Internal {
		if logging.ExtractFields(ctx) != nil {
			logging.AddFields(ctx, logging.Fields{"error.cause", err.Error()})
		} else {
			s.log.ErrorContext(ctx, "internal error", slog.String("error.cause", err.Error()))
		}
	}
	return st.Err()
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
