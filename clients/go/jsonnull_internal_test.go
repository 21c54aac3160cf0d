package warden

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	wardenv1 "github.com/wardenpdp/warden/proto/warden/v1"
)

// JSONNull travels as a Struct null with its path in json_nulls, in
// values, new_values, related rows and _exists rows; nil is SQL NULL and
// has no path.
func TestJSONNullPaths(t *testing.T) {
	req := CheckRequest{
		Table: "docs", Operation: Update,
		Rows: []Row{{
			Values: map[string]any{"id": 1, "meta": JSONNull, "note": nil,
				"author":   map[string]any{"prefs": JSONNull},
				"comments": []map[string]any{{"body": "b"}, {"extra": JSONNull}}},
			NewValues: map[string]any{"id": 1, "meta": nil},
		}},
		Related: map[string][]map[string]any{"public.tags": {{"doc": JSONNull}}},
	}
	pb, err := req.proto()
	if err != nil {
		t.Fatal(err)
	}
	row := pb.GetRows()[0]
	want := []string{"values.author.prefs", "values.comments[1].extra", "values.meta"}
	if !slices.Equal(row.GetJsonNulls(), want) {
		t.Errorf("json_nulls %v, want %v", row.GetJsonNulls(), want)
	}
	for _, k := range []string{"meta", "note"} {
		if _, isNull := row.GetValues().GetFields()[k].GetKind().(*structpb.Value_NullValue); !isNull {
			t.Errorf("values.%s is %v, want null", k, row.GetValues().GetFields()[k])
		}
	}
	if got := pb.GetTables()[0].GetJsonNulls(); !slices.Equal(got, []string{"rows[0].doc"}) {
		t.Errorf("tables json_nulls %v, want [rows[0].doc]", got)
	}
	p, _ := structpb.NewStruct(map[string]any{"meta": nil, "owner_id": 1})
	presets := presetsOf(&wardenv1.CheckResponse{Presets: p, JsonNullPresets: []string{"meta"}})
	if presets["meta"] != JSONNull || presets["owner_id"] != 1.0 {
		t.Errorf("presets %v, want meta JSONNull and owner_id 1", presets)
	}
}
