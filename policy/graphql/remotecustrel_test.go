package graphql_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/graphql"
	"github.com/wardenpdp/warden/policy/load"
)

// TestRemoteRelationshipsToCustomizedRemoteSchemas
// (testdata/remotecustrel): a table's remote relationship to a remote
// schema with customization is decided as Hasura's
// remoteRelationshipToSchemaField builds it: remote_field is followed in
// the upstream's own names (validateToSchemaRelationship,
// lookupNestedFieldType on the role's introspection), and the selection
// below the relationship's field is parsed under
// withRemoteSchemaCustomization, in the names Hasura shows (field_names,
// type_names); arguments keep their names and presets are reported in
// the upstream's names.
func TestRemoteRelationshipsToCustomizedRemoteSchemas(t *testing.T) {
	p, err := load.Dir(context.Background(), "testdata/remotecustrel", load.WithStrict())
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"x-hasura-user-id": "7", "x-hasura-currency": "EUR"}
	cases := []struct {
		name, role, query string
		want              graphql.Decision
		why               string
		presets           []graphql.RemotePreset
	}{
		{name: "remote_field in the upstream's names, the selection in the shown names", role: "user",
			query: `{ orders { id product { p_id displayName } } }`, want: graphql.Allow},
		{name: "a field by its upstream name below the relationship", role: "user",
			query: `{ orders { product { display_name } } }`, want: graphql.Deny,
			why: "field display_name is not in type Cat_Product (Product in the remote schema) of the role's schema (at orders.product)"},
		{name: "a field the prefix renames, by its upstream name", role: "user",
			query: `{ orders { product { cost } } }`, want: graphql.Deny, why: "field cost is not in type Cat_Product"},
		{name: "a fragment on the shown type name", role: "user",
			query: `{ orders { product { ... on Cat_Product { p_cost } } } }`, want: graphql.Allow},
		{name: "a fragment on the upstream type name", role: "user",
			query: `{ orders { product { ... on Product { p_cost } } } }`, want: graphql.Deny,
			why: "type Product of a fragment is not an object, interface or union of the role's schema"},
		{name: "a preset below the relationship, reported in the upstream's names", role: "user",
			query: `{ orders { product { cost: p_price } } }`, want: graphql.Allow,
			presets: []graphql.RemotePreset{{Path: "orders.product.cost", Field: "Product.price", Argument: "currency", Value: "EUR", SessionVariables: []string{"x-hasura-currency"}}}},
		{name: "a preset argument given, by its unrenamed name", role: "user",
			query: `{ orders { product { p_price(currency: "USD") } } }`, want: graphql.Deny, why: "argument currency of Product.price is preset for the role"},
		{name: "a path through a renamed field, written in the upstream's names", role: "user",
			query: `{ orders { vendor_top { displayName } } }`, want: graphql.Allow},
		{name: "remote_field written in the shown names is not in the upstream schema", role: "user",
			query: `{ orders { by_shown_name { displayName } } }`, want: graphql.Deny,
			why: "role user's schema of remote schema catalog has no field Query.productById, which remote relationship by_shown_name calls"},
		{name: "a type prefix only: the selection's fields keep their names", role: "user",
			query: `{ orders { reviews { stars ... on Fb_Review { __typename } } } }`, want: graphql.Allow},
		{name: "a type prefix only: the upstream type name in a fragment", role: "user",
			query: `{ orders { reviews { ... on Review { stars } } } }`, want: graphql.Deny, why: "type Review of a fragment"},
		{name: "the relationship's argument filled by the relationship", role: "user",
			query: `{ orders { product(id: 3) { p_id } } }`, want: graphql.Deny, why: "argument id of remote relationship product is filled by the relationship"},
		{name: "admin", role: "admin",
			query: `{ orders { product { anything } } }`, want: graphql.Allow},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := graphql.Decide(p, graphql.Request{Role: c.role, Vars: vars, Query: c.query})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.RootFields) != 1 {
				t.Fatalf("%d root fields, want 1: %+v", len(res.RootFields), res.RootFields)
			}
			f := res.RootFields[0]
			if f.Decision != c.want || !strings.Contains(f.Reason, c.why) {
				t.Fatalf("%v (%s), want %v saying %q", f.Decision, f.Reason, c.want, c.why)
			}
			if c.want == graphql.Allow && !reflect.DeepEqual(f.Presets, c.presets) {
				t.Errorf("presets %+v, want %+v", f.Presets, c.presets)
			}
		})
	}
}
