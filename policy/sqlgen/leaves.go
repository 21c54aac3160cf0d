package sqlgen

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// operand renders a column for a comparison (ordered says an ordering
// operator), with what makes the dialect compare as Rego does: bytewise
// text, jsonb for json, and (PostgreSQL; see lower.go) the database's
// LOWER() for a lower-cased column.
func (w *work) operand(c residual.Column, f *frame, ordered bool) (string, *model.Column, error) {
	ref, mc, err := w.colRef(c, f)
	if err != nil {
		return "", nil, err
	}
	if c.Lower {
		if w.d != Postgres || mc.Type.Kind != model.KindText {
			return "", nil, fmt.Errorf("sqlgen: lower(%s) as an operand in %s", c.Name, w.d)
		}
		if mc.Type.Fold {
			ref += "::text"
		}
		// The citext type's own lower-casing (the database's default
		// collation), compared byte by byte.
		return `LOWER(` + ref + ` COLLATE "default") COLLATE "C"`, mc, nil
	}
	switch w.d {
	case Postgres:
		switch {
		case mc.Type.Kind == model.KindJSONB && mc.Type.JSON:
			ref += "::jsonb"
		case mc.Type.Kind == model.KindText && mc.Type.Fold:
			ref += "::text"
		}
		if ordered && mc.Type.Kind == model.KindText && mc.Type.Canon == "" {
			ref += ` COLLATE "C"`
		}
	case MySQL:
		if mc.Type.Kind == model.KindText || mc.Type.Kind == model.KindUUID {
			ref = "CAST(" + ref + " AS BINARY)"
		}
	case SQLite:
		if mc.Type.Kind == model.KindText || mc.Type.Kind == model.KindUUID {
			ref += " COLLATE BINARY"
		}
	}
	return ref, mc, nil
}

// param adds a bind parameter for a canonical value of kind k and returns
// its placeholder, typed so that the comparison means what Rego's does.
func (w *work) param(k model.Kind, v any) (string, error) {
	if c, ok := v.(residual.Clock); ok {
		return clockSQL(w.d, k, c.Word)
	}
	arg, err := argOf(w.d, k, v)
	if err != nil {
		return "", err
	}
	if w.ddl() {
		return w.literal(arg, pgType(k)), nil
	}
	w.args = append(w.args, arg)
	switch w.d {
	case Postgres:
		p := "$" + strconv.Itoa(w.next) + "::" + pgType(k)
		w.next++
		return p, nil
	case MySQL:
		switch k {
		case model.KindText, model.KindUUID:
			return "CAST(? AS BINARY)", nil
		case model.KindNumeric:
			return mysqlDecimal(v)
		case model.KindDate:
			return "CAST(? AS DATE)", nil
		case model.KindTimestamp, model.KindTimestamptz:
			return "CAST(? AS DATETIME(6))", nil
		}
	case SQLite:
		if k == model.KindNumeric {
			return "CAST(? AS NUMERIC)", nil
		}
	}
	return "?", nil
}

// session renders a session variable read inside the database (Options.Session)
// and cast to the column's type. Only the plain form is rendered, an enum
// label checked as Check checks it, and a value compared with a
// character(n) column trimmed as Check trims it (a citext equality is
// foldedSession's): a value Check coerces further (lower-cased for an
// ordering, canonical text) has no cast that means the same.
func (w *work) session(p residual.Param, mc *model.Column) (string, error) {
	s := w.r.o.Session
	if s == nil || w.d != Postgres {
		return "", fmt.Errorf("sqlgen: unbound session variable %s", p.Name)
	}
	unsupported := func(why string) error {
		return &UnsupportedError{Op: "session variable " + p.Name, Dialect: w.d, Construct: true, Reason: why}
	}
	switch {
	case p.Pattern != "":
		return "", unsupported("a pattern is read inside the database only by a pattern operator")
	case mc.Type.Enum != nil && p.Enum == mc.Type.Enum.String() && !p.Fold && !p.PadSpace && p.Canon == "":
		// The labels checked as Check checks them (SessionSQL), cast to
		// the column's enum type.
		text, err := SessionSQL(s, p)
		if err != nil {
			return "", err
		}
		suffix := ""
		if p.Array {
			suffix = "[]"
		}
		return w.enumCast(text, mc.Type.Enum, suffix)
	case p.PadSpace && !p.Fold && p.Enum == "" && p.Canon == "" && mc.Type.PadSpace && !mc.Type.Fold && mc.Type.Enum == nil && mc.Type.Canon == "":
		// Trailing spaces trimmed as Check trims them (SessionSQL),
		// compared as text with the column, whose cast to text trims
		// its own: as a bound value is (param).
		return SessionSQL(s, p)
	case (p.Canon == model.CanonTime || p.Canon == model.CanonBytea) && !p.Fold && !p.PadSpace && p.Enum == "" && mc.Type.Canon == p.Canon && mc.Type.Enum == nil:
		// A time of day read by the cast to time, guarded to Check's
		// grammar (SessionRejected), compared with the column as a
		// literal is (canonParam's cast).
		return SessionSQL(s, p)
	case p.Fold || p.PadSpace || p.Enum != "" || p.Canon != "" || mc.Type.Fold || mc.Type.Enum != nil || mc.Type.Canon != "":
		return "", unsupported(fmt.Sprintf("compared with %s column %s, whose values Check normalises", mc.Type.Kind, mc.Name))
	}
	return SessionSQL(s, p)
}

