package compile

import (
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/wardenpdp/warden/policy/model"
)

// JSONBMaxDepth is the deepest jsonb value the containment operators
// compare (Rego has no recursion, so containment is unrolled to this
// depth). Deeper values are rejected before evaluation.
const JSONBMaxDepth = 8

// NotIn and NotInLower are the library functions of a negated _in (_nin,
// or _in under _not) whose list is a session variable:
// data.warden.lib.not_in(value, list) and not_in_lower(value, list), the
// latter comparing lower(value) (citext). They hold as Hasura's SQL NOT
// (c = ANY(list)) under a WHERE clause: for an empty list always, a NULL
// value included; otherwise when the value is not NULL and not in list.
const (
	NotIn      = "not_in"
	NotInLower = "not_in_lower"
)

// JSON null in Rego. A row's json or jsonb column (or a jsonb session
// variable) that holds the JSON literal null is the empty set in input,
// since Rego's null is SQL NULL there (every comparison's "!= null" guard,
// _is_null): a set never comes from JSON, so it is told apart from every
// JSON value, equals only itself (jsonb equality of two JSON nulls), and is
// no object, array or string (no key operator finds anything in it). The
// jsonb helpers read it as the null it stands for (json_value).
const JSONNullRego = "set()"

// JSONNullTerm is the input term of a JSON null (see JSONNullRego).
func JSONNullTerm() *ast.Term { return ast.SetTerm() }

// BpcharPad is the library function that pads a character(n) value for
// the pattern operators: data.warden.lib.bpchar_pad(value, n).
const BpcharPad = "bpchar_pad"

// Spatial is the library function of a PostGIS operator:
// data.warden.lib.spatial(op, value, geojson), which Warden never
// evaluates (see LibModule).
const Spatial = "spatial"

// SpatialCast is the library function of a PostGIS operator on a column
// cast to the other PostGIS type (Hasura's _cast):
// data.warden.lib.spatial_cast(type, op, value, geojson), which Warden
// never evaluates (see LibModule).
const SpatialCast = "spatial_cast"

// Database is the library function of the other operators Warden leaves
// to the database (model.DatabaseOps, the ordering of ltree and arrays):
// data.warden.lib.database(op, value, operand), which Warden never
// evaluates (see LibModule).
const Database = "database"

// DatabaseNotIn is the library function of _nin over a session variable on
// a column whose comparisons the database decides:
// data.warden.lib.database_not_in(value, list text), true for an empty
// array whatever the value is (see LibModule).
const DatabaseNotIn = "database_not_in"

// DatabaseCast is the library function of a text operator on a jsonb
// column cast to text (Hasura's _cast, model.JSONBText):
// data.warden.lib.database_cast(type, op, value, operand), which Warden
// never evaluates (see LibModule).
const DatabaseCast = "database_cast"

// DatabaseNotInCast is _nin over a session variable on a jsonb column cast
// to text: data.warden.lib.database_not_in_cast(type, value, list text),
// true for an empty array whatever the value is (see LibModule).
const DatabaseNotInCast = "database_not_in_cast"

