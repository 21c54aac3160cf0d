package residual

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/wardenpdp/warden/policy/model"
)

// Data is what Eval reads: the root row with its related rows nested under
// the relationship names (an object or nil for an object relationship, a
// []any of objects for an array relationship), as Check takes them, and
// the rows of other tables for _exists. Values must be in the canonical
// form of their column's kind (model.CoerceJSON).
type Data struct {
	Row    map[string]any
	Tables map[model.TableName][]map[string]any
	// params and values bind a template's Params (EvalTemplate).
	params []Param
	values []any
}

// Eval evaluates a bound predicate on in-memory rows with the meaning the
// Rego gives it: the reference semantics that SQL renderings must match.
// Relationship joins are taken as already done by the nesting of Data.Row.
func Eval(e Expr, d Data) bool {
	d.params, d.values = nil, nil
	return eval(e, d, d.Row)
}

// EvalTemplate is Eval(Bind(e, params, values), d) without building the
// bound tree: each Param reads its value where the evaluation meets it.
// Check evaluates every row of a request so, with the template of the
// permission and the request's session values. A Param missing from params
// (CheckTemplate reports it) holds nothing.
func EvalTemplate(e Expr, params []Param, values []any, d Data) bool {
	d.params, d.values = params, values
	return eval(e, d, d.Row)
}

// CheckTemplate says whether params supply every Param of e, as Bind
// requires.
func CheckTemplate(e Expr, params []Param) error {
	for _, p := range Params(e) {
		if !slices.Contains(params, p) {
			return fmt.Errorf("residual: no value for session variable %s", p.Name)
		}
	}
	return nil
}

// param is the value bound to p, as binder.get finds it; ok is false when
// there is none.
func (d *Data) param(p Param) (any, bool) {
	for i := range d.params {
		if d.params[i] == p && i < len(d.values) {
			return d.values[i], true
		}
	}
	return nil, false
}

func eval(e Expr, d Data, cur map[string]any) bool {
	col := func(c Column) any { return columnValue(c, &d, cur) }
	val := func(o Operand) any {
		switch x := o.(type) {
		case Column:
			return col(x)
		case Value:
			if c, ok := x.V.(Clock); ok {
				return c.At(x.Kind, time.Now())
			}
			return x.V
		case Param:
			v, _ := d.param(x)
			if c, ok := v.(Clock); ok {
				return c.At(x.Kind, time.Now())
			}
			return v
		}
		return nil
	}
	switch x := e.(type) {
	case True:
		return true
	case False:
		return false
	case And:
		for _, it := range x.Items {
			if !eval(it, d, cur) {
				return false
			}
		}
		return true
	case Or:
		for _, it := range x.Items {
			if eval(it, d, cur) {
				return true
			}
		}
		return false
	case Not:
		return !eval(x.Item, d, cur)
	case IsNull:
		return col(x.Column) == nil
	case Compare:
		if p, ok := x.Right.(Param); ok {
			if v, ok := d.param(p); ok && v == nil {
				// As Bind: a jsonb session variable "null".
				return eval(compareNull(x.Op, x.Left), d, cur)
			}
		}
		a, b := col(x.Left), val(x.Right)
		if a == nil || b == nil {
			return false
		}
		c, ok := compareValues(x.Left.Kind, a, b)
		return ok && holdsFor(x.Op, c)
	case In:
		a := col(x.Column)
		list, _ := val(x.List).([]any)
		if a == nil {
			return false
		}
		for _, el := range list {
			if c, ok := compareValues(x.Column.Kind, a, el); ok && c == 0 {
				return true
			}
		}
		return false
	case Empty:
		return emptyList(val(x.List))
	case Match:
		s, ok := col(x.Column).(string)
		if !ok {
			return false
		}
		expr := x.Regex
		if p, ok := x.Pattern.(Param); ok {
			pv, ok := val(p).(PatternValue)
			if !ok {
				return false
			}
			expr = pv.Regex
		}
		re, err := compiledRegexp(expr)
		return err == nil && re.MatchString(s)
	case JSONB:
		a := col(x.Column)
		if a == nil {
			return false
		}
		return evalJSONB(x.Op, a, val(x.Value))
	case Array:
		a, ok1 := col(x.Column).(string)
		v, ok2 := val(x.Value).(string)
		if !ok1 || !ok2 {
			return false
		}
		if x.Op == model.OpContained {
			a, v = v, a
		}
		return ArrayContains(a, v)
	case Spatial, Database:
		// PostGIS, lquery matching, ltree and array ordering are the
		// database's to evaluate: no row holds here, and the engine never
		// decides a row by them (Check answers NEEDS_DATA).
		return false
	case Exists:
		for _, r := range existsRows(x, d, cur) {
			if m, ok := r.(map[string]any); ok && eval(x.Where, d, m) {
				return true
			}
		}
		return false
	}
	return false
}

