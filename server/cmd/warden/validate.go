package main

import (
	"context"
	"fmt"

	"github.com/wardenpdp/warden/server"
)

func (a *app) validate(ctx context.Context, args []string) error {
	cfg := server.DefaultConfig()
	fs := a.flagSet("validate", "[--policy DIR] [--schema FILE]",
		"Loads the policy set, compiles it and prepares its queries as serve would,\n"+
			"and prints every problem as \"file: path: message\". Exits non-zero when\n"+
			"there is one.")
	server.RegisterPolicyFlags(fs, &cfg.Policy, &cfg.Schema)
	server.RegisterRuleLimitFlags(fs, &cfg.MaxRuleDepth, &cfg.MaxRuleNodes)
	if err := a.parse(fs, args); err != nil {
		return err
	}
	set, err := loadSet(ctx, cfg.Policy, cfg.Schema, printProblems(a.stdout), cfg.LoadOptions()...)
	if err != nil {
		return err
	}
	p := set.Policy()
	fmt.Fprintf(a.stdout, "ok: %s: %d tables, %d roles, %d Rego modules, revision %s\n",
		p.Source, len(p.Tables), len(p.Roles), len(set.Modules()), set.Revision())
	return nil
}
