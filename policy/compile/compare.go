package compile

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/wardenpdp/warden/policy/model"
)

// LibPackage is the package of the shared helper functions (jsonb operators)
// that compiled modules import.
const LibPackage = "warden.lib"

// compare renders a comparison leaf. A comparison holds only when its
// operands are not NULL, and so does its negation (SQL three-valued logic
// under WHERE).
func (c *compiler) compare(x nCmp, s scope) ([]string, error) {
	raw := s.cur + ref(x.c.Column.Name)
	notNull := raw + " != null"
	col := raw
	if x.c.Column.Type.Fold {
		// citext: compare lower-cased; comparison values arrive folded.
		col = "lower(" + raw + ")"
	}
	op := EffectiveOp(x.c.Column, x.c.Op)
	x.c.Op = op
	neg := x.neg
	// Negative operators are the negation of their positive twin.
	if pos, negated := op.Positive(); negated {
		op, neg = pos, !neg
	}
	switch op {
	case model.OpIsNull:
		lit, ok := x.c.Value.(model.Literal)
		b, isBool := lit.V.(bool)
		if !ok || !isBool {
			return nil, fmt.Errorf("%s: _is_null takes true or false", x.c.Column.Name)
		}
		if b != neg {
			return []string{raw + " == null"}, nil
		}
		return []string{notNull}, nil
	case model.OpCeq, model.OpCneq, model.OpCgt, model.OpClt, model.OpCgte, model.OpClte:
		cr, ok := x.c.Value.(model.ColumnRef)
		if !ok {
			return nil, fmt.Errorf("%s: %s takes a column", x.c.Column.Name, op)
		}
		other := s.cur + ref(cr.Column.Name)
		if cr.Root {
			other = s.root + ref(cr.Column.Name)
		}
		if _, ok := model.DatabaseDecided(x.c.Column, op); ok {
			// Two opaque columns, or the order of two ltree or array
			// columns: the database's, as for a value (NULL when either
			// is NULL, so neither the operator nor its negation holds).
			call := "data." + LibPackage + "." + Database + "(" + quote(string(op)) + ", " + raw + ", " + other + ")"
			if neg {
				call = "not " + call
			}
			return []string{notNull, other + " != null", call}, nil
		}
		otherVal := other
		if cr.Column.Type.Fold {
			otherVal = "lower(" + other + ")"
		}
		rop := relOps[op]
		if neg {
			rop = negRelOps[rop]
		}
		return []string{notNull, other + " != null", col + " " + rop + " " + otherVal}, nil
	}

	var val string
	var err error
	if op == model.OpAncestor || op == model.OpDescendant {
		// ltree: the ancestors of a path literal are a list, its
		// descendants a regular expression; a session variable's path is
		// bound as a pattern (PatternRegex).
		if _, isVar := x.c.Value.(model.SessionVar); isVar {
			// The engine binds the pattern of the variable's path.
			val, err := c.value(x.c, s)
			if err != nil {
				return nil, err
			}
			m := "regex.match(" + val + ", " + raw + ")"
			if neg {
				m = "not " + m
			}
			return []string{notNull, m}, nil
		}
		lit, ok := x.c.Value.(model.Literal)
		path, isText := lit.V.(string)
		if !ok || !isText {
			return nil, fmt.Errorf("%s: %s takes a path", x.c.Column.Name, op)
		}
		if op == model.OpAncestor {
			val, err := literal(model.LtreeAncestors(path))
			if err != nil {
				return nil, err
			}
			if neg {
				return []string{notNull, "not " + col + " in " + val}, nil
			}
			return []string{col + " in " + val}, nil
		}
		m := "regex.match(" + quote(model.LtreeDescendantRegex(path)) + ", " + raw + ")"
		if neg {
			m = "not " + m
		}
		return []string{notNull, m}, nil
	}
	if e := x.c.Column.Type.Enum; e != nil && isOrder(op) {
		// An enum orders its values by the type's label order: the
		// comparison holds for exactly the labels on the value's side,
		// so it is a membership test (for a session variable, in the
		// list the engine binds; see EnumOrderKey).
		// Negated, it holds for a non-NULL column outside the list (NOT
		// (c > v) is NULL for a NULL c), an empty list included: not
		// Hasura's _nin, which an empty list makes true for NULL too.
		val, err := enumSide(e, op, x.c)
		if err != nil {
			return nil, err
		}
		if neg {
			return []string{notNull, "not " + col + " in " + val}, nil
		}
		return []string{col + " in " + val}, nil
	}
	if model.JSONBTextCast(x.c.Column, x.c.Cast) {
		return c.jsonbText(x.c, op, neg, raw, notNull, s)
	}
	val, err = c.value(x.c, s)
	if err != nil {
		return nil, err
	}
	if _, ok := model.DatabaseDecided(x.c.Column, op); ok {
		// PostGIS, ltree's lquery matching, ltree and array ordering:
		// the database's to decide. NULL for a NULL column, so neither
		// the operator nor its negation holds there.
		fn := Database
		if model.IsSpatial(op) {
			fn = Spatial
		}
		call := "data." + LibPackage + "." + fn + "(" + quote(string(op)) + ", " + raw + ", " + val + ")"
		if cast := x.c.Cast; cast != "" {
			if !model.IsSpatial(op) || !model.SpatialCast(x.c.Column, cast) {
				return nil, fmt.Errorf("%s: _cast to %s with %s", x.c.Column.Name, cast, op)
			}
			// Hasura's _cast: PostGIS's function of the column cast to
			// the other PostGIS type.
			call = "data." + LibPackage + "." + SpatialCast + "(" + quote(cast) + ", " + quote(string(op)) + ", " + raw + ", " + val + ")"
		}
		if neg {
			call = "not " + call
		}
		if op == model.OpIn && neg {
			switch v := x.c.Value.(type) {
			case model.Literal:
				if v.V == "{}" {
					// An opaque column's _nin [] is Hasura's NOT (c =
					// ANY('{}')): true, a NULL c included, so no guard.
					return []string{call}, nil
				}
			case model.SessionVar:
				// Hasura's NOT (c = ANY($1)): true for a variable
				// holding an empty array, a NULL c included.
				return []string{"data." + LibPackage + "." + DatabaseNotIn + "(" + raw + ", " + val + ")"}, nil
			}
		}
		return []string{notNull, call}, nil
	}
	switch op {
	case model.OpEq, model.OpGt, model.OpLt, model.OpGte, model.OpLte:
		rop := relOps[op]
		if neg {
			rop = negRelOps[rop]
		}
		if rop == "==" {
			// col == v is false for a NULL col: no guard needed.
			return []string{col + " == " + val}, nil
		}
		return []string{notNull, col + " " + rop + " " + val}, nil
	case model.OpIn:
		if !neg {
			// c = ANY(list): false for an empty list and for a NULL c.
			return []string{col + " in " + val}, nil
		}
		// NOT (c = ANY(list)), Hasura's _nin: true for an empty list, a
		// NULL c included; NULL (no row) for a NULL c otherwise.
		switch v := x.c.Value.(type) {
		case model.Literal:
			if l, ok := v.V.([]any); ok && len(l) == 0 {
				return nil, nil
			}
			return []string{notNull, "not " + col + " in " + val}, nil
		case model.SessionVar:
			fn := NotIn
			if x.c.Column.Type.Fold {
				fn = NotInLower
			}
			return []string{"data." + LibPackage + "." + fn + "(" + raw + ", " + val + ")"}, nil
		}
		return nil, fmt.Errorf("%s: %s takes a list", x.c.Column.Name, op)
	case model.OpLike, model.OpIlike, model.OpSimilar, model.OpRegex, model.OpIregex:
		subject := raw
		if t := x.c.Column.Type; t.PadSpace && t.Length > 0 {
			// PostgreSQL's pattern operators see a character(n) value
			// padded with spaces to n characters.
			subject = "data." + LibPackage + "." + BpcharPad + "(" + raw + ", " + strconv.Itoa(t.Length) + ")"
		}
		m := "regex.match(" + val + ", " + subject + ")"
		if neg {
			m = "not " + m
		}
		return []string{notNull, m}, nil
	case model.OpContains, model.OpContained, model.OpHasKey, model.OpHasKeysAny, model.OpHasKeysAll:
		col := raw
		var call string
		switch {
		case x.c.Column.Type.Canon == model.CanonArray && op == model.OpContains:
			call = "data.warden.lib.array_contains(" + col + ", " + val + ")"
		case x.c.Column.Type.Canon == model.CanonArray && op == model.OpContained:
			call = "data.warden.lib.array_contains(" + val + ", " + col + ")"
		case x.c.Column.Type.Canon == model.CanonArray:
			return nil, fmt.Errorf("%s: operator %s does not apply to arrays", x.c.Column.Name, op)
		}
		switch {
		case call != "":
		case op == model.OpContains:
			call = "data.warden.lib.jsonb_contains(" + col + ", " + val + ")"
		case op == model.OpContained:
			call = "data.warden.lib.jsonb_contains(" + val + ", " + col + ")"
		case op == model.OpHasKey:
			call = "data.warden.lib.jsonb_has_key(" + col + ", " + val + ")"
		case op == model.OpHasKeysAny:
			call = "data.warden.lib.jsonb_has_keys_any(" + col + ", " + val + ")"
		case op == model.OpHasKeysAll:
			call = "data.warden.lib.jsonb_has_keys_all(" + col + ", " + val + ")"
		}
		if neg {
			call = "not " + call
		}
		return []string{notNull, call}, nil
	}
	return nil, fmt.Errorf("%s: operator %s is not supported", x.c.Column.Name, x.c.Op)
}

