package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// PredicateToProto converts a bound residual predicate into the API's tree.
// A tree that still holds a session parameter is a bug (bind first), and
// so is nil: an error, never TRUE (a predicate left unbound, see
// engine.FilterInput.DeferBinding, must not allow every row).
func PredicateToProto(e residual.Expr) (*wardenv1.Predicate, error) {
	return predicateConv{}.toProto(e)
}

// predicateConv converts residual trees to the API's: bound trees, or
// (unbound) templates with their values.
type predicateConv struct {
	params  []residual.Param
	values  []any
	unbound bool
	// a holds the nodes of a planned tree (treePlan), allocated
	// together; nil: each node allocated alone.
	a *nodeAlloc
}

// value is the value of an operand: a residual.Value, or in a template
// a Param's value as residual's binder gives it. ok is false for any
// other operand (a column, a Param without a value or in a bound tree).
//
// pn is the node's plan (nil: none), which holds the value's position:
// the first params[i] equal to the Param, found once per template
// instead of here.
func (c predicateConv) value(o residual.Operand, pn *planNode) (v residual.Value, ok bool) {
	switch x := o.(type) {
	case residual.Value:
		return x, true
	case residual.Param:
		if !c.unbound {
			break
		}
		if pn != nil {
			if i := pn.param; i >= 0 && i < len(c.values) {
				return residual.Value{V: c.values[i], Kind: x.Kind}, true
			}
			break
		}
		for i := range c.params {
			if c.params[i] == x && i < len(c.values) {
				return residual.Value{V: c.values[i], Kind: x.Kind}, true
			}
		}
	}
	return residual.Value{}, false
}

func (c predicateConv) toProto(e residual.Expr) (*wardenv1.Predicate, error) {
	return c.conv(e, nil)
}

