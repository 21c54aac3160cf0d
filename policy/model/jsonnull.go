package model

// JSONNull is the value of a json or jsonb column that holds the JSON
// literal null: a value, not SQL NULL. Rows state it apart from nil (SQL
// NULL), since a JSON document (a protobuf Struct, a row file) has one null
// for both: PostgreSQL, MySQL and SQLite all keep the two apart ('null'::jsonb
// IS NULL is false), and so do the rules (_is_null). Inside a json value a
// null is always JSON's (SQL NULL cannot nest), so JSONNull stands only for
// a whole column value; ParseText reads the text "null" of a jsonb session
// variable as JSONNull, as PostgreSQL's 'null'::jsonb.
var JSONNull = JSONNullValue{}

// JSONNullValue is the type of JSONNull.
type JSONNullValue struct{}

// MarshalJSON writes null: in JSON text (a SQL parameter cast to jsonb, a
// json column's storage) JSON null is unambiguous.
func (JSONNullValue) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// String is "JSON null", for messages.
func (JSONNullValue) String() string { return "JSON null" }

// IsJSONNull reports whether v is JSONNull.
func IsJSONNull(v any) bool {
	_, ok := v.(JSONNullValue)
	return ok
}