// SessionSQL renders a session variable read inside the database, cast to
// its kind: Schema.Function('setting', 'name')::type, or for a list
// (Param.Array) Schema.List(Schema.Function('setting', 'name'))::type[],
// the list function splitting the text into elements as Check does and
// the array cast parsing each element as the scalar cast would. Only
// plain values of kinds with a cast that parses them are rendered (see
// session).
func SessionSQL(s *SessionRead, p residual.Param) (string, error) {
	unsupported := func(why string) error {
		return &UnsupportedError{Op: "session variable " + p.Name, Dialect: Postgres, Construct: true, Reason: why}
	}
	switch {
	case (p.Pattern == model.OpLike || p.Pattern == model.OpIlike && s.CaseFold != "") && !p.Array && p.Order == "" && !p.Fold && !p.PadSpace && p.Enum == "" && p.Canon == "":
		// The pattern's text as LIKE reads it, which is Check's
		// translation (compile.PatternRegex): % any text, _ any
		// character, a backslash escaping the next, case and newlines
		// as they are. A pattern ending in a lone backslash, a literal
		// backslash for Check, makes LIKE fail: denied, never more.
		return SessionText(s, p.Name)
	case p.Pattern != "":
		return "", unsupported(fmt.Sprintf("Check reads a %s pattern as a regular expression whose syntax and classes PostgreSQL's operator does not share; only _like and _ilike are read inside the database", p.Pattern))
	case p.Enum != "" && p.Kind == model.KindText && !p.Fold && !p.PadSpace && p.Canon == "":
		return sessionLabels(s, p)
	case p.Order != "":
		return "", unsupported("an enum column ordered against a variable compares with the labels on one side of it, which Check computes")
	case p.Fold && p.Kind == model.KindText && !p.PadSpace && p.Enum == "" && p.Canon == "":
		return sessionFolded(s, p)
	case p.PadSpace && p.Kind == model.KindText && !p.Array && !p.Fold && p.Enum == "" && p.Canon == "":
		// A value compared with a character(n) column: Check trims its
		// trailing spaces (model.Normalize), and only spaces, as rtrim
		// does; the column's values are compared trimmed alike
		// (PostgreSQL's cast of bpchar to text), whatever n.
		text, err := SessionText(s, p.Name)
		if err != nil {
			return "", err
		}
		return "pg_catalog.rtrim(" + text + ", ' ')", nil
	case p.Canon == model.CanonTime && p.Kind == model.KindText && !p.Fold && !p.PadSpace && p.Enum == "" && p.Order == "":
		// A time of day: the cast to time, which reads the forms of
		// Check's grammar (model.timeText) as Check does; the others
		// SessionRejected refuses.
		text, err := SessionText(s, p.Name)
		if err != nil {
			return "", err
		}
		if !p.Array {
			return text + "::time", nil
		}
		if s.List == "" {
			return "", unsupported("a list variable is not read inside the database without a list function")
		}
		list, err := sessionFunc(s, s.List)
		if err != nil {
			return "", err
		}
		return list + "(" + text + ")::time[]", nil
	case p.Canon == model.CanonBytea && p.Kind == model.KindText && !p.Fold && !p.PadSpace && p.Enum == "" && p.Order == "":
		// bytea in hex format: the cast, after the vertical tab and form
		// feed Check skips between pairs (model.byteaText; PostgreSQL's
		// hex input skips space, tab, newline and carriage return only)
		// are made spaces; the escape format SessionRejected refuses.
		text, err := SessionText(s, p.Name)
		if err != nil {
			return "", err
		}
		vf, _ := QuoteLiteral("\v\f")
		if !p.Array {
			return "pg_catalog.translate(" + text + ", " + vf + ", '  ')::bytea", nil
		}
		if s.List == "" {
			return "", unsupported("a list variable is not read inside the database without a list function")
		}
		list, err := sessionFunc(s, s.List)
		if err != nil {
			return "", err
		}
		return "ARRAY(SELECT pg_catalog.translate(e.x, " + vf + ", '  ')::bytea FROM unnest(" + list + "(" + text + ")) AS e(x))", nil
	case p.Fold || p.PadSpace || p.Enum != "" || p.Canon != "":
		return "", unsupported("compared with a citext, character(n), enum or canonical-text column other than time and bytea, whose values Check normalises (lower-cased, padding stripped, a label, canonical text)")
	case p.Array && s.List == "":
		return "", unsupported("a list variable is not read inside the database without a list function")
	}
	switch p.Kind {
	case model.KindInteger, model.KindNumeric, model.KindBoolean, model.KindUUID, model.KindText,
		model.KindDate, model.KindTimestamp:
	case model.KindJSONB:
		// jsonb's input reads the JSON Check reads (RFC 8259, the last of
		// two equal keys kept, numbers exact); what it reads otherwise or
		// not at all Check refuses (model.JSONTextRejected), and so does
		// SessionRejected.
	case model.KindTimestamptz:
		if s.Timestamptz == "" {
			return "", unsupported("PostgreSQL reads a timestamptz without an offset in the session's TimeZone, Check as UTC")
		}
	default:
		return "", unsupported(fmt.Sprintf("a %s value has no cast that parses it as Check does", p.Kind))
	}
	text, err := SessionText(s, p.Name)
	if err != nil {
		return "", err
	}
	if p.Kind == model.KindTimestamptz {
		tz, err := sessionFunc(s, s.Timestamptz)
		if err != nil {
			return "", err
		}
		if !p.Array {
			return tz + "(" + text + ")", nil
		}
		list, err := sessionFunc(s, s.List)
		if err != nil {
			return "", err
		}
		return "ARRAY(SELECT " + tz + "(e.x) FROM unnest(" + list + "(" + text + ")) AS e(x))", nil
	}
	if p.Array {
		list, err := sessionFunc(s, s.List)
		if err != nil {
			return "", err
		}
		return list + "(" + text + ")::" + pgType(p.Kind) + "[]", nil
	}
	return text + "::" + pgType(p.Kind), nil
}

// TimestamptzFunctionSQL creates fn(text) returning a timestamptz read as
// Check reads one (model.ParseText): the text cast with TimeZone set to
// UTC for the call, so that a time without an offset is UTC and one with
// an offset is that offset's, and an instant outside the years 1 to 9999
// (UTC), which Check rejects and PostgreSQL holds, raising an error. The
// forms the cast accepts beyond Check's are SessionRejected's.
func TimestamptzFunctionSQL(fn string) string {
	return `CREATE OR REPLACE FUNCTION ` + fn + `(t text) RETURNS timestamptz
LANGUAGE plpgsql STABLE STRICT SET search_path = pg_catalog SET timezone = 'UTC' AS $warden$
DECLARE
  v timestamptz;
BEGIN
  v := t::timestamptz;
  IF v < '0001-01-01 00:00:00+00' OR v >= '10000-01-01 00:00:00+00' THEN
    RAISE EXCEPTION 'warden: a timestamptz session variable is out of range'
      USING ERRCODE = 'datetime_field_overflow';
  END IF;
  RETURN v;
END
$warden$;

`
}

