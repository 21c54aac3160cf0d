package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/wardenpdp/warden/policy/rls"
	"github.com/wardenpdp/warden/server"
	"github.com/wardenpdp/warden/server/session"
)

func (a *app) rls(ctx context.Context, args []string) error {
	cfg := server.DefaultConfig()
	var out, setting, fnSchema, namespace, claimsPath, backendOnly string
	var roles, schemas listFlag
	var drop, partial bool
	fs := a.flagSet("rls", "[DIR | --policy DIR] [--schema FILE] [--out FILE] [--drop] [flags]",
		"Writes a PostgreSQL script that enforces the policy set's permissions as\n"+
			"row-level security: per table ENABLE and FORCE ROW LEVEL SECURITY, per role\n"+
			"and operation a policy warden_<role>_<operation> (USING for select, update\n"+
			"and delete, WITH CHECK for insert and update) and the table and column\n"+
			"privileges of the permission. The session is read inside the database from\n"+
			"a transaction-local setting holding a json object of session variables\n"+
			"(SET LOCAL request.jwt.claims = '{\"x-hasura-user-id\": \"1\"}'), or from a json\n"+
			"object inside it (--claims-namespace, --claims-path: Hasura's claims in a\n"+
			"token's). Column presets are written by a BEFORE INSERT OR UPDATE trigger;\n"+
			"rules over relationships, _exists and computed fields call SECURITY DEFINER\n"+
			"helpers that read the other tables as Hasura does, whatever the role may\n"+
			"read there (run the script as a superuser or a role WITH BYPASSRLS).\n"+
			"Re-running the script replaces what it created; --drop writes the undo.\n"+
			"Permissions row-level security cannot express as Check decides them are\n"+
			"listed and nothing is written, unless --partial: then they are left out of\n"+
			"the script (denied) and listed on stderr.")
	registerLoadFlags(fs, &cfg)
	fs.StringVar(&out, "out", "", "`file` to write the script to; default standard output")
	fs.BoolVar(&drop, "drop", false, "write the script that undoes the generated one")
	fs.BoolVar(&partial, "partial", false, "write the script even when some permissions are refused, leaving them out (denied)")
	fs.StringVar(&setting, "setting", rls.DefaultSetting, "the transaction-local `setting` holding the session's json object")
	fs.StringVar(&fnSchema, "function-schema", "public", "`schema` of the functions the script creates (warden_session, helpers, preset triggers')")
	fs.StringVar(&namespace, "claims-namespace", "", "the session variables are the json object under this `key` of the setting's (Hasura's https://hasura.io/jwt/claims); default the setting's object itself, as PostgREST")
	fs.StringVar(&claimsPath, "claims-path", "", "the session variables are the json object at this `path` of the setting's, in Hasura's claims_namespace_path syntax ($.hasura.claims)")
	fs.StringVar(&backendOnly, "backend-only-setting", "", "express backend_only permissions: they hold where this transaction-local `setting` is 'true', which only a trusted backend may set (as Hasura's x-hasura-use-backend-only-permissions with the admin secret); default refused")
	fs.Var(&roles, "role", "map a Hasura role to the database role a service uses for it, as `hasura=db` (repeatable); unmapped roles keep their name")
	fs.Var(&schemas, "db-schema", "map a schema of the policy to the database schema holding its tables, as `policy=db` (repeatable)")
	if err := a.parse(fs, args); err != nil {
		return err
	}
	o := rls.Options{Setting: setting, FunctionSchema: fnSchema, Roles: map[string]string{}, Schemas: map[string]string{}, BackendOnlySetting: backendOnly}
	switch {
	case namespace != "" && claimsPath != "":
		return usageError{fmt.Errorf("--claims-namespace and --claims-path both cannot be set")}
	case namespace != "":
		o.ClaimsPath = []string{namespace}
	case claimsPath != "":
		p, err := session.ClaimsPath(claimsPath)
		if err != nil {
			return usageError{fmt.Errorf("--claims-path: %w", err)}
		}
		o.ClaimsPath = p
	}
	for _, pair := range []struct {
		flag string
		list listFlag
		into map[string]string
	}{{"--role", roles, o.Roles}, {"--db-schema", schemas, o.Schemas}} {
		for _, kv := range pair.list {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" || v == "" {
				return usageError{fmt.Errorf("%s %q: want name=name", pair.flag, kv)}
			}
			if _, dup := pair.into[k]; dup {
				return usageError{fmt.Errorf("%s: %s is mapped twice", pair.flag, k)}
			}
			pair.into[k] = v
		}
	}
	set, err := loadSet(ctx, cfg, printProblems(a.stderr))
	if err != nil {
		return err
	}
	s, err := rls.Generate(set, o)
	if err != nil {
		return err
	}
	if !drop {
		// The undo drops whatever any run created: nothing to report.
		for _, n := range s.Notes {
			fmt.Fprintln(a.stderr, "note: "+n)
		}
		for _, e := range s.Refused {
			fmt.Fprintln(a.stderr, "refused: "+e.Error())
		}
	}
	if len(s.Refused) > 0 && !partial && !drop {
		return fmt.Errorf("rls: %d permission(s) cannot be expressed as row-level security with Check's meaning; nothing written (--partial writes the rest, those denied)", len(s.Refused))
	}
	text := s.Apply
	if drop {
		text = s.Drop
	}
	if out == "" {
		_, err := io.WriteString(a.stdout, text)
		return err
	}
	return writeFileAtomic(out, func(f *os.File) error {
		_, err := f.WriteString(text)
		return err
	})
}
