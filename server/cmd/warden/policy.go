package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/examples"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/server"
)

// embeddedSource names the example policy set built into the binary.
const embeddedSource = "embedded:example"

// registerLoadFlags binds the flags that decide how a policy set loads:
// --policy, --schema, --max-rule-depth and --max-rule-nodes, as serve has
// them (serve binds them through Config.RegisterFlags). Every command that
// loads a policy set binds them, so that it loads exactly what serve loads.
func registerLoadFlags(fs *flag.FlagSet, cfg *server.Config) {
	server.RegisterPolicyFlags(fs, &cfg.Policy, &cfg.Schema)
	server.RegisterRuleLimitFlags(fs, &cfg.MaxRuleDepth, &cfg.MaxRuleNodes)
}

// loadPolicy loads the policy set in cfg.Policy, or the embedded example
// when it is empty, with cfg's schema file and rule limits. The limits are
// part of cfg so that no command can load without them; a cfg that does not
// come from server.DefaultConfig (zero limits) is refused.
func loadPolicy(ctx context.Context, cfg server.Config) (*model.Policy, error) {
	if cfg.MaxRuleDepth < 1 {
		return nil, usageError{fmt.Errorf("--max-rule-depth %d: want at least 1", cfg.MaxRuleDepth)}
	}
	if cfg.MaxRuleNodes < 1 {
		return nil, usageError{fmt.Errorf("--max-rule-nodes %d: want at least 1", cfg.MaxRuleNodes)}
	}
	opts := cfg.LoadOptions()
	if cfg.Schema != "" {
		opts = append(opts, load.WithSchemaFile(cfg.Schema))
	}
	if cfg.Policy == "" {
		return load.FS(ctx, examples.Blog(), embeddedSource, opts...)
	}
	return load.Dir(ctx, cfg.Policy, opts...)
}

// loadSet loads and compiles a policy set as loadPolicy does. Problems in
// its content are reported through report, every one of them, and
// summarised in the error.
func loadSet(ctx context.Context, cfg server.Config, report func([]load.Problem)) (*engine.Set, error) {
	p, err := loadPolicy(ctx, cfg)
	if err != nil {
		return nil, policyError(cfg.Policy, err, report)
	}
	set, err := engine.New(ctx, p)
	if err != nil {
		return nil, policyError(cfg.Policy, err, report)
	}
	return set, nil
}

func policyError(dir string, err error, report func([]load.Problem)) error {
	var ue usageError
	if errors.As(err, &ue) {
		return err
	}
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

// printProblems writes every problem, one per line (problemLine).
func printProblems(w io.Writer) func([]load.Problem) {
	return func(ps []load.Problem) {
		for _, p := range ps {
			fmt.Fprintln(w, problemLine(p))
		}
	}
}

// problemLine is "file:line: path: message", the form editors and CI
// annotations jump to; ":line" is left out when the line is unknown, the
// file or path when there is none.
func problemLine(p load.Problem) string {
	parts := make([]string, 0, 3)
	if f := p.Source.File; f != "" {
		if p.Line > 0 {
			f += ":" + strconv.Itoa(p.Line)
		}
		parts = append(parts, f)
	}
	if p.Source.Path != "" {
		parts = append(parts, p.Source.Path)
	}
	return strings.Join(append(parts, p.Message), ": ")
}

// maxPrintedProblems bounds the problems serve prints on stderr (all of
// them are logged).
const maxPrintedProblems = 50

// serveProblems prints the first maxPrintedProblems problems on w, one per
// line as validate does, with a count of the rest, and logs every one.
func serveProblems(w io.Writer, log *slog.Logger) func([]load.Problem) {
	return func(ps []load.Problem) {
		for i, p := range ps {
			if i == maxPrintedProblems {
				fmt.Fprintf(w, "... and %d more (every problem is logged; 'warden validate' lists them)\n", len(ps)-i)
				break
			}
			fmt.Fprintln(w, problemLine(p))
		}
		logProblems(log)(ps)
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
