package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/examples"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

// embeddedSource names the example policy set built into the binary.
const embeddedSource = "embedded:example"

// loadPolicy loads the policy set in dir, or the embedded example when dir
// is empty.
func loadPolicy(ctx context.Context, dir, schema string, opts ...load.Option) (*model.Policy, error) {
	if schema != "" {
		opts = append(opts, load.WithSchemaFile(schema))
	}
	if dir == "" {
		return load.FS(ctx, examples.Blog(), embeddedSource, opts...)
	}
	return load.Dir(ctx, dir, opts...)
}

// loadSet loads and compiles a policy set. Problems in its content are
// reported through report, every one of them, and summarised in the error.
func loadSet(ctx context.Context, dir, schema string, report func([]load.Problem), opts ...load.Option) (*engine.Set, error) {
	p, err := loadPolicy(ctx, dir, schema, opts...)
	if err != nil {
		return nil, policyError(dir, err, report)
	}
	set, err := engine.New(ctx, p)
	if err != nil {
		return nil, policyError(dir, err, report)
	}
	return set, nil
}

func policyError(dir string, err error, report func([]load.Problem)) error {
	if dir == "" {
		dir = embeddedSource
	}
	var ve *load.ValidationError
	if errors.As(err, &ve) && len(ve.Problems) > 0 {
		report(ve.Problems)
		return fmt.Errorf("policy %s is invalid: %d problem(s)", dir, len(ve.Problems))
	}
	return fmt.Errorf("policy %s: %w", dir, err)
}

// printProblems writes one line per problem: "file: path: message".
func printProblems(w io.Writer) func([]load.Problem) {
	return func(ps []load.Problem) {
		for _, p := range ps {
			fmt.Fprintln(w, p.String())
		}
	}
}

// logProblems logs one error line per problem.
func logProblems(log *slog.Logger) func([]load.Problem) {
	return func(ps []load.Problem) {
		for _, p := range ps {
			log.Error("policy problem",
				slog.String("file", p.Source.File),
				slog.String("path", p.Source.Path),
				slog.Int("line", p.Line),
				slog.String("problem", p.Message))
		}
	}
}
