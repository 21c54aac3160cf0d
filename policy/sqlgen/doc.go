package sqlgen

// Per-dialect decisions. The contract is the Rego's meaning (package
// compile), which package residual's Eval restates in Go; the differential
// test (package difftest) proves each row below against PostgreSQL 15,
// MariaDB 10.11 and SQLite, on generated policies and data. Columns are
// assumed to hold values in the canonical form of their kind (model.Kind).
//
//	what                       PostgreSQL                    MySQL / MariaDB                       SQLite
//	placeholders               $n::type, numbered from       ?  (CAST(? AS ...) where the type     ?
//	                           FirstPlaceholder              matters)
//	identifiers                "x" ("" doubles)              `x` (`` doubles)                      "x" ("" doubles)
//	schema "public"            "public".t                    t (other schemas: database.t)        t (others: attached db)
//	NOT of a nullable leaf     (x) IS NOT TRUE, or NOT (x) when an AND sibling says IS NOT NULL (all dialects)
//	text =, <>, IN             as is (deterministic          CAST(c AS BINARY) = CAST(? AS BINARY) c COLLATE BINARY = ?
//	                           collations compare bytes)     (no PAD SPACE, no _ci folding)
//	text <, <=, >, >=          c COLLATE "C" < $n::text      CAST(... AS BINARY) (bytes)            c COLLATE BINARY < ?
//	citext, json columns       c::text, c::jsonb             -                                     -
//	lower(c) (citext) =, <>,   c::text ~ $n: ^...$ with each c COLLATE utf8mb4_bin REGEXP ?:      c GLOB ? per value (OR-ed),
//	IN with values             character the class of those  the same classes                      the same classes
//	                           unicode.ToLower maps to it (k: k, K, Kelvin sign); no letters: compared as text; a value nothing
//	                           lower-cases to: FALSE (<>: c IS NOT NULL). Never LOWER(): exact in any locale (lower.go)
//	lower(c) <, <=, >, >=,     LOWER(c::text COLLATE         unsupported: LOWER() maps case by     unsupported: lower() folds
//	compared with a column     "default") COLLATE "C": the   the collation's (older) Unicode       ASCII letters only
//	                           citext type's own lower-      tables
//	                           casing; Go's under glibc UTF-8 locales, not under C/POSIX (ASCII) or ICU (İ, final Σ)
//	uuid                       uuid                          CHAR(36) lower case, compared as bytes TEXT lower case, bytes
//	numeric                    $n::numeric (exact)           CAST(? AS DECIMAL(65,s)), s the       CAST(? AS NUMERIC), ? bound as
//	                                                         value's scale (at most 30); beyond    decimal text: INTEGER when whole
//	                                                         65 digits unsupported (a cast would   and 64-bit (exact), else REAL
//	                                                         clamp it)                             (a REAL column: doubles)
//	boolean                    boolean                       0/1                                   0/1
//	date, timestamp            $n::date, $n::timestamp       CAST(? AS DATE / DATETIME(6))         TEXT in canonical form
//	timestamptz                $n::timestamptz (…Z, UTC)     DATETIME(6) holding UTC               TEXT …Z
//	_in / _nin                 c = ANY($n::type[]); empty    c IN (?, ...); empty list FALSE       c IN (?, ...); empty FALSE
//	                           list FALSE; _nin is NOT with  (the same guards)                     (the same guards)
//	                           the IS NOT NULL guard; _nin over an empty list is TRUE, a NULL c included (Hasura's
//	                           NOT (c = ANY('{}'))): the bound tree holds TRUE there, so every dialect renders TRUE
//	_like                      c LIKE $n (pattern re-escaped c COLLATE utf8mb4_bin LIKE ?          c GLOB ? (GLOB is case-
//	                           with \: a trailing \ is a     ESCAPE '!' (per character, case-      sensitive and per character;
//	                           literal \, as in Rego)        sensitive; no NO_BACKSLASH_ESCAPES    LIKE folds ASCII case)
//	                                                         dependence)
//	_ilike                     c ~ $n: a regular expression  c COLLATE utf8mb4_bin REGEXP ?: the   c GLOB ? with every letter a
//	                           whose letters are classes of  same, in PCRE/ICU syntax              class of its case orbit
//	                           their Unicode case orbit      ([kKK]), as Go's (?i) folds
//	                           (ILIKE's lower() differs)
//	_similar, _regex, _iregex  c ~ $n: the Go regular        c COLLATE utf8mb4_bin REGEXP ?: the   unsupported (no REGEXP in
//	                           expression printed as an ARE: same construct by construct; \z for   SQLite): UnsupportedError
//	                           (?s) dots, [^\n], \b as       $ (PCRE's $ matches before a final
//	                           look-around on [0-9A-Za-z_],  newline), (?:^|(?<=\n)) for (?m)^
//	                           case folding as classes
//	pad(c, n): character(n)    (c || REPEAT(' ', $n::integer CONCAT(c, REPEAT(' ', ? -              (c || substr(printf('%*s', ?,
//	under a pattern operator   - CHAR_LENGTH(c))): bpchar    CHAR_LENGTH(c))): CHAR strips the     ''), length(c) + 1)): no REPEAT
//	                           to text drops the padding,    padding on read; n bound, never RPAD (it cuts a longer value)
//	                           CHAR_LENGTH ignores it
//	jsonb =, <>, IN, _ceq      jsonb equality                unsupported: JSON text has no         unsupported (same)
//	                                                         equality ignoring key order and
//	                                                         number spelling
//	_contains, _contained_in   @>, <@ ($n::jsonb)            unsupported: JSON_CONTAINS looks into unsupported: json1 has no
//	                                                         nested arrays, jsonb does not         containment
//	_has_key(s_any/_all)       ?, ?|, ?& ($n::text[])        CASE JSON_TYPE: object key by         EXISTS over json_each: object
//	                                                         JSON_CONTAINS_PATH(JSON_QUOTE(?)),    key, string element or the
//	                                                         top-level string element by           string itself; any/all as
//	                                                         JSON_TABLE, or the string itself      OR/AND per key
//	relationships, _exists     EXISTS (SELECT 1 FROM target AS _wN WHERE join AND where); $ columns stay on the outer
//	                           alias; _exists has no join (all dialects)
//
// An UnsupportedError is returned at request time (the server answers
// FAILED_PRECONDITION) and reported by Validate at load time, never dropped
// from the filter. Patterns taken from session variables can only be
// checked per request.