// sessionLabels renders an enum variable's text, a list's elements
// (text[]), or (Param.Order) the labels on one side of it, checked against the enum's labels in the policy by the labels
// function, which raises an error on any other text, as Check refuses it
// (model.Normalize: exactly a label, case and spaces included). The text
// is not cast: the caller casts it to the column's enum type, which also
// fails on a label the database's type lacks.
func sessionLabels(s *SessionRead, p residual.Param) (string, error) {
	e := s.Enums[p.Enum]
	if s.Labels == "" || e == nil {
		return "", &UnsupportedError{Op: "session variable " + p.Name, Dialect: Postgres, Construct: true,
			Reason: "compared with enum " + p.Enum + ", whose labels are not known to the session read"}
	}
	labels := make([]string, len(e.Labels))
	for i, l := range e.Labels {
		q, err := QuoteLiteral(l)
		if err != nil {
			return "", err
		}
		labels[i] = q
	}
	fn, err := sessionFunc(s, s.Labels)
	if err != nil {
		return "", err
	}
	text, err := SessionText(s, p.Name)
	if err != nil {
		return "", err
	}
	arr := "ARRAY[" + strings.Join(labels, ", ") + "]::text[]"
	if len(labels) == 0 {
		arr = "'{}'::text[]"
	}
	label := "(" + fn + "(ARRAY[" + text + "], " + arr + "))[1]"
	if p.Order != "" {
		// The labels on one side of the variable's (model.Enum.Side),
		// in the policy's order: a slice of the labels around its
		// position.
		at := "array_position(" + arr + ", " + label + ")"
		var slice string
		switch p.Order {
		case model.OpGt:
			slice = at + " + 1:"
		case model.OpGte:
			slice = at + ":"
		case model.OpLt:
			slice = ":" + at + " - 1"
		case model.OpLte:
			slice = ":" + at
		default:
			return "", &UnsupportedError{Op: "session variable " + p.Name, Dialect: Postgres, Construct: true,
				Reason: fmt.Sprintf("%s is not an ordering", p.Order)}
		}
		return "(" + arr + ")[" + slice + "]", nil
	}
	if !p.Array {
		return label, nil
	}
	if s.List == "" {
		return "", &UnsupportedError{Op: "session variable " + p.Name, Dialect: Postgres, Construct: true,
			Reason: "a list variable is not read inside the database without a list function"}
	}
	list, err := sessionFunc(s, s.List)
	if err != nil {
		return "", err
	}
	return fn + "(" + list + "(" + text + "), " + arr + ")", nil
}

// LabelsFunctionSQL creates fn(vals text[], labels text[]) returning vals
// when every one is among labels (byte for byte: text equality under a
// deterministic collation), raising an error otherwise.
func LabelsFunctionSQL(fn string) string {
	return `CREATE OR REPLACE FUNCTION ` + fn + `(vals text[], labels text[]) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT SET search_path = pg_catalog AS $warden$
BEGIN
  IF EXISTS (SELECT FROM unnest(vals) AS v(x) WHERE x IS NULL OR NOT x COLLATE "C" = ANY(labels)) THEN
    RAISE EXCEPTION 'warden: a session variable is not a label of its enum type'
      USING ERRCODE = 'invalid_text_representation';
  END IF;
  RETURN vals;
END
$warden$;

`
}

// sessionFunc is a function of Schema, quoted.
func sessionFunc(s *SessionRead, fn string) (string, error) {
	schema, err := quoteIdent(Postgres, s.Schema)
	if err != nil {
		return "", err
	}
	q, err := quoteIdent(Postgres, fn)
	if err != nil {
		return "", err
	}
	return schema + "." + q, nil
}

// SessionText renders a session variable's text read inside the database:
// Schema.Function('setting', 'name'), with the path as a third argument
// (ARRAY['key', ...]::text[]) when SessionRead.Path is not nil.
func SessionText(s *SessionRead, variable string) (string, error) {
	fn, err := sessionFunc(s, s.Function)
	if err != nil {
		return "", err
	}
	setting, err := QuoteLiteral(s.Setting)
	if err != nil {
		return "", err
	}
	name, err := QuoteLiteral(variable)
	if err != nil {
		return "", err
	}
	path := ""
	if s.Path != nil {
		if path, err = textArray(s.Path); err != nil {
			return "", err
		}
		path = ", " + path
	}
	return fn + "(" + setting + ", " + name + path + ")", nil
}

// textArray renders keys as a text[] of literals: ARRAY['a', 'b']::text[]
// (ARRAY[]::text[] for none).
func textArray(keys []string) (string, error) {
	quoted := make([]string, len(keys))
	for i, k := range keys {
		var err error
		if quoted[i], err = QuoteLiteral(k); err != nil {
			return "", err
		}
	}
	return "ARRAY[" + strings.Join(quoted, ", ") + "]::text[]", nil
}

// SessionJSON renders the session read inside the database as the json
// object Hasura passes a computed field that takes it: the variables'
// names lower-cased, x-hasura-role the role's (Options.Role, the Hasura
// role the policy is for). SessionRead.JSON's function builds it from the
// setting; its arguments are the setting's name, the path to the
// variables ('{}' for the top level) and the role, all literals.
func SessionJSON(s *SessionRead, role string) (string, error) {
	if s.JSON == "" {
		return "", &UnsupportedError{Op: "a computed field's session argument", Dialect: Postgres, Construct: true,
			Reason: "the session is not read inside the database as json without a json function"}
	}
	if role == "" {
		return "", fmt.Errorf("sqlgen: a computed field takes the session, and the options give no role")
	}
	fn, err := sessionFunc(s, s.JSON)
	if err != nil {
		return "", err
	}
	setting, err := QuoteLiteral(s.Setting)
	if err != nil {
		return "", err
	}
	r, err := QuoteLiteral(role)
	if err != nil {
		return "", err
	}
	path := "'{}'::text[]"
	if len(s.Path) > 0 {
		if path, err = textArray(s.Path); err != nil {
			return "", err
		}
	}
	return fn + "(" + setting + ", " + path + ", " + r + ")", nil
}

// SessionRejected renders a condition on a session variable's text that
// holds where PostgreSQL's cast to the variable's kind accepts what Check
// rejects (model.ParseText), or "" when they accept the same: numbers in
// PostgreSQL 16's forms (0x1F, 1_000), NaN and Infinity, or exponents
// beyond ±1000; dates and
// timestamps in any form but the ISO 8601 Check reads (isoDateTime):
// words (now, epoch, infinity, BC, pm, zone names), the basic format
// (20240131T1230). For a list (Param.Array) it holds where it holds for
// some element (the list function's text, as the array cast reads it).
func SessionRejected(s *SessionRead, p residual.Param) (string, error) {
	text, err := SessionText(s, p.Name)
	if err != nil {
		return "", err
	}
	x := text
	if p.Array {
		x = "e.x"
	}
	cond := elemRejected(p.Kind, x)
	if p.Canon == model.CanonTime {
		// Check's grammar (model.timeText): H or HH, :MM, optional :SS
		// and a fraction, ASCII space around. Minutes and seconds are
		// held to 59 (PostgreSQL reads second 60 as the next minute);
		// the fraction to microseconds (Check rounds a seventh digit
		// half up, PostgreSQL to even: a denial where Check allows,
		// never the reverse). Hours beyond 24 and times past 24:00:00
		// the cast refuses, as Check does.
		rx, _ := QuoteLiteral(timeOfDay)
		cond = x + " !~ " + rx
	}
	if p.Canon == model.CanonBytea {
		// Check's hex format (model.byteaText): \x, then pairs of hex
		// digits with ASCII space between pairs.
		rx, _ := QuoteLiteral(byteaHex)
		cond = x + " !~ " + rx
	}
	if cond == "" || !p.Array {
		return cond, nil
	}
	list, err := sessionFunc(s, s.List)
	if err != nil {
		return "", err
	}
	return "EXISTS (SELECT FROM unnest(" + list + "(" + text + ")) AS e(x) WHERE " + cond + ")", nil
}

