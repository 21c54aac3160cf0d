// Package load reads a policy set — Hasura v2 metadata plus a schema file —
// and builds the validated, immutable *model.Policy.
//
// # Input
//
// The policy directory (Dir) or fs.FS root (FS) holds Hasura metadata in any
// layout Hasura has written since v2.0 (layout.go), at the root or under
// metadata/ (a Hasura project directory):
//
//   - the version 3 directory: databases/databases.yaml lists the sources
//     (name, kind, tables, functions (functions.go), logical_models and
//     native_queries (logical.go); stored_procedures are noted as not
//     decided; customization's root_fields, type_names and
//     naming_convention name the source's GraphQL root fields
//     (tablegql.go, naming.go); configuration,
//     query_tags and health_check are ignored); a source's
//     tables are an inline list or "!include default/tables/tables.yaml",
//     whose entries are inline table entries or "!include
//     public_articles.yaml" (paths relative to the including file; both the
//     quoted Hasura CLI form and a YAML !include tag work).
//     inherited_roles.yaml at the same level lists {role_name, role_set}.
//     actions.yaml with actions.graphql, query_collections.yaml and
//     allow_list.yaml at the same level (both directory forms) are read by
//     graphql.go, as are the export's actions, query_collections and
//     allowlist; remote_schemas.yaml (the export's remote_schemas) by
//     remote.go.
//   - the version 2 directory (Hasura 1.x): tables.yaml and functions.yaml
//     at the root, read as one PostgreSQL source named default, as Hasura
//     migrates it. version.yaml decides when both directory forms exist,
//     and must agree with the one that does.
//   - the single-file export metadata.json: version 3 ({"version": 3,
//     "sources": [...], "inherited_roles": [...]}), version 2 or 1 (tables
//     at the top), bare or as the metadata API's export_metadata answers it
//     ({"resource_version": N, "metadata": {...}}). An empty file, an empty
//     object, or an object with a key Hasura metadata does not have is a
//     load error naming the file, never an empty policy. Having a metadata
//     directory and metadata.json is an error. metadata.yaml is the same
//     export in YAML, as the Hasura 1.x CLI (config v1) kept it beside its
//     migrations: it is read at the root, under metadata/ or under
//     migrations/; both export files side by side are an error.
//
// Root files and top-level keys that Warden does not read (cron triggers,
// REST endpoints, API limits, ...) never stop loading: each non-empty one
// is listed in Policy.Notes with the reason it is not read.
//
// The schema: schema.yaml at the policy root, or the file named by
// WithSchemaFile.
//
// Hasura reads a null as an absent key, and so does Warden, wherever a key
// is optional (check: null, set: null, backend_only: null,
// allow_aggregations: null, limit: null, comment: null); a required key
// that is null is missing.
//
// # Inconsistent objects
//
// As Hasura does, an object of the metadata that cannot be resolved is left
// out and the rest loads: a permission whose rule names an unknown column
// or operator (or that uses an inconsistent relationship), a relationship
// over unknown or mismatched columns, a tracked table missing from the
// schema, a table of a source whose kind Warden cannot decide (anything but
// postgres, citus and cockroach: never decided with PostgreSQL's semantics;
// a request on it answers FAILED_PRECONDITION naming the kind), an
// inherited role in a cycle, and an inherited permission that
// cannot be derived (its parents' mutation permissions differ, or a
// parent's permission is inconsistent). Each is listed in
// Policy.Inconsistent with the problems that made it so; a request that
// needs one is refused (engine.InconsistentError), never decided as if the
// permission did not exist. WithStrict refuses the whole set instead.
// Problems that are not about one object (syntax errors, the schema file,
// unknown keys in table entries, which Hasura itself rejects, a table
// tracked twice in one source, duplicate relationships) always refuse the
// set.
//
// # Several sources
//
// Several sources may track tables of the same schema and name (each in
// its own database). Such a name is two tables: the policy keys each by
// its source as well (model.TableName.Source) and a request names it
// "source:schema.name" (or "source:name" for schema public); the plain
// name is ambiguous, and a request giving it is refused
// (engine.AmbiguousTableError, INVALID_ARGUMENT naming the sources). A
// name only one source tracks keeps its plain name, and answers to
// "source:schema.name" with its own source too. Relationships, foreign
// keys and _exists stay in the source of the table whose rule names them,
// as in Hasura: an _exists over teams in a rule of source one reads
// one:public.teams, and so do the rows a Check request gives for it under
// the plain name. The SQL Filter renders names the table as its own
// database does, without the source. In the schema file a table may say
// source: NAME to be that source's table; one declared without a source
// serves every source that tracks the name and declares no table of its
// own (warden schema pull writes one entry per source for a name it reads
// from several). The Rego of a qualified table is in package
// warden.tables["source:"].schema.name.operation.
//
// # Schema file
//
//	tables:
//	  - name: public.articles        # "schema.name", "name" (schema public) or {schema, name}
//	    source: default              # optional: the table of this source (Several sources)
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
//	inet, cidr  an IPv4 or IPv6 address, optionally /n (n of the family when
//	            absent; no spaces around, as inet_in has it); a cidr has no
//	            bits set right of n. Compared by a key (below)
//	ltree       labels of letters, digits, _ and - separated by dots (as is)
//	arrays      X[] (X[][], _X) of integer, text, varchar, uuid, boolean or date:
//	            a JSON array (nested for more dimensions, null elements) or a
//	            literal {1,2,NULL} -> PostgreSQL's output form {1,2,NULL}, {a,"b c"}
//
// Some types are compared by a key instead, which PostgreSQL does not
// read: Filter's SQL sends each value as PostgreSQL text
// (model.CanonPG: "1 mons 2 days 3 microseconds", "09:30:00.000000+02:00:00",
// "-1234.56", "10.0.0.1/32"), presets of them are that text too, and
// Filter's predicate shows the key (which Warden also reads back as a
// value):
//
//	inet, cidr  "4:" or "6:", the prefix's bits as 0 and 1, "/", the whole
//	            address in hex: network_cmp's order (family, the bits both
//	            prefixes have, the prefix length, the whole address), so
//	            10.0.0.0/8 < 10.0.0.1/8 < 10.0.0.1/32 < 11.0.0.0/8 < ::1
//	            and 10.0.0.1/24 is not 10.0.0.1/32.
//	interval    interval, interval(p) -> "iv:P" or "iv:N" and 22 digits: the
//	            value as PostgreSQL compares it (interval_cmp_value: a month
//	            is 30 days, a day 24 hours, in microseconds; N for a negative
//	            value, 10^22 added), so '1 day' = '24:00:00' and '1 mon' =
//	            '30 days'. Read (IntervalStyle postgres): [@] fields [ago],
//	            a field "N unit" (microsecond ... millennium, PostgreSQL's
//	            names and abbreviations, any case), [-]H:MM[:SS[.f]],
//	            the SQL standard [-]Y-M and "D H:MM:SS", a bare number of
//	            seconds at the end; ISO 8601 P[nY][nM][nW][nD][T[nH][nM][nS]].
//	            Fractions only where PostgreSQL's result is exact: seconds
//	            and the time (6 digits), milliseconds (3). "1.5 days",
//	            PostgreSQL's floating-point spill, ISO 8601's alternative
//	            format, "infinity" and stray punctuation are invalid.
//	            interval restricted to fields (interval day to second) is
//	            opaque: it reads a bare number by its last field.
//	timetz      time with time zone, timetz -> "tz:" UTC time + 16h in
//	            microseconds (12 digits) ":" zone west + 57600 s (6 digits):
//	            timetz_cmp compares the UTC time, then the zone, so
//	            '12:00+01' and '11:00+00' are one instant but not equal
//	            ('12:00+01' sorts first). A time as time reads it (at most 6
//	            fraction digits) and a zone Z, UTC, GMT, ±H[H], ±HHMM,
//	            ±HH:MM[:SS] below 16 hours; no zone (PostgreSQL would take its
//	            TimeZone setting) and zone names are invalid.
//	money       money -> "money:P" or "money:N" and 19 digits: the cents,
//	            read as cash_in reads them with lc_monetary C ($, decimal
//	            point ".", "," ignored, two fraction digits, a third of 5 or
//	            more rounding away from zero: '$1,234.565' is 1234.57;
//	            -5, (5), 5- and -$5 negative; "" and "$" zero) or a JSON
//	            number (a double below 2^53, as its shortest decimal). A
//	            database whose lc_monetary has another symbol, decimal point
//	            or number of fraction digits reads money otherwise: Warden
//	            assumes C (or any locale with "$", "." and 2 digits).
//
// On them _eq _neq _in _nin _is_null apply, and _ceq _cneq with a column
// of the same type; _gt _lt _gte _lte (and _cgt ...) on time, bytea,
// interval, timetz, money, inet and cidr only, whose canonical text sorts
// as PostgreSQL sorts the values; and on
// arrays Hasura's _contains and _contained_in (PostgreSQL's @> and <@:
// elements compared at any depth, a NULL element equal to nothing; Filter's
// predicate gives them as an array node); on ltree _ancestor and
// _descendant (@> and <@), against a path or a session variable (Filter's
// predicate gives them as the list of a literal path's ancestors, or as a
// regular expression on the path's text). Hasura's other operators on
// ltree and arrays Warden leaves to the database, never a guess: _matches
// (~ lquery), _matches_fulltext (@ ltxtquery), _matches_any (? lquery[]),
// _ancestor_any (@> ltree[]) and _descendant_any (<@ ltree[]), and _gt
// _lt _gte _lte with a value on ltree (PostgreSQL orders label by label
// with memcmp, not as the text sorts) and on arrays (array_cmp, text
// elements by the column's collation), as the PostGIS operators below:
// Check answers NEEDS_DATA naming the column and
// the operator ("path (_matches: ltree, decided by the database)",
// "ns (_gt: int4[], decided by the database)") unless the rest of the
// rule decides the row; Filter's predicate has a database node, and its
// PostgreSQL SQL applies PostgreSQL's operator to a text parameter cast
// to the operand's type (col ~ $1::text::lquery, col @> $1::text::ltree[],
// col > $1::text::integer[]), as Hasura renders them; MySQL and SQLite
// answer SQL_UNSUPPORTED. _matches and _matches_fulltext take text (not
// empty, no NUL, at most 64 KiB), _matches_any a list of text,
// _ancestor_any and _descendant_any a list of valid paths; each takes a
// session variable instead, its value the text PostgreSQL reads (an array
// as {a.b,c}). Warden does not parse lquery or ltxtquery: a bad one is
// PostgreSQL's error when Filter's SQL runs, never SQL text. _cgt _clt
// _cgte _clte between two ltree or two array columns are the database's
// too (see the column comparisons below). Still load problems: pattern
// operators on these types. Hasura has no _lca operator (lca is a
// function).
// Filter's SQL casts the values to the column's type in PostgreSQL
// ($1::text::integer[]); MySQL and SQLite have no such types, so a Filter
// asking for their SQL answers SQL_UNSUPPORTED for these comparisons.
//
// PostGIS geometry and geography columns (geometry, geometry(Point,4326),
// extensions.geography, ...; model.Type.Spatial) take _is_null and
// Hasura's _st_* operators, which Warden never evaluates: on geometry
// _st_contains _st_crosses _st_equals _st_intersects _st_overlaps
// _st_touches _st_within _st_d_within _st_3d_intersects _st_3d_d_within,
// on geography _st_intersects and _st_d_within. The value is a GeoJSON
// geometry (RFC 7946; type and coordinates, or geometries for a
// GeometryCollection; a crs member sets the SRID for PostGIS), or a
// session variable holding one as JSON text (a session value that is not
// GeoJSON is INVALID_ARGUMENT, in Check and Filter); the _d_within forms take
// {distance, from, use_spheroid} with a literal geometry (use_spheroid on
// geography only, true when absent, as in Hasura). Check answers
// NEEDS_DATA for a row whose rule reads one, naming the column and the
// operator ("at (_st_within: PostGIS, decided by the database)"), with
// the residual, unless the rest of the rule decides the row without it
// (an _or whose other branch holds); it never guesses. Filter's predicate
// has a spatial node, and its PostgreSQL SQL calls PostGIS's function with
// the values as parameters, as Hasura does:
// ST_Within(col, ST_GeomFromGeoJSON($1::text)), ::geography for a
// geography column, ST_DWithin(col, g, $2::numeric[, $3::boolean]); a
// NULL column passes neither the operator nor its negation. MySQL and
// SQLite have no PostGIS: Filter asking for their SQL answers
// SQL_UNSUPPORTED. Other operators on PostGIS columns (_eq, _gt, _in, ...)
// are load problems: PostgreSQL's geometry equality and ordering are not
// Hasura's _st_equals, and Warden does not decide them.
//
// Hasura's _cast ($cast) applies operators to a PostGIS column cast to the
// other PostGIS type: {at: {_cast: {geography: {_st_d_within: {distance:
// 1000, from: {type: Point, coordinates: [0, 0]}}}}}} on a geometry
// column, {area: {_cast: {geometry: {_st_contains: ...}}}} on a geography
// column (the type name case-insensitive, as in Hasura). The operators
// and their values are the target type's (on geography _st_intersects and
// _st_d_within, with use_spheroid; _is_null too), decided as the other
// PostGIS operators: Check answers NEEDS_DATA ("at (_st_d_within: PostGIS
// on the column cast to geography, decided by the database)") unless the
// rest of the rule decides the row; Filter's spatial node carries the
// cast, and its PostgreSQL SQL casts the column as Hasura does,
// ST_DWithin((col)::geography, ST_GeomFromGeoJSON($1::text)::geography,
// $2::numeric, $3::boolean); MySQL and SQLite answer SQL_UNSUPPORTED.
// Load problems, with what Hasura admits in the message: a cast Hasura
// rejects (geometry to geometry, text to geography, ...; Hasura admits
// geometry to geography, geography to geometry and jsonb to text), and a
// _cast inside a _cast.
//
// Hasura's third cast, a jsonb column to text ({doc: {_cast: {text:
// {_like: "%foo%"}}}}, text case-insensitive), applies text's operators
// (_eq _neq _gt _lt _gte _lte _in _nin _like _nlike _ilike _nilike
// _similar _nsimilar _regex _nregex _iregex _niregex, model.JSONBText) to
// the text PostgreSQL writes for the value (jsonb_out). Warden does not
// reproduce that text, so the database decides them all, as the opaque
// comparisons below: Check answers NEEDS_DATA ("doc (_like: the column's
// text (_cast to text), decided by the database)") unless the rest of the
// rule decides the row; Filter's predicate has a database node carrying
// the cast, and its PostgreSQL SQL is Hasura's, ("t"."doc")::text LIKE
// $1::text (_in: = ANY($1::text[])); MySQL and SQLite answer
// SQL_UNSUPPORTED. Values are text, a list of texts for _in and _nin, or
// a session variable holding text (for _in and _nin a PostgreSQL array
// literal, {a,b}; one holding {} makes _nin true, a NULL column included,
// as Hasura's NOT (c = ANY('{}'))). _is_null inside the cast is the
// column's own (the text is NULL exactly when the column is). Load
// problems: any other operator inside (jsonb's, _ceq ..., unknown ones),
// a _cast inside it, a value that is not text, a cast of a json column.
//
// Any other type (tsvector, ranges, an interval restricted to fields,
// arrays of other element types, an enum or domain
// declared without its labels or base type, ...) loads as an opaque
// column: rows may carry any JSON value for it, and _is_null decides on it
// exactly. Hasura's generic comparisons, which apply to every scalar type
// (_eq _neq _gt _lt _gte _lte _in _nin), Warden leaves to the database
// (model.DatabaseOpaque), as the ltree operators above: Check answers
// NEEDS_DATA naming the column, the operator and the type ("span (_gt:
// int4range, decided by the database)") unless the rest of the rule
// decides the row; Filter's PostgreSQL SQL compares with a text parameter
// cast to the column's declared type (col = $1::text::tsvector, col =
// ANY($1::text::int4range[]) for _in, and for _nin Hasura's NOT (col =
// ANY(...)), which an empty list makes true for every row, a NULL column
// included: for a session variable holding PostgreSQL's empty array ({},
// white space around and inside the braces allowed, as array_in reads
// it) Check allows every row and Filter is ALWAYS_ALLOWED, and for any
// other value a NULL column passes neither, as in Hasura's SQL, where a
// NULL element makes NOT (c = ANY(...)) hold for no row); MySQL and SQLite answer
// SQL_UNSUPPORTED. The value is text (at most 64 KiB, no NUL), a list of
// text, or a session variable holding the text PostgreSQL reads (for _in
// and _nin an array literal such as {"[1,4]",empty}); a bad value is
// PostgreSQL's error when Filter's SQL runs. The declared type is written
// into the SQL's cast only when it is in a closed grammar
// (model.OpaqueCast): a name, optionally schema-qualified, each part an
// unquoted identifier (letters, digits and _; written as declared) or a
// quoted one (written with its double quotes doubled, as Warden quotes
// every identifier: "My Type", "s"."t""q"), with optional numeric
// arguments (bit(3), numeric(10,2)); or one of SQL's multi-word type
// names, keywords in any case and spacing (double precision, character
// varying(n), bit varying(n), national character [varying](n),
// time(p) and timestamp(p) with or without time zone, interval with
// fields such as interval day to second(p)), written lower-case and
// single-spaced; either followed by any number of []. The value is cast
// to that type as declared (an interval day to second reads a bare
// number by its last field, a timestamp(3) rounds to milliseconds, as the
// column does). On a type outside the grammar (an unquoted name with
// spaces or punctuation) these operators remain load problems naming the
// column, its type and the operator, and so do pattern operators on
// opaque columns. warden schema pull warns about each opaque column.
//
// Column comparisons Warden cannot decide itself are the database's, as
// Hasura renders them (col1 OP col2): _cgt _clt _cgte _clte between two
// ltree or two array columns, and _ceq _cneq _cgt _clt _cgte _clte
// between two opaque columns (any opaque type, whatever its name: no
// cast is written). Both columns must have the same type, as Hasura
// requires (int4 and integer are one type; a typo or two types is a load
// problem), and the other may be the root row's (["$", col]) inside
// _exists or a relationship. Check answers NEEDS_DATA naming both columns
// and the operator ("a (_cgt: ltree, decided by the database)", "b (...)";
// "public.grants[].path (...)" for a column of an _exists row) unless the
// rest of the rule decides the row; Filter's predicate has a database
// node whose operand is the other column (DatabasePredicate.other_column),
// its PostgreSQL SQL compares the two quoted columns ("t"."a" > "t"."b";
// a type without the operator is PostgreSQL's error), a NULL on either
// side passing neither the operator nor its negation; MySQL and SQLite
// answer SQL_UNSUPPORTED.
// warden schema pull records a PostGIS column's type as PostgreSQL writes
// it, geometry type and SRID included (geometry(Point,4326)).
// Foreign-key columns must have the same kind as the columns they reference.
// Tables of the schema that the metadata does not track are loaded too, but
// an _exists over one, or a relationship to one, is a problem (the
// permission or relationship is left out), as in Hasura, which looks
// _exists._table up among the tracked tables of the rule's own source only
// and makes a relationship depend on its target table.
//
// # Metadata
//
// A table entry takes table: {schema, name}, or a string naming a table in
// schema public — as in Hasura, a string is not split at a dot (the same
// holds for every table named in the metadata: relationship targets and
// _exists._table). It also takes
// object_relationships, array_relationships, the four permission lists and
// computed_fields (read only to give a clear error when a filter uses one),
// and configuration, whose custom_name, custom_root_fields and column
// names (column_config, custom_column_names) name the table's GraphQL
// root fields and columns (tablegql.go: a shape Warden cannot read is a
// note, never an error), and remote_relationships (tablegql.go:
// to_source, to_remote_schema and the older remote_schema with
// hasura_fields; one Warden cannot read is kept by name with a note, and
// CheckGraphQL leaves it undecided). is_enum,
// event_triggers,
// apollo_federation_config and logical_model are ignored; any other key is
// an error (Hasura rejects it too), so that a typo cannot silently drop
// permissions.
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
// (required), limit, allow_aggregations, computed_fields (names of the
// table's computed fields the role may read), query_root_fields and
// subscription_root_fields (which of select, select_by_pk,
// select_aggregate and, on subscriptions, select_stream the role has as
// root fields; absent or null means all, [] none; inherited roles get
// their parents' union). insert takes check (required), set, columns
// (absent = every column) and backend_only. update takes columns and filter
// (required), check (absent = true), set and backend_only. delete takes
// filter (required) and backend_only. The mutations also accept and ignore
// computed_fields, as Hasura does. validate_input (an input validation
// webhook Warden cannot call) makes the permission inconsistent, and any
// other key is an error (the permission is inconsistent). Role admin may have no
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
//   - on a date, timestamp or timestamptz column, PostgreSQL's special
//     inputs "now()", "now", "today", "tomorrow" and "yesterday" (any case,
//     spaces around ignored) in a comparison or a preset are the time of
//     the decision, in UTC (model.ClockWord): a SessionVar with Clock set,
//     which the engine fills per request and Filter's SQL reads from the
//     database's clock; in a list they are invalid values;
//   - _is_null takes a boolean literal only;
//   - column comparisons take "col" or ["col"] (the table in scope) or
//     ["$", "col"] (the permission's root table); longer paths are errors,
//     and both columns must have the same PostgreSQL type (int4 and serial
//     are integer, but integer and bigint differ), as Hasura requires;
//   - a scalar computed field is read like a column (Table.Field), a
//     set-returning one (setof a table) like an array relationship whose
//     rows are the function's (Relationship.Function); a computed field
//     whose function is not in the schema file is inconsistent;
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
// same permission (compared as the model); different permissions make the
// inherited permission inconsistent, asking for an explicit permission on
// the inherited role. An explicit permission of an inherited role always
// wins. Parents are resolved first; a cycle makes its roles inconsistent,
// admin in a declaration is an error, and a parent named nowhere else adds
// nothing (Hasura declares no roles) and is noted. A logical model's select
// permissions are inherited as a table's select (logical.go: Hasura resolves
// them with the tables' combination), their column conditions carried to the
// native query's entity.
//
// # Errors
//
// Every content problem is reported at once, in a *ValidationError whose
// Problems carry the file, the path in it and the line. I/O errors and a
// cancelled context are returned wrapped.
package load