// conv converts e, whose plan is pn (nil: none; a plan not of e's shape
// is not used below the node where the shapes part).
func (c predicateConv) conv(e residual.Expr, pn *planNode) (*wardenv1.Predicate, error) {
	switch x := e.(type) {
	case nil:
		return nil, errors.New("no predicate (nil): refused rather than read as TRUE")
	case residual.True:
		return &wardenv1.Predicate{Node: &wardenv1.Predicate_Constant{Constant: true}}, nil
	case residual.False:
		return &wardenv1.Predicate{Node: &wardenv1.Predicate_Constant{Constant: false}}, nil
	case residual.And:
		n := c.a.list()
		if err := n.fill(c, x.Items, pn); err != nil {
			return nil, err
		}
		n.all.All = &n.list
		n.p.Node = &n.all
		return &n.p, nil
	case residual.Or:
		n := c.a.list()
		if err := n.fill(c, x.Items, pn); err != nil {
			return nil, err
		}
		n.any.Any = &n.list
		n.p.Node = &n.any
		return &n.p, nil
	case residual.Not:
		item, err := c.conv(x.Item, pn.kid(0, 1))
		if err != nil {
			return nil, err
		}
		return &wardenv1.Predicate{Node: &wardenv1.Predicate_Negation{Negation: item}}, nil
	case residual.Compare:
		n := c.a.compare()
		cmp := &n.c
		cmp.Operator, cmp.Column = cmpOpToProto(x.Op), n.col.set(x.Left)
		if col, ok := x.Right.(residual.Column); ok {
			cmp.Right = &wardenv1.Comparison_OtherColumn{OtherColumn: columnRef(col)}
		} else if r, ok := c.value(x.Right, pn); !ok {
			return nil, fmt.Errorf("comparison with an unbound %T", x.Right)
		} else if clk, ok := r.V.(residual.Clock); ok {
			cmp.Right = &wardenv1.Comparison_Clock{Clock: &wardenv1.ClockValue{Word: clockWords[clk.Word]}}
		} else {
			v, err := n.val.of(r.V)
			if err != nil {
				return nil, err
			}
			n.right.Value = v
			cmp.Right = &n.right
			if x.Left.Kind == model.KindJSONB {
				if cmp.ValueJson, err = jsonText(r.V); err != nil {
					return nil, err
				}
			}
		}
		n.node.Comparison = cmp
		n.p.Node = &n.node
		return &n.p, nil
	case residual.IsNull:
		return &wardenv1.Predicate{Node: &wardenv1.Predicate_IsNull{IsNull: columnRef(x.Column)}}, nil
	case residual.In:
		v, ok := c.value(x.List, pn)
		if !ok {
			return nil, fmt.Errorf("in-list with an unbound %T", x.List)
		}
		n := c.a.in()
		if err := n.fill(v.V); err != nil {
			return nil, err
		}
		in := &n.in
		in.Column, in.Values = n.col.set(x.Column), &n.list
		if items, ok := v.V.([]any); ok && x.Column.Kind == model.KindJSONB {
			for _, it := range items {
				js, err := jsonText(it)
				if err != nil {
					return nil, err
				}
				in.ValuesJson = append(in.ValuesJson, js)
			}
		}
		n.node.InList = in
		n.p.Node = &n.node
		return &n.p, nil
	case residual.Match:
		v, ok := c.value(x.Pattern, pn)
		if !ok {
			return nil, fmt.Errorf("pattern with an unbound %T", x.Pattern)
		}
		pat, _ := v.V.(string)
		regex := x.Regex
		if _, param := x.Pattern.(residual.Param); param {
			// Bound, Pattern is the text and Regex its expression.
			pv, ok := v.V.(residual.PatternValue)
			if !ok {
				return nil, fmt.Errorf("pattern: session variable binds a %T, not a pattern", v.V)
			}
			pat, regex = pv.Text, pv.Regex
		}
		op := patternOpToProto(x.Op)
		if x.Op == model.OpAncestor || x.Op == model.OpDescendant {
			// ltree ancestry, decided as a regular expression on the
			// path's text: given as that expression.
			op, pat = wardenv1.PatternOperator_PATTERN_OPERATOR_REGEX, regex
		}
		return &wardenv1.Predicate{Node: &wardenv1.Predicate_Pattern{Pattern: &wardenv1.PatternMatch{
			Operator: op, Column: columnRef(x.Column), Pattern: pat, Regex: regex,
		}}}, nil
	case residual.JSONB:
		v, ok := c.value(x.Value, pn)
		if !ok {
			return nil, fmt.Errorf("jsonb operator with an unbound %T", x.Value)
		}
		pv, err := protoValue(v.V)
		if err != nil {
			return nil, err
		}
		js, err := jsonText(v.V)
		if err != nil {
			return nil, err
		}
		return &wardenv1.Predicate{Node: &wardenv1.Predicate_Jsonb{Jsonb: &wardenv1.JsonbPredicate{
			Operator: jsonbOpToProto(x.Op), Column: columnRef(x.Column), Value: pv, ValueJson: js,
		}}}, nil
	case residual.Array:
		v, ok := c.value(x.Value, pn)
		s, isText := v.V.(string)
		if !ok || !isText {
			return nil, fmt.Errorf("array operator with an unbound %T", x.Value)
		}
		op := wardenv1.ArrayOperator_ARRAY_OPERATOR_CONTAINS
		if x.Op == model.OpContained {
			op = wardenv1.ArrayOperator_ARRAY_OPERATOR_CONTAINED_IN
		}
		return &wardenv1.Predicate{Node: &wardenv1.Predicate_Array{Array: &wardenv1.ArrayPredicate{
			Operator: op, Column: columnRef(x.Column), Value: s,
		}}}, nil
	case residual.Spatial:
		v, ok := c.value(x.Value, pn)
		return spatialToProto(x, v, ok)
	case residual.Database:
		if c, ok := x.Value.(residual.Column); ok {
			return &wardenv1.Predicate{Node: &wardenv1.Predicate_Database{Database: &wardenv1.DatabasePredicate{
				Operator: string(x.Op), Column: columnRef(x.Column), SqlOperator: x.Symbol, Type: x.Type, OtherColumn: columnRef(c),
			}}}, nil
		}
		v, ok := c.value(x.Value, pn)
		s, isText := v.V.(string)
		if !ok || !isText {
			return nil, fmt.Errorf("operator %s with an unbound %T", x.Op, x.Value)
		}
		return &wardenv1.Predicate{Node: &wardenv1.Predicate_Database{Database: &wardenv1.DatabasePredicate{
			Operator: string(x.Op), Column: columnRef(x.Column), SqlOperator: x.Symbol, Value: s, Type: x.Type, Cast: x.Cast,
		}}}, nil
	case residual.Exists:
		where, err := c.conv(x.Where, pn.kid(0, 1))
		if err != nil {
			return nil, err
		}
		n := &existsNode{}
		ex := &n.ex
		ex.Relationship, ex.Where = x.Relationship, where
		ex.Table, ex.Function = existsNames(x, pn)
		if len(x.On) > 0 {
			pairs := make([]wardenv1.ColumnPair, len(x.On))
			ex.On = make([]*wardenv1.ColumnPair, len(x.On))
			for i, p := range x.On {
				pairs[i].Local, pairs[i].Remote = p.Local, p.Remote
				ex.On[i] = &pairs[i]
			}
		}
		n.node.Exists = ex
		n.p.Node = &n.node
		return &n.p, nil
	}
	return nil, fmt.Errorf("unexpected predicate node %T", e)
}