// isoDateTime is what Check reads as a date or timestamp (model.ParseText,
// case-insensitive): ASCII space around it; a date YYYY-M-D; then after T
// or space a time H:MM[:SS[.fraction]] and after optional space a zone
// (Z, UTC, GMT, ±H, ±H:MM[:SS], ±HH[:MM[:SS]], ±HHMM). Narrower than
// Check, a denial where Check allows and never the reverse: the fraction
// is held to microseconds (Check rounds a seventh digit half up,
// PostgreSQL to even) and an offset's seconds need colons (PostgreSQL
// rejects ±HHMMSS, ±HH:MMSS). Field ranges are left to the
// cast, which rejects what Check rejects (month 13, February 30, a year
// 0) and rolls second 60 and hour 24 over as Check does.
const isoDateTime = `^[ \t\n\r\f\v]*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}((t|[ \t\n\r\f\v]+)[0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?[ \t\n\r\f\v]*` +
	`(utc|gmt|z|[+-]([0-9](:[0-9]{2}(:[0-9]{2})?)?|[0-9]{2}(:[0-9]{2}(:[0-9]{2})?|[0-9]{2})?))?)?[ \t\n\r\f\v]*$`

// timeOfDay is what the guard lets the cast to time read (see
// SessionRejected).
const timeOfDay = `^[ \t\n\r\f\v]*[0-9]{1,2}:[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?[ \t\n\r\f\v]*$`

// byteaHex is what the guard lets the cast to bytea read (see
// SessionRejected).
const byteaHex = `^\\x([ \t\n\r\f\v]*[0-9a-fA-F]{2})*[ \t\n\r\f\v]*$`

// elemRejected is SessionRejected's condition on one value's text x.
func elemRejected(k model.Kind, x string) string {
	// An E'' literal: the same regular expression whatever
	// standard_conforming_strings says when the policy is created.
	iso, _ := QuoteLiteral(isoDateTime)
	switch k {
	case model.KindInteger:
		return x + " ~* '[a-z_]'"
	case model.KindNumeric:
		// And an exponent Check holds out of range (more than six
		// digits, or beyond ±1000), which PostgreSQL 15 reads.
		return x + " ~* '[a-df-z_]|e[+-]?([0-9]{7}|0*(100[1-9]|10[1-9][0-9]|1[1-9][0-9]{2}|[2-9][0-9]{3}|[1-9][0-9]{4,}))'"
	case model.KindDate:
		return x + " !~* " + iso
	case model.KindTimestamp:
		// Hour 24 of 9999-12-31 is a year Check does not hold.
		return "(" + x + " !~* " + iso + " OR " + x + "::timestamp >= '10000-01-01')"
	case model.KindTimestamptz:
		// The year's range is the function's (TimestamptzFunctionSQL).
		return x + " !~* " + iso
	case model.KindJSONB:
		// model.JSONTextRejected and JSONMaxBrackets, as Check tests
		// them: the same regular expression, case-sensitive.
		rx, _ := QuoteLiteral(model.JSONTextRejected)
		return "(" + x + " ~ " + rx + " OR length(" + x + ") - length(replace(replace(" + x + ", '[', ''), '{', '')) > " + strconv.Itoa(model.JSONMaxBrackets) + ")"
	}
	return ""
}

// canonParam is param for a value compared with column mc: a canonical
// value of a Canon type is sent as the text PostgreSQL reads (an
// interval's key as months, days and microseconds).
func (w *work) canonParam(mc *model.Column, v any) (string, error) {
	if mc.Type.Canon != "" {
		if _, clock := v.(residual.Clock); !clock {
			pv, err := model.CanonPG(mc.Type, v)
			if err != nil {
				return "", fmt.Errorf("sqlgen: %s: %w", mc.Name, err)
			}
			v = pv
		}
	}
	return w.param(mc.Type.Kind, v)
}

// enumCast adds to a PostgreSQL placeholder (or cast) the cast to an enum
// type (suffix "[]": its array type), so that it compares with the
// column's enum operators: "$1::text" becomes
// "$1::text::"public"."leave_status"". The type's schema is mapped as a
// table's is (Options.Schemas); a type named without a schema is found
// by the caller's search_path.
func (w *work) enumCast(p string, e *model.Enum, suffix string) (string, error) {
	name, err := quoteIdent(Postgres, e.Name)
	if err != nil {
		return "", err
	}
	schema := e.Schema
	if m, ok := w.r.o.Schemas[schema]; ok && schema != "" {
		schema = m
	}
	if schema != "" {
		q, err := quoteIdent(Postgres, schema)
		if err != nil {
			return "", err
		}
		name = q + "." + name
	}
	return p + "::" + name + suffix, nil
}

// mysqlDecimal is the placeholder of a numeric value in MySQL: a cast to
// DECIMAL(65,s), s the value's scale (at most 30, MySQL's limit, beyond
// which the cast rounds as a DECIMAL(65,30) column would). A fixed
// DECIMAL(65,30) leaves 35 digits before the point: a numeric(38,0) value
// would be clamped to 99...9.99...9, with a warning, and compare wrongly.
// A value of more than 65 digits fits no DECIMAL: unsupported, not
// clamped.
func mysqlDecimal(v any) (string, error) {
	n, _ := v.(json.Number)
	r, ok := new(big.Rat).SetString(string(n))
	if !ok {
		return "", fmt.Errorf("sqlgen: %v is not a numeric value", v)
	}
	scaled, s := new(big.Rat).Set(r), 0
	for ; s < 30 && !scaled.IsInt(); s++ {
		scaled.Mul(scaled, big.NewRat(10, 1))
	}
	whole := new(big.Int).Quo(scaled.Num(), scaled.Denom())
	if len(whole.Abs(whole).String()) > 65 {
		return "", &UnsupportedError{Op: "a numeric of more than 65 digits", Dialect: MySQL,
			Reason: "MySQL's DECIMAL holds at most 65 digits, and a cast would clamp " + string(n)}
	}
	return "CAST(? AS DECIMAL(65," + strconv.Itoa(s) + "))", nil
}

