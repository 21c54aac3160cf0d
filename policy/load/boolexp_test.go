package load

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/wardenpdp/warden/policy/model"
)

// trackAuditLog tracks audit.log, a table of the base fixture's schema
// that its metadata leaves untracked, in the source of the tables the
// tests' rules are on: Hasura reads _exists only over tracked tables.
func trackAuditLog(t testing.TB, ld *loader) {
	t.Helper()
	log, ok := ld.tables[model.TableName{Schema: "audit", Name: "log"}]
	if !ok || log.Source != "" {
		t.Fatalf("base fixture: audit.log missing or already tracked: %+v", log)
	}
	log.Source, log.SourceKind = "default", "postgres"
}

// TestExistsUntracked: an _exists over a table the metadata does not
// track is a problem (the permission is left out), as in Hasura, whose
// askFieldInfoMapSource looks _exists._table up among the tracked tables
// only ("table ... does not exist"): never a rule over rows Hasura would
// not read.
func TestExistsUntracked(t *testing.T) {
	ld := baseLoader(t)
	e, problems := parseExpr(t, ld, "things", `{_exists: {_table: {schema: audit, name: log}, _where: {actor: {_eq: X-Hasura-User-Id}}}}`)
	want := `f:1: filter._exists._table: table audit.log of _exists is not tracked: Hasura reads _exists only over tracked tables ("table audit.log does not exist"); track it in the metadata`
	if e != nil || len(problems) != 1 || problems[0].String() != want {
		t.Errorf("got %s and problems %q, want none and %q", sexp(e), problemStrings(problems), want)
	}
}

// TestExistsOtherSource: an _exists over a table another source tracks
// is a problem too: Hasura looks it up in the rule's own source.
func TestExistsOtherSource(t *testing.T) {
	ld := baseLoader(t)
	// audit.pair_parents is tracked in source second; things in default.
	e, problems := parseExpr(t, ld, "things", `{_exists: {_table: {schema: audit, name: pair_parents}, _where: {}}}`)
	want := `f:1: filter._exists._table: table audit.pair_parents of _exists is tracked in source second, not in source default of this rule: Hasura reads _exists in the rule's own source ("table audit.pair_parents does not exist")`
	if e != nil || len(problems) != 1 || problems[0].String() != want {
		t.Errorf("got %s and problems %q, want none and %q", sexp(e), problemStrings(problems), want)
	}
}