func isOrder(op model.Operator) bool {
	switch op {
	case model.OpGt, model.OpLt, model.OpGte, model.OpLte:
		return true
	}
	return false
}

// enumSide renders the list of an enum's labels that stand in the
// relation op to the comparison's literal label, in the type's order.
func enumSide(e *model.Enum, op model.Operator, x model.Compare) (string, error) {
	if v, ok := x.Value.(model.SessionVar); ok {
		// The engine binds the list of labels on the variable's side.
		return "input.session" + refSegment(EnumOrderKey(op, e)) + "[" + quote(v.Name) + "]", nil
	}
	lit, ok := x.Value.(model.Literal)
	label, isText := lit.V.(string)
	if !ok || !isText || e.Index(label) < 0 {
		return "", fmt.Errorf("%s: %s on enum type %s takes a label", x.Column.Name, op, e)
	}
	return literal(e.Side(op, label))
}

var relOps = map[model.Operator]string{
	model.OpEq: "==", model.OpGt: ">", model.OpLt: "<", model.OpGte: ">=", model.OpLte: "<=",
	model.OpCeq: "==", model.OpCneq: "!=", model.OpCgt: ">", model.OpClt: "<", model.OpCgte: ">=", model.OpClte: "<=",
}

var negRelOps = map[string]string{
	"==": "!=", "!=": "==", ">": "<=", "<": ">=", ">=": "<", "<=": ">",
}

