package graphql

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/wardenpdp/warden/policy/model"
)

// The names of a table's arguments, fields and types in the role's
// schema, under the source's naming convention: hasura-default (the
// names Hasura has always used: order_by, affected_rows,
// articles_bool_exp) or graphql-default (Hasura's naming_convention,
// Hasura.GraphQL.Schema.* with applyFieldNameCaseCust and
// applyTypeNameCaseIdentifier). The deciders are the same for both: they
// ask a table's naming for a name given in its hasura-default spelling.
//
// Under graphql-default (Hasura v2.8 and later; sources whose
// customization.naming_convention, or the server's default, says so):
//   - argument and field names Hasura generates are camelCase
//     (snakeToCamel of the snake_case name): order_by gives orderBy,
//     distinct_on distinctOn, on_conflict onConflict, initial_value
//     initialValue, stddev_pop stddevPop, _delete_key _deleteKey; where,
//     objects, object, data, updates, _set, _inc, _and, _or, _not,
//     count, nodes, aggregate, returning stay as they are;
//   - columns are camelCase unless a custom name is set (load's
//     graphqlDefaultColumns); relationships and computed fields keep
//     their names;
//   - an array relationship's aggregate field is its name with
//     Aggregate (articlesAggregate), in selections, order_by and
//     where's aggregation predicates;
//   - type names are PascalCase (ArticlesBoolExp, ArticlesSetInput),
//     as Hasura's errors name them.
//
// Two names differ between Hasura versions that have the convention: the
// mutation response's affected_rows (affectedRows since 2023) and
// on_conflict's update_columns (updateColumns since 2023). Both
// spellings are read alike: in a version without the one used, Hasura
// rejects the query as invalid, whatever Warden answers; the permission
// decided (the columns the upsert updates) is the same in every version.
// The hasura-default spellings of the names the convention renames
// (order_by, pk_columns, _delete_key, a nested insert's on_conflict, a
// cursor's initial_value) are not in the schema: a field given one is
// denied in Hasura's words ("blogPosts" has no argument named
// "order_by"), not read past.
//
// An array relationship whose name is not one camelCase word (an
// underscore, an upper-case first letter) has an aggregate field named
// differently in different places and versions: a field that may be it
// is undecided.

// naming is the naming convention of one table's GraphQL names.
type naming struct {
	t *model.Table
}

func namesOf(t *model.Table) naming { return naming{t} }

func (n naming) graphqlDefault() bool { return n.t.GraphQL != nil && n.t.GraphQL.GraphQLDefault }

// name is a generated argument or field name given in its hasura-default
// spelling (order_by, affected_rows, stddev_pop).
func (n naming) name(snake string) string {
	if n.graphqlDefault() {
		return model.SnakeToCamel(snake)
	}
	return snake
}

// names are the spellings of a generated name that Hasura versions with
// the table's convention accept (see above).
func (n naming) names(snake string) []string {
	if !n.graphqlDefault() {
		return []string{snake}
	}
	switch camel := model.SnakeToCamel(snake); snake {
	case "affected_rows", "update_columns":
		return []string{camel, snake}
	default:
		return []string{camel}
	}
}

// is says whether a field or argument name is a generated name given in
// its hasura-default spelling.
func (n naming) is(name, snake string) bool {
	for _, s := range n.names(snake) {
		if name == s {
			return true
		}
	}
	return false
}

// arg returns the value of the first of an object's keys that is the
// generated name (nil when none).
func (n naming) arg(obj map[string]any, snake string) any {
	for _, s := range n.names(snake) {
		if v, ok := obj[s]; ok {
			return v
		}
	}
	return nil
}

// typ is the name of one of the table's types, for messages that name
// types as Hasura does: tname (the name the table's type has in
// messages) and the words after it, joined by underscores
// (articles_bool_exp), or PascalCase under graphql-default
// (ArticlesBoolExp, within the source's type_names prefix and suffix).
func (n naming) typ(tname string, words ...string) string {
	if !n.graphqlDefault() {
		return tname + "_" + strings.Join(words, "_")
	}
	g := n.t.GraphQL
	name := g.TypeBase
	for _, w := range words {
		name += model.UpperFirst(w)
	}
	if g.TypePrefix != "" {
		name = g.TypePrefix + model.UpperFirst(name)
	}
	return name + model.UpperFirst(g.TypeSuffix)
}