func TestBoolExp(t *testing.T) {
	ld := baseLoader(t)
	trackAuditLog(t, ld)
	tests := []struct {
		name, table, src, want string
	}{
		{"empty", "things", `{}`, `true`},
		{"shorthand", "things", `{id: 1}`, `(_eq id 1)`},
		{"shorthand session", "things", `{id: X-Hasura-User-Id}`, `(_eq id $x-hasura-user-id:integer)`},
		{"eq", "things", `{id: {_eq: 1}}`, `(_eq id 1)`},
		{"$eq", "things", `{id: {$eq: 1}}`, `(_eq id 1)`},
		{"neq", "things", `{id: {_neq: 1}}`, `(_neq id 1)`},
		{"ne alias", "things", `{id: {_ne: 1}}`, `(_neq id 1)`},
		{"$ne alias", "things", `{id: {$ne: 1}}`, `(_neq id 1)`},
		{"ordering", "things", `{id: {_gt: 1, _lt: "5", _gte: 0, $lte: 9}}`,
			`(and (_gt id 1) (_lt id 5) (_gte id 0) (_lte id 9))`},
		{"no operators", "things", `{id: {}}`, `true`},
		{"keys in order", "things", `{title: x, id: 1}`, `(and (_eq title "x") (_eq id 1))`},
		{"and empty", "things", `{_and: []}`, `true`},
		{"or empty", "things", `{_or: []}`, `false`},
		{"$and one", "things", `{$and: [{id: 1}]}`, `(and (_eq id 1))`},
		{"or", "things", `{_or: [{id: 1}, {id: 2}]}`, `(or (_eq id 1) (_eq id 2))`},
		{"$or", "things", `{$or: [{id: 1}]}`, `(or (_eq id 1))`},
		{"not", "things", `{_not: {id: 1}}`, `(not (_eq id 1))`},
		{"$not empty", "things", `{$not: {}}`, `(not true)`},
		{"in", "things", `{id: {_in: [1, "2", 3.0]}}`, `(_in id [1,2,3])`},
		{"in empty", "things", `{id: {_in: []}}`, `(_in id [])`},
		{"nin session", "things", `{id: {_nin: X-Hasura-Ids}}`, `(_nin id $x-hasura-ids:integer[])`},
		{"$in", "things", `{title: {$in: [a, b]}}`, `(_in title ["a","b"])`},
		{"is_null", "things", `{title: {_is_null: true}}`, `(_is_null title true)`},
		{"$is_null false", "things", `{title: {$is_null: false}}`, `(_is_null title false)`},
		{"like", "things", `{title: {_like: "a%"}}`, `(_like title "a%")`},
		{"nlike", "things", `{title: {_nlike: "a%"}}`, `(_nlike title "a%")`},
		{"ilike", "things", `{title: {_ilike: "a%"}}`, `(_ilike title "a%")`},
		{"nilike", "things", `{title: {_nilike: "a%"}}`, `(_nilike title "a%")`},
		{"similar", "things", `{title: {_similar: "(a|b)%"}}`, `(_similar title "(a|b)%")`},
		{"nsimilar", "things", `{title: {_nsimilar: "a"}}`, `(_nsimilar title "a")`},
		{"regex", "things", `{title: {_regex: "^a"}}`, `(_regex title "^a")`},
		{"iregex", "things", `{title: {_iregex: "^a"}}`, `(_iregex title "^a")`},
		{"nregex", "things", `{title: {_nregex: "^a"}}`, `(_nregex title "^a")`},
		{"niregex", "things", `{title: {_niregex: "^a"}}`, `(_niregex title "^a")`},
		{"$like session", "things", `{title: {$like: X-Hasura-Pattern}}`, `(_like title $x-hasura-pattern:text)`},
		{"citext", "tags", `{label: {_ilike: "%x%"}}`, `(_ilike label "%x%")`},
		{"text ordering", "things", `{title: {_gt: m}}`, `(_gt title "m")`},
		{"contains", "things", `{data: {_contains: {a: [1, 2.50]}}}`, `(_contains data {"a":[1,2.50]})`},
		{"contained_in", "things", `{data: {$contained_in: [1]}}`, `(_contained_in data [1])`},
		{"contains session", "things", `{data: {_contains: X-Hasura-Doc}}`, `(_contains data $x-hasura-doc:jsonb)`},
		{"has_key", "things", `{data: {_has_key: k}}`, `(_has_key data "k")`},
		{"has_key session", "things", `{data: {_has_key: X-Hasura-Key}}`, `(_has_key data $x-hasura-key:text)`},
		{"has_keys_any", "things", `{data: {_has_keys_any: [a, b]}}`, `(_has_keys_any data ["a","b"])`},
		{"has_keys_all session", "things", `{data: {_has_keys_all: X-Hasura-Keys}}`, `(_has_keys_all data $x-hasura-keys:text[])`},
		{"jsonb eq", "things", `{data: {_eq: [1, "x", null]}}`, `(_eq data [1,"x",null])`},
		{"eq on inet", "kinds", `{ip: {_eq: "10.0.0.1"}}`, `(_eq ip "4:00001010000000000000000000000001/0a000001")`},
		{"gt on inet", "kinds", `{ip: {_gt: "10.0.0.0/8"}}`, `(_gt ip "4:00001010/0a000000")`},
		{"eq on an array", "kinds", `{tags: {_eq: [a, "b c", null]}}`, `(_eq tags "{a,\"b c\",NULL}")`},
		{"cgt of arrays", "kinds", `{tags: {_cgt: tags, _clte: ["$", tags]}}`, `(and (_cgt tags @tags) (_clte tags $.tags))`},
		{"ceq cneq of tsvector", "kinds", `{doc: {_ceq: doc, _cne: [doc]}}`, `(and (_ceq doc @doc) (_cneq doc @doc))`},
		{"cgte of an opaque interval", "zones", `{span: {_cgte: span}}`, `(_cgte span @span)`},
		{"eq on an interval with fields", "zones", `{span: {_eq: "1 day"}}`, `(_eq span "1 day")`},
		{"ceq on a type Filter's SQL cannot name", "zones", `{odd: {_ceq: odd}}`, `(_ceq odd @odd)`},
		{"array contains", "kinds", `{tags: {_contains: [a]}}`, `(_contains tags "{a}")`},
		{"interval normalised", "kinds", `{ttl: {_gte: "24 hours"}}`, `(_gte ttl "iv:P0000000000086400000000")`},
		{"interval ISO 8601", "kinds", `{ttl: {_in: ["P1M", "-1 day ago"]}}`, `(_in ttl ["iv:P0000000002592000000000","iv:P0000000000086400000000"])`},
		{"negative interval", "kinds", `{ttl: {_lt: "-00:00:01"}}`, `(_lt ttl "iv:N9999999999999999000000")`},
		{"timetz", "zones", `{zoned: {_gt: "12:00+01"}}`, `(_gt zoned "tz:097200000000:054000")`},
		{"money", "kinds", `{price: {_lte: "$1,234.565"}}`, `(_lte price "money:P0000000000000123457")`},
		{"money ceq", "kinds", `{price: {_ceq: ["$", price]}}`, `(_ceq price $.price)`},
		{"array contained_in session", "kinds", `{tags: {_contained_in: X-Hasura-Tags}}`, `(_contained_in tags $x-hasura-tags:text)`},
		{"in arrays", "kinds", `{tags: {_in: ["{a}", [b]]}}`, `(_in tags ["{a}","{b}"])`},
		{"array session", "kinds", `{tags: {_neq: X-Hasura-Tags}}`, `(_neq tags $x-hasura-tags:text)`},
		{"time ordering", "kinds", `{at: {_gte: "9:30"}}`, `(_gte at "09:30:00.000000")`},
		{"is_null on inet", "kinds", `{ip: {_is_null: true}}`, `(_is_null ip true)`},
		{"enum eq", "kinds", `{status: Approved}`, `(_eq status "Approved")`},
		{"enum in session", "kinds", `{status: {_in: X-Hasura-S}}`, `(_in status $x-hasura-s:text[])`},
		{"enum ordering", "kinds", `{status: {_gte: Approved}}`, `(_gte status "Approved")`},
		{"enum ordering with a session variable", "kinds", `{status: {_lt: X-Hasura-S}}`, `(_lt status $x-hasura-s:text)`},
		{"domain over citext", "kinds", `{email: {_eq: A@B.C}}`, `(_eq email "a@b.c")`},
		{"domain like", "kinds", `{email: {_like: "%@b.c"}}`, `(_like email "%@b.c")`},
		{"is_null on an array", "kinds", `{_not: {tags: {_is_null: false}}}`, `(not (_is_null tags false))`},
		{"jsonb shorthand string", "things", `{data: hello}`, `(_eq data "hello")`},
		{"numeric", "things", `{n: {_gte: 1.50}}`, `(_gte n 1.50)`},
		{"numeric string", "things", `{n: {_eq: " 7 "}}`, `(_eq n 7)`},
		{"bigint string", "things", `{big: {_eq: "9007199254740993"}}`, `(_eq big 9007199254740993)`},
		{"boolean", "things", `{flag: true}`, `(_eq flag true)`},
		{"boolean text", "things", `{flag: {_eq: "off"}}`, `(_eq flag false)`},
		{"uuid", "things", `{uid: A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}`, `(_eq uid "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")`},
		{"date", "things", `{day: {_lt: 2024-02-01}}`, `(_lt day "2024-02-01")`},
		{"timestamp", "things", `{ts: {_gt: "2024-02-01 10:00"}}`, `(_gt ts "2024-02-01T10:00:00.000000")`},
		{"timestamptz", "things", `{tstz: {_gt: "2024-02-01T10:00:00+02:00"}}`, `(_gt tstz "2024-02-01T08:00:00.000000Z")`},
		{"session any case", "things", `{title: {_eq: x-HASURA-Name}}`, `(_eq title $x-hasura-name:text)`},
		{"ceq", "things", `{id: {_ceq: other_id}}`, `(_ceq id @other_id)`},
		{"ceq list", "things", `{id: {_ceq: [owner_id]}}`, `(_ceq id @owner_id)`},
		{"cne alias", "things", `{id: {_cne: owner_id}}`, `(_cneq id @owner_id)`},
		{"$cneq", "things", `{id: {$cneq: owner_id}}`, `(_cneq id @owner_id)`},
		{"cgt clt cgte clte", "things", `{id: {_cgt: other_id, _clt: other_id, _cgte: other_id, _clte: other_id}}`,
			`(and (_cgt id @other_id) (_clt id @other_id) (_cgte id @other_id) (_clte id @other_id))`},
		{"ceq root", "things", `{id: {_ceq: ["$", other_id]}}`, `(_ceq id $.other_id)`},
		{"ceq jsonb", "things", `{data: {_ceq: meta}}`, `(_ceq data @meta)`},
		{"object relationship", "things", `{owner: {name: {_eq: X-Hasura-Name}}}`,
			`(object owner public.things->public.people (_eq name $x-hasura-name:text))`},
		{"array relationship", "things", `{tags: {label: {_ilike: "%a%"}}}`,
			`(array tags public.things->public.tags (_ilike label "%a%"))`},
		{"manual relationship", "things", `{owner_manual: {}}`, `(object owner_manual public.things->public.people true)`},
		{"root inside relationships", "things", `{tags: {thing: {owner: {id: {_ceq: ["$", owner_id]}}}}}`,
			`(array tags public.things->public.tags (object thing public.tags->public.things (object owner public.things->public.people (_ceq id $.owner_id))))`},
		{"current table inside relationship", "things", `{owner: {org_id: {_ceq: id}}}`,
			`(object owner public.things->public.people (_ceq org_id @id))`},
		{"exists", "things", `{_exists: {_table: {schema: audit, name: log}, _where: {actor: {_eq: X-Hasura-User-Id}}}}`,
			`(exists audit.log (_eq actor $x-hasura-user-id:text))`},
		{"$exists root", "things", `{$exists: {_table: {schema: audit, name: log}, _where: {thing_id: {_ceq: ["$", id]}}}}`,
			`(exists audit.log (_ceq thing_id $.id))`},
		{"exists empty", "people", `{_exists: {_table: {schema: audit, name: log}, _where: {}}}`, `(exists audit.log true)`},
		{"exists string table", "people", `{_exists: {_table: tags, _where: {}}}`, `(exists public.tags true)`},
		{"mixed", "things", `{_and: [{_not: {flag: false}}, {_or: [{owner: {org_id: X-Hasura-Org-Id}}, {title: {_in: X-Hasura-Titles}}]}]}`,
			`(and (not (_eq flag false)) (or (object owner public.things->public.people (_eq org_id $x-hasura-org-id:integer)) (_in title $x-hasura-titles:text[])))`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, problems := parseExpr(t, ld, tc.table, tc.src)
			if len(problems) > 0 {
				t.Fatalf("%s: unexpected problems:\n%s", tc.src, strings.Join(problemStrings(problems), "\n"))
			}
			if got := sexp(e); got != tc.want {
				t.Fatalf("%s\n got %s\nwant %s", tc.src, got, tc.want)
			}
		})
	}
}

