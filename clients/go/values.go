package warden

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
)

// maxExactInt is 2^53. A float64 (a JSON number in a protobuf Struct)
// holds every integer of smaller magnitude as a value of its own; 2^53 is
// also what 2^53+1 rounds to, and Warden refuses a number of that
// magnitude or more for an integer or numeric column.
const maxExactInt = 1 << 53

// NewStruct converts a row to the protobuf Struct Warden reads. Beyond what
// structpb.NewStruct accepts (nil, bool, ints, floats, string, []byte,
// map[string]any, []any), it writes
//
//   - integers of magnitude 2^53 or more (bigint ids such as
//     9223372036854775807) as decimal strings, which Warden reads exactly
//     for integer and numeric columns;
//   - *big.Int as an integer, *big.Rat and *big.Float as exact decimal
//     strings (numeric(38,0) values); a *big.Rat without a finite decimal
//     (1/3) is an error;
//   - a driver.Valuer (sql.NullInt64, decimal types, pgtype values) as the
//     value it gives the database;
//   - time.Time as RFC 3339 with nanoseconds, in UTC;
//   - json.Number as its text when it is not an exact float64;
//   - any other slice or map with string keys element by element;
//   - a nil pointer as null, and other pointers as what they point to.
func NewStruct(m map[string]any) (*structpb.Struct, error) {
	s := &structpb.Struct{Fields: make(map[string]*structpb.Value, len(m))}
	for k, v := range m {
		pv, err := newValue(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		s.Fields[k] = pv
	}
	return s, nil
}

// JSONNull is the JSON literal null of a json or jsonb column, as
// distinct from nil, which is SQL NULL: {"meta": warden.JSONNull} is a row
// whose meta holds 'null'::jsonb (meta IS NOT NULL), {"meta": nil} one
// whose meta IS NULL. Give it as a column's whole value, in a row or a
// related row; inside a json value a nil is JSON null already. Check
// sends it as null and names its path in the row's json_nulls; presets
// that are JSON null come back as JSONNull.
var JSONNull any = jsonNull{}

type jsonNull struct{}

// MarshalJSON writes null: in JSON text a JSON null is unambiguous.
func (jsonNull) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// jsonNullPaths appends the paths of the JSONNull values of m (prefix
// "values", "new_values"), in related rows too, in the form Row.json_nulls
// takes: values.meta, values.author.meta, values.comments[0].meta.
func jsonNullPaths(out []string, prefix string, v any) []string {
	switch x := v.(type) {
	case jsonNull:
		return append(out, prefix)
	case map[string]any:
		for _, k := range sortedKeys(x) {
			out = jsonNullPaths(out, prefix+"."+k, x[k])
		}
	case []map[string]any:
		for i, e := range x {
			out = jsonNullPaths(out, prefix+"["+strconv.Itoa(i)+"]", e)
		}
	case []any:
		for i, e := range x {
			out = jsonNullPaths(out, prefix+"["+strconv.Itoa(i)+"]", e)
		}
	}
	return out
}

func newValue(v any) (*structpb.Value, error) {
	switch x := v.(type) {
	case nil, jsonNull:
		return structpb.NewNullValue(), nil
	case int:
		return intValue(int64(x)), nil
	case int64:
		return intValue(x), nil
	case uint:
		return uintValue(uint64(x)), nil
	case uint64:
		return uintValue(x), nil
	case time.Time:
		return structpb.NewStringValue(x.UTC().Format(time.RFC3339Nano)), nil
	case *big.Int:
		if x == nil {
			return structpb.NewNullValue(), nil
		}
		if x.IsInt64() {
			return intValue(x.Int64()), nil
		}
		return structpb.NewStringValue(x.String()), nil
	case *big.Rat:
		if x == nil {
			return structpb.NewNullValue(), nil
		}
		if x.IsInt() {
			return newValue(x.Num())
		}
		n, exact := x.FloatPrec()
		if !exact {
			return nil, fmt.Errorf("%s has no finite decimal form", x)
		}
		return structpb.NewStringValue(x.FloatString(n)), nil
	case *big.Float:
		if x == nil {
			return structpb.NewNullValue(), nil
		}
		if x.IsInf() {
			return nil, fmt.Errorf("%v is not a finite number", x)
		}
		return structpb.NewStringValue(x.Text('g', -1)), nil
	case driver.Valuer:
		if rv := reflect.ValueOf(x); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return structpb.NewNullValue(), nil
		}
		dv, err := x.Value()
		if err != nil {
			return nil, err
		}
		return newValue(dv)
	case json.Number:
		if f, err := x.Float64(); err == nil && strconv.FormatFloat(f, 'g', -1, 64) == x.String() {
			return structpb.NewNumberValue(f), nil
		}
		return structpb.NewStringValue(x.String()), nil
	case map[string]any:
		s, err := NewStruct(x)
		if err != nil {
			return nil, err
		}
		return structpb.NewStructValue(s), nil
	case []any:
		return listValue(len(x), func(i int) any { return x[i] })
	case []byte, string, bool, float64, float32, int8, int16, int32, uint8, uint16, uint32:
		return structpb.NewValue(x)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			return structpb.NewNullValue(), nil
		}
		return newValue(rv.Elem().Interface())
	case reflect.Slice, reflect.Array:
		return listValue(rv.Len(), func(i int) any { return rv.Index(i).Interface() })
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			m := make(map[string]any, rv.Len())
			for _, k := range rv.MapKeys() {
				m[k.String()] = rv.MapIndex(k).Interface()
			}
			return newValue(m)
		}
	case reflect.String:
		return structpb.NewStringValue(rv.String()), nil
	case reflect.Bool:
		return structpb.NewBoolValue(rv.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intValue(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return uintValue(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return structpb.NewNumberValue(rv.Float()), nil
	}
	return nil, fmt.Errorf("cannot send a value of type %T", v)
}

func intValue(i int64) *structpb.Value {
	if i >= maxExactInt || i <= -maxExactInt {
		return structpb.NewStringValue(strconv.FormatInt(i, 10))
	}
	return structpb.NewNumberValue(float64(i))
}

func uintValue(u uint64) *structpb.Value {
	if u >= maxExactInt {
		return structpb.NewStringValue(strconv.FormatUint(u, 10))
	}
	return structpb.NewNumberValue(float64(u))
}

func listValue(n int, at func(int) any) (*structpb.Value, error) {
	l := &structpb.ListValue{Values: make([]*structpb.Value, n)}
	for i := range n {
		v, err := newValue(at(i))
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		l.Values[i] = v
	}
	return structpb.NewListValue(l), nil
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