// relationship finds the relationship a field of the table's type stands
// for: its name, or an array relationship's aggregate field. A field
// that may be the aggregate of a relationship whose aggregate name
// Warden cannot tell is undecided.
func (n naming) relationship(name string) (*model.Relationship, bool, error) {
	t := n.t
	if r := t.Relationships[name]; r != nil {
		return r, false, nil
	}
	if !n.graphqlDefault() {
		if base, ok := strings.CutSuffix(name, "_aggregate"); ok {
			if r := t.Relationships[base]; r != nil && r.Kind == model.RelArray {
				return r, true, nil
			}
		}
		return nil, false, nil
	}
	// Relationships are looked at in name order, and one whose
	// aggregate name Warden cannot tell wins over one it can: the
	// answer does not hang on map order, and is never an allow by guess.
	var found *model.Relationship
	for _, rn := range slices.Sorted(maps.Keys(t.Relationships)) {
		r := t.Relationships[rn]
		if r.Kind != model.RelArray {
			continue
		}
		plain := r.Name == model.LowerFirst(r.Name) && !strings.Contains(r.Name, "_")
		// Hasura's spellings of the aggregate field: Select.hs
		// (snakeToCamel of <rel>_aggregate), OrderBy.hs (the name as a
		// word, then Aggregate), AggregationPredicates.hs (the name as
		// written, then Aggregate). They agree on a name that is one
		// camelCase word.
		spellings := []string{r.Name + "Aggregate", model.SnakeToCamel(r.Name + "_aggregate"), model.LowerFirst(r.Name) + "Aggregate"}
		if !slices.Contains(spellings, name) {
			continue
		}
		if !plain {
			return nil, false, &undecidedError{fmt.Sprintf("%s may be the aggregate field of array relationship %s of %s, which Hasura names differently in different places under the graphql-default naming convention (its name is not one camelCase word): not decided", name, r.Name, t.Name)}
		}
		if found == nil {
			found = r
		}
	}
	return found, found != nil, nil
}

// aggregateFunction gives the aggregate function (in its hasura-default
// spelling: stddev_pop) a field of <table>_aggregate_fields names.
func (n naming) aggregateFunction(name string) (string, bool) {
	for _, fn := range aggregateFunctions {
		if n.name(fn) == name {
			return fn, true
		}
	}
	return "", false
}

// renamed are the generated argument and input field names that
// graphql-default spells differently (order_by is orderBy there): under
// that convention a field or input given one of them is one Hasura's
// schema does not have.
var renamed = []string{"order_by", "distinct_on", "on_conflict", "pk_columns", "batch_size", "initial_value", "_delete_key", "_delete_elem", "_delete_at_path"}

// checkArgs denies a field's argument that is the hasura-default
// spelling of one graphql-default renames, in Hasura's words for an
// argument a field lacks.
func (n naming) checkArgs(field string, args ast.ArgumentList) error {
	if !n.graphqlDefault() {
		return nil
	}
	for _, a := range args {
		if slices.Contains(renamed, a.Name) {
			return deny("%q has no argument named %q: under the graphql-default naming convention it is %s", field, a.Name, model.SnakeToCamel(a.Name))
		}
	}
	return nil
}

// checkKeys denies an input object's field that is the hasura-default
// spelling of one graphql-default renames (an update_many update's
// _delete_key, a nested insert's on_conflict, a cursor's initial_value).
func (n naming) checkKeys(obj map[string]any, typ string) error {
	if !n.graphqlDefault() {
		return nil
	}
	for k := range obj {
		if slices.Contains(renamed, k) {
			return deny("field '%s' not found in type: '%s': under the graphql-default naming convention it is %s", k, typ, model.SnakeToCamel(k))
		}
	}
	return nil
}