func TestBoolExpProblems(t *testing.T) {
	ld := baseLoader(t)
	trackAuditLog(t, ld)
	deep := strings.Repeat("{_not: ", 40) + "{}" + strings.Repeat("}", 40)
	tests := []struct {
		name, table, src string
		want             []string // "path: message" substrings, in order
	}{
		{"unknown column", "things", `{nope: 1}`,
			[]string{`filter.nope: unknown column or relationship "nope" on table public.things (columns: id, big, n, title, flag, uid, day, ts, tstz, data, meta, owner_id, other_id, code; relationships: owner, owner_manual, tags)`}},
		{"unknown in relationship", "things", `{owner: {nope: 1}}`,
			[]string{`filter.owner.nope: unknown column or relationship "nope" on table public.people`}},
		{"no relationships in exists", "things", `{_exists: {_table: {schema: audit, name: log}, _where: {owner: {}}}}`,
			[]string{`filter._exists._where.owner: unknown column or relationship "owner" on table audit.log (columns: id, thing_id, actor; relationships: none)`}},
		{"unknown operator", "things", `{id: {_foo: 1}}`,
			[]string{`filter.id._foo: unknown operator "_foo" on column id (integer); valid operators: _eq _neq _gt _lt _gte _lte _in _nin _is_null _ceq _cneq _cgt _clt _cgte _clte`}},
		{"operator at top", "things", `{_eq: 1}`,
			[]string{`filter._eq: operator _eq must be applied to a column, e.g. {column: {_eq: value}}`}},
		{"like on integer", "things", `{id: {_like: "a"}}`,
			[]string{`filter.id._like: operator _like applies to text columns only; id is integer`}},
		{"contains on text", "things", `{title: {_contains: "a"}}`,
			[]string{`filter.title._contains: operator _contains applies to jsonb columns only; title is text`}},
		{"has_key on integer", "things", `{id: {$has_key: "a"}}`,
			[]string{`filter.id.$has_key: operator _has_key applies to jsonb columns only; id is integer`}},
		{"gt on jsonb", "things", `{data: {_gt: 1}}`,
			[]string{`filter.data._gt: operator _gt is not supported on jsonb column data: jsonb ordering is PostgreSQL-specific`}},
		{"cgt on jsonb", "things", `{data: {_cgt: meta}}`,
			[]string{`filter.data._cgt: operator _cgt is not supported on jsonb column data`}},
		{"eq on tsvector with a number", "kinds", `{doc: {_eq: 1}}`,
			[]string{`filter.doc._eq: _eq on column doc of type tsvector takes the value as text (as PostgreSQL writes it), got "1"`}},
		{"in on tsvector with a session variable element", "kinds", `{doc: {_in: [a, X-Hasura-Doc]}}`,
			[]string{`filter.doc._in[1]: a session variable cannot be an element of a list`}},
		{"eq on tsvector with null", "kinds", `{doc: {_eq: null}}`,
			[]string{`filter.doc._eq: _eq compares with null, which is never true: use _is_null`}},
		{"like on tsvector", "kinds", `{doc: {_like: "a%"}}`,
			[]string{`filter.doc._like: operator _like on column doc of type tsvector: Warden cannot decide it on this type (only _is_null applies)`}},
		{"eq on a type Filter's SQL cannot name", "zones", `{odd: {_eq: "1 day"}}`,
			[]string{`filter.odd._eq: operator _eq on column odd of type interval fortnight: Warden cannot decide it on this type (only _is_null applies)`}},
		{"fractional days", "kinds", `{ttl: {_gt: "1.5 days"}}`,
			[]string{`filter.ttl._gt: invalid value for _gt on column ttl (text): "1.5 days" is not a valid interval (a fraction of this unit (1.5) is computed in floating point by PostgreSQL; Warden reads whole numbers only; want e.g. '1 day 02:00:00', '@ 3 hours ago', 'P1DT2H' or '1-2')`}},
		{"like on interval", "kinds", `{ttl: {_like: "1%"}}`,
			[]string{`filter.ttl._like: operator _like on column ttl of type interval: pattern operators apply to text types only`}},
		{"timetz without a zone", "zones", `{zoned: {_eq: "12:00"}}`,
			[]string{`filter.zoned._eq: invalid value for _eq on column zoned (text): "12:00" is not a valid time with time zone (no time zone; want e.g. 12:00:00+01 or 09:30-05:30)`}},
		{"money in another currency", "kinds", `{price: {_eq: "12 EUR"}}`,
			[]string{`filter.price._eq: invalid value for _eq on column price (text): "12 EUR" is not a valid money value (want e.g. $1,234.56, 1234.56 or -5)`}},
		{"cgt of an array and tsvector", "kinds", `{tags: {_cgt: doc}}`,
			[]string{`filter.tags._cgt: _cgt compares column tags (text[]) with column public.kinds.doc (tsvector): the types must be the same`}},
		{"cgt of arrays, a typo", "kinds", `{tags: {_cgt: ["$", tag]}}`,
			[]string{`filter.tags._cgt: "tag" is not a column of public.kinds`}},
		{"matches on an array", "kinds", `{tags: {_matches: "a.*"}}`,
			[]string{`filter.tags._matches: operator _matches applies to ltree columns only; tags is text[]`}},
		{"has_key on an array", "kinds", `{tags: {_has_key: a}}`,
			[]string{`filter.tags._has_key: operator _has_key applies to jsonb columns only; tags is text`}},
		{"contains on time", "kinds", `{at: {_contains: "10:00"}}`,
			[]string{`filter.at._contains: operator _contains applies to jsonb columns only; at is text`}},
		{"like on time", "kinds", `{at: {_like: "10%"}}`,
			[]string{`filter.at._like: operator _like on column at of type time(3): pattern operators apply to text types only`}},
		{"invalid inet", "kinds", `{ip: {_eq: "10.0.0"}}`,
			[]string{`filter.ip._eq: invalid value for _eq on column ip (text): "10.0.0" is not a valid IP address or network`}},
		{"ceq of tsvector and money", "kinds", `{doc: {_ceq: price}}`,
			[]string{`filter.doc._ceq: _ceq compares column doc (tsvector) with column public.kinds.price (money): the types must be the same`}},
		{"cgt of intervals with and without fields", "zones", `{span: {_cgt: zoned}}`,
			[]string{`filter.span._cgt: _cgt compares column span (interval day to second) with column public.zones.zoned (time with time zone): the types must be the same`}},
		{"cgt on tsvector with a value", "kinds", `{doc: {_cgt: "a"}}`,
			[]string{`filter.doc._cgt: "a" is not a column of public.kinds`}},
		{"cgt of interval and money", "kinds", `{ttl: {_cgt: price}}`,
			[]string{`filter.ttl._cgt: `}},
		{"unknown operator on tsvector", "kinds", `{doc: {_match: x}}`,
			[]string{`filter.doc._match: unknown operator "_match" on column doc (tsvector); valid operators: _eq _neq _gt _lt _gte _lte _in _nin _is_null`}},
		{"unknown operator on an array", "kinds", `{tags: {_overlaps: [a]}}`,
			[]string{`filter.tags._overlaps: unknown operator "_overlaps" on column tags (text[]); valid operators: _eq _neq _gt _lt _gte _lte _in _nin _is_null _contains _contained_in _ceq _cneq`}},
		{"unknown operator on an enum", "kinds", `{status: {_foo: a}}`,
			[]string{`filter.status._foo: unknown operator "_foo" on column status (public.leave_status); valid operators: _eq _neq _gt _lt _gte _lte _in _nin _is_null _ceq _cneq`}},
		{"enum literal not a label", "kinds", `{status: {_in: [Pending, approved]}}`,
			[]string{`filter.status._in[1]: invalid value for _in on column status (text): "approved" is not a label of enum type public.leave_status (labels: "Pending", "Approved", "Rejected")`}},
		{"enum like", "kinds", `{status: {_ilike: "p%"}}`,
			[]string{`filter.status._ilike: operator _ilike on column status of enum type public.leave_status: PostgreSQL has no pattern operators on enums`}},
		{"domain compared with its base type", "kinds", `{email: {_ceq: ["$", status]}}`,
			[]string{`filter.email._ceq: _ceq compares column email (auth.email) with column public.kinds.status (public.leave_status): the types must be the same`}},
		{"eq null", "things", `{id: {_eq: null}}`,
			[]string{`filter.id._eq: _eq compares with null, which is never true: use _is_null`}},
		{"shorthand null", "things", `{id: null}`, []string{`filter.id: _eq compares with null`}},
		{"neq null", "things", `{data: {_neq: null}}`, []string{`filter.data._neq: _neq compares with null`}},
		{"null in list", "things", `{id: {_in: [1, null]}}`, []string{`filter.id._in[1]: _in list elements may not be null`}},
		{"session in list", "things", `{id: {_in: [X-Hasura-A]}}`,
			[]string{`filter.id._in[0]: a session variable cannot be an element of a list: use an array session variable`}},
		{"in not a list", "things", `{id: {_in: 5}}`,
			[]string{`filter.id._in: _in takes a list of values or an array session variable, got "5"`}},
		{"bad literal", "things", `{id: {_eq: abc}}`,
			[]string{`filter.id._eq: invalid value for _eq on column id (integer): "abc" is not a valid integer`}},
		{"bad boolean", "things", `{flag: maybe}`,
			[]string{`filter.flag: invalid value for _eq on column flag (boolean): "maybe" is not a valid boolean`}},
		{"bad uuid", "things", `{uid: {_in: [x]}}`, []string{`filter.uid._in[0]: invalid value for _in on column uid (uuid): "x" is not a valid uuid`}},
		{"object for integer", "things", `{id: {_eq: {a: 1}}}`,
			[]string{`filter.id._eq: invalid value for _eq on column id (integer): expected a number for an integer column, got an object`}},
		{"has_keys not strings", "things", `{data: {_has_keys_any: [1]}}`,
			[]string{`filter.data._has_keys_any[0]: invalid value for _has_keys_any on column data (jsonb): expected a string for a text column, got a number`}},
		{"like number", "things", `{title: {_like: 5}}`, []string{`filter.title._like: invalid value for _like on column title (text): expected a string`}},
		{"is_null not bool", "things", `{title: {_is_null: "yes"}}`,
			[]string{`filter.title._is_null: _is_null takes true or false, got the string "yes"`}},
		{"is_null session", "things", `{title: {_is_null: X-Hasura-B}}`, []string{`filter.title._is_null: _is_null takes true or false`}},
		{"ceq type mismatch", "things", `{id: {_ceq: title}}`,
			[]string{`filter.id._ceq: _ceq compares column id (integer) with column public.things.title (character varying): the types must be the same`}},
		{"ceq integer and bigint", "things", `{id: {_clt: big}}`,
			[]string{`filter.id._clt: _clt compares column id (integer) with column public.things.big (bigint): the types must be the same`}},
		{"exists dotted string", "things", `{_exists: {_table: audit.log, _where: {}}}`,
			[]string{`filter._exists._table: table public.audit.log is not in the schema (a string names a table in schema public; for audit.log write {schema: audit, name: log})`}},
		{"exists $table", "things", `{_exists: {$table: tags, $where: {}}}`,
			[]string{`filter._exists.$table: unknown key "$table" in _exists (want _table and _where)`, `filter._exists.$where: unknown key "$where"`}},
		{"ceq root mismatch", "things", `{owner: {name: {_ceq: ["$", id]}}}`,
			[]string{`filter.owner.name._ceq: _ceq compares column name (text) with column public.things.id (integer): the types must be the same`}},
		{"ceq long path", "things", `{id: {_ceq: [owner, id]}}`,
			[]string{`filter.id._ceq: _ceq takes a column: "col" or ["col"] (this table) or ["$", "col"] (the root table); got ["owner", "id"]`}},
		{"ceq long root path", "things", `{id: {_ceq: ["$", owner, id]}}`, []string{`filter.id._ceq: _ceq takes a column`}},
		{"ceq unknown column", "things", `{id: {_ceq: nope}}`, []string{`filter.id._ceq: "nope" is not a column of public.things`}},
		{"ceq root unknown", "things", `{owner: {id: {_ceq: ["$", org_id]}}}`,
			[]string{`filter.owner.id._ceq: "org_id" is not a column of public.things`}},
		{"computed field with an operator of another type", "things", `{score: {_like: "1%"}}`,
			[]string{`filter.score._like: operator _like applies to text columns only; score is integer`}},
		{"and not a list", "things", `{_and: {id: 1}}`,
			[]string{`filter._and: _and takes a list of boolean expressions, got an object`}},
		{"not a list element", "things", `{_or: [{id: 1}, 5]}`,
			[]string{`filter._or[1]: a boolean expression must be an object, got "5"`}},
		{"expression not an object", "things", `[1]`, []string{`filter: a boolean expression must be an object, got a list`}},
		{"exists unknown table", "things", `{_exists: {_table: nope, _where: {}}}`,
			[]string{`filter._exists._table: table public.nope is not in the schema`}},
		{"exists missing where", "things", `{_exists: {_table: tags}}`,
			[]string{`filter._exists: _exists needs _table and _where`}},
		{"exists unknown key", "things", `{_exists: {_table: tags, _where: {}, _limit: 1}}`,
			[]string{`filter._exists._limit: unknown key "_limit" in _exists (want _table and _where)`}},
		{"duplicate key", "things", "{id: 1, id: 2}", []string{`filter.id: duplicate key "id"`}},
		{"several at once", "things", `{a: 1, _or: [{b: 2}, {id: {_like: x}}], title: {_foo: 1}}`,
			[]string{`filter.a: unknown column`, `filter._or[0].b: unknown column`,
				`filter._or[1].id._like: operator _like applies to text columns only`, `filter.title._foo: unknown operator`}},
		{"too deep", "things", deep, []string{`filter: the expression is nested deeper than 32 levels`}},
		{"too many nodes", "things", `{id: {_in: [` + strings.Repeat("1, ", 10000) + `1]}}`,
			[]string{`filter: the expression has more than 10000 nodes`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, problems := parseExpr(t, ld, tc.table, tc.src)
			if e != nil {
				t.Errorf("got expression %s, want nil", sexp(e))
			}
			if len(problems) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(problems), len(tc.want), strings.Join(problemStrings(problems), "\n"))
			}
			for i, p := range problems {
				got := p.Source.Path + ": " + p.Message
				if p.Source.File != "f" || !strings.HasPrefix(got, tc.want[i]) {
					t.Errorf("problem %d:\n got %s: %s\nwant f: %s", i, p.Source.File, got, tc.want[i])
				}
			}
		})
	}
}

