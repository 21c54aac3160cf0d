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

	val, err := c.value(x.c, s)
	if err != nil {
		return nil, err
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
		switch op {
		case model.OpContains:
			call = "data.warden.lib.jsonb_contains(" + col + ", " + val + ")"
		case model.OpContained:
			call = "data.warden.lib.jsonb_contains(" + val + ", " + col + ")"
		case model.OpHasKey:
			call = "data.warden.lib.jsonb_has_key(" + col + ", " + val + ")"
		case model.OpHasKeysAny:
			call = "data.warden.lib.jsonb_has_keys_any(" + col + ", " + val + ")"
		case model.OpHasKeysAll:
			call = "data.warden.lib.jsonb_has_keys_all(" + col + ", " + val + ")"
		}
		if neg {
			call = "not " + call
		}
		return []string{notNull, call}, nil
	}
	return nil, fmt.Errorf("%s: operator %s is not supported", x.c.Column.Name, x.c.Op)
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
// their own, "citext" and "bpchar": a variable compared with a text column
// and a citext column of the same rule has both forms.
func SessionKind(v model.SessionVar) string {
	k := v.Kind.String()
	if v.Kind == model.KindText {
		switch {
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

// IsPatternOp reports whether op takes a text pattern (like, similar, regex).
func IsPatternOp(op model.Operator) bool {
	switch op {
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
