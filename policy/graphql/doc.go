// Package graphql decides GraphQL operations the way Hasura's permission
// layer does before it executes them, over the actions, tracked functions,
// remote schemas (remote.go; their customization's namespace, renamed
// types and fields in remotens.go and model.RemoteCustomization), native
// queries (native.go), query collections and allow list that load reads:
// which root fields a role may use, the session variables an action
// handler receives, the argument presets of a remote schema field, and
// whether an operation is in the allow list.
//
// Request.Relay decides an operation sent to Hasura's Relay API
// (/v1beta1/relay) instead (relay.go): <table>_connection,
// <function>_connection and node(id:) on its query and subscription
// roots, and the Relay types of tables (id the node id, <rel>_connection)
// everywhere, mutations included.
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
// relationship, to a remote schema against the role's schema of it, and
// never in where or order_by, whose types have no field for one; a
// native query's relationships (native.go) by the select permission on
// their target. A native query's where, order_by and distinct_on
// (native_args.go) are over its logical model's fields, every one of
// them whatever the columns the role may select, as Hasura builds them
// from the logical model. @skip and @include are applied, with the request's
// variables, before fields are looked up, as Hasura does.
//
// A source with Hasura's graphql-default naming convention is decided the
// same way, by the names the convention gives (naming.go): camelCase root
// fields (blogPostsByPk, insertBlogPostsOne: load names them), columns
// (authorId, unless a custom name is set), arguments (orderBy,
// distinctOn, onConflict, updateColumns, _deleteKey) and aggregate
// functions (stddevPop), array relationship aggregates (commentsAggregate),
// and PascalCase types in messages (BlogPostsBoolExp). Its tracked
// functions have camelCase root fields (searchArticles). A source's
// root field prefix, suffix and namespace apply to tracked functions as
// to tables, under either convention (load names them). Its native
// queries keep their names. Where Warden cannot tell a name Hasura gives
// (a column or relationship name the convention treats differently in
// different places or versions), the fields that may use it are
// undecided, never allowed.
//
// Documents are parsed with github.com/vektah/gqlparser/v2 (the parser
// gqlgen uses; already in the build through OPA), without a schema:
// Warden knows the actions, not the whole GraphQL schema, so a document is
// checked for syntax and for the operation asked, not validated against
// types; below a remote schema's root field it is checked against the
// role's schema document (parsed by load).
package graphql