func TestBoolExpLimits(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		src  string
		want string
	}{
		{"depth ok at limit", []Option{WithMaxDepth(3)}, `{_not: {_not: {}}}`, ""},
		{"depth over limit", []Option{WithMaxDepth(3)}, `{_not: {_not: {_not: {}}}}`, "nested deeper than 3 levels"},
		{"relationship counts as a level", []Option{WithMaxDepth(2)}, `{owner: {id: 1}}`, "nested deeper than 2 levels"},
		{"nodes ok", []Option{WithMaxNodes(4)}, `{_and: [{id: 1}]}`, ""},
		{"nodes over", []Option{WithMaxNodes(4)}, `{_and: [{id: 1}, {id: 2}]}`, "more than 4 nodes"},
		{"literal nodes count", []Option{WithMaxNodes(5)}, `{data: {_contains: {a: [1, 2, 3]}}}`, "more than 5 nodes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ld := baseLoader(t, tc.opts...)
			_, problems := parseExpr(t, ld, "things", tc.src)
			switch {
			case tc.want == "" && len(problems) > 0:
				t.Fatalf("unexpected problems: %v", problems)
			case tc.want != "" && (len(problems) != 1 || !strings.Contains(problems[0].Message, tc.want) || problems[0].Source.Path != "filter"):
				t.Fatalf("got %v, want one problem at filter containing %q", problems, tc.want)
			}
		})
	}
}