// value renders the right-hand side of a comparison.
func (c *compiler) value(x model.Compare, s scope) (string, error) {
	switch v := x.Value.(type) {
	case model.Literal:
		if IsPatternOp(x.Op) {
			p, ok := v.V.(string)
			if !ok {
				return "", fmt.Errorf("%s: %s takes a text pattern", x.Column.Name, x.Op)
			}
			re, err := PatternRegex(x.Op, p)
			if err != nil {
				return "", fmt.Errorf("%s: %w", x.Column.Name, err)
			}
			return quote(re), nil
		}
		return literal(v.V)
	case model.SessionVar:
		if IsPatternOp(x.Op) {
			return "input.session.pattern[" + quote(PatternKey(x.Op, v.Name)) + "]", nil
		}
		return SessionRef(v), nil
	case model.ColumnRef:
		return "", fmt.Errorf("%s: %s does not take a column; use the _c operators", x.Column.Name, x.Op)
	}
	return "", fmt.Errorf("%s: unsupported value %T", x.Column.Name, x.Value)
}

// SessionKind is the key under input.session holding variables coerced to a
// kind: "integer", or "integer[]" for array variables. Text compared with a
// citext column is lower-cased and text compared with a character(n) column
// loses its trailing spaces (model.Normalize), so those values have keys of
// their own, "citext" and "bpchar", and so does text compared with an enum
// column, which must be one of its labels ("enum:public.leave_status"): a
// variable compared with a text column and a citext column of the same
// rule has both forms.
func SessionKind(v model.SessionVar) string {
	k := v.Kind.String()
	if v.Kind == model.KindText {
		switch {
		case v.Type.Enum != nil:
			k = SessionEnum + v.Type.Enum.String()
		case v.Type.Canon != "":
			k = SessionCanon + CanonKey(v.Type)
		case v.Type.Fold:
			k = SessionCitext
		case v.Type.PadSpace:
			k = SessionBpchar
		}
	}
	if v.Array {
		k += "[]"
	}
	return k
}

// The keys under input.session of text variables normalised for citext and
// character(n) columns (see SessionKind).
const (
	SessionCitext = "citext"
	SessionBpchar = "bpchar"
)

// SessionEnum prefixes the key under input.session of text variables
// compared with an enum column, checked against its labels:
// "enum:public.leave_status".
const SessionEnum = "enum:"

