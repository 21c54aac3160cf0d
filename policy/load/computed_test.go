package load

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
)

func TestSchemaFunctions(t *testing.T) {
	base := dirFS(t, "testdata/base")
	schema := string(base["schema.yaml"].Data)
	t.Run("declared badly", func(t *testing.T) {
		bad := strings.Replace(schema, "functions: [", `functions: [{name: public.f1, returns: text, setof: public.tags}, {name: public.f2},
  {name: public.thing_score, returns: text}, `, 1)
		_, err := FS(context.Background(), withFiles(base, map[string]string{"schema.yaml": bad}), "x")
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("err = %v, want problems", err)
		}
		want := []string{
			"schema.yaml:2: functions[name=public.f1]: function public.f1 needs exactly one of returns (a type) and setof (a table)",
			"schema.yaml:2: functions[name=public.f2]: function public.f2 needs exactly one of returns (a type) and setof (a table)",
			"schema.yaml:3: functions[name=public.thing_score]: function public.thing_score is declared twice in the schema",
		}
		if got := ve.Error(); got != strings.Join(want, "\n") {
			t.Errorf("problems:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
		}
	})
	t.Run("a scalar computed field is a pseudo-column", func(t *testing.T) {
		p, err := FS(context.Background(), base, "x")
		if err != nil {
			t.Fatal(err)
		}
		things := p.Tables[tableName("things")]
		c, ok := things.Field("score")
		if !ok || c.Computed == nil || c.Type.Kind != model.KindInteger || !c.Nullable ||
			c.Computed.Function != (model.TableName{Schema: "public", Name: "thing_score"}) {
			t.Fatalf("Field(score) = %+v, %v; want a nullable integer computed by public.thing_score", c, ok)
		}
		if _, ok := things.Column("score"); ok {
			t.Errorf("Column(score) found a computed field: only Field may")
		}
		for _, col := range things.Columns {
			if col.Name == "score" {
				t.Errorf("a computed field is among the table's columns")
			}
		}
	})
}
