package engine

import (
	"fmt"
	"sort"
	"time"

	"github.com/wardenpdp/warden/policy/compile"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
)

// sessionValues coerces every variable the permission reads into out
// (aligned with pp.session): the one coercion of Check and Filter, the same
// values, the same errors with the same fields. A clock word is read at now
// (Check: the time of the decision); with a zero now it stays a
// residual.Clock (Filter: the database's clock when the query runs).
func sessionValues(pp *prepared, vars map[string]string, out []any, now time.Time) error {
	var missing []string
	var bad InvalidValueErrors
	for i, n := range pp.session {
		raw, ok := vars[n.v.Name]
		if n.v.Clock != "" {
			if now.IsZero() {
				out[i] = residual.Clock{Word: n.v.Clock}
				continue
			}
			raw, ok = model.ClockValue(n.v.Clock, n.v.Kind, now), true
		}
		if !ok {
			if len(missing) == 0 || missing[len(missing)-1] != n.v.Name {
				missing = append(missing, n.v.Name)
			}
			continue
		}
		v, err := sessionGoValue(n, raw)
		if err != nil {
			bad = append(bad, err)
			continue
		}
		out[i] = v
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return &MissingSessionVariablesError{Names: dedup(missing)}
	}
	if len(bad) > 0 {
		return bad
	}
	return nil
}

// sessionGoValue coerces one session variable: the canonical form of the
// kind for a scalar, a []any for an array, a residual.PatternValue for a
// pattern.
func sessionGoValue(n sessionNeed, raw string) (any, *InvalidValueError) {
	field := func() string { return sessionField(n.v.Name) }
	if n.pattern != "" {
		re, err := compile.PatternRegex(n.pattern, raw)
		if err != nil {
			return nil, &InvalidValueError{Field: field(), Kind: model.KindText, Reason: err.Error()}
		}
		return residual.PatternValue{Text: raw, Regex: re}, nil
	}
	if n.order != "" {
		side, err := enumSide(n, raw)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(side))
		for i, l := range side {
			out[i] = l
		}
		return out, nil
	}
	if n.v.Array {
		elems, err := model.ParseArrayLiteral(raw)
		if err != nil {
			return nil, &InvalidValueError{Field: field(), Kind: n.v.Kind, Reason: "not an array literal such as {1,2,3}: " + err.Error()}
		}
		out := make([]any, len(elems))
		for i, el := range elems {
			v, err := model.ParseText(n.v.Kind, el)
			if err == nil {
				v, err = model.Normalize(n.v.Type, v, true)
			}
			if err != nil {
				return nil, &InvalidValueError{Field: fmt.Sprintf("%s[%d]", field(), i), Kind: n.v.Kind, Reason: err.Error()}
			}
			out[i] = v
		}
		return out, nil
	}
	v, err := model.ParseText(n.v.Kind, raw)
	if err == nil {
		v, err = model.Normalize(n.v.Type, v, true)
	}
	if err != nil {
		return nil, &InvalidValueError{Field: sessionField(n.v.Name), Kind: n.v.Kind, Reason: err.Error()}
	}
	if n.v.Kind == model.KindJSONB && depth(v) > compile.JSONBMaxDepth {
		return nil, &InvalidValueError{Field: sessionField(n.v.Name), Kind: n.v.Kind, Reason: fmt.Sprintf("nested deeper than %d levels", compile.JSONBMaxDepth)}
	}
	return v, nil
}

// paramOf is the template Param a session need supplies: the one the
// translation of compile.SessionRef gives.
func paramOf(n sessionNeed) residual.Param {
	if n.pattern != "" {
		pos, _ := n.pattern.Positive()
		return residual.Param{Name: n.v.Name, Kind: model.KindText, Pattern: pos}
	}
	if n.order != "" {
		return residual.Param{Name: n.v.Name, Kind: model.KindText, Array: true, Enum: n.v.Type.Enum.String(), Order: n.order}
	}
	p := residual.Param{Name: n.v.Name, Kind: n.v.Kind, Array: n.v.Array}
	if e := n.v.Type.Enum; e != nil && n.v.Kind == model.KindText {
		p.Enum = e.String()
	}
	if n.v.Type.Canon != "" && n.v.Kind == model.KindText {
		p.Canon = compile.CanonKey(n.v.Type)
	}
	switch compile.SessionKind(model.SessionVar{Kind: n.v.Kind, Type: n.v.Type}) {
	case compile.SessionCitext:
		p.Fold = true
	case compile.SessionBpchar:
		p.PadSpace = true
	}
	return p
}
