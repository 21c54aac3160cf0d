// Package graphql decides GraphQL operations the way Hasura's permission
// layer does before it executes them, over the actions, tracked functions,
// remote schemas (remote.go), native queries (native.go), query
// collections and allow list that load reads: which root fields a role may
// use, the session variables an action handler receives, the argument
// presets of a remote schema field, and whether an operation is in the
// allow list.
//
// Documents are parsed with github.com/vektah/gqlparser/v2 (the parser
// gqlgen uses; already in the build through OPA), without a schema:
// Warden knows the actions, not the whole GraphQL schema, so a document is
// checked for syntax and for the operation asked, not validated against
// types; below a remote schema's root field it is checked against the
// role's schema document (parsed by load).
package graphql
