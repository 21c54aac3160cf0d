package graphql_test

import (
	"context"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/graphql"
	"github.com/wardenpdp/warden/policy/load"
)

// TestDecideRelayGraphqlDefault: Hasura's Relay API for sources named by
// the graphql-default naming convention (testdata/relaygqldefault):
//   - a table's connection is applyFieldNameCaseIdentifier of
//     mkRelayConnectionField (the identifier's words and "connection",
//     camelCase: shopOrdersConnection), through the source's prefix,
//     suffix and namespace (buildTableRelayQueryFields,
//     Hasura.Backends.Postgres.Instances.Schema);
//   - its arguments are where, orderBy, distinctOn (applyFieldNameCaseCust)
//     and first, last, before, after as written (tableConnectionArgs);
//   - pageInfo, edges, cursor and node keep their names, the types are
//     the table's PascalCase type name with Connection and Edge
//     (tableConnectionSelectionSet, Hasura.GraphQL.Schema.Select);
//   - an array relationship's connection is its name with _connection
//     added as written (relationshipField: relFieldName <> "_connection",
//     no case applied), a function's is its GraphQL name with
//     _connection (selectFunctionConnection);
//   - node's id names the table by schema and name; its fragments use the
//     convention's type and field names.
func TestDecideRelayGraphqlDefault(t *testing.T) {
	p, err := load.Dir(context.Background(), "testdata/relaygqldefault", load.WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	uid := map[string]string{"x-hasura-user-id": "7"}
	order5 := nodeID(`[1, "public", "shop_orders", 5]`)
	cases := []struct {
		name, role, query string
		want              graphql.Decision
		why, ns           string
		sels              []relSel
	}{
		{name: "a table connection with where, orderBy and paging", role: "user",
			query: `{ shopOrdersConnection(first: 2, after: "eyJpZCI6MX0=", where: {totalCents: {_gt: 10}}, orderBy: {customerId: ASC}) { pageInfo { hasNextPage endCursor } edges { cursor node { id totalCents } } } }`,
			want:  graphql.Allow, sels: []relSel{{"shopOrdersConnection.edges.node", "public.shop_orders", "", []string{"total_cents"}}}},
		{name: "an array relationship's connection keeps its snake_case name", role: "user",
			query: `{ shopOrdersConnection { edges { node { order_lines_connection(first: 1) { edges { node { unitPrice } } } } } } }`,
			want:  graphql.Allow, sels: []relSel{{"shopOrdersConnection.edges.node", "public.shop_orders", "", []string{}}, {"shopOrdersConnection.edges.node.order_lines_connection.edges.node", "public.order_lines", "order_lines", []string{"unit_price"}}}},
		{name: "the hasura-default spelling of order_by is not an argument", role: "user",
			query: `{ shopOrdersConnection(order_by: {customerId: ASC}) { edges { node { id } } } }`,
			want:  graphql.Deny, why: `"shopOrdersConnection" has no argument named "order_by": under the graphql-default naming convention it is orderBy`},
		{name: "limit is not a connection argument", role: "user",
			query: `{ shopOrdersConnection(limit: 1) { edges { node { id } } } }`, want: graphql.Deny, why: "has no argument named 'limit'"},
		{name: "a column by its snake_case name is not a field", role: "user",
			query: `{ shopOrdersConnection { edges { node { total_cents } } } }`, want: graphql.Deny, why: "field 'total_cents' not found in type: 'ShopOrders'"},
		{name: "a column outside the permission", role: "user",
			query: `{ shopOrdersConnection { edges { node { internalNote } } } }`, want: graphql.Deny, why: "field 'internalNote' not found in type: 'ShopOrders'"},
		{name: "a where on a column outside the permission names the bool_exp type", role: "user",
			query: `{ shopOrdersConnection(where: {internalNote: {_eq: "x"}}) { edges { node { id } } } }`, want: graphql.Deny, why: "not found in type: 'ShopOrdersBoolExp'"},
		{name: "the connection type's fields", role: "user",
			query: `{ shopOrdersConnection { totalCount } }`, want: graphql.Deny, why: "field 'totalCount' not found in type: 'ShopOrdersConnection'"},
		{name: "the edge type's fields", role: "user",
			query: `{ shopOrdersConnection { edges { position } } }`, want: graphql.Deny, why: "field 'position' not found in type: 'ShopOrdersEdge'"},
		{name: "cursors give away a primary key not granted", role: "counter",
			query: `{ shopOrdersConnection { edges { cursor node { totalCents } } } }`,
			want:  graphql.Allow, why: "the cursors of public.shop_orders encode its primary key (id), which Hasura returns though role counter may not select id"},
		{name: "no select permission", role: "nobody",
			query: `{ shopOrdersConnection { edges { node { id } } } }`, want: graphql.Deny, why: "no select permission"},
		{name: "a table without a primary key has no connection", role: "user",
			query: `{ auditEventsConnection { edges { node { eventKind } } } }`, want: graphql.Deny, why: "field 'auditEventsConnection' not found in type: 'query_root': public.audit_events has no primary key"},
		{name: "a function's connection: its camelCase name and _connection", role: "user",
			query: `{ bigOrders_connection(args: {}, last: 3, where: {customerId: {_eq: 7}}) { edges { node { id customerId } } } }`,
			want:  graphql.Allow, sels: []relSel{{"bigOrders_connection.edges.node", "public.shop_orders", "", []string{"customer_id"}}}},
		{name: "a function's connection reads its table's fields by their camelCase names", role: "user",
			query: `{ bigOrders_connection { edges { node { customer_id } } } }`, want: graphql.Deny, why: "field 'customer_id' not found in type: 'ShopOrders'"},
		{name: "node with a fragment on the PascalCase type", role: "user",
			query: `{ node(id: "` + order5 + `") { id ... on ShopOrders { totalCents } } }`,
			want:  graphql.Allow, sels: []relSel{{"node", "public.shop_orders", "", []string{"total_cents"}}}},
		{name: "node with a field outside the permission", role: "user",
			query: `{ node(id: "` + order5 + `") { ... on ShopOrders { internalNote } } }`, want: graphql.Deny, why: "field 'internalNote' not found in type: 'ShopOrders'"},
		{name: "node with a fragment on the hasura-default type name", role: "user",
			query: `{ node(id: "` + order5 + `") { ... on shop_orders { id } } }`, want: graphql.Deny, why: "type 'shop_orders' of a fragment in node is not a table type"},
		{name: "in a namespace, with prefixes and suffixes", role: "user",
			query: `{ inv { st_StockItemsConnection_v1(orderBy: {itemName: ASC}) { edges { node { id itemName } } } } }`, ns: "inv",
			want: graphql.Allow, sels: []relSel{{"st_StockItemsConnection_v1.edges.node", "public.stock_items", "", []string{"item_name"}}}},
		{name: "the namespaced connection type has the type prefix and suffix", role: "user",
			query: `{ inv { st_StockItemsConnection_v1 { nodes { id } } } }`, ns: "inv",
			want: graphql.Deny, why: "field 'nodes' not found in type: 'st_StockItemsConnection_t'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := graphql.Decide(p, graphql.Request{Role: c.role, Vars: uid, Query: c.query, Relay: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.RootFields) != 1 {
				t.Fatalf("%d root fields, want 1: %+v", len(res.RootFields), res.RootFields)
			}
			f := res.RootFields[0]
			if f.Decision != c.want || !strings.Contains(f.Reason, c.why) || f.Namespace != c.ns {
				t.Fatalf("%v (%s) in namespace %q, want %v saying %q in namespace %q", f.Decision, f.Reason, f.Namespace, c.want, c.why, c.ns)
			}
			if c.sels != nil {
				checkSels(t, f, c.sels)
			}
		})
	}
	// The connection is not a /v1/graphql field, and /v1/graphql's
	// fields are not the Relay API's.
	for query, want := range map[string]graphql.Decision{
		`{ shopOrdersConnection { edges { node { id } } } }`: graphql.Undecided,
	} {
		res, err := graphql.Decide(p, graphql.Request{Role: "user", Vars: uid, Query: query})
		if err != nil {
			t.Fatal(err)
		}
		if f := res.RootFields[0]; f.Decision != want {
			t.Errorf("%s on /v1/graphql: %v (%s), want %v", query, f.Decision, f.Reason, want)
		}
	}
	res, err := graphql.Decide(p, graphql.Request{Role: "user", Vars: uid, Query: `{ shopOrders { id } }`, Relay: true})
	if err != nil {
		t.Fatal(err)
	}
	if f := res.RootFields[0]; f.Decision != graphql.Deny || !strings.Contains(f.Reason, "field 'shopOrders' not found in type: 'query_root'") {
		t.Errorf("shopOrders on the Relay API: %v (%s), want denied", f.Decision, f.Reason)
	}
}

