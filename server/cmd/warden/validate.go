package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/wardenpdp/warden/policy/rls"
	"github.com/wardenpdp/warden/policy/sqlgen"

	"github.com/wardenpdp/warden/server"
)

func (a *app) validate(ctx context.Context, args []string) error {
	cfg := server.DefaultConfig()
	var dialects string
	var withRLS bool
	fs := a.flagSet("validate", "[DIR | --policy DIR] [--schema FILE] [--dialect postgres,mysql,sqlite] [flags]",
		"Loads the policy set in DIR (or --policy DIR), compiles it and prepares its\n"+
			"queries as serve would, and prints every problem as\n"+
			"\"file:line: path: message\", and every object left out as inconsistent\n"+
			"(as Hasura does; --strict makes them problems). With --dialect it also\n"+
			"lists every rule whose Filter that SQL dialect cannot express, and with\n"+
			"--rls every permission 'warden rls' would refuse. Exits\n"+
			"non-zero when there is a problem or an inconsistent object.")
	registerLoadFlags(fs, &cfg)
	fs.StringVar(&dialects, "dialect", "", "comma-separated SQL `dialects` the filters must render in: postgres, mysql, sqlite")
	fs.BoolVar(&withRLS, "rls", false, "list every permission PostgreSQL row-level security ('warden rls') cannot express as Check decides it")
	if err := a.parse(fs, args); err != nil {
		return err
	}
	var ds []sqlgen.Dialect
	for _, name := range strings.Split(dialects, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		d, err := sqlgen.ParseDialect(name)
		if err != nil {
			return usageError{fmt.Errorf("--dialect: %w", err)}
		}
		ds = append(ds, d)
	}
	set, err := loadSet(ctx, cfg, printProblems(a.stdout))
	if err != nil {
		return err
	}
	p := set.Policy()
	printInconsistent(a.stdout, p)
	problems := 0
	for _, d := range ds {
		for _, e := range sqlgen.Validate(p, d) {
			fmt.Fprintln(a.stdout, e.Error())
			problems++
		}
	}
	if problems > 0 {
		return fmt.Errorf("policy %s: %d rule(s) cannot be rendered in SQL dialect(s) %s", p.Source, problems, dialects)
	}
	if withRLS {
		s, err := rls.Generate(set, rls.Options{})
		if err != nil {
			return fmt.Errorf("rls: %w", err)
		}
		for _, n := range s.Notes {
			fmt.Fprintln(a.stdout, "rls note: "+n)
		}
		for _, e := range s.Refused {
			fmt.Fprintln(a.stdout, "rls: "+e.Error())
		}
		if len(s.Refused) > 0 {
			return fmt.Errorf("policy %s: %d permission(s) cannot be expressed as row-level security ('warden rls --partial' leaves them out, denied)", p.Source, len(s.Refused))
		}
	}
	if len(p.Inconsistent) > 0 {
		// serve would serve the rest; validate is where to find them.
		return fmt.Errorf("policy %s: %d inconsistent object(s), left out when served (--strict refuses them)", p.Source, len(p.Inconsistent))
	}
	fmt.Fprintf(a.stdout, "ok: %s: %d tables, %d roles, %d Rego modules, revision %s\n",
		p.Source, len(p.Tables), len(p.Roles), len(set.Modules()), set.Revision())
	return nil
}
