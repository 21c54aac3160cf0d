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
			"from a live database and writes the schema file: columns with types and\n"+
			"nullability, primary keys, foreign keys. URL: postgres://..., mysql://\n"+
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
	tables, err := trackedTables(ctx, policy)
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
	pulled, err := introspect.Tables(ctx, db, dialect, withRefs)
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
	if err := introspect.WriteSchema(w, pulled, header); err != nil {
		return err
	}
	for _, w := range introspect.Warnings(pulled) {
		fmt.Fprintf(a.stderr, "warning: %s\n", w)
	}
	if out != "" {
		fmt.Fprintf(a.stderr, "wrote %d tables to %s\n", len(pulled), out)
	}
	return nil
}

// trackedTables lists the tables the policy's metadata names.
func trackedTables(ctx context.Context, dir string) ([]model.TableName, error) {
	if dir == "" {
		return load.TrackedTablesFS(ctx, examples.Blog())
	}
	return load.TrackedTables(ctx, dir)
}