// TestDecideRelayNamespaceV1Fields: under a source's root field
// namespace, Hasura's Relay schema has only the source's connections
// (buildSchemaRelayParsers puts buildRelayQueryAndSubscriptionFields'
// fields under customizeFields' namespace field, whose type is the
// source's type name customizer applied to <namespace>_query or
// _subscription): a /v1/graphql table or function field written there is
// not in it. A name Warden does not know stays undecided.
func TestDecideRelayNamespaceV1Fields(t *testing.T) {
	p, err := load.Dir(context.Background(), "testdata/relaygqldefault", load.WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	uid := map[string]string{"x-hasura-user-id": "7"}
	cases := []struct {
		name, query string
		want        graphql.Decision
		why         string
		kind        graphql.FieldKind
	}{
		{name: "the connection is there", query: `{ acct { ledger_entries_connection { edges { node { amount } } } } }`,
			want: graphql.Allow, kind: graphql.TableRootFieldKind},
		{name: "a function's connection is there", query: `{ acct { entries_since_connection { edges { node { amount } } } } }`,
			want: graphql.Allow, kind: graphql.FunctionField},
		{name: "a /v1 select field", query: `{ acct { ledger_entries { id } } }`,
			want: graphql.Deny, why: "field 'ledger_entries' not found in type: 'L_acct_query': Hasura's Relay API serves <table>_connection", kind: graphql.TableRootFieldKind},
		{name: "a /v1 aggregate field", query: `{ acct { ledger_entries_aggregate { aggregate { count } } } }`,
			want: graphql.Deny, why: "field 'ledger_entries_aggregate' not found in type: 'L_acct_query'", kind: graphql.TableRootFieldKind},
		{name: "a /v1 function field", query: `{ acct { entries_since { id } } }`,
			want: graphql.Deny, why: "field 'entries_since' not found in type: 'L_acct_query'", kind: graphql.FunctionField},
		{name: "a /v1 field on the subscription root", query: `subscription { acct { ledger_entries_by_pk(id: 1) { id } } }`,
			want: graphql.Deny, why: "field 'ledger_entries_by_pk' not found in type: 'L_acct_subscription'", kind: graphql.TableRootFieldKind},
		{name: "under graphql-default, the type name as Hasura versions give it", query: `{ inv { st_StockItems_v1 { id } } }`,
			want: graphql.Deny, why: "field 'st_StockItems_v1' not found in type: 'st_inv_query_t' (or its PascalCase", kind: graphql.TableRootFieldKind},
		{name: "a name Warden does not know", query: `{ acct { ledger_totals { id } } }`,
			want: graphql.Undecided, why: "is not a table or function connection of the namespace"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := graphql.Decide(p, graphql.Request{Role: "user", Vars: uid, Query: c.query, Relay: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.RootFields) != 1 {
				t.Fatalf("%d root fields, want 1: %+v", len(res.RootFields), res.RootFields)
			}
			f := res.RootFields[0]
			if f.Decision != c.want || !strings.Contains(f.Reason, c.why) || f.Kind != c.kind || f.Namespace == "" {
				t.Fatalf("%v %v (%s) in namespace %q, want %v %v saying %q", f.Decision, f.Kind, f.Reason, f.Namespace, c.want, c.kind, c.why)
			}
		})
	}
}
