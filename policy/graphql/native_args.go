package graphql

import (
	"fmt"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/wardenpdp/warden/policy/model"
)

// The arguments of a native query's rows: where, order_by, distinct_on,
// limit and offset, which Hasura gives the root field and an array
// relationship to a native query (defaultSelectNativeQuery, with
// logicalModelArguments = defaultLogicalModelArgs of
// Hasura.LogicalModel.Schema); an object relationship to a native query
// has none of them (defaultSelectNativeQueryObject takes only the
// native query's own args).
//
// Hasura builds them from the logical model's fields, not from the
// columns the role may select: for a role with a select permission on
// the logical model,
//
//   - <model>_bool_exp (logicalModelBoolExp, Hasura.GraphQL.Schema.BoolExp)
//     has every field of logicalModelFieldsToFieldInfo, whatever the
//     permission's columns (a column the role may not select compares its
//     stored value), with _and, _or and _not. Each scalar field takes
//     the comparison expression of its type, as a table column of that
//     type does. Neither the native query's relationships (they are not
//     fields of the logical model) nor aggregation predicates are in it.
//   - <model>_order_by (logicalModelOrderByExp, Hasura.GraphQL.Schema.OrderBy)
//     has the same fields, each taking order_by.
//   - distinct_on is a list of <model>_enum_name (logicalModelDistinctArg),
//     whose values are every field of the logical model, of any type.
//
// A field of another logical model (nested object) or an array is in
// the first two only on a backend that supports nested objects (a data
// connector); on the SQL backends it is absent. limit and offset name
// no field, and Warden, as for tables, does not check operators.

// nativeArgs decides the where, order_by and distinct_on arguments of a
// native query's rows, of logical model lm.
func (d *nativeDecider) nativeArgs(lm *model.LogicalModel, args ast.ArgumentList, depth int) (Decision, string) {
	where, order := args.ForName("where"), args.ForName("order_by")
	if (where != nil || order != nil) && nestedFields(lm) && nestedObjectBackend(lm.SourceKind) {
		return Undecided, fmt.Sprintf("logical model %s of a %s source has fields of other logical models or arrays, which Hasura may put in its where and order_by types (a backend with nested objects), and Warden does not decide them", lm.Name, lm.SourceKind)
	}
	err := func() error {
		// Every field of the model is in the role's types: the logical
		// model as a table whose columns are its scalar fields, read as
		// admin reads a table (no column left out).
		t := &model.Table{Name: model.TableName{Source: lm.Source, Schema: model.NativeSchema, Name: lm.Name}, Columns: lm.Columns, Source: lm.Source, SourceKind: lm.SourceKind}
		if err := d.where(t, nil, args, lm.Name+"_bool_exp", depth); err != nil {
			return err
		}
		if a := args.ForName("distinct_on"); a != nil {
			v, err := d.value(a.Value)
			if err != nil {
				return err
			}
			for _, c := range asList(v) {
				if s, _ := c.(string); !slices.Contains(lm.Fields, s) {
					return deny("value '%v' not found in enum: '%s_enum_name'", c, lm.Name)
				}
			}
		}
		v, err := d.argValue(args, "order_by")
		if err != nil {
			return err
		}
		return d.orderExp(t, nil, v, lm.Name, depth)
	}()
	return decisionOf(d.tableDecider, err)
}

// nestedFields says whether a logical model has fields that are no
// columns (of another logical model, or arrays).
func nestedFields(lm *model.LogicalModel) bool {
	return len(lm.Fields) > len(lm.Columns)
}

// nestedObjectBackend says whether a source kind may have nested
// objects in its where and order_by types: Hasura's
// backendSupportsNestedObjects is an error by default and holds only
// for data connectors, so the SQL backends do not.
func nestedObjectBackend(kind string) bool {
	switch kind {
	case "postgres", "pg", "citus", "cockroach", "mssql", "bigquery":
		return false
	}
	return true
}

// objectArgs denies the arguments of a native query's rows on an object
// relationship to a native query, whose field takes none of them
// (Hasura's subselection parser, Hasura.GraphQL.Parser.Internal.Parser,
// refuses an argument it does not define: "'<field>' has no argument
// named '<arg>'").
func objectArgs(f *ast.Field) (Decision, string) {
	for _, a := range []string{"where", "order_by", "distinct_on", "limit", "offset"} {
		if f.Arguments.ForName(a) != nil {
			return Deny, fmt.Sprintf("'%s' has no argument named '%s': an object relationship to a native query takes only the native query's arguments", f.Name, a)
		}
	}
	return Allow, ""
}
