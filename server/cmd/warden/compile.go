package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/server"
)

func (a *app) compile(ctx context.Context, args []string) error {
	cfg := server.DefaultConfig()
	var out string
	fs := a.flagSet("compile", "[DIR | --policy DIR] [--out DIR] [flags]",
		"Compiles the policy set to Rego (v1) and prints every module, each after a\n"+
			"line \"# <path>\"; with --out writes one .rego file per module at its path.")
	registerLoadFlags(fs, &cfg)
	fs.StringVar(&out, "out", "", "write the modules under this `directory` instead of printing them")
	if err := a.parse(fs, args); err != nil {
		return err
	}
	p, err := loadPolicy(ctx, cfg)
	if err != nil {
		return policyError(cfg.Policy, err, printProblems(a.stderr))
	}
	mods, err := compile.Compile(p)
	if err != nil {
		return policyError(cfg.Policy, err, printProblems(a.stderr))
	}
	printInconsistent(a.stderr, p)
	if out == "" {
		for i, m := range mods {
			if i > 0 {
				fmt.Fprintln(a.stdout)
			}
			fmt.Fprintf(a.stdout, "# %s\n%s", m.Path, m.Source)
			if !strings.HasSuffix(m.Source, "\n") {
				fmt.Fprintln(a.stdout)
			}
		}
		return nil
	}
	for _, m := range mods {
		rel := filepath.FromSlash(m.Path)
		if !filepath.IsLocal(rel) {
			return fmt.Errorf("module path %q is not a relative path", m.Path)
		}
		dst := filepath.Join(out, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, []byte(m.Source), 0o644); err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, dst)
	}
	return nil
}