// ddl says the SQL is for DDL, a row-level security policy
// (Options.Session), which takes no parameters: the policy's own values
// are written as typed literals instead, quoted by QuoteLiteral. Values of
// a request never reach DDL; the session is read in the database.
func (w *work) ddl() bool { return w.r.o.Session != nil && w.d == Postgres }

// literal writes a parameter value as a PostgreSQL literal with its cast.
// A value no literal can hold (a NUL) fails the rendering.
func (w *work) literal(v any, cast string) string {
	s, err := pgLiteral(v)
	if err != nil {
		if w.err == nil {
			w.err = err
		}
		return "NULL"
	}
	if cast != "" {
		s += "::" + cast
	}
	return s
}

// pgLiteral writes a bind parameter's value (Fragment.Args) as a
// literal: text, which the cast after it parses as a parameter's text
// would be, or an ARRAY of such.
func pgLiteral(v any) (string, error) {
	switch x := v.(type) {
	case int64:
		return "'" + strconv.FormatInt(x, 10) + "'", nil
	case bool:
		return "'" + strconv.FormatBool(x) + "'", nil
	case string:
		return QuoteLiteral(x)
	case []int64, []bool, []string:
		var items []string
		switch y := x.(type) {
		case []int64:
			for _, el := range y {
				items = append(items, "'"+strconv.FormatInt(el, 10)+"'")
			}
		case []bool:
			for _, el := range y {
				items = append(items, "'"+strconv.FormatBool(el)+"'")
			}
		case []string:
			for _, el := range y {
				q, err := QuoteLiteral(el)
				if err != nil {
					return "", err
				}
				items = append(items, q)
			}
		}
		return "ARRAY[" + strings.Join(items, ", ") + "]", nil
	}
	return "", fmt.Errorf("sqlgen: no literal for a %T value", v)
}

// rawParam adds a parameter used as is (a pattern, a key).
func (w *work) rawParam(v any, pgCast string) string {
	if w.ddl() {
		return w.literal(v, pgCast)
	}
	w.args = append(w.args, v)
	if w.d == Postgres {
		p := "$" + strconv.Itoa(w.next)
		w.next++
		if pgCast != "" {
			p += "::" + pgCast
		}
		return p
	}
	return "?"
}

func pgType(k model.Kind) string {
	switch k {
	case model.KindInteger:
		return "bigint"
	case model.KindNumeric:
		return "numeric"
	case model.KindBoolean:
		return "boolean"
	case model.KindUUID:
		return "uuid"
	case model.KindDate:
		return "date"
	case model.KindTimestamp:
		return "timestamp"
	case model.KindTimestamptz:
		return "timestamptz"
	case model.KindJSONB:
		return "jsonb"
	}
	return "text"
}

// argOf converts a canonical value to the bind parameter of a dialect.
func argOf(d Dialect, k model.Kind, v any) (any, error) {
	bad := func() (any, error) { return nil, fmt.Errorf("sqlgen: %v (%T) is not a %s value", v, v, k) }
	switch k {
	case model.KindInteger:
		n, ok := v.(json.Number)
		if !ok {
			return bad()
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			return bad()
		}
		return i, nil
	case model.KindNumeric:
		// Decimal text in every dialect, exact in the API. SQLite casts it
		// to NUMERIC: an INTEGER when it is whole and 64-bit, else a REAL,
		// as a NUMERIC column holds the value; a double parameter would
		// round 9223372036854775807, which such a column holds exactly.
		// The cast also compares as numbers with a column of no type or of
		// TEXT affinity, which a bare text parameter would not.
		n, ok := v.(json.Number)
		if !ok {
			return bad()
		}
		return string(n), nil
	case model.KindBoolean:
		b, ok := v.(bool)
		if !ok {
			return bad()
		}
		return b, nil
	case model.KindJSONB:
		js, err := json.Marshal(v)
		if err != nil {
			return bad()
		}
		return string(js), nil
	}
	s, ok := v.(string)
	if !ok {
		return bad()
	}
	if d == MySQL && (k == model.KindTimestamp || k == model.KindTimestamptz) {
		// 2006-01-02T15:04:05.000000[Z] -> 2006-01-02 15:04:05.000000
		s = strings.TrimSuffix(strings.Replace(s, "T", " ", 1), "Z")
	}
	return s, nil
}

func (w *work) compare(x residual.Compare, f *frame) error {
	ordered := x.Op != residual.Eq && x.Op != residual.Neq
	rc, rcol := x.Right.(residual.Column)
	if x.Left.Lower || rcol && rc.Lower {
		if v, ok := x.Right.(residual.Value); ok && !ordered {
			return w.lowerEquality(x.Left, f, []any{v.V}, x.Op == residual.Neq, false)
		}
		if err := lowerSupport(w.d, cmpOpName(x)); err != nil {
			return err
		}
	}
	if p, ok := x.Right.(residual.Param); ok && x.Left.Lower && p.Fold {
		return w.foldedSession(x, f, p)
	}
	if err := w.compareSupport(x, f); err != nil {
		return err
	}
	l, mc, err := w.operand(x.Left, f, ordered)
	if err != nil {
		return err
	}
	var r string
	switch y := x.Right.(type) {
	case residual.Column:
		r, _, err = w.operand(y, f, ordered)
	case residual.Value:
		r, err = w.canonParam(mc, y.V)
		if err == nil && mc.Type.Enum != nil && w.d == Postgres {
			r, err = w.enumCast(r, mc.Type.Enum, "")
		}
		if err == nil && mc.Type.Canon != "" {
			r += "::" + mc.Type.Cast
		}
	case residual.Param:
		r, err = w.session(y, mc)
	default:
		err = fmt.Errorf("sqlgen: unbound operand %T", x.Right)
	}
	if err != nil {
		return err
	}
	w.b.WriteString(l + " " + x.Op.String() + " " + r)
	return nil
}

// compareSupport refuses a comparison the dialect cannot make as Check
// does, bound or rendered from a template alike: a column compared by
// canonical text outside PostgreSQL, jsonb (in)equality elsewhere.
func (w *work) compareSupport(x residual.Compare, f *frame) error {
	_, mc, err := w.col(x.Left, f)
	if err != nil {
		return err
	}
	if err := canonSupport(w.d, cmpOpName(x), mc); err != nil {
		return err
	}
	if x.Left.Kind == model.KindJSONB {
		op := "_eq"
		if x.Op == residual.Neq {
			op = "_neq"
		}
		return jsonbEquality(w.d, op)
	}
	return nil
}