// EnumOrderKey is the key under input.session of the variables an enum
// column is ordered against (op one of _gt _lt _gte _lte), each bound to
// the list of the type's labels on that side of its value:
// "enum_gt:public.leave_status".
func EnumOrderKey(op model.Operator, e *model.Enum) string {
	return "enum" + string(op) + ":" + e.String()
}

// SessionCanon prefixes the key under input.session of text variables
// compared with a column of a type compared by canonical text
// (model.Type.Canon), in that form: "canon:integer array", "canon:time"
// (see CanonKey).
const SessionCanon = "canon:"

// CanonKey names a Canon type in input.session keys and residual.Param:
// its PostgreSQL type with "[]" spelled " array" ("integer array"), so
// that it cannot be taken for the "[]" of an array variable.
func CanonKey(t model.Type) string {
	return strings.ReplaceAll(t.Cast, "[]", " array")
}

// SessionRef renders the reference to a coerced session variable.
func SessionRef(v model.SessionVar) string {
	return "input.session" + refSegment(SessionKind(v)) + "[" + quote(v.Name) + "]"
}

// PatternKey is the key under input.session.pattern of a session variable
// used as a pattern by an operator: "_like:x-hasura-p". Negative operators
// use their positive twin's key.
func PatternKey(op model.Operator, name string) string {
	op, _ = op.Positive()
	return string(op) + ":" + name
}

// IsPatternOp reports whether op takes a text pattern (like, similar, regex)
// or is compiled to one (ltree's _ancestor and _descendant).
func IsPatternOp(op model.Operator) bool {
	switch op {
	case model.OpAncestor, model.OpDescendant:
		return true
	case model.OpLike, model.OpNlike, model.OpIlike, model.OpNilike, model.OpSimilar,
		model.OpNsimilar, model.OpRegex, model.OpNregex, model.OpIregex, model.OpNiregex:
		return true
	}
	return false
}

// literal renders a constant as a Rego term (JSON is a subset of Rego terms).
func literal(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("literal %v: %w", v, err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// caseInsensitive maps a pattern operator to its case-insensitive twin, as
// citext's LIKE and regex operators behave (SIMILAR TO is case-sensitive on
// citext too).
var caseInsensitive = map[model.Operator]model.Operator{
	model.OpLike:   model.OpIlike,
	model.OpNlike:  model.OpNilike,
	model.OpRegex:  model.OpIregex,
	model.OpNregex: model.OpNiregex,
}

// EffectiveOp is the operator as evaluated on a column: on citext the
// LIKE and regex operators are case-insensitive.
func EffectiveOp(c *model.Column, op model.Operator) model.Operator {
	if c.Type.Fold {
		if ci, ok := caseInsensitive[op]; ok {
			return ci
		}
	}
	return op
}

// jsonbText renders a text operator on a jsonb column cast to text
// (Hasura's _cast, model.JSONBText), op positive and neg its negation: the
// database's, data.warden.lib.database_cast("text", op, column, value),
// the value the text as written (a pattern too) or a session variable's
// text. NULL for a NULL column, so neither the operator nor its negation
// holds there; _nin is Hasura's NOT (c = ANY(list)), true for an empty
// list (a variable's {}), a NULL c included.
func (c *compiler) jsonbText(x model.Compare, op model.Operator, neg bool, raw, notNull string, s scope) ([]string, error) {
	if _, ok := model.JSONBText[op]; !ok {
		return nil, fmt.Errorf("%s: _cast to text with %s", x.Column.Name, op)
	}
	var val string
	switch v := x.Value.(type) {
	case model.Literal:
		t, ok := v.V.(string)
		if !ok {
			return nil, fmt.Errorf("%s: %s on the column cast to text takes text", x.Column.Name, op)
		}
		if op == model.OpIn && neg && t == "{}" {
			return nil, nil
		}
		val = quote(t)
	case model.SessionVar:
		val = SessionRef(v)
		if op == model.OpIn && neg {
			return []string{"data." + LibPackage + "." + DatabaseNotInCast + "(" + quote(x.Cast) + ", " + raw + ", " + val + ")"}, nil
		}
	default:
		return nil, fmt.Errorf("%s: %s on the column cast to text takes text or a session variable", x.Column.Name, op)
	}
	call := "data." + LibPackage + "." + DatabaseCast + "(" + quote(x.Cast) + ", " + quote(string(op)) + ", " + raw + ", " + val + ")"
	if neg {
		call = "not " + call
	}
	return []string{notNull, call}, nil
}
