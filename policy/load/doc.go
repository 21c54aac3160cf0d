// Package load reads a policy set — Hasura v2 metadata plus a schema file —
// and builds the validated, immutable *model.Policy.
//
// # Input
//
// The policy directory (Dir) or fs.FS root (FS) holds:
//
//   - Hasura v2 metadata in the directory layout: databases/databases.yaml
//     lists the sources (name, kind, tables; configuration and other keys
//     are ignored); a source's tables are an inline list or
//     "!include default/tables/tables.yaml", whose entries are inline table
//     entries or "!include public_articles.yaml" (paths relative to the
//     including file; both the quoted Hasura CLI form and a YAML !include
//     tag work). inherited_roles.yaml at the same level lists
//     {role_name, role_set}. Other Hasura files (version.yaml, actions.yaml,
//     ...) are ignored.
//   - or the single-file export metadata.json ({"version": 3, "sources":
//     [...], "inherited_roles": [...]}). Having both forms is an error.
//   - The metadata may also sit under metadata/ (a Hasura project directory).
//   - schema.yaml at the policy root, or the file named by WithSchemaFile.
//
// # Schema file
//
//	tables:
//	  - name: public.articles        # "schema.name", "name" (schema public) or {schema, name}
//	    columns:
//	      - {name: id, type: integer}
//	      - {name: title, type: text, nullable: false}
//	    primary_key: [id]
//	    foreign_keys:
//	      - columns: [author_id]
//	        references: {table: public.users, columns: [id]}
//
// A column is nullable unless it says nullable: false or is part of the
// primary key (a primary-key column may not say nullable: true). Type names
// are case-insensitive and their arguments are ignored (varchar(255),
// numeric(10,2), timestamp(3) with time zone):
//
//	integer      smallint int2 integer int int4 bigint int8 smallserial serial2 serial serial4 bigserial serial8
//	numeric      numeric decimal real float4 double precision float8 float
//	text         text varchar character varying char character bpchar citext name
//	boolean      boolean bool
//	uuid         uuid
//	date         date
//	timestamp    timestamp, timestamp without time zone
//	timestamptz  timestamptz, timestamp with time zone
//	jsonb        jsonb json
//
// An enum column names its type and lists the type's labels in the
// type's order (pg_enum.enumsortorder); a domain column names the domain
// and gives its base type, as which it is decided:
//
//	columns:
//	  - {name: status, type: public.leave_status, enum: [Pending, Approved, Rejected]}
//	  - {name: email, type: auth.email, base: citext}
//	  - {name: state, type: hr.state_domain, base: hr.state, enum: [a, b]}  # a domain over an enum
//
// The type name of an enum is "name" or "schema.name", read as PostgreSQL
// reads identifiers (unquoted parts lower-cased, "Quoted" parts as
// written); Filter's PostgreSQL SQL casts values to it
// ($1::text::"public"."leave_status"), so an unqualified name resolves by
// the caller's search_path. Enum values are labels: a literal that is not
// one is a load problem, a session or row value that is not one is
// invalid. _eq _neq _in _nin compare labels (as text in MySQL and
// SQLite); _gt _lt _gte _lte order by the label's position in the type, as
// PostgreSQL does (compiled to membership in the labels on the value's
// side, which the engine computes for a session variable); _ceq and _cneq
// compare two columns of the same enum type. Pattern operators and _cgt
// ... are load problems. A domain's own name is its type for
// column comparisons (_ceq wants the same type on both sides).
//
// Some types are compared by a canonical text of their values, equal
// exactly when PostgreSQL finds the values equal (Kind text, model.Type
// Canon); a value in any of the forms below is rewritten to it, and one in
// no such form is invalid (a load problem for a literal, INVALID_ARGUMENT
// for a session or row value):
//
//	time        time, time without time zone: H[H]:MM[:SS[.f]] -> HH:MM:SS.ffffff
//	            (24:00:00 included; microseconds, rounded half up)
//	bytea       hex format \x... (whitespace between pairs) -> \x and lower-case
//	            digits; the escape format is not read
//	inet, cidr  an IPv4 or IPv6 address, optionally /n -> address/n (n of the
//	            family when absent); a cidr has no bits set right of n
//	ltree       labels of letters, digits, _ and - separated by dots (as is)
//	arrays      X[] (X[][], _X) of integer, text, varchar, uuid, boolean or date:
//	            a JSON array (nested for more dimensions, null elements) or a
//	            literal {1,2,NULL} -> PostgreSQL's output form {1,2,NULL}, {a,"b c"}
//
// On them _eq _neq _in _nin _is_null apply, and _ceq _cneq with a column
// of the same type; _gt _lt _gte _lte (and _cgt ...) on time and bytea
// only, whose canonical text sorts as PostgreSQL sorts the values; and on
// arrays Hasura's _contains and _contained_in (PostgreSQL's @> and <@:
// elements compared at any depth, a NULL element equal to nothing; Filter's
// predicate gives them as an array node); on ltree _ancestor and
// _descendant (@> and <@) against a path literal (Filter's predicate gives
// them as a list of the path's ancestors and a regular expression on the
// path's text). Hasura's other operators on these types (ordering inet,
// ltree and arrays, pattern operators, ltree's _matches and the _any
// forms, _ancestor/_descendant against a session variable) are load
// problems.
// Filter's SQL casts the values to the column's type in PostgreSQL
// ($1::text::integer[]); MySQL and SQLite have no such types, so a Filter
// asking for their SQL answers SQL_UNSUPPORTED for these comparisons.
//
// Any other type (money, interval, timetz, tsvector, PostGIS
// geometry, ranges, arrays of other element types, an enum or domain
// declared without its labels or base type, ...) loads as an opaque
// column: rows may carry any JSON value for it, and the only operator that
// applies is _is_null. Any other operator on it is a load problem naming
// the column, its type and the operator (Warden cannot decide it exactly).
// Foreign-key columns must have the same kind as the columns they reference.
// Tables of the schema that the metadata does not track are loaded too: they
// can be the target of _exists.
//
// # Metadata
//
// A table entry takes table: {schema, name}, or a string naming a table in
// schema public — as in Hasura, a string is not split at a dot (the same
// holds for every table named in the metadata: relationship targets and
// _exists._table). It also takes
// object_relationships, array_relationships, the four permission lists and
// computed_fields (read only to give a clear error when a filter uses one).
// is_enum, configuration, remote_relationships, event_triggers and
// apollo_federation_config are ignored; any other key is an error, so that
// a typo cannot silently drop permissions. Every tracked table must be in
// the schema, and only once across sources.
//
// Relationships resolve to column pairs. foreign_key_constraint_on takes a
// column of this table ("col", {column: c} or {columns: [...]}) whose foreign
// key gives the target, or, for an array relationship (and a reverse object
// relationship), {table, column(s)}: the target's foreign key to this table.
// manual_configuration takes {remote_table, column_mapping: {local: remote}};
// the paired columns must have the same kind; insertion_order is ignored.
// A relationship may not share its name with a column.
//
// Permissions: select takes columns (a list or "*", required), filter
// (required), limit, allow_aggregations; computed_fields, query_root_fields
// and subscription_root_fields are accepted and ignored (they shape the
// GraphQL schema, not the rows). insert takes check (required), set, columns
// (absent = every column) and backend_only. update takes columns and filter
// (required), check (absent = true), set and backend_only. delete takes
// filter (required) and backend_only. validate_input is rejected (not
// supported), and any other key is an error. Role admin may have no
// permission; a role may have one permission per table and operation.
// Presets: a string starting with x-hasura- (any case) is a session
// variable; anything else is a literal coerced to the column's type; null
// only for a nullable column. Permission.Source.Path locates the list entry,
// e.g. "select_permissions[role=user]"; the rule inside it is at
// ".permission.filter" or ".permission.check". For inline tables the path
// starts with the table entry, e.g.
// "sources[name=default].tables[table=public.articles].select_permissions[role=user]".
//
// # Boolean expressions
//
// The whole Hasura language, every logical key and operator also in its $
// spelling ($and, $exists, $eq), with _ne and _cne as aliases of _neq and
// _cneq; inside _exists the keys are _table and _where only, as in Hasura. Warden's
// choices where Hasura leaves room, all on the safe side:
//
//   - a comparison with a null literal (_eq: null, or the shorthand
//     {col: null}) is an error: it is never true in SQL; use _is_null;
//   - _gt _lt _gte _lte (and _cgt ...) are rejected on jsonb columns: jsonb
//     ordering is PostgreSQL-specific and could not agree across databases;
//   - _in/_nin/_has_keys_* take a list of literals or one array session
//     variable; a session variable inside the list is an error (Hasura
//     would compare with the variable's name as text);
//   - a literal string starting with x-hasura- (any case) is always a
//     session variable, in every position;
//   - _is_null takes a boolean literal only;
//   - column comparisons take "col" or ["col"] (the table in scope) or
//     ["$", "col"] (the permission's root table); longer paths are errors,
//     and both columns must have the same PostgreSQL type (int4 and serial
//     are integer, but integer and bigint differ), as Hasura requires;
//   - computed fields are not supported in expressions;
//   - an expression may nest at most WithMaxDepth levels (32) and have at
//     most WithMaxNodes nodes (10000, literal list elements included).
//
// # Inherited roles
//
// Resolved into each table's Permissions so that the compiler sees ordinary
// permissions (Permission.Inherited lists the parents combined). select: the
// OR of the parents' filters (parents without a select permission on the
// table are ignored), the union of their columns, and for every column that
// not every contributing parent grants unconditionally a ColumnConditions
// entry: the OR of the granting parents' conditions (their own column
// condition if they are inherited, else their filter); the largest limit,
// none if a parent has none; aggregations if any parent allows them.
// insert, update, delete: inherited when every parent that has one has the
// same permission (compared as the model); different permissions are a load
// error asking for an explicit permission on the inherited role. An explicit
// permission of an inherited role always wins. Parents are resolved first;
// cycles, admin and roles named nowhere else are errors.
//
// # Errors
//
// Every content problem is reported at once, in a *ValidationError whose
// Problems carry the file, the path in it and the line. I/O errors and a
// cancelled context are returned wrapped.
package load