// array renders array containment (PostgreSQL's @> and <@), the value
// cast to the column's array type.
func (w *work) array(x residual.Array, f *frame) error {
	cf, mc, err := w.col(x.Column, f)
	if err != nil {
		return err
	}
	if err := canonSupport(w.d, string(x.Op), mc); err != nil {
		return err
	}
	if mc.Type.Canon != model.CanonArray {
		return fmt.Errorf("sqlgen: array containment on %s, which is not an array", mc.Name)
	}
	ref, err := w.value(cf, mc)
	if err != nil {
		return err
	}
	v, ok := x.Value.(residual.Value)
	if !ok {
		return fmt.Errorf("sqlgen: unbound array operand %T", x.Value)
	}
	p, err := w.param(model.KindText, v.V)
	if err != nil {
		return err
	}
	op := " @> "
	if x.Op == model.OpContained {
		op = " <@ "
	}
	w.b.WriteString(ref + op + p + "::" + mc.Type.Cast)
	return nil
}

// canonSupport says whether a dialect compares a column of a type Warden
// compares by canonical text (model.Type.Canon: time, timetz, interval,
// money, bytea, inet, cidr, ltree, arrays): PostgreSQL only, casting the value to the column's type. The
// other databases have no such type, or store it in a form (a MySQL TIME,
// a JSON array) whose comparison with the canonical text Warden cannot
// vouch for.
func canonSupport(d Dialect, op string, c *model.Column) error {
	if c.Type.Canon == "" || d == Postgres {
		return nil
	}
	return &UnsupportedError{Op: op + " on " + c.Type.Cast, Dialect: d,
		Reason: "only PostgreSQL has the type; its values are not compared as Warden's canonical text elsewhere"}
}

// jsonbEquality reports whether a dialect compares jsonb values as
// PostgreSQL's jsonb equality does.
func jsonbEquality(d Dialect, op string) error {
	if d == Postgres {
		return nil
	}
	return &UnsupportedError{Op: op + " on jsonb", Dialect: d,
		Reason: "JSON documents stored as text have no equality that ignores key order and number spelling"}
}

func (w *work) in(x residual.In, f *frame) error {
	if x.Column.Kind == model.KindJSONB {
		if err := jsonbEquality(w.d, "_in"); err != nil {
			return err
		}
	}
	if p, ok := x.List.(residual.Param); ok {
		return w.inSession(x, f, p)
	}
	v, ok := x.List.(residual.Value)
	list, isList := v.V.([]any)
	if !ok || !isList {
		return fmt.Errorf("sqlgen: _in takes a bound list, got %T", x.List)
	}
	if x.Column.Lower {
		if len(list) == 0 {
			w.b.WriteString("FALSE")
			return nil
		}
		return w.lowerEquality(x.Column, f, list, false, true)
	}
	l, mc, err := w.operand(x.Column, f, false)
	if err != nil {
		return err
	}
	if err := canonSupport(w.d, "_in", mc); err != nil {
		return err
	}
	k := mc.Type.Kind
	if len(list) == 0 {
		w.b.WriteString("FALSE")
		return nil
	}
	if w.d == Postgres && mc.Type.Canon == "" {
		arr, cast, err := pgArray(k, list)
		if err != nil {
			return err
		}
		if mc.Type.Enum != nil {
			if cast, err = w.enumCast(cast, mc.Type.Enum, "[]"); err != nil {
				return err
			}
		}
		w.b.WriteString(l + " = ANY(" + w.rawParam(arr, cast) + ")")
		return nil
	}
	w.b.WriteString(l + " IN (")
	for i, el := range list {
		if i > 0 {
			w.b.WriteString(", ")
		}
		p, err := w.canonParam(mc, el)
		if err != nil {
			return err
		}
		if mc.Type.Canon != "" {
			p += "::" + mc.Type.Cast
		}
		w.b.WriteString(p)
	}
	w.b.WriteString(")")
	return nil
}

// inSession renders _in over a list session variable read inside the
// database (Options.Session): c = ANY(list), FALSE for an empty list as
// for a bound one, NULL for a NULL column (the list holds no NULL).
func (w *work) inSession(x residual.In, f *frame, p residual.Param) error {
	if x.Column.Lower {
		// lower(column) = ANY(the elements lower-cased), both by the
		// fold function (foldedSession).
		cf, mc, err := w.col(x.Column, f)
		if err != nil {
			return err
		}
		if !p.Fold || !p.Array || w.r.o.Session == nil || w.r.o.Session.Fold == "" || w.d != Postgres || !mc.Type.Fold || mc.Type.Kind != model.KindText || mc.Type.Enum != nil || mc.Type.Canon != "" {
			return &UnsupportedError{Op: "session variable " + p.Name, Dialect: w.d, Construct: true,
				Reason: "a list compared with lower(" + x.Column.Name + ") is not read inside the database"}
		}
		ref, err := w.value(cf, mc)
		if err != nil {
			return err
		}
		list, err := SessionSQL(w.r.o.Session, p)
		if err != nil {
			return err
		}
		col, err := w.foldedColumn(ref)
		if err != nil {
			return err
		}
		w.b.WriteString(col + " = ANY(" + list + ")")
		return nil
	}
	l, mc, err := w.operand(x.Column, f, false)
	if err != nil {
		return err
	}
	list, err := w.session(p, mc)
	if err != nil {
		return err
	}
	w.b.WriteString(l + " = ANY(" + list + ")")
	return nil
}

// empty renders residual.Empty: whether a list session variable read
// inside the database has no element (a bound list never reaches SQL:
// Bind decides it).
func (w *work) empty(x residual.Empty) error {
	p, ok := x.List.(residual.Param)
	if !ok || w.r.o.Session == nil || w.d != Postgres {
		return fmt.Errorf("sqlgen: unbound list %T", x.List)
	}
	list, err := SessionSQL(w.r.o.Session, p)
	if err != nil {
		return err
	}
	w.b.WriteString("cardinality(" + list + ") = 0")
	return nil
}

// pgArrayCast is pgArray's cast for kind k.
func pgArrayCast(k model.Kind) string {
	switch k {
	case model.KindInteger:
		return "bigint[]"
	case model.KindBoolean:
		return "boolean[]"
	case model.KindText:
		return "text[]"
	}
	return "text[]::" + pgType(k) + "[]"
}

// pgArray converts a list to a PostgreSQL array parameter and its cast:
// bigint[] and boolean[] as such, everything else sent as text[].
func pgArray(k model.Kind, list []any) (any, string, error) {
	switch k {
	case model.KindInteger:
		out := make([]int64, len(list))
		for i, el := range list {
			a, err := argOf(Postgres, k, el)
			if err != nil {
				return nil, "", err
			}
			out[i] = a.(int64)
		}
		return out, "bigint[]", nil
	case model.KindBoolean:
		out := make([]bool, len(list))
		for i, el := range list {
			a, err := argOf(Postgres, k, el)
			if err != nil {
				return nil, "", err
			}
			out[i] = a.(bool)
		}
		return out, "boolean[]", nil
	}
	out := make([]string, len(list))
	for i, el := range list {
		a, err := argOf(Postgres, k, el)
		if err != nil {
			return nil, "", err
		}
		out[i] = a.(string)
	}
	if k == model.KindText {
		return out, "text[]", nil
	}
	return out, "text[]::" + pgType(k) + "[]", nil
}

