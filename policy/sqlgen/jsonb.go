package sqlgen

import (
	"encoding/json"
	"fmt"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// jsonbSupport says whether a dialect has a jsonb operator.
func jsonbSupport(d Dialect, op model.Operator) error {
	if d == Postgres {
		return nil
	}
	switch op {
	case model.OpContains, model.OpContained:
		reason := "SQLite's json1 has no containment"
		if d == MySQL {
			reason = "JSON_CONTAINS also finds values inside nested arrays, which jsonb containment does not"
		}
		return &UnsupportedError{Op: string(op), Dialect: d, Reason: reason}
	}
	return nil
}

func (w *work) jsonb(x residual.JSONB, f *frame) error {
	if err := jsonbSupport(w.d, x.Op); err != nil {
		return err
	}
	ref, mc, err := w.colRef(x.Column, f)
	if err != nil {
		return err
	}
	if p, ok := x.Value.(residual.Param); ok {
		return w.jsonbSession(x, p, ref, mc)
	}
	v, ok := x.Value.(residual.Value)
	if !ok {
		return fmt.Errorf("sqlgen: unbound jsonb operand %T", x.Value)
	}
	keys, err := jsonbKeys(x.Op, v.V)
	if err != nil {
		return err
	}
	if w.d == Postgres {
		if mc.Type.JSON {
			ref += "::jsonb"
		}
		sym, cast, ok := pgJSONBOp(x.Op)
		if !ok {
			return fmt.Errorf("sqlgen: jsonb operator %s", x.Op)
		}
		arg, err := pgJSONBArg(x.Op, v.V)
		if err != nil {
			return err
		}
		w.b.WriteString(ref + sym + w.rawParam(arg, cast))
		return nil
	}
	if len(keys) == 0 {
		if x.Op == model.OpHasKeysAll {
			w.b.WriteString("TRUE")
		} else {
			w.b.WriteString("FALSE")
		}
		return nil
	}
	sep := " OR "
	if x.Op == model.OpHasKeysAll {
		sep = " AND "
	}
	if len(keys) > 1 {
		w.b.WriteByte('(')
	}
	for i, k := range keys {
		if i > 0 {
			w.b.WriteString(sep)
		}
		if w.d == MySQL {
			w.mysqlHasKey(ref, k)
		} else {
			w.sqliteHasKey(ref, k)
		}
	}
	if len(keys) > 1 {
		w.b.WriteByte(')')
	}
	return nil
}

// jsonbKeys returns the key(s) of a key operator.
// pgJSONBOp is PostgreSQL's jsonb operator for op, and the cast of its
// right operand's parameter; ok is false for an operator it has not.
func pgJSONBOp(op model.Operator) (sym, cast string, ok bool) {
	switch op {
	case model.OpContains:
		return " @> ", "jsonb", true
	case model.OpContained:
		return " <@ ", "jsonb", true
	case model.OpHasKey:
		return " ? ", "text", true
	case model.OpHasKeysAny:
		return " ?| ", "text[]", true
	case model.OpHasKeysAll:
		return " ?& ", "text[]", true
	}
	return "", "", false
}

// pgJSONBArg is the parameter of PostgreSQL's jsonb operator op with the
// value v on its right: the document as JSON text for containment, the
// key or the keys otherwise.
func pgJSONBArg(op model.Operator, v any) (any, error) {
	keys, err := jsonbKeys(op, v)
	if err != nil {
		return nil, err
	}
	switch op {
	case model.OpContains, model.OpContained:
		js, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		return string(js), nil
	case model.OpHasKey:
		return keys[0], nil
	case model.OpHasKeysAny, model.OpHasKeysAll:
		return keys, nil
	}
	return nil, fmt.Errorf("sqlgen: jsonb operator %s", op)
}

func jsonbKeys(op model.Operator, v any) ([]string, error) {
	switch op {
	case model.OpHasKey:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("sqlgen: _has_key takes a text key, got %T", v)
		}
		return []string{s}, nil
	case model.OpHasKeysAny, model.OpHasKeysAll:
		l, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("sqlgen: %s takes a list of keys, got %T", op, v)
		}
		out := make([]string, 0, len(l))
		for _, e := range l {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("sqlgen: %s takes text keys, got %T", op, e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, nil
}

// mysqlHasKey renders jsonb's ? on MySQL's JSON: a key of an object, a
// string element (at the top level only) of an array, or the string
// itself.
func (w *work) mysqlHasKey(ref, key string) {
	j := "`" + w.alias("_j") + "`"
	w.b.WriteString("(CASE JSON_TYPE(" + ref + ")" +
		" WHEN 'OBJECT' THEN JSON_CONTAINS_PATH(" + ref + ", 'one', CONCAT('$.', JSON_QUOTE(" + w.rawParam(key, "") + ")))" +
		" WHEN 'ARRAY' THEN EXISTS (SELECT 1 FROM JSON_TABLE(" + ref + ", '$[*]' COLUMNS (v JSON PATH '$', s LONGTEXT PATH '$')) AS " + j +
		" WHERE JSON_TYPE(" + j + ".v) = 'STRING' AND CAST(" + j + ".s AS BINARY) = CAST(" + w.rawParam(key, "") + " AS BINARY))" +
		" WHEN 'STRING' THEN CAST(JSON_UNQUOTE(" + ref + ") AS BINARY) = CAST(" + w.rawParam(key, "") + " AS BINARY)" +
		" ELSE FALSE END)")
}

// sqliteHasKey renders jsonb's ? with json1: json_each lists an object's
// keys, an array's elements, or a scalar itself.
func (w *work) sqliteHasKey(ref, key string) {
	j := `"` + w.alias("_j") + `"`
	w.b.WriteString("EXISTS (SELECT 1 FROM json_each(" + ref + ") AS " + j + " WHERE CASE json_type(" + ref + ")" +
		" WHEN 'object' THEN " + j + ".key = " + w.rawParam(key, "") +
		" ELSE " + j + ".type = 'text' AND " + j + ".atom = " + w.rawParam(key, "") + " END)")
}

// jsonbSession renders a jsonb operator whose operand is a session
// variable read inside the database (Options.Session): a jsonb value for
// _contains and _contained_in, a key's text for _has_key, a list of keys
// (text[]) for _has_keys_any and _has_keys_all, each read as Check reads
// it (SessionSQL; the guard of package rls refuses what the cast reads
// and Check does not, SessionRejected). An empty list: ?| is false and ?&
// true, as Check's any and all.
func (w *work) jsonbSession(x residual.JSONB, p residual.Param, ref string, mc *model.Column) error {
	s := w.r.o.Session
	if s == nil || w.d != Postgres {
		return fmt.Errorf("sqlgen: unbound session variable %s", p.Name)
	}
	unsupported := func(why string) error {
		return &UnsupportedError{Op: "session variable " + p.Name, Dialect: w.d, Construct: true, Reason: why}
	}
	if p.Fold || p.PadSpace || p.Enum != "" || p.Canon != "" || p.Pattern != "" || p.Order != "" {
		return unsupported("a value Check normalises is not a jsonb operand")
	}
	var op string
	switch x.Op {
	case model.OpContains, model.OpContained:
		if p.Kind != model.KindJSONB || p.Array {
			return unsupported(fmt.Sprintf("%s takes a jsonb value, not a %s", x.Op, p.Kind))
		}
		op = " @> "
		if x.Op == model.OpContained {
			op = " <@ "
		}
	case model.OpHasKey:
		if p.Kind != model.KindText || p.Array {
			return unsupported(fmt.Sprintf("%s takes a text key", x.Op))
		}
		op = " ? "
	case model.OpHasKeysAny, model.OpHasKeysAll:
		if p.Kind != model.KindText || !p.Array {
			return unsupported(fmt.Sprintf("%s takes a list of text keys", x.Op))
		}
		op = " ?| "
		if x.Op == model.OpHasKeysAll {
			op = " ?& "
		}
	default:
		return unsupported(fmt.Sprintf("%s is not a jsonb operator", x.Op))
	}
	v, err := SessionSQL(s, p)
	if err != nil {
		return err
	}
	if mc.Type.JSON {
		ref += "::jsonb"
	}
	w.b.WriteString(ref + op + v)
	return nil
}
