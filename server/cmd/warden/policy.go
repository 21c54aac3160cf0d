package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
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
// --policy, --schema, --max-rule-depth, --max-rule-nodes, --evaluator,
// --strict, --allow-no-roles and --default-naming-convention, as serve has
// them (serve binds them through Config.RegisterFlags). Every command that
// loads a policy set binds them, so that it loads exactly what serve loads.
func registerLoadFlags(fs *flag.FlagSet, cfg *server.Config) {
	server.RegisterPolicyFlags(fs, &cfg.Policy, &cfg.Schema)
	server.RegisterRuleLimitFlags(fs, &cfg.MaxRuleDepth, &cfg.MaxRuleNodes)
	server.RegisterEvaluatorFlag(fs, &cfg.Evaluator)
	server.RegisterConsistencyFlags(fs, &cfg.StrictPolicy, &cfg.AllowNoRoles)
	server.RegisterNamingConventionFlag(fs, &cfg.DefaultNamingConvention)
}

// loadPolicy loads the policy set in cfg.Policy, or the embedded example
// when it is empty, with cfg's schema file and rule limits. The limits are
// part of cfg so that no command can load without them; a cfg that does not
// come from server.DefaultConfig (zero limits) is refused.
func loadPolicy(ctx context.Context, cfg server.Config) (*model.Policy, error) {
	if cfg.MaxRuleDepth < 1 {
		return nil, usageError{fmt.Errorf("--max-rule-depth %d: want at least 1", cfg.MaxRuleDepth)}
	}
	if err := server.ValidateNamingConvention(cfg.DefaultNamingConvention); err != nil {
		return nil, usageError{err}
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
	ev, err := evaluatorOf(cfg)
	if err != nil {
		return nil, err
	}
	p, err := loadPolicy(ctx, cfg)
	if err != nil {
		return nil, policyError(cfg.Policy, err, report)
	}
	if len(p.Roles) == 0 && !cfg.AllowNoRoles {
		return nil, fmt.Errorf("policy %s: no role has a permission on any table (%d tables, %d inconsistent objects): it would deny every request but admin's; is this the right metadata? (--allow-no-roles accepts it)%s",
			p.Source, len(p.Tables), len(p.Inconsistent), leftOut(p))
	}
	// Built for its evaluator: with opa every rule's query is kept
	// prepared, as the rows need them.
	set, err := engine.New(ctx, p, engine.ForEvaluator(ev))
	if err != nil {
		return nil, policyError(cfg.Policy, err, report)
	}
	return set, nil
}

// maxLeftOut is how many inconsistent objects a refusal names.
const maxLeftOut = 3

// leftOut names, for a refusal of a policy set in which no role has a
// permission, the objects left out as inconsistent with their first
// reason: a set whose only permissions are on a table Warden cannot
// decide (a source of another kind, a table the schema lacks) is refused
// for that, and the refusal says so.
func leftOut(p *model.Policy) string {
	if len(p.Inconsistent) == 0 {
		return ""
	}
	var named []string
	for _, i := range p.Inconsistent[:min(len(p.Inconsistent), maxLeftOut)] {
		if len(i.Reasons) > 0 {
			named = append(named, fmt.Sprintf("%s (%s)", i, i.Reasons[0]))
		} else {
			named = append(named, i.String())
		}
	}
	if n := len(p.Inconsistent) - maxLeftOut; n > 0 {
		named = append(named, fmt.Sprintf("and %d more ('warden validate --allow-no-roles' lists them all)", n))
	}
	return ". Left out as inconsistent, which may be why: " + strings.Join(named, "; ")
}

// evaluatorOf is the evaluator --evaluator names (native when unset).
func evaluatorOf(cfg server.Config) (engine.Evaluator, error) {
	if cfg.Evaluator == "" {
		return engine.EvaluatorNative, nil
	}
	ev, err := engine.ParseEvaluator(cfg.Evaluator)
	if err != nil {
		return ev, usageError{fmt.Errorf("--evaluator: %w", err)}
	}
	return ev, nil
}

// printInconsistent writes the objects left out as inconsistent, each with
// its reasons, and the notes on what the metadata holds that Warden does not
// read.
func printInconsistent(w io.Writer, p *model.Policy) {
	if len(p.Inconsistent) > 0 {
		fmt.Fprintf(w, "%d inconsistent object(s), left out (requests that need one answer FAILED_PRECONDITION; --strict refuses the set):\n", len(p.Inconsistent))
		for _, i := range p.Inconsistent {
			fmt.Fprintf(w, "  %s (%s)\n", i, i.Source)
			for _, r := range i.Reasons {
				fmt.Fprintf(w, "    %s\n", r)
			}
		}
	}
	for _, n := range p.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// logInconsistent logs the objects left out as inconsistent and the notes.
func logInconsistent(log *slog.Logger, p *model.Policy) {
	for _, i := range p.Inconsistent {
		log.Warn("inconsistent object left out of the policy set",
			slog.String("object", i.String()), slog.String("source", i.Source.String()),
			slog.Any("reasons", i.Reasons))
	}
	for _, n := range p.Notes {
		log.Info("metadata not read", slog.String("note", n))
	}
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
		return invalidPolicyError{fmt.Sprintf("policy %s is invalid: %d problem(s)", dir, len(ve.Problems)), ve}
	}
	return fmt.Errorf("policy %s: %w", dir, err)
}

// invalidPolicyError is a policy set refused for its content: a one-line
// message (report has had the problems) that unwraps to the problems, for
// the server to report a failed reload with.
type invalidPolicyError struct {
	msg string
	ve  *load.ValidationError
}

func (e invalidPolicyError) Error() string { return e.msg }
func (e invalidPolicyError) Unwrap() error { return e.ve }

// printProblems writes every problem, one per line: "file:line: path:
// message" (load.Problem.String), the form editors and CI annotations jump to.
func printProblems(w io.Writer) func([]load.Problem) {
	return func(ps []load.Problem) {
		for _, p := range ps {
			fmt.Fprintln(w, p.String())
		}
	}
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
			fmt.Fprintln(w, p.String())
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