// patternSupport says whether a dialect has the pattern operator.
func patternSupport(d Dialect, op model.Operator) error {
	if d != SQLite {
		return nil
	}
	switch op {
	case model.OpSimilar, model.OpNsimilar, model.OpRegex, model.OpNregex, model.OpIregex, model.OpNiregex:
		return &UnsupportedError{Op: string(op), Dialect: d, Reason: "SQLite has no regular expression operator (REGEXP is not built in)"}
	}
	return nil
}

// likeEscaped is a LIKE pattern's text with a lone backslash at its end
// (an odd run of them) doubled: Check's translation reads it as a
// backslash (compile.PatternRegex), LIKE would fail on it.
func likeEscaped(text string) string {
	re, _ := QuoteLiteral(`(^|[^\\])(\\\\)*\\$`)
	return "(CASE WHEN " + text + " ~ " + re + " THEN " + text + " || E'\\\\' ELSE " + text + " END)"
}

// SessionLike renders the text ref (SQL of type text) matched by the
// pattern operator op (_like or _ilike) with a session variable's pattern
// read inside the database, as Check's translation matches it
// (compile.PatternRegex): LIKE reads % as any text, _ as any character
// (newlines included), a backslash as escaping the next character and
// anchors at both ends, as the translation does; a lone backslash at the
// end, a backslash for Check, is doubled for LIKE (likeEscaped); the
// comparison is character by character (COLLATE "C"). _ilike is LIKE on
// both texts mapped by the case-fold function (CaseFoldFunctionSQL): Go's
// (?i) matches a character by its simple case-folding orbit, which the
// function maps to one member. _similar and the regular expressions are
// not read so: their syntax and classes differ from RE2's.
func SessionLike(s *SessionRead, op model.Operator, ref string, p residual.Param) (string, error) {
	like := op == model.OpLike && p.Pattern == model.OpLike
	ilike := op == model.OpIlike && p.Pattern == model.OpIlike && s.CaseFold != ""
	if !like && !ilike {
		return "", &UnsupportedError{Op: "session variable " + p.Name, Dialect: Postgres, Construct: true,
			Reason: "only a _like or _ilike pattern is read inside the database"}
	}
	text, err := SessionSQL(s, p)
	if err != nil {
		return "", err
	}
	pat := likeEscaped(text)
	if ilike {
		fold, err := sessionFunc(s, s.CaseFold)
		if err != nil {
			return "", err
		}
		ref, pat = fold+"("+ref+")", fold+"("+pat+")"
	}
	return ref + " COLLATE \"C\" LIKE " + pat, nil
}

// sessionPattern renders a pattern operator whose pattern is a session
// variable read inside the database (Options.Session): SessionLike on
// the column's text (padded for a character(n) column, as Check sees it).
func (w *work) sessionPattern(x residual.Match, p residual.Param, ref string, mc *model.Column) error {
	s := w.r.o.Session
	if s == nil || w.d != Postgres || mc.Type.Canon != "" || mc.Type.Enum != nil {
		return &UnsupportedError{Op: "session variable " + p.Name, Dialect: w.d, Construct: true,
			Reason: "only a _like or _ilike pattern on a text, citext or character(n) column is read inside the database"}
	}
	sql, err := SessionLike(s, x.Op, ref+"::text", p)
	if err != nil {
		return err
	}
	w.b.WriteString(sql)
	return nil
}

func (w *work) match(x residual.Match, f *frame) error {
	if err := patternSupport(w.d, x.Op); err != nil {
		return err
	}
	if x.Column.Lower {
		return fmt.Errorf("sqlgen: a pattern on lower(%s)", x.Column.Name)
	}
	ref, mc, err := w.colRef(x.Column, f)
	if err != nil {
		return err
	}
	p, session := x.Pattern.(residual.Param)
	if x.Regex == "" && !session {
		return fmt.Errorf("sqlgen: unbound pattern")
	}
	if err := canonSupport(w.d, string(x.Op), mc); err != nil {
		return err
	}
	if mc.Type.Canon != "" {
		// An ltree path matched as text (ltree's own ~ is lquery).
		ref += "::text"
	}
	if x.Column.Pad > 0 {
		if mc.Type.Kind != model.KindText {
			return fmt.Errorf("sqlgen: pad(%s, %d) of a %s column", x.Column.Name, x.Column.Pad, mc.Type.Kind)
		}
		ref = w.padded(ref, x.Column.Pad)
	}
	if session && x.Regex == "" {
		return w.sessionPattern(x, p, ref, mc)
	}
	re, err := parseRegex(x.Regex)
	if err != nil {
		return &UnsupportedError{Op: string(x.Op), Dialect: w.d, Reason: err.Error()}
	}
	items, fold, like := likeShape(re)
	switch {
	case w.d == SQLite && like:
		w.b.WriteString(ref + " GLOB " + w.rawParam(globPattern(items), ""))
		return nil
	case w.d == SQLite:
		return &UnsupportedError{Op: string(x.Op), Dialect: w.d, Reason: "the pattern is not expressible with GLOB"}
	case w.d == Postgres && like && !fold:
		if mc.Type.Fold {
			ref += "::text"
		}
		w.b.WriteString(ref + " LIKE " + w.rawParam(likePattern(items, '\\'), "text"))
		return nil
	case w.d == MySQL && like && !fold:
		w.b.WriteString(ref + " COLLATE utf8mb4_bin LIKE " + w.rawParam(likePattern(items, '!'), "") + " ESCAPE '!'")
		return nil
	}
	text, err := regexFlavor{d: w.d}.print(re)
	if err != nil {
		return &UnsupportedError{Op: string(x.Op), Dialect: w.d, Reason: err.Error()}
	}
	if w.d == Postgres {
		if mc.Type.Fold {
			ref += "::text"
		}
		w.b.WriteString(ref + " ~ " + w.rawParam(text, "text"))
		return nil
	}
	w.b.WriteString(ref + " COLLATE utf8mb4_bin REGEXP " + w.rawParam(text, ""))
	return nil
}