// existsNames are an Exists' table and function ("" for none): from the
// plan when it has them.
func existsNames(x residual.Exists, pn *planNode) (table, function string) {
	if pn != nil && pn.strings {
		return pn.table, pn.function
	}
	if x.Function != nil {
		function = x.Function.Function.String()
	}
	return x.Table.String(), function
}

// The nodes of the tree PredicateToProto builds most often, each made
// with one allocation instead of one per message and oneof wrapper: a
// Filter answer's tree is most of its garbage. The messages are built in
// place and never copied.

// listNode is an All or Any node.
type listNode struct {
	p    wardenv1.Predicate
	all  wardenv1.Predicate_All
	any  wardenv1.Predicate_Any
	list wardenv1.PredicateList
}

func (n *listNode) fill(c predicateConv, items []residual.Expr, pn *planNode) error {
	out := c.a.items(len(items))
	for i, it := range items {
		p, err := c.conv(it, pn.kid(i, len(items)))
		if err != nil {
			return err
		}
		out[i] = p
	}
	n.list.Items = out
	return nil
}

// existsNode is an ExistsPredicate.
type existsNode struct {
	p    wardenv1.Predicate
	node wardenv1.Predicate_Exists
	ex   wardenv1.ExistsPredicate
}

// compareNode is a Comparison with its column, and a value's room.
type compareNode struct {
	p     wardenv1.Predicate
	node  wardenv1.Predicate_Comparison
	c     wardenv1.Comparison
	col   columnNode
	right wardenv1.Comparison_Value
	val   valueNode
}

// inNode is an InList with its column and list; the list's values share
// one allocation per kind.
type inNode struct {
	p    wardenv1.Predicate
	node wardenv1.Predicate_InList
	in   wardenv1.InList
	col  columnNode
	list structpb.ListValue
}

func (n *inNode) fill(v any) error {
	items, ok := v.([]any)
	if !ok {
		return fmt.Errorf("want a list, got %T", v)
	}
	vals := make([]valueNode, len(items))
	n.list.Values = make([]*structpb.Value, len(items))
	for i, it := range items {
		pv, err := vals[i].of(it)
		if err != nil {
			return err
		}
		n.list.Values[i] = pv
	}
	return nil
}

// columnNode is a ColumnRef.
type columnNode struct{ ref wardenv1.ColumnRef }

func (n *columnNode) set(c residual.Column) *wardenv1.ColumnRef {
	r, f := &n.ref, columnFieldsOf(c)
	r.Name, r.Root, r.Kind, r.Lower, r.PadTo, r.Function = f.name, f.root, f.kind, f.lower, f.padTo, f.function
	return r
}

// columnFieldsOf are the fields of c's ColumnRef.
func columnFieldsOf(c residual.Column) columnFields {
	return columnFields{name: c.Name, function: c.Function, root: c.Root, lower: c.Lower, kind: kindToProto(c.Kind), padTo: uint32(max(c.Pad, 0))}
}

// valueNode is a protobuf Value: a number, string or bool in place, any
// other value as protoValue makes it.
type valueNode struct {
	v   structpb.Value
	num structpb.Value_NumberValue
	str structpb.Value_StringValue
	b   structpb.Value_BoolValue
}

// of is protoValue(v), in n where it can be.
func (n *valueNode) of(v any) (*structpb.Value, error) {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil && i > -maxExact && i < maxExact {
			n.num.NumberValue = float64(i)
			n.v.Kind = &n.num
			return &n.v, nil
		}
	case string:
		if !utf8.ValidString(x) {
			break // protoValue's error
		}
		n.str.StringValue = x
		n.v.Kind = &n.str
		return &n.v, nil
	case bool:
		n.b.BoolValue = x
		n.v.Kind = &n.b
		return &n.v, nil
	}
	return protoValue(v)
}

func columnRef(c residual.Column) *wardenv1.ColumnRef {
	return (&columnNode{}).set(c)
}

