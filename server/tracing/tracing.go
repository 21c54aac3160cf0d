// Package tracing holds Warden's OpenTelemetry tracing: off by default and
// then free (Start returns the context it was given and a span that
// records nothing, without allocating), on when the standard OTEL_*
// variables ask for an exporter.
package tracing

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
)

var (
	enabled atomic.Bool
	tracer  atomic.Pointer[trace.Tracer]
	noop    = trace.SpanFromContext(context.Background())
)

// Enabled reports whether spans are recorded.
func Enabled() bool { return enabled.Load() }

// Start starts a child span of ctx's span when tracing is on; when it is
// off it returns ctx and a span that records nothing, at no cost.
func Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if !enabled.Load() {
		return ctx, noop
	}
	return (*tracer.Load()).Start(ctx, name, opts...)
}

// Wanted reports whether the environment asks for traces: an OTLP
// endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
// or OTEL_TRACES_EXPORTER=otlp, unless OTEL_SDK_DISABLED=true or
// OTEL_TRACES_EXPORTER=none.
func Wanted(getenv func(string) string) (bool, error) {
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return false, nil
	}
	switch exp := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))); exp {
	case "none":
		return false, nil
	case "otlp":
		return true, nil
	case "":
	default:
		return false, fmt.Errorf("OTEL_TRACES_EXPORTER=%s: Warden exports traces over OTLP only (otlp or none)", exp)
	}
	if p := strings.ToLower(getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") + getenv("OTEL_EXPORTER_OTLP_PROTOCOL")); p != "" && !strings.HasPrefix(p, "grpc") {
		return false, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%s: Warden exports OTLP over gRPC only", p)
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "", nil
}

// Resource describes this process: service.name warden unless
// OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say otherwise, and its
// version.
func Resource(version string) *resource.Resource {
	res, err := resource.Merge(
		resource.NewSchemaless(semconv.ServiceName("warden"), semconv.ServiceVersion(version)),
		resource.Environment(), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
	)
	if err != nil {
		return resource.NewSchemaless(semconv.ServiceName("warden"), semconv.ServiceVersion(version))
	}
	return res
}

// Setup turns tracing on when the environment asks for it (Wanted): an
// OTLP/gRPC exporter configured by the OTEL_EXPORTER_OTLP_* variables, a
// batch span processor, the sampler of OTEL_TRACES_SAMPLER (parent-based,
// always on by default), and the W3C trace-context and baggage
// propagators. It returns a shutdown that flushes the spans, and whether
// tracing is on.
func Setup(ctx context.Context, version string, getenv func(string) string) (shutdown func(context.Context) error, on bool, err error) {
	on, err = Wanted(getenv)
	if err != nil || !on {
		return func(context.Context) error { return nil }, false, err
	}
	exp, err := otlptracegrpc.New(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(Resource(version)))
	Use(tp)
	return func(ctx context.Context) error {
		enabled.Store(false)
		return tp.Shutdown(ctx)
	}, true, nil
}

// Use turns tracing on with tp (Setup's provider, or a test's).
func Use(tp trace.TracerProvider) {
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	t := tp.Tracer("github.com/wardenpdp/warden")
	tracer.Store(&t)
	enabled.Store(true)
}

// Off turns tracing off (tests).
func Off() { enabled.Store(false) }