// columnValue is the value of column c: in the current row cur, or in
// the root row for a Root column.
func columnValue(c Column, d *Data, cur map[string]any) any {
	v := cur[c.Name]
	if c.Root {
		v = d.Row[c.Name]
	}
	if c.Lower {
		// Rego's lower(): undefined (here NULL, which fails every
		// comparison) for anything but a string.
		s, ok := v.(string)
		if !ok {
			return nil
		}
		return strings.ToLower(s)
	}
	if c.Pad > 0 {
		// bpchar_pad(): undefined for anything but a string.
		s, ok := v.(string)
		if !ok {
			return nil
		}
		return PadSpaces(s, c.Pad)
	}
	return v
}

// existsRows are the rows an Exists ranges over: the related rows nested
// in the current row (the join is done), or the rows of its table.
func existsRows(x Exists, d Data, cur map[string]any) []any {
	if x.Relationship != "" {
		switch r := cur[x.Relationship].(type) {
		case map[string]any:
			return []any{r}
		case []any:
			return r
		}
		return nil
	}
	rows := make([]any, 0, len(d.Tables[x.Table]))
	for _, r := range d.Tables[x.Table] {
		rows = append(rows, r)
	}
	return rows
}

// regexps caches compiled regular expressions for Match: a rule's pattern is
// compiled once, not per row. The cache is bounded in entries and in the
// length of what it keeps (a session variable's pattern varies per
// request); the rest is compiled each time.
var (
	regexps     sync.Map // string -> *regexp.Regexp
	regexpCount atomic.Int64
)

const (
	maxCachedRegexps   = 1024
	maxCachedRegexpLen = 1024
)

func compiledRegexp(expr string) (*regexp.Regexp, error) {
	if re, ok := regexps.Load(expr); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	if len(expr) <= maxCachedRegexpLen && regexpCount.Load() < maxCachedRegexps {
		if _, loaded := regexps.LoadOrStore(expr, re); !loaded {
			regexpCount.Add(1)
		}
	}
	return re, nil
}

// PadSpaces pads s with spaces to n characters (code points), leaving a
// longer s as it is: the library's bpchar_pad, the value of a character(n)
// column as PostgreSQL's pattern operators see it.
func PadSpaces(s string, n int) string {
	if k := utf8.RuneCountInString(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s
}

// compareValues orders two non-NULL canonical values of a kind: numbers
// numerically, booleans false first, jsonb by equality only (ok is false
// for an order between unequal jsonb values), everything else as strings
// byte by byte.
func compareValues(k model.Kind, a, b any) (int, bool) {
	switch k {
	case model.KindInteger, model.KindNumeric:
		// Integers that fit 64 bits, most of them, compare without
		// allocating; anything else exactly, as rationals.
		if i, ok := int64Of(a); ok {
			if j, ok := int64Of(b); ok {
				return cmp.Compare(i, j), true
			}
		}
		x, ok1 := number(a)
		y, ok2 := number(b)
		if !ok1 || !ok2 {
			return 0, false
		}
		return x.Cmp(y), true
	case model.KindBoolean:
		x, ok1 := a.(bool)
		y, ok2 := b.(bool)
		if !ok1 || !ok2 {
			return 0, false
		}
		switch {
		case x == y:
			return 0, true
		case !x:
			return -1, true
		}
		return 1, true
	case model.KindJSONB:
		if jsonEqual(a, b) {
			return 0, true
		}
		return 1, true
	}
	x, ok1 := a.(string)
	y, ok2 := b.(string)
	if !ok1 || !ok2 {
		return 0, false
	}
	switch {
	case x < y:
		return -1, true
	case x > y:
		return 1, true
	}
	return 0, true
}

// int64Of reads a number written as a decimal integer that fits 64 bits.
func int64Of(v any) (int64, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = x
	default:
		return 0, false
	}
	if i, ok := shortInt(s); ok {
		return i, true
	}
	i, err := strconv.ParseInt(s, 10, 64)
	return i, err == nil
}

// shortInt is strconv.ParseInt(s, 10, 64) for a sign and at most 18
// digits, which cannot overflow: the numbers rows and sessions hold,
// without ParseInt's general path (nor the error it allocates for a
// number that is not an integer). ok is false for anything else.
func shortInt(s string) (int64, bool) {
	digits := s
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		digits = s[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if s[0] == '-' {
		n = -n
	}
	return n, true
}

func number(v any) (*big.Rat, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = x
	default:
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

// jsonEqual is jsonb equality: numbers compare numerically, objects by
// their keys and values.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		p, ok1 := number(x)
		q, ok2 := number(y)
		return ok1 && ok2 && p.Cmp(q) == 0
	}
	return a == b
}

