package decisionlog

import (
	"context"
	"encoding/json"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"
)

// OTLPSink emits each event as an OpenTelemetry log record through the
// OpenTelemetry Go SDK, exported over OTLP/gRPC as configured by the
// standard OTEL_EXPORTER_OTLP_* (and _LOGS_*) variables. The record's
// body is the event's JSON; its attributes name the decision; its trace
// and span ids are the call's, so a backend links the log to the trace.
type OTLPSink struct {
	provider *sdklog.LoggerProvider
	logger   otellog.Logger
}

// NewOTLPSink starts the exporter (it connects lazily: a collector that
// is down costs retries in the SDK's own bounded batch queue, then drops).
func NewOTLPSink(ctx context.Context, res *resource.Resource, opts ...otlploggrpc.Option) (*OTLPSink, error) {
	exp, err := otlploggrpc.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("OTLP log exporter: %w", err)
	}
	popts := []sdklog.LoggerProviderOption{sdklog.WithProcessor(sdklog.NewBatchProcessor(exp))}
	if res != nil {
		popts = append(popts, sdklog.WithResource(res))
	}
	p := sdklog.NewLoggerProvider(popts...)
	return &OTLPSink{provider: p, logger: p.Logger("warden.decisions")}, nil
}

func (s *OTLPSink) Name() string { return "otlp" }

func (s *OTLPSink) Write(ctx context.Context, batch []*Event) error {
	for _, e := range batch {
		body, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode event %s: %w", e.DecisionID, err)
		}
		var rec otellog.Record
		rec.SetTimestamp(e.Timestamp)
		rec.SetObservedTimestamp(e.Timestamp)
		rec.SetSeverity(otellog.SeverityInfo)
		rec.SetSeverityText("INFO")
		rec.SetEventName("warden.decision")
		rec.SetBody(attribute.StringValue(string(body)))
		rec.AddAttributes(
			attribute.String("warden.decision_id", e.DecisionID),
			attribute.String("warden.revision", e.Revision),
			attribute.String("warden.call", string(e.Call)),
			attribute.String("warden.caller", e.CallerID),
			attribute.String("warden.role", e.Role),
			attribute.String("warden.table", e.Table),
			attribute.String("warden.operation", e.Operation),
			attribute.String("warden.outcome", e.Outcome()),
			attribute.Int64("warden.latency_ns", e.Latency.Nanoseconds()),
		)
		s.logger.Emit(traceContext(ctx, e), rec)
	}
	return nil
}

// traceContext carries the event's trace and span ids for Emit.
func traceContext(ctx context.Context, e *Event) context.Context {
	tid, err := trace.TraceIDFromHex(e.TraceID)
	if err != nil {
		return ctx
	}
	sid, _ := trace.SpanIDFromHex(e.SpanID) // zero when absent
	return trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, Remote: true,
	}))
}

// Close flushes the SDK's batch and shuts the exporter down.
func (s *OTLPSink) Close(ctx context.Context) error { return s.provider.Shutdown(ctx) }
