package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
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
	var policy, out string
	var urls databaseURLs
	fs := a.flagSet("schema pull", "--database-url [SOURCE=]URL ... [DIR | --policy DIR] [--out FILE]",
		"Reads the tables the policy's metadata names (tracked tables, relationship\n"+
			"targets, _exists tables, and the tables their foreign keys reference)\n"+
			"and the functions its computed fields call or it tracks from each source's live\n"+
			"database and writes the schema file: columns with types and nullability,\n"+
			"primary keys, foreign keys, functions' results. A table or function the\n"+
			"database lacks is left out with a warning. --database-url URL serves\n"+
			"every source; SOURCE=URL (repeatable) one source of databases.yaml.\n"+
			"Sources of a kind Warden does not decide (mssql, bigquery, ...) are not\n"+
			"pulled. URL: postgres://..., mysql://user:pass@host:port/db, or a SQLite\n"+
			"file (sqlite://PATH or PATH).")
	fs.StringVar(&policy, "policy", "", "the policy `directory` whose metadata names the tables (default: the embedded example)")
	fs.Var(&urls, "database-url", "the database `URL` of every source, or SOURCE=URL for one source (repeatable)")
	fs.StringVar(&out, "out", "", "write to this `file` (default: stdout)")
	if err := a.parse(fs, args[1:]); err != nil {
		return err
	}
	if len(urls.bySource) == 0 && urls.all == "" {
		return usageError{fmt.Errorf("--database-url is required")}
	}
	sources, err := trackedSources(ctx, policy)
	if err != nil {
		if policy == "" {
			policy = embeddedSource
		}
		return fmt.Errorf("policy %s: %w", policy, err)
	}
	known := map[string]bool{}
	for _, src := range sources {
		known[src.Name] = true
	}
	for name := range urls.bySource {
		if !known[name] {
			return usageError{fmt.Errorf("--database-url %s=...: the metadata has no source %s", name, name)}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var pulled []introspect.Table
	var fns []introspect.Function
	var warnings, dialects []string
	// The sources each table was pulled from: a name read from several is
	// written once per source (source: in the schema file).
	from := map[model.TableName][]string{}
	for _, src := range sources {
		url := urls.bySource[src.Name]
		if url == "" {
			url = urls.all
		}
		switch {
		case !src.Decidable:
			warnings = append(warnings, fmt.Sprintf("source %s: kind %s, which Warden does not decide: not pulled (its tables load as inconsistent)", src.Name, src.Kind))
			continue
		case url == "" && len(src.Tables) == 0 && len(src.Functions) == 0:
			warnings = append(warnings, fmt.Sprintf("source %s: tracks no table or function: not pulled", src.Name))
			continue
		case url == "":
			return usageError{fmt.Errorf("source %s has no --database-url (give %s=URL, or one URL for every source)", src.Name, src.Name)}
		}
		t, f, w, dialect, err := pullSource(ctx, url, src)
		if err != nil {
			if len(sources) > 1 {
				return fmt.Errorf("source %s: %w", src.Name, err)
			}
			return err
		}
		dialects = append(dialects, fmt.Sprintf("%s (%s)", src.Name, dialect))
		warnings = append(warnings, w...)
		for _, tb := range t {
			from[tb.Name] = append(from[tb.Name], src.Name)
			tb.Name.Source = src.Name
			pulled = append(pulled, tb)
		}
		fns = append(fns, f...)
	}
	keep := keepSources(pulled, from)
	for i := range pulled {
		if !keep[pulled[i].Name] {
			pulled[i].Name.Source = ""
		}
	}
	sort.Slice(pulled, func(i, j int) bool { return pulled[i].Name.Less(pulled[j].Name) })
	var names []string
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
	header := fmt.Sprintf("Warden schema file, pulled from %s by 'warden schema pull' on %s.\nTables: %v", strings.Join(dialects, ", "), time.Now().UTC().Format(time.RFC3339), names)
	if err := introspect.WriteSchema(w, pulled, fns, header); err != nil {
		return err
	}
	for _, w := range append(warnings, introspect.Warnings(pulled)...) {
		fmt.Fprintf(a.stderr, "warning: %s\n", w)
	}
	if out != "" {
		fmt.Fprintf(a.stderr, "wrote %d tables and %d functions to %s\n", len(pulled), len(fns), out)
	}
	return nil
}

// keepSources says which pulled tables (named with their source) keep
// their source in the schema file: a name pulled from several sources, and
// a table whose foreign key references one that keeps its source (so, in
// turn, every table that reaches such a name through foreign keys). The
// loader resolves a sourced table's foreign keys in its own source; an
// unsourced table's reference to a sourced name would be ambiguous.
func keepSources(pulled []introspect.Table, from map[model.TableName][]string) map[model.TableName]bool {
	keep := map[model.TableName]bool{}
	for _, t := range pulled {
		if len(from[t.Name.Unqualified()]) > 1 {
			keep[t.Name] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for _, t := range pulled {
			if keep[t.Name] {
				continue
			}
			for _, fk := range t.ForeignKeys {
				ref := fk.RefTable.Unqualified()
				ref.Source = t.Name.Source
				if keep[ref] {
					keep[t.Name], changed = true, true
					break
				}
			}
		}
	}
	return keep
}

// pullSource reads one source's tables (with the tables their foreign keys
// reference) and functions from its database.
func pullSource(ctx context.Context, url string, src load.TrackedSource) ([]introspect.Table, []introspect.Function, []string, introspect.Dialect, error) {
	db, dialect, err := introspect.Connect(ctx, url)
	if err != nil {
		return nil, nil, nil, "", err
	}
	defer db.Close()
	withRefs, err := introspect.WithReferenced(ctx, db, dialect, src.Tables)
	if err != nil {
		return nil, nil, nil, "", err
	}
	pulled, missing, err := introspect.Tables(ctx, db, dialect, withRefs)
	if err != nil {
		return nil, nil, nil, "", err
	}
	fns, warnings, err := introspect.Functions(ctx, db, dialect, src.Functions)
	if err != nil {
		return nil, nil, nil, "", err
	}
	for _, m := range missing {
		warnings = append(warnings, fmt.Sprintf("table %s: not in the database of source %s: not written (the metadata's objects on it will be inconsistent)", m, src.Name))
	}
	return pulled, fns, warnings, dialect, nil
}

// databaseURLs is --database-url: URL for every source, or SOURCE=URL for
// one (repeatable).
type databaseURLs struct {
	all      string
	bySource map[string]string
}

func (u *databaseURLs) String() string { return "" }

// Set takes "URL" or "SOURCE=URL": a source name before "=" holds no ':'
// or '/', which every URL scheme and path has before its first '='.
func (u *databaseURLs) Set(v string) error {
	if name, url, ok := strings.Cut(v, "="); ok && name != "" && !strings.ContainsAny(name, ":/") {
		if u.bySource == nil {
			u.bySource = map[string]string{}
		}
		if _, dup := u.bySource[name]; dup {
			return fmt.Errorf("source %s is given twice", name)
		}
		u.bySource[name] = url
		return nil
	}
	if u.all != "" {
		return fmt.Errorf("two URLs for every source: give SOURCE=URL for each")
	}
	u.all = v
	return nil
}

// trackedSources lists the metadata's sources with what each names.
func trackedSources(ctx context.Context, dir string) ([]load.TrackedSource, error) {
	if dir == "" {
		return load.TrackedSourcesFS(ctx, examples.Blog())
	}
	return load.TrackedSourcesFS(ctx, os.DirFS(dir))
}
