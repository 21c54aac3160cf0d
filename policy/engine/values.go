package engine

import (
	"fmt"
	"sort"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

func sessionField(name string) string {
	return "principal.session_variables[" + name + "]"
}

// sessionValue builds input.session for a permission, for OPA: the values
// of sessionValues (the one coercion of Check and Filter), the clock read
// now, grouped as the compiled Rego reads them.
func (pp *prepared) sessionValue(vars map[string]string) (*ast.Term, error) {
	vals := make([]any, len(pp.session))
	if err := sessionValues(pp, vars, vals, time.Now()); err != nil {
		return nil, err
	}
	return pp.sessionTerm(vals)
}

// sessionTerm groups coerced session values (aligned with pp.session) into
// input.session.
func (pp *prepared) sessionTerm(vals []any) (*ast.Term, error) {
	groups := map[string][][2]*ast.Term{}
	var bad InvalidValueErrors
	for i, n := range pp.session {
		key, val, err := sessionAST(n, vals[i])
		if err != nil {
			bad = append(bad, err)
			continue
		}
		groups[key] = append(groups[key], [2]*ast.Term{ast.StringTerm(sessionKey(n)), ast.NewTerm(val)})
	}
	if len(bad) > 0 {
		return nil, bad
	}
	items := make([][2]*ast.Term, 0, len(groups))
	for k, g := range groups {
		items = append(items, [2]*ast.Term{ast.StringTerm(k), ast.ObjectTerm(g...)})
	}
	return ast.ObjectTerm(items...), nil
}

func sessionKey(n sessionNeed) string {
	if n.pattern != "" {
		return compile.PatternKey(n.pattern, n.v.Name)
	}
	return n.v.Name
}

// sessionAST returns the input.session group key and the OPA value of a
// coerced session value (sessionGoValue's forms): a pattern's regular
// expression, an enum side's labels, the canonical value otherwise.
func sessionAST(n sessionNeed, v any) (string, ast.Value, *InvalidValueError) {
	if n.pattern != "" {
		pv, _ := v.(residual.PatternValue)
		return "pattern", ast.String(pv.Regex), nil
	}
	if n.order != "" {
		labels, _ := v.([]any)
		terms := make([]*ast.Term, len(labels))
		for i, l := range labels {
			s, _ := l.(string)
			terms[i] = ast.StringTerm(s)
		}
		return compile.EnumOrderKey(n.order, n.v.Type.Enum), ast.NewArray(terms...), nil
	}
	if list, ok := v.([]any); ok && n.v.Array {
		// Element by element: fastValue turns a jsonb "null" element
		// (model.JSONNull) into compile.JSONNullTerm only at the top.
		terms := make([]*ast.Term, len(list))
		for i, el := range list {
			t, err := fastValue(el)
			if err != nil {
				return "", nil, &InvalidValueError{Field: fmt.Sprintf("%s[%d]", sessionField(n.v.Name), i), Kind: n.v.Kind, Reason: err.Error()}
			}
			terms[i] = t
		}
		return compile.SessionKind(n.v), ast.NewArray(terms...), nil
	}
	// fastValue: a jsonb "null" is JSON null (model.ParseText), which the
	// rules read as compile.JSONNullTerm.
	av, err := fastValue(v)
	if err != nil {
		return "", nil, &InvalidValueError{Field: sessionField(n.v.Name), Kind: n.v.Kind, Reason: err.Error()}
	}
	return compile.SessionKind(n.v), av.Value, nil
}

// enumSide validates a variable an enum column is ordered against and
// returns the labels on that side of it.
func enumSide(n sessionNeed, raw string) ([]string, *InvalidValueError) {
	v, err := model.Normalize(n.v.Type, raw, true)
	if err != nil {
		return nil, &InvalidValueError{Field: sessionField(n.v.Name), Kind: model.KindText, Reason: err.Error()}
	}
	return n.v.Type.Enum.Side(n.order, v.(string)), nil
}

func depth(v any) int {
	switch x := v.(type) {
	case map[string]any:
		d := 0
		for _, e := range x {
			d = max(d, depth(e))
		}
		return d + 1
	case []any:
		d := 0
		for _, e := range x {
			d = max(d, depth(e))
		}
		return d + 1
	}
	return 0
}

// presets returns the permission's set values, session variables
// substituted and coerced to the column's kind.
func presets(p *model.Permission, vars map[string]string, now time.Time) (map[string]any, error) {
	out := make(map[string]any, len(p.Set))
	var missing []string
	var bad InvalidValueErrors
	for col, v := range p.Set {
		switch x := v.(type) {
		case model.Literal:
			out[col] = x.V
		case model.SessionVar:
			raw, ok := vars[x.Name]
			if x.Clock != "" {
				// A preset "now()" is the time of the decision.
				raw, ok = model.ClockValue(x.Clock, x.Kind, now), true
			}
			if !ok {
				missing = append(missing, x.Name)
				continue
			}
			val, err := model.ParseText(x.Kind, raw)
			if err == nil {
				// A preset is written to the row, so it keeps its case.
				val, err = model.Normalize(x.Type, val, false)
			}
			if err == nil && val != nil {
				// PostgreSQL's text of an interval, timetz or money.
				val, err = model.CanonPG(x.Type, val)
			}
			if err != nil {
				bad = append(bad, &InvalidValueError{Field: sessionField(x.Name), Kind: x.Kind, Reason: err.Error()})
				continue
			}
			out[col] = val
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, &MissingSessionVariablesError{Names: dedup(missing)}
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return out, nil
}

// tablesValue builds input.tables: rows of other tables for _exists, keyed
// by "schema.name".
func (s *Set) tablesValue(tables map[model.TableName][]map[string]any) (*ast.Term, InvalidValueErrors) {
	var bad InvalidValueErrors
	items := make([][2]*ast.Term, 0, len(tables))
	for name, rows := range tables {
		field := "tables[" + name.String() + "]"
		t, ok := s.policy.Tables[name]
		if !ok {
			bad = append(bad, &InvalidValueError{Field: field, Reason: fmt.Sprintf("unknown table %s", name)})
			continue
		}
		terms := make([]*ast.Term, 0, len(rows))
		for i, r := range rows {
			term, errs := s.rowTerm(t, r, fmt.Sprintf("%s.rows[%d]", field, i), nil)
			bad = append(bad, errs...)
			terms = append(terms, term)
		}
		items = append(items, [2]*ast.Term{ast.StringTerm(name.String()), ast.ArrayTerm(terms...)})
	}
	return ast.ObjectTerm(items...), bad
}
