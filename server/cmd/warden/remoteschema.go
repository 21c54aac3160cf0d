package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/server"
)

// remoteSchema prints the schema a role sees of each remote schema.
func (a *app) remoteSchema(ctx context.Context, args []string) error {
	cfg := server.DefaultConfig()
	var role, name string
	fs := a.flagSet("remote-schema", "[DIR] --role R [--name S]",
		"Prints the part of each remote schema (remote_schemas.yaml) that a role\n"+
			"sees: its permission's schema document, @preset directives included\n"+
			"(Hasura removes those arguments from the role's schema and injects\n"+
			"their values). A role without a permission sees nothing; admin sees the\n"+
			"whole upstream schema, which Warden does not have.")
	registerLoadFlags(fs, &cfg)
	fs.StringVar(&role, "role", "", "the `role` (required)")
	fs.StringVar(&name, "name", "", "only this remote `schema`")
	if err := a.parse(fs, args); err != nil {
		return err
	}
	if role == "" {
		return usageError{fmt.Errorf("--role is required")}
	}
	set, err := loadSet(ctx, cfg, printProblems(a.stderr))
	if err != nil {
		return err
	}
	remotes := set.Policy().GraphQL.RemoteSchemas
	names := make([]string, 0, len(remotes))
	for n := range remotes {
		if name == "" || n == name {
			names = append(names, n)
		}
	}
	if name != "" && len(names) == 0 {
		return usageError{fmt.Errorf("--name %q: the policy set has no such remote schema", name)}
	}
	sort.Strings(names)
	for i, n := range names {
		if i > 0 {
			fmt.Fprintln(a.stdout)
		}
		printRemoteSchema(a.stdout, remotes[n], role)
	}
	return nil
}

func printRemoteSchema(w io.Writer, rs *model.RemoteSchema, role string) {
	rrs := rs.Roles[role]
	switch {
	case role == model.AdminRole:
		fmt.Fprintf(w, "# remote schema %s: admin sees the whole upstream schema (not known to Warden)\n", rs.Name)
		return
	case rs.Customization != nil && rs.Customization.Namespace != "":
		fmt.Fprintf(w, "# remote schema %s: its root fields are under the namespace %s; the schema below is in the remote's own names (customization renames them as Hasura does)\n", rs.Name, rs.Customization.Namespace)
	case rs.Customization != nil:
		fmt.Fprintf(w, "# remote schema %s: the schema below is in the remote's own names (customization renames them as Hasura does)\n", rs.Name)
	}
	if bad := rs.Inconsistent[role]; bad != nil {
		fmt.Fprintf(w, "# remote schema %s: the permission of role %s is inconsistent: %s\n", rs.Name, role, strings.Join(bad.Reasons, "; "))
		return
	}
	if bad := rs.Inconsistent[""]; bad != nil {
		fmt.Fprintf(w, "# remote schema %s is inconsistent: %s\n", rs.Name, strings.Join(bad.Reasons, "; "))
		return
	}
	if rrs == nil {
		fmt.Fprintf(w, "# remote schema %s: role %s has no permission and sees none of it\n", rs.Name, role)
		return
	}
	fmt.Fprintf(w, "# remote schema %s, role %s", rs.Name, role)
	if len(rrs.InheritedFrom) > 0 {
		fmt.Fprintf(w, " (inherited from %s)", strings.Join(rrs.InheritedFrom, ", "))
	}
	fmt.Fprintln(w)
	formatter.NewFormatter(w, formatter.WithIndent("  ")).FormatSchema(rrs.Schema)
}
