package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/wardenpdp/warden/policy/sqlgen"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
	"github.com/wardenpdp/warden/server"
)

// graphql decides a GraphQL operation offline, as CheckGraphQL would.
func (a *app) graphql(ctx context.Context, args []string) error {
	cfg := server.DefaultConfig()
	var (
		role, query, queryFile, opName, output string
		variables, dialect                     string
		session                                listFlag
		enforce, relay                         bool
	)
	fs := a.flagSet("graphql", "[DIR] --role R (--query Q | --query-file F) [flags]",
		"Decides a GraphQL operation offline, exactly as the CheckGraphQL RPC would:\n"+
			"for each root field whether the role may use it (actions, tracked\n"+
			"functions, remote schemas, introspection, table root fields with each\n"+
			"selection's row filter), the session variables an action handler\n"+
			"receives, the argument presets of a remote schema field, and whether\n"+
			"the document is in the allow list.\n"+
			"--output text prints a summary, proto the CheckGraphQLResponse in\n"+
			"protobuf JSON. A deny is a result (exit status 0); a bad document is 1.")
	registerLoadFlags(fs, &cfg)
	fs.StringVar(&role, "role", "", "the `role` (principal.role); else the session variable x-hasura-role")
	fs.Var(&session, "session", "a session variable as `name=value`, e.g. x-hasura-user-id=1 (repeatable)")
	fs.StringVar(&query, "query", "", "the GraphQL `document`")
	fs.StringVar(&queryFile, "query-file", "", "read the document from this `file` (- for stdin)")
	fs.StringVar(&opName, "operation-name", "", "the operation to decide, when the document holds several")
	fs.StringVar(&variables, "variables", "", "the request's variables as a JSON `object`")
	fs.StringVar(&dialect, "dialect", "", "render each table selection's filter as SQL for this `dialect`: postgres, mysql or sqlite")
	fs.BoolVar(&enforce, "enforce-allow-list", false, "count the allow list in the decision (HASURA_GRAPHQL_ENABLE_ALLOWLIST)")
	fs.BoolVar(&relay, "relay", false, "the operation is sent to Hasura's Relay API (/v1beta1/relay): <table>_connection and node fields")
	fs.StringVar(&output, "output", "text", "output `format`: text or proto")
	if err := a.parse(fs, args); err != nil {
		return err
	}
	if output != "proto" && output != "text" {
		return usageError{fmt.Errorf("--output %q: want text or proto", output)}
	}
	switch {
	case query != "" && queryFile != "":
		return usageError{errors.New("--query and --query-file: give one")}
	case queryFile == "-":
		b, err := io.ReadAll(io.LimitReader(os.Stdin, server.MaxGraphQLQueryBytes+1))
		if err != nil {
			return err
		}
		query = string(b)
	case queryFile != "":
		b, err := os.ReadFile(queryFile)
		if err != nil {
			return usageError{fmt.Errorf("--query-file: %w", err)}
		}
		query = string(b)
	}
	vars, err := sessionVariables(session)
	if err != nil {
		return usageError{err}
	}
	req := &wardenv1.CheckGraphQLRequest{
		Principal:        &wardenv1.Principal{Role: role, SessionVariables: vars},
		Query:            query,
		OperationName:    opName,
		EnforceAllowList: enforce,
		Relay:            relay,
	}
	if variables != "" {
		req.Variables = &structpb.Struct{}
		if err := protojson.Unmarshal([]byte(variables), req.Variables); err != nil {
			return usageError{fmt.Errorf("--variables: want a JSON object: %w", err)}
		}
	}
	if dialect != "" {
		d, err := sqlgen.ParseDialect(dialect)
		if err != nil {
			return usageError{fmt.Errorf("--dialect: %w", err)}
		}
		req.Sql = &wardenv1.SqlOptions{Dialect: server.DialectToProto(d)}
	}
	set, err := loadSet(ctx, cfg, printProblems(a.stderr))
	if err != nil {
		return err
	}
	resp, err := server.CheckGraphQLOffline(ctx, set, req, server.Limits{})
	if err != nil {
		st := server.StatusFromError(err)
		if st.Code() == codes.Internal {
			return err
		}
		printStatus(a.stderr, st)
		return fmt.Errorf("graphql: %s", st.Code())
	}
	if output == "proto" {
		b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(resp)
		if err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, string(b))
	} else {
		printGraphQL(a.stdout, resp)
	}
	return nil
}

func printGraphQL(w io.Writer, resp *wardenv1.CheckGraphQLResponse) {
	dec := func(d wardenv1.OperationDecision) string {
		return strings.TrimPrefix(d.String(), "OPERATION_DECISION_")
	}
	name := resp.GetOperationName()
	if name == "" {
		name = "(anonymous)"
	}
	fmt.Fprintf(w, "%s: %s %s, role %s, revision %s\n", dec(resp.GetDecision()), resp.GetOperationType(), name, resp.GetRole(), resp.GetRevision())
	for _, f := range resp.GetRootFields() {
		fmt.Fprintf(w, "  %s %s: %s (%s)\n", strings.ToLower(strings.TrimPrefix(f.GetKind().String(), "ROOT_FIELD_KIND_")), f.GetResponseKey(), dec(f.GetDecision()), f.GetReason())
		if sv := f.GetSessionVariables(); len(sv) > 0 {
			keys := make([]string, 0, len(sv))
			for k := range sv {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = k + "=" + sv[k]
			}
			fmt.Fprintf(w, "    handler session: %s\n", strings.Join(parts, " "))
		}
		for _, s := range f.GetTable().GetSelections() {
			op := strings.ToLower(strings.TrimPrefix(s.GetOperation().String(), "OPERATION_"))
			computed := ""
			if cf := s.GetComputedFields(); len(cf) > 0 {
				computed = " computed fields [" + strings.Join(cf, ", ") + "]"
			}
			fmt.Fprintf(w, "    %s: %s %s columns [%s]%s, rows %s\n", s.GetPath(), op, s.GetTable(), strings.Join(s.GetColumns(), ", "), computed,
				strings.ToLower(strings.TrimPrefix(s.GetFilter().GetKind().String(), "FILTER_KIND_")))
			if where := s.GetFilter().GetSql().GetWhere(); where != nil {
				fmt.Fprintf(w, "      where %s\n", where.GetSql())
			} else if s.GetFilter().GetKind() == wardenv1.FilterKind_FILTER_KIND_CONDITIONAL {
				// No --dialect: the predicate itself says which rows.
				fmt.Fprintf(w, "      predicate %s\n", compactJSON(s.GetFilter().GetPredicate()))
			}
		}
		for _, p := range f.GetRemotePresets() {
			v, _ := protojson.Marshal(p.GetValue())
			fmt.Fprintf(w, "    preset %s(%s) = %s\n", p.GetPath(), p.GetArgument(), v)
		}
	}
	al := resp.GetAllowList()
	fmt.Fprintf(w, "  allow list: %v (%s)\n", al.GetAllowed(), al.GetReason())
}