// evalJSONB applies a jsonb operator as PostgreSQL does (and the Rego
// library of package compile).
func evalJSONB(op model.Operator, x, v any) bool {
	// A JSON null at the top is JSON's null from here on (inside a value
	// null is always JSON's): 'null' @> 'null', '[null]' @> 'null'.
	if model.IsJSONNull(x) {
		x = nil
	}
	if model.IsJSONNull(v) {
		v = nil
	}
	switch op {
	case model.OpContains:
		return jsonContains(x, v, true)
	case model.OpContained:
		return jsonContains(v, x, true)
	case model.OpHasKey:
		k, ok := v.(string)
		return ok && hasKey(x, k)
	case model.OpHasKeysAny, model.OpHasKeysAll:
		ks, _ := v.([]any)
		all := op == model.OpHasKeysAll
		for _, kv := range ks {
			k, _ := kv.(string)
			if hasKey(x, k) != all {
				return !all
			}
		}
		return all
	}
	return false
}

func hasKey(x any, k string) bool {
	switch y := x.(type) {
	case map[string]any:
		_, ok := y[k]
		return ok
	case []any:
		for _, e := range y {
			if s, ok := e.(string); ok && s == k {
				return true
			}
		}
	case string:
		return y == k
	}
	return false
}

// jsonContains is x @> v; top allows the top-level exception that an
// array contains a scalar element.
func jsonContains(x, v any, top bool) bool {
	switch w := v.(type) {
	case map[string]any:
		y, ok := x.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			yv, ok := y[k]
			if !ok || !jsonContains(yv, wv, false) {
				return false
			}
		}
		return true
	case []any:
		y, ok := x.([]any)
		if !ok {
			return false
		}
		for _, we := range w {
			found := false
			for _, ye := range y {
				if jsonContains(ye, we, false) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}
	if jsonEqual(x, v) {
		return true
	}
	if y, ok := x.([]any); ok && top {
		for _, e := range y {
			if jsonEqual(e, v) {
				return true
			}
		}
	}
	return false
}

// arrayToken is an element of an array in canonical text: a quoted element
// or a bare one (NULL among them).
var arrayToken = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|[^,{}"]+`)

// ArrayContains is PostgreSQL's a @> v for arrays in canonical text (as
// the Rego's array_contains): every element of v equals some element of
// a, at any depth; NULL equals nothing. Canonical texts quote an element
// exactly when PostgreSQL's output does, so equal elements have equal
// tokens.
func ArrayContains(a, v string) bool {
	have := map[string]bool{}
	for _, t := range arrayToken.FindAllString(a, -1) {
		if t != "NULL" {
			have[t] = true
		}
	}
	for _, t := range arrayToken.FindAllString(v, -1) {
		if !have[t] {
			return false
		}
	}
	return true
}

// Decide evaluates e on the rows of d where it can, with the operators
// Warden leaves to the database (Spatial, Database) unknown, in SQL's
// three-valued way: an AND with a false item is false, an OR with a true
// one true, an EXISTS with a related row where its condition holds true
// and one where it fails for every related row false, whatever the
// unknowns are. decided is false when the result depends on an unknown.
// Check uses it for a row it has whole but for such operators.
//
// A column such an operator reads stays unknown in its IS NULL tests too
// (the guard of the operator's own form): the row is left to the database
// at the operator, NULL or not, as Check's NEEDS_DATA answers promise.
func Decide(e Expr, d Data) (holds, decided bool) {
	d.params, d.values = nil, nil
	cols := map[string]bool{}
	Walk(e, func(x Expr) {
		switch y := x.(type) {
		case Spatial:
			cols[y.Column.Name] = true
		case Database:
			cols[y.Column.Name] = true
		}
	})
	return decide(e, d, d.Row, cols)
}

func decide(e Expr, d Data, cur map[string]any, cols map[string]bool) (holds, decided bool) {
	switch x := e.(type) {
	case True:
		return true, true
	case False:
		return false, true
	case Spatial, Database:
		return false, false
	case IsNull:
		if cols[x.Column.Name] {
			return false, false
		}
	case And:
		decided = true
		for _, it := range x.Items {
			v, ok := decide(it, d, cur, cols)
			if ok && !v {
				return false, true
			}
			decided = decided && ok
		}
		return true, decided
	case Or:
		decided = true
		for _, it := range x.Items {
			v, ok := decide(it, d, cur, cols)
			if ok && v {
				return true, true
			}
			decided = decided && ok
		}
		return false, decided
	case Not:
		v, ok := decide(x.Item, d, cur, cols)
		return !v, ok
	case Exists:
		decided = true
		for _, r := range existsRows(x, d, cur) {
			m, ok := r.(map[string]any)
			if !ok {
				continue
			}
			v, known := decide(x.Where, d, m, cols)
			if known && v {
				return true, true
			}
			decided = decided && known
		}
		return false, decided
	}
	return eval(e, d, cur), true
}
