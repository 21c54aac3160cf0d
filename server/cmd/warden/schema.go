package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/wardenpdp/warden/policy/examples"
	"github.com/wardenpdp/warden/policy/introspect"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

func (a *app) schema(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "pull" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(a.stdout, "usage: warden schema pull --database-url URL [--policy DIR] [--out FILE]")
			return nil
		}
		return usageError{fmt.Errorf("usage: warden schema pull --database-url URL [--policy DIR] [--out FILE]")}
	}
	var policy, url, out string
	fs := a.flagSet("schema pull", "--database-url URL [DIR | --policy DIR] [--out FILE]",
		"Reads the tables the policy's metadata names (tracked tables, relationship\n"+
			"targets, _exists tables, and the tables their foreign keys reference)\n"+
			"and the functions its computed fields call from a live database and\n"+
			"writes the schema file: columns with types and nullability, primary keys,\n"+
			"foreign keys, functions' results. A table or function the database lacks\n"+
			"is left out with a warning. URL: postgres://..., mysql://\n"+
			"user:pass@host:port/db, or a SQLite file (sqlite://PATH or PATH).")
	fs.StringVar(&policy, "policy", "", "the policy `directory` whose metadata names the tables (default: the embedded example)")
	fs.StringVar(&url, "database-url", "", "the database `URL`")
	fs.StringVar(&out, "out", "", "write to this `file` (default: stdout)")
	if err := a.parse(fs, args[1:]); err != nil {
		return err
	}
	if url == "" {
		return usageError{fmt.Errorf("--database-url is required")}
	}
	var names []string
	tables, functions, err := tracked(ctx, policy)
	if err != nil {
		if policy == "" {
			policy = embeddedSource
		}
		return fmt.Errorf("policy %s: %w", policy, err)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	db, dialect, err := introspect.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer db.Close()
	withRefs, err := introspect.WithReferenced(ctx, db, dialect, tables)
	if err != nil {
		return err
	}
	pulled, missing, err := introspect.Tables(ctx, db, dialect, withRefs)
	if err != nil {
		return err
	}
	fns, fnWarnings, err := introspect.Functions(ctx, db, dialect, functions)
	if err != nil {
		return err
	}
	for _, t := range pulled {
		names = append(names, t.Name.String())
	}
	w := a.stdout
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	header := fmt.Sprintf("Warden schema file, pulled from %s by 'warden schema pull' on %s.\nTables: %v", dialect, time.Now().UTC().Format(time.RFC3339), names)
	if err := introspect.WriteSchema(w, pulled, fns, header); err != nil {
		return err
	}
	for _, m := range missing {
		fmt.Fprintf(a.stderr, "warning: table %s: not in the database: not written (the metadata's objects on it will be inconsistent)\n", m)
	}
	for _, w := range append(fnWarnings, introspect.Warnings(pulled)...) {
		fmt.Fprintf(a.stderr, "warning: %s\n", w)
	}
	if out != "" {
		fmt.Fprintf(a.stderr, "wrote %d tables and %d functions to %s\n", len(pulled), len(fns), out)
	}
	return nil
}

// tracked lists the tables the policy's metadata names and the functions
// its computed fields call.
func tracked(ctx context.Context, dir string) (tables, functions []model.TableName, err error) {
	if dir == "" {
		return load.TrackedFS(ctx, examples.Blog())
	}
	return load.TrackedFS(ctx, os.DirFS(dir))
}