func kindToProto(k model.Kind) wardenv1.ColumnKind {
	switch k {
	case model.KindInteger:
		return wardenv1.ColumnKind_COLUMN_KIND_INTEGER
	case model.KindNumeric:
		return wardenv1.ColumnKind_COLUMN_KIND_NUMERIC
	case model.KindText:
		return wardenv1.ColumnKind_COLUMN_KIND_TEXT
	case model.KindBoolean:
		return wardenv1.ColumnKind_COLUMN_KIND_BOOLEAN
	case model.KindUUID:
		return wardenv1.ColumnKind_COLUMN_KIND_UUID
	case model.KindDate:
		return wardenv1.ColumnKind_COLUMN_KIND_DATE
	case model.KindTimestamp:
		return wardenv1.ColumnKind_COLUMN_KIND_TIMESTAMP
	case model.KindTimestamptz:
		return wardenv1.ColumnKind_COLUMN_KIND_TIMESTAMPTZ
	case model.KindJSONB:
		return wardenv1.ColumnKind_COLUMN_KIND_JSONB
	case model.KindOpaque:
		return wardenv1.ColumnKind_COLUMN_KIND_OPAQUE
	}
	return wardenv1.ColumnKind_COLUMN_KIND_UNSPECIFIED
}

func cmpOpToProto(op residual.CmpOp) wardenv1.ComparisonOperator {
	switch op {
	case residual.Eq:
		return wardenv1.ComparisonOperator_COMPARISON_OPERATOR_EQ
	case residual.Neq:
		return wardenv1.ComparisonOperator_COMPARISON_OPERATOR_NEQ
	case residual.Lt:
		return wardenv1.ComparisonOperator_COMPARISON_OPERATOR_LT
	case residual.Lte:
		return wardenv1.ComparisonOperator_COMPARISON_OPERATOR_LTE
	case residual.Gt:
		return wardenv1.ComparisonOperator_COMPARISON_OPERATOR_GT
	case residual.Gte:
		return wardenv1.ComparisonOperator_COMPARISON_OPERATOR_GTE
	}
	return wardenv1.ComparisonOperator_COMPARISON_OPERATOR_UNSPECIFIED
}

func patternOpToProto(op model.Operator) wardenv1.PatternOperator {
	switch op {
	case model.OpLike:
		return wardenv1.PatternOperator_PATTERN_OPERATOR_LIKE
	case model.OpIlike:
		return wardenv1.PatternOperator_PATTERN_OPERATOR_ILIKE
	case model.OpSimilar:
		return wardenv1.PatternOperator_PATTERN_OPERATOR_SIMILAR
	case model.OpRegex:
		return wardenv1.PatternOperator_PATTERN_OPERATOR_REGEX
	case model.OpIregex:
		return wardenv1.PatternOperator_PATTERN_OPERATOR_IREGEX
	}
	return wardenv1.PatternOperator_PATTERN_OPERATOR_UNSPECIFIED
}

func jsonbOpToProto(op model.Operator) wardenv1.JsonbOperator {
	switch op {
	case model.OpContains:
		return wardenv1.JsonbOperator_JSONB_OPERATOR_CONTAINS
	case model.OpContained:
		return wardenv1.JsonbOperator_JSONB_OPERATOR_CONTAINED_IN
	case model.OpHasKey:
		return wardenv1.JsonbOperator_JSONB_OPERATOR_HAS_KEY
	case model.OpHasKeysAny:
		return wardenv1.JsonbOperator_JSONB_OPERATOR_HAS_KEYS_ANY
	case model.OpHasKeysAll:
		return wardenv1.JsonbOperator_JSONB_OPERATOR_HAS_KEYS_ALL
	}
	return wardenv1.JsonbOperator_JSONB_OPERATOR_UNSPECIFIED
}

// jsonText is a canonical value as JSON text, numbers (json.Number) as
// written: exact, where a protobuf Value would hold a double.
func jsonText(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("value as JSON: %w", err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// maxExact is the largest integer a double holds exactly.
const maxExact = 1 << 53

// protoValue converts a canonical value (json.Number, string, bool, nil,
// []any, map[string]any) to a protobuf Value. A number a double cannot hold
// exactly (a bigint above 2^53, a long numeric) is sent as its decimal
// string, as the API documents.
func protoValue(v any) (*structpb.Value, error) {
	switch x := v.(type) {
	case nil, model.JSONNullValue:
		// A JSON null is null too; value_json ("null") and
		// json_null_presets tell it apart.
		return structpb.NewNullValue(), nil
	case json.Number:
		f, s, isNum := protoNumber(x)
		if isNum {
			return structpb.NewNumberValue(f), nil
		}
		return structpb.NewStringValue(s), nil
	case []any:
		l, err := protoList(x)
		if err != nil {
			return nil, err
		}
		return structpb.NewListValue(l), nil
	case map[string]any:
		s := &structpb.Struct{Fields: make(map[string]*structpb.Value, len(x))}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fv, err := protoValue(x[k])
			if err != nil {
				return nil, err
			}
			s.Fields[k] = fv
		}
		return structpb.NewStructValue(s), nil
	}
	return structpb.NewValue(v)
}

// protoNumber is a number as a protobuf Value holds it: a double
// (isNum) when one holds it exactly, else its decimal text.
func protoNumber(x json.Number) (f float64, s string, isNum bool) {
	if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
		if i > -maxExact && i < maxExact {
			return float64(i), "", true
		}
		return 0, string(x), false
	}
	f, err := strconv.ParseFloat(string(x), 64)
	if err == nil && !math.IsInf(f, 0) && strconv.FormatFloat(f, 'g', -1, 64) == string(x) {
		return f, "", true
	}
	return 0, string(x), false
}

