package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wardenpdp/warden/server/callerauth"
)

// keys runs "warden keys generate".
func (a *app) keys(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "generate" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(a.stdout, keysUsage)
			return nil
		}
		fmt.Fprint(a.stderr, keysUsage)
		return usageError{fmt.Errorf("keys: want the subcommand generate")}
	}
	return a.keysGenerate(ctx, args[1:])
}

const keysUsage = `Usage: warden keys generate [--id ID] [--level user|admin] [--grants check,filter,...] [--output text|json|env]

Generates an API key for a caller. Run 'warden keys generate --help' for the flags.
`

func (a *app) keysGenerate(_ context.Context, args []string) error {
	var id, level, grants, output string
	fs := a.flagSet("keys generate", "[--id ID] [--level user|admin] [--grants LIST] [--output text|json|env]",
		"Generates a random API key (256 bits from crypto/rand) and prints it once,\n"+
			"with the caller entry to configure: its id, level, grants and the SHA-256 of\n"+
			"the key. Give the key to the caller, which sends it in the x-warden-api-key\n"+
			"header; put the entry in --api-keys or --api-keys-file. Warden stores only\n"+
			"the hash: a lost key cannot be shown again, only replaced.")
	fs.StringVar(&id, "id", "caller", "the caller's `id`, as logs and rate limits name it")
	fs.StringVar(&level, "level", "user", "`level`: user (only its grants) or admin (everything)")
	fs.StringVar(&grants, "grants", "check", "comma-separated `grants` of a user-level caller: check, filter, metrics, trusted-session")
	fs.StringVar(&output, "output", "text", "`format`: text; json ({\"key\", \"entry\"}); or env (export lines for a shell: WARDEN_KEY, the key, and WARDEN_API_KEYS, a list of the entry, for serve)")
	if err := a.parse(fs, args); err != nil {
		return err
	}
	e := callerauth.Entry{ID: id}
	lv, err := callerauth.ParseLevel(level)
	if err != nil {
		return usageError{fmt.Errorf("--level: %w", err)}
	}
	e.Level = lv
	if lv == callerauth.LevelUser {
		for g := range strings.SplitSeq(grants, ",") {
			if g = strings.TrimSpace(g); g == "" {
				continue
			}
			pg, err := callerauth.ParseGrant(g)
			if err != nil {
				return usageError{fmt.Errorf("--grants: %w", err)}
			}
			e.Grants = append(e.Grants, pg)
		}
	}
	if output != "text" && output != "json" && output != "env" {
		return usageError{fmt.Errorf("--output %q: want text, json or env", output)}
	}
	key, hash, err := callerauth.GenerateKey()
	if err != nil {
		return err
	}
	e.Hash = hash
	if err := callerauth.ValidateEntries([]callerauth.Entry{e}); err != nil {
		return usageError{err}
	}
	entry, err := json.Marshal(e)
	if err != nil {
		return err
	}
	switch output {
	case "env":
		fmt.Fprintf(a.stdout, "export WARDEN_KEY=%s\nexport WARDEN_API_KEYS=%s\n", shellQuote(key), shellQuote("["+string(entry)+"]"))
		return nil
	case "json":
		out, err := json.Marshal(struct {
			Key   string          `json:"key"`
			Entry json.RawMessage `json:"entry"`
		}{key, entry})
		if err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, string(out))
		return nil
	}
	fmt.Fprintf(a.stdout, `key (give it to the caller, which sends it in the %s header;
it is shown only now):
  %s

entry (one item of the JSON list of --api-keys, or of the --api-keys-file list):
  %s
`, callerauth.APIKeyMetadata, key, entry)
	return nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