// TestBoolExpAliasBomb checks that YAML aliases cannot blow an expression
// up past the node limit.
func TestBoolExpAliasBomb(t *testing.T) {
	src := `
a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
filter: {data: {_contains: *f}}
`
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	ld := baseLoader(t)
	root := deref(&doc)
	filter := root.Content[len(root.Content)-1]
	ld.problems = nil
	if e := ld.boolExp(filter, loc{file: "f", path: "filter"}, ld.tables[tableName("things")]); e != nil {
		t.Fatalf("got %s, want nil", sexp(e))
	}
	if len(ld.problems) != 1 || !strings.Contains(ld.problems[0].Message, "more than 10000 nodes") {
		t.Fatalf("got %v", ld.problems)
	}
}

// FuzzLoadBoolExp parses arbitrary YAML as a filter on the fixture's
// things table: it must never panic, and it yields an expression exactly
// when it reports no problem.
func FuzzLoadBoolExp(f *testing.F) {
	seeds := []string{
		`{}`, `{id: 1}`, `{_or: [{id: {_in: [1, 2]}}, {owner: {name: {_ilike: "%a"}}}]}`,
		`{_exists: {_table: {schema: audit, name: log}, _where: {thing_id: {_ceq: ["$", id]}}}}`,
		`{data: {_contains: {a: [1, {b: null}]}, _has_keys_all: [a]}}`,
		`{tags: {thing: {id: {$cne: ["$", other_id]}}}}`, `{$not: {flag: {$eq: "t"}}}`,
		`{tstz: {_gte: "2024-01-01T00:00:00+05"}, uid: X-Hasura-Uid}`, `{id: {_eq: null}}`,
		`a: &a [1, 2]` + "\n" + `b: *a`, `{id: {_in: X-Hasura-Ids}, n: {_lt: 1e3}}`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	ld := baseLoader(f)
	things := ld.tables[tableName("things")]
	f.Fuzz(func(t *testing.T, src string) {
		var doc yaml.Node
		if yaml.Unmarshal([]byte(src), &doc) != nil {
			return
		}
		ld.problems = nil
		e := ld.boolExp(deref(&doc), loc{file: "f", path: "filter"}, things)
		if (e == nil) == (len(ld.problems) == 0) {
			t.Fatalf("%q: expression %s with problems %v", src, sexp(e), ld.problems)
		}
	})
}