// padded renders a text column padded with spaces to n characters, a
// longer text left as it is (residual.Column.Pad: a character(n) column
// as PostgreSQL's pattern operators see it), with n a bind parameter. The
// column is read as text without its trailing spaces in every dialect: a
// PostgreSQL character(n) column loses them when cast to text (||) and
// CHAR_LENGTH does not count them, a MySQL CHAR column strips them on
// read, and canonical values have none. NULL stays NULL. RPAD is not used:
// it truncates a longer text.
func (w *work) padded(ref string, n int) string {
	switch w.d {
	case Postgres:
		return "(" + ref + " || REPEAT(' ', " + w.rawParam(int64(n), "integer") + " - CHAR_LENGTH(" + ref + ")))"
	case MySQL:
		return "CONCAT(" + ref + ", REPEAT(' ', " + w.rawParam(int64(n), "") + " - CHAR_LENGTH(" + ref + ")))"
	}
	// SQLite has no REPEAT: printf('%*s', n, '') is n spaces, of which
	// those past the column's length (in characters) are appended.
	return "(" + ref + " || substr(printf('%*s', " + w.rawParam(int64(n), "") + ", ''), length(" + ref + ") + 1))"
}

// foldTable pairs every character Go's unicode.ToLower maps to another
// (the simple lower-case mapping strings.ToLower applies character by
// character) with that character: translate()'s from and to.
var foldTable = sync.OnceValues(func() (string, string) {
	var from, to strings.Builder
	for r := rune(1); r <= unicode.MaxRune; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		if l := unicode.ToLower(r); l != r {
			from.WriteRune(r)
			to.WriteRune(l)
		}
	}
	return from.String(), to.String()
})

// caseFoldTable maps every character whose simple case-folding orbit
// (unicode.SimpleFold: k, K and the Kelvin sign; s, S and ſ) has another
// member to the orbit's least member: translate()'s from and to. Two
// characters map alike exactly when Go's (?i) matches one with the other.
var caseFoldTable = sync.OnceValues(func() (string, string) {
	var from, to strings.Builder
	for r := rune(1); r <= unicode.MaxRune; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		least := r
		for o := unicode.SimpleFold(r); o != r; o = unicode.SimpleFold(o) {
			least = min(least, o)
		}
		if least != r {
			from.WriteRune(r)
			to.WriteRune(least)
		}
	}
	return from.String(), to.String()
})

// CaseFoldFunctionSQL creates fn(text) returning the text with every
// character replaced by the least member of its simple case-folding orbit
// (caseFoldTable), as Go's case-insensitive regular expressions compare
// characters (Check's _ilike): two texts map alike exactly when (?i)
// matches one with the other character by character.
func CaseFoldFunctionSQL(fn string) string {
	from, to := caseFoldTable()
	qf, _ := QuoteLiteral(from)
	qt, _ := QuoteLiteral(to)
	return `CREATE OR REPLACE FUNCTION ` + fn + `(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $warden$
SELECT pg_catalog.translate(t, ` + qf + `, ` + qt + `)
$warden$;

`
}

// FoldFunctionSQL creates fn(text) returning the text lower-cased as Go's
// strings.ToLower lower-cases it (Check's folding of a citext value, and
// the Rego's lower() of the column): translate() of every character Go
// lower-cases to another, whatever the database's locale, collation or
// Unicode version (LOWER() follows those: ICU differs on the capital I
// with dot above and a final sigma, C folds ASCII only). The table is the
// Unicode tables of the Go that generated the script; the database must
// be UTF8 to hold them (else creating the function fails).
func FoldFunctionSQL(fn string) string {
	from, to := foldTable()
	qf, _ := QuoteLiteral(from) // valid UTF-8 without NUL
	qt, _ := QuoteLiteral(to)
	return `CREATE OR REPLACE FUNCTION ` + fn + `(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $warden$
SELECT pg_catalog.translate(t, ` + qf + `, ` + qt + `)
$warden$;

`
}

// sessionFolded reads a variable compared with a citext column (a list's
// elements for Param.Array) lower-cased as Check lower-cases it, by the
// fold function (FoldFunctionSQL).
func sessionFolded(s *SessionRead, p residual.Param) (string, error) {
	if s.Fold == "" {
		return "", &UnsupportedError{Op: "session variable " + p.Name, Dialect: Postgres, Construct: true,
			Reason: "a value compared with a citext column is not lower-cased inside the database without a fold function"}
	}
	text, err := SessionText(s, p.Name)
	if err != nil {
		return "", err
	}
	fold, err := sessionFunc(s, s.Fold)
	if err != nil {
		return "", err
	}
	if !p.Array {
		return fold + "(" + text + ")", nil
	}
	if s.List == "" {
		return "", &UnsupportedError{Op: "session variable " + p.Name, Dialect: Postgres, Construct: true,
			Reason: "a list variable is not read inside the database without a list function"}
	}
	list, err := sessionFunc(s, s.List)
	if err != nil {
		return "", err
	}
	return "ARRAY(SELECT " + fold + "(e.x) FROM unnest(" + list + "(" + text + ")) AS e(x))", nil
}

// foldedColumn is a citext column's text lower-cased as the Rego's
// lower() does (the fold function), compared bytewise (COLLATE "C": the
// order of UTF-8 bytes, Go's order of strings).
func (w *work) foldedColumn(ref string) (string, error) {
	fold, err := sessionFunc(w.r.o.Session, w.r.o.Session.Fold)
	if err != nil {
		return "", err
	}
	return fold + "(" + ref + "::text) COLLATE \"C\"", nil
}

// foldedSession renders lower(column) compared (=, <>, <, <=, >, >=)
// with a variable read by sessionFolded: both lower-cased by the fold
// function as Check lower-cases them, compared bytewise as Go compares
// strings. Exact in every locale, under NOT as well.
func (w *work) foldedSession(x residual.Compare, f *frame, p residual.Param) error {
	cf, mc, err := w.col(x.Left, f)
	if err != nil {
		return err
	}
	if w.r.o.Session == nil || w.r.o.Session.Fold == "" || w.d != Postgres || !mc.Type.Fold || mc.Type.Kind != model.KindText || mc.Type.Enum != nil || mc.Type.Canon != "" {
		return &UnsupportedError{Op: "session variable " + p.Name, Dialect: w.d, Construct: true,
			Reason: fmt.Sprintf("compared with %s column %s, whose values Check normalises", mc.Type.Kind, mc.Name)}
	}
	ref, err := w.value(cf, mc)
	if err != nil {
		return err
	}
	r, err := SessionSQL(w.r.o.Session, p)
	if err != nil {
		return err
	}
	col, err := w.foldedColumn(ref)
	if err != nil {
		return err
	}
	w.b.WriteString(col + " " + x.Op.String() + " " + r)
	return nil
}