func protoList(v any) (*structpb.ListValue, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("want a list, got %T", v)
	}
	out := &structpb.ListValue{Values: make([]*structpb.Value, len(items))}
	for i, it := range items {
		pv, err := protoValue(it)
		if err != nil {
			return nil, err
		}
		out.Values[i] = pv
	}
	return out, nil
}

// clockWords maps a rule's clock word to the API's.
var clockWords = map[string]wardenv1.ClockWord{
	model.ClockNow:       wardenv1.ClockWord_CLOCK_WORD_NOW,
	model.ClockToday:     wardenv1.ClockWord_CLOCK_WORD_TODAY,
	model.ClockTomorrow:  wardenv1.ClockWord_CLOCK_WORD_TOMORROW,
	model.ClockYesterday: wardenv1.ClockWord_CLOCK_WORD_YESTERDAY,
}

var spatialOps = map[model.Operator]wardenv1.SpatialOperator{
	model.OpStContains:     wardenv1.SpatialOperator_SPATIAL_OPERATOR_CONTAINS,
	model.OpStCrosses:      wardenv1.SpatialOperator_SPATIAL_OPERATOR_CROSSES,
	model.OpStEquals:       wardenv1.SpatialOperator_SPATIAL_OPERATOR_EQUALS,
	model.OpStIntersects:   wardenv1.SpatialOperator_SPATIAL_OPERATOR_INTERSECTS,
	model.OpStOverlaps:     wardenv1.SpatialOperator_SPATIAL_OPERATOR_OVERLAPS,
	model.OpStTouches:      wardenv1.SpatialOperator_SPATIAL_OPERATOR_TOUCHES,
	model.OpStWithin:       wardenv1.SpatialOperator_SPATIAL_OPERATOR_WITHIN,
	model.OpStDWithin:      wardenv1.SpatialOperator_SPATIAL_OPERATOR_D_WITHIN,
	model.OpSt3dIntersects: wardenv1.SpatialOperator_SPATIAL_OPERATOR_3D_INTERSECTS,
	model.OpSt3dDWithin:    wardenv1.SpatialOperator_SPATIAL_OPERATOR_3D_D_WITHIN,
}

// spatialToProto converts a PostGIS node whose value is v (bound: it has
// one): the geometry as a JSON value, and the _d_within forms' distance
// and use_spheroid beside it.
func spatialToProto(x residual.Spatial, v residual.Value, bound bool) (*wardenv1.Predicate, error) {
	op, ok := spatialOps[x.Op]
	if !ok || !bound {
		return nil, fmt.Errorf("PostGIS operator %s with a %T", x.Op, x.Value)
	}
	sp := &wardenv1.SpatialPredicate{Operator: op, Column: columnRef(x.Column), Geography: x.Geography, Cast: x.Cast}
	geom := v.V
	if model.SpatialDistance(x.Op) {
		m, ok := v.V.(map[string]any)
		d, isNum := model.JSONNumber(m["distance"])
		if !ok || !isNum {
			return nil, fmt.Errorf("%s without a distance", x.Op)
		}
		geom, sp.Distance = m["from"], &d
		if b, ok := m["use_spheroid"].(bool); ok && x.Geography {
			sp.UseSpheroid = &b
		}
	}
	g, err := structpb.NewValue(jsonPlain(geom))
	if err != nil {
		return nil, fmt.Errorf("%s: geometry: %w", x.Op, err)
	}
	sp.Geometry = g
	return &wardenv1.Predicate{Node: &wardenv1.Predicate_Spatial{Spatial: sp}}, nil
}

// jsonPlain converts json.Number (in canonical JSON values) to float64,
// which structpb takes: GeoJSON coordinates are doubles.
func jsonPlain(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonPlain(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonPlain(e)
		}
		return out
	}
	return v
}
