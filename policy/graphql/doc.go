// Package graphql decides GraphQL operations the way Hasura's permission
// layer does before it executes them, over the actions, tracked functions,
// remote schemas (remote.go), native queries (native.go), query
// collections and allow list that load reads: which root fields a role may
// use, the session variables an action handler receives, the argument
// presets of a remote schema field, and whether an operation is in the
// allow list.
//
// Table root fields (table.go) are decided as Hasura builds a role's
// schema: a field exists when the role has the permission its kind needs
// (select for <t>, <t>_by_pk (with the primary key readable),
// <t>_aggregate (with allow_aggregations) and <t>_stream, as
// query_root_fields and subscription_root_fields show them; insert for
// insert_<t>, and select too for insert_<t>_one; update (with a column to
// set) for update_<t>, update_<t>_many and update_<t>_by_pk; delete for
// delete_<t> and delete_<t>_by_pk; backend_only ones only for backend
// requests), and every field selected, every column of where, order_by
// and distinct_on, and every column of an insert's rows or an update's
// _set, _inc, ... must be in the role's types: a column outside the
// permission (or preset by it, for mutations) is denied with Hasura's
// "field 'x' not found in type: 't'". An allowed field lists its
// selections (the table read at each place of the response, through
// relationships, returning, nested inserts and upserts) for the caller to
// ask Filter about. A table's remote relationships (table_remote.go)
// are decided as Hasura builds them: to another source's table like a
// relationship, to a remote schema against the role's schema of it; a
// native query's relationships (native.go) by the select permission on
// their target. A native query's where, order_by and distinct_on
// (native_args.go) are over its logical model's fields, every one of
// them whatever the columns the role may select, as Hasura builds them
// from the logical model. @skip and @include are applied, with the request's
// variables, before fields are looked up, as Hasura does.
//
// A source with Hasura's graphql-default naming convention has its table
// root fields named in camelCase (blogPostsByPk, insertBlogPostsOne: load
// names them): such a field is denied as above when the role's schema
// lacks it (no permission, hidden by query_root_fields, no aggregations,
// primary key unreadable, nothing to set), and otherwise answered
// undecided — never allowed — because its arguments, input and selections
// are named by the convention too (orderBy, onConflict, pkColumns,
// camelCase columns, upper-case enum values), which Warden does not read
// yet. For the same reason the tracked functions and native queries of
// such a source are undecided.
//
// Documents are parsed with github.com/vektah/gqlparser/v2 (the parser
// gqlgen uses; already in the build through OPA), without a schema:
// Warden knows the actions, not the whole GraphQL schema, so a document is
// checked for syntax and for the operation asked, not validated against
// types; below a remote schema's root field it is checked against the
// role's schema document (parsed by load).
package graphql