// LibModule returns the shared module of helper functions: the Rego form
// of PostgreSQL's jsonb operators, and the padding of character(n) values
// that pattern operators see.
func LibModule() Module {
	var b strings.Builder
	b.WriteString(`# Compiled by Warden. Shared helpers: PostgreSQL jsonb operators, the
# padding of character(n) values and NOT (x = ANY(list)).
package warden.lib

# bpchar_pad(s, n) is a character(n) value as PostgreSQL's pattern operators
# (LIKE, SIMILAR TO, regular expressions) see it: padded with spaces to n
# characters (code points; sprintf's width counts them so). Row values hold
# no trailing spaces (they are trimmed) and at most n characters (longer
# ones are invalid); a longer string is left as it is. Undefined for
# anything but a string.
bpchar_pad(s, n) := sprintf("%-*s", [n, s]) if is_string(s)

# not_in(x, list) is PostgreSQL's NOT (x = ANY(list)) as a WHERE clause
# sees it, Hasura's _nin: x = ANY('{}') is false even for a NULL x, so the
# negation holds for an empty list whatever x is; otherwise it holds when x
# is not NULL and no element equals it. not_in_lower compares lower(x)
# (citext; the list is lower-cased already).
not_in(_, list) if count(list) == 0

not_in(x, list) if {
	x != null
	not x in list
}

not_in_lower(_, list) if count(list) == 0

not_in_lower(x, list) if {
	x != null
	not lower(x) in list
}

# json_value(x) is a jsonb value with a JSON null at the top (set(), which
# stands for it in input apart from SQL NULL's null) as the null it is;
# inside a value null is always JSON's.
json_value(x) := null if {
	x == set()
} else := x

# jsonb_contains(x, v) is x @> v: every key of an object v is in x with a
# value that contains v's value; every element of an array v is contained in
# some element of x; scalars are equal. At the top level only, an array x
# contains a scalar v that is one of its elements ('[null]' @> 'null').
jsonb_contains(x, v) if {
	contains_0(json_value(x), json_value(v))
}

jsonb_contains(x, v) if {
	is_array(x)
	not is_array(v)
	not is_object(v)
	some e in x
	e == json_value(v)
}

# spatial(op, g, v) stands for the PostGIS predicate of Hasura's operator
# op (_st_intersects, ...) on a geometry or geography value g and the
# GeoJSON value v. Warden does not evaluate PostGIS: Check answers
# NEEDS_DATA for a row whose rule reads one (partial evaluation keeps the
# call, with g unknown), and Filter renders the call as PostGIS's
# function. It holds for no geometry: g would have to be an object with
# the key "warden.spatial", which GeoJSON has not. (A body that is false
# whatever g is would let partial evaluation decide the call.)
spatial(op, g, v) if {
	g == {"warden.spatial": [op, v]}
}

# spatial_cast(t, op, g, v) is spatial(op, g, v) with g cast to the
# PostGIS type t first (Hasura's _cast: geometry to geography, geography
# to geometry). Never evaluated either.
spatial_cast(t, op, g, v) if {
	g == {"warden.spatial": [t, op, v]}
}

# database(op, x, v) stands for PostgreSQL's operator of Hasura's operator
# op on a column value x and the operand v (the text PostgreSQL reads):
# ltree's _matches, _matches_fulltext, _matches_any, _ancestor_any and
# _descendant_any, and _gt, _lt, _gte, _lte on ltree and arrays, whose
# order is PostgreSQL's. Warden does not evaluate them, as spatial: it
# holds for no column value (canonical text is a string, never this
# object), and partial evaluation keeps the call.
database(op, x, v) if {
	x == {"warden.database": [op, v]}
}

# database_not_in(x, v) is _nin over a session variable on a column whose
# comparisons the database decides (an opaque column), v the text of a
# PostgreSQL array of the column's type: Hasura's NOT (x = ANY(v)). An
# empty array (PostgreSQL's '{}', white space around and inside the
# braces) makes it true whatever x is, a NULL x included; otherwise it
# holds when x is not NULL and the database finds x in no element
# (database, which Warden does not evaluate).
database_not_in(_, v) if regex.match(` + "`" + model.PGArrayEmptyPattern + "`" + `, v)

database_not_in(x, v) if {
	x != null
	not database("_in", x, v)
}

# database_cast(t, op, x, v) is database(op, x, v) on x cast to the type
# t first (Hasura's _cast of a jsonb column to text: the text PostgreSQL
# writes for x). Never evaluated either: it holds for no column value (a
# set with these elements never comes from JSON).
database_cast(t, op, x, v) if {
	x == {"warden.database", t, op, v}
}

# database_not_in_cast(t, x, v) is database_not_in(x, v) on x cast to t.
database_not_in_cast(_, _, v) if regex.match(` + "`" + model.PGArrayEmptyPattern + "`" + `, v)

database_not_in_cast(t, x, v) if {
	x != null
	not database_cast(t, "_in", x, v)
}

# array_contains(a, v) is a @> v for arrays in canonical text
# ({1,2,NULL}, {a,"b c"}): every element of v equals some element of a, at
# any depth; a NULL element equals nothing. Canonical texts quote an element
# exactly when PostgreSQL's output does, so equal elements have equal
# tokens.
array_contains(a, v) if {
	have := {t | some t in regex.find_n(array_token, a, -1); t != "NULL"}
	every t in regex.find_n(array_token, v, -1) {
		t in have
	}
}

# array_token matches one element of an array in canonical text: quoted, or
# bare (NULL among them).
array_token := "\"(?:[^\"\\\\]|\\\\.)*\"|[^,{}\"]+"

# jsonb_has_key(x, k) is x ? k: k is a key of object x, a string element of
# array x, or equal to string x.
jsonb_has_key(x, k) if {
	is_object(x)
	_ = x[k]
}

jsonb_has_key(x, k) if {
	is_array(x)
	some e in x
	e == k
}

jsonb_has_key(x, k) if {
	is_string(x)
	x == k
}

# jsonb_has_keys_any(x, ks) is x ?| ks.
jsonb_has_keys_any(x, ks) if {
	some k in ks
	jsonb_has_key(x, k)
}

# jsonb_has_keys_all(x, ks) is x ?& ks (true for an empty ks).
jsonb_has_keys_all(x, ks) if {
	every k in ks {
		jsonb_has_key(x, k)
	}
}
`)
	for d := 0; d < JSONBMaxDepth; d++ {
		next := fmt.Sprintf("contains_%d", d+1)
		fmt.Fprintf(&b, "\ncontains_%d(x, v) if {\n\tnot is_object(v)\n\tnot is_array(v)\n\tx == v\n}\n", d)
		if d == JSONBMaxDepth-1 {
			continue
		}
		fmt.Fprintf(&b, "\ncontains_%d(x, v) if {\n\tis_object(v)\n\tis_object(x)\n\tevery k, w in v {\n\t\t%s(x[k], w)\n\t}\n}\n", d, next)
		fmt.Fprintf(&b, "\ncontains_%d(x, v) if {\n\tis_array(v)\n\tis_array(x)\n\tevery w in v {\n\t\tsome y in x\n\t\t%s(y, w)\n\t}\n}\n", d, next)
	}
	return Module{Path: "warden/lib.rego", Package: LibPackage, Source: b.String()}
}
