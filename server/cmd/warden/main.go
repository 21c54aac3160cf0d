// Command warden is the Warden policy decision point: it serves a policy set
// of Hasura v2 permissions over gRPC, and checks, compiles and validates
// policy sets offline.
//
//	warden serve    [--dev] [--api-keys JSON] [--jwt-secret JSON] [--policy DIR] ...
//	warden check    [--policy DIR] --role R --session K=V --table T --operation OP --row JSON [--output json]
//	warden filter   [--policy DIR] --role R --session K=V --table T [--operation OP] [--dialect D]
//	warden compile  [--policy DIR] [--out DIR]
//	warden validate [--policy DIR] [--schema FILE] [--dialect D,...] [--rls]
//	warden bundle build --policy DIR --out FILE [--signing-key FILE]
//	warden test     [--policy DIR] [PATH...] [--format human|json|junit|tap] [--run REGEXP] [--coverage]
//	warden rls      [--policy DIR] [--schema FILE] [--out FILE] [--role hasura=db ...] [--drop] [--partial]
//	warden keys generate [--id ID] [--level user|admin] [--grants check,...]
//	warden token    --role R [--var x-hasura-user-id=1 ...] (with WARDEN_JWT_SECRET)
//	warden decisions tail [--addr HOST:PORT] --api-key KEY [--follow]
//
// Every flag can also be set by an environment variable derived from its
// name (--grpc-addr is WARDEN_GRPC_ADDR); flags win. Every command that
// takes --policy DIR also takes the directory as its one argument
// (`warden validate DIR`). Without either the example policy set embedded
// in the binary is used. check, filter, compile
// and validate load the policy set as serve does, with serve's --schema,
// --max-rule-depth and --max-rule-nodes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/wardenpdp/warden/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// run is main without the process: tests call it with their own arguments,
// environment and output, and cancel ctx to stop a server.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	a := &app{getenv: getenv, stdout: stdout, stderr: stderr}
	return a.run(ctx, args)
}

// app is one invocation of the command.
type app struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
	// listening, when set, is called by serve with the bound addresses
	// before it starts serving (tests listen on port 0).
	listening func(grpcAddr, httpAddr net.Addr)
}

type command struct {
	name    string
	summary string
	run     func(a *app, ctx context.Context, args []string) error
}

var commands = []command{
	{"serve", "serve the policy set over gRPC and HTTP/JSON, with metrics and health over HTTP", (*app).serve},
	{"check", "decide on rows offline, exactly as the Check RPC would", (*app).check},
	{"filter", "print the row filter of a role offline, as the Filter RPC would, with SQL", (*app).filter},
	{"graphql", "decide a GraphQL operation offline (actions, functions, remote schemas, allow list), as CheckGraphQL would", (*app).graphql},
	{"remote-schema", "print the part of each remote schema a role sees, @preset directives included", (*app).remoteSchema},
	{"schema", "write the schema file from a live database ('warden schema pull')", (*app).schema},
	{"compile", "print the Rego compiled from the policy set, or write it with --out", (*app).compile},
	{"validate", "load and compile the policy set and list every problem", (*app).validate},
	{"bundle", "write the policy set as one (signed) bundle file for serve --bundle-url", (*app).bundleCmd},
	{"test", "run the permission test suites (tests/*.yaml): decisions and filters on fixture rows", (*app).test},
	{"rls", "write PostgreSQL row-level security enforcing the policy set (--drop: the undo)", (*app).rls},
	{"keys", "generate an API key for a caller ('warden keys generate')", (*app).keys},
	{"token", "sign an end-user JWT with an HS256/384/512 --jwt-secret, for trials and tests", (*app).token},
	{"decisions", "print a running server's recent decisions ('warden decisions tail [--follow]')", (*app).decisions},
}

func (a *app) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		a.usage(a.stderr)
		return usageError{errors.New("no command")}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		a.usage(a.stdout)
		return nil
	case "version", "--version":
		fmt.Fprintln(a.stdout, "warden", version())
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(a, ctx, args[1:])
		}
	}
	a.usage(a.stderr)
	return usageError{fmt.Errorf("unknown command %q", args[0])}
}

func (a *app) usage(w io.Writer) {
	fmt.Fprint(w, `Warden is a policy decision point: Hasura v2 permissions, compiled to Rego,
answered over gRPC.

Usage:
  warden <command> [flags]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `  version       print the version

The policy directory is --policy DIR or the command's one argument
('warden validate DIR'); without either, commands use the example policy set
embedded in the binary.
Every flag can also be set by an environment variable derived from its name
(--grpc-addr is WARDEN_GRPC_ADDR); flags win over the environment.
Run 'warden <command> --help' for the flags of a command.
`)
}

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitCode prints err and returns the process exit status.
func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "warden:", err)
		return 2
	}
	fmt.Fprintln(stderr, "warden:", err)
	return 1
}

// flagSet makes the flag set of a command, with a usage text that names
// every flag's environment variable.
func (a *app) flagSet(name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet("warden "+name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: warden %s %s\n\n%s\n\nFlags:\n", name, synopsis, about)
		fs.VisitAll(func(f *flag.Flag) {
			typ, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(w, "  --%s", f.Name)
			if typ != "" {
				fmt.Fprintf(w, " %s", typ)
			}
			fmt.Fprintf(w, "\n      %s", usage)
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
				fmt.Fprintf(w, " (default %s)", f.DefValue)
			}
			fmt.Fprintf(w, " [$%s]\n", server.EnvName(f.Name))
		})
	}
	return fs
}

// parse parses a command's flags, then fills the flags not given from the
// environment. --help prints the usage to stdout and returns flag.ErrHelp.
func (a *app) parse(fs *flag.FlagSet, args []string) error {
	for _, arg := range args {
		if arg == "--" {
			break
		}
		if arg == "-h" || arg == "-help" || arg == "--help" {
			fs.SetOutput(a.stdout)
			fs.Usage()
			return flag.ErrHelp
		}
	}
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if err := policyArgument(fs, positional); err != nil {
		fs.Usage()
		return usageError{err}
	}
	if err := server.ApplyEnv(fs, a.getenv); err != nil {
		return usageError{err}
	}
	return nil
}

// parseInterspersed parses flags wherever they stand among the positional
// arguments (`warden validate DIR --schema F` as well as `--schema F DIR`)
// and returns the positional arguments in order. After "--" every argument
// is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		consumed := args[:len(args)-fs.NArg()]
		if len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(positional, fs.Args()...), nil
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// policyArgument takes the one positional argument a command may have: the
// policy directory, as `warden validate DIR` for `warden validate --policy
// DIR`, in every command that has --policy. The argument counts as the
// flag given (the environment does not override it); the flag and the
// argument naming two different directories is a usage error.
func policyArgument(fs *flag.FlagSet, positional []string) error {
	if len(positional) == 0 {
		return nil
	}
	f := fs.Lookup("policy")
	if f == nil {
		return fmt.Errorf("unexpected argument %q", positional[0])
	}
	if len(positional) > 1 {
		return fmt.Errorf("unexpected argument %q: give one policy directory", positional[1])
	}
	dir := positional[0]
	given := false
	fs.Visit(func(g *flag.Flag) { given = given || g.Name == "policy" })
	if given && filepath.Clean(f.Value.String()) != filepath.Clean(dir) {
		return fmt.Errorf("two policy directories: --policy %s and the argument %s; give one", f.Value.String(), dir)
	}
	return fs.Set("policy", dir)
}

// version is the module version the binary was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, " ") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}
