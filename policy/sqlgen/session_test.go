package sqlgen_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/residual"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// TestSessionSQLRefuses: what a session read cannot do as Check does is
// an *UnsupportedError (the permission is refused), never SQL; what it
// can is read through the functions SessionRead names.
func TestSessionSQLRefuses(t *testing.T) {
	e := &model.Enum{Schema: "public", Name: "mood", Labels: []string{"sad", "ok"}}
	full := &sqlgen.SessionRead{Schema: "s", Function: "read", Setting: "x", List: "list", Timestamptz: "tz", Labels: "labels",
		Enums: map[string]*model.Enum{e.String(): e}, Fold: "fold"}
	bare := &sqlgen.SessionRead{Schema: "s", Function: "read", Setting: "x"}
	for _, c := range []struct {
		s    *sqlgen.SessionRead
		p    residual.Param
		want string // a part of the SQL, or "" for a refusal
	}{
		{full, residual.Param{Name: "v", Kind: model.KindInteger, Array: true}, `"s"."list"("s"."read"('x', 'v'))::bigint[]`},
		{bare, residual.Param{Name: "v", Kind: model.KindInteger, Array: true}, ""},
		{full, residual.Param{Name: "v", Kind: model.KindTimestamptz}, `"s"."tz"("s"."read"('x', 'v'))`},
		{full, residual.Param{Name: "v", Kind: model.KindTimestamptz, Array: true}, `ARRAY(SELECT "s"."tz"(e.x) FROM unnest("s"."list"(`},
		{bare, residual.Param{Name: "v", Kind: model.KindTimestamptz}, ""},
		{full, residual.Param{Name: "v", Kind: model.KindText, Pattern: model.OpLike}, `"s"."read"('x', 'v')`},
		{full, residual.Param{Name: "v", Kind: model.KindText, Pattern: model.OpIlike}, ""},
		{full, residual.Param{Name: "v", Kind: model.KindText, Pattern: model.OpRegex}, ""},
		{full, residual.Param{Name: "v", Kind: model.KindText, Pattern: model.OpSimilar}, ""},
		{full, residual.Param{Name: "v", Kind: model.KindText, Fold: true}, `"s"."fold"("s"."read"('x', 'v'))`},
		{bare, residual.Param{Name: "v", Kind: model.KindText, Fold: true}, ""},
		{full, residual.Param{Name: "v", Kind: model.KindText, Fold: true, Array: true}, `ARRAY(SELECT "s"."fold"(e.x) FROM unnest("s"."list"("s"."read"('x', 'v'))) AS e(x))`},
		{full, residual.Param{Name: "v", Kind: model.KindText, Fold: true, Pattern: model.OpIlike}, ""},
		{full, residual.Param{Name: "v", Kind: model.KindText, PadSpace: true}, `pg_catalog.rtrim("s"."read"('x', 'v'), ' ')`},
		{full, residual.Param{Name: "v", Kind: model.KindText, PadSpace: true, Array: true}, ""},
		{full, residual.Param{Name: "v", Kind: model.KindText, PadSpace: true, Fold: true}, ""},
		{full, residual.Param{Name: "v", Kind: model.KindText, PadSpace: true, Pattern: model.OpLike}, ""},
		{full, residual.Param{Name: "v", Kind: model.KindText, Canon: model.CanonTime}, `"s"."read"('x', 'v')::time`},
		{full, residual.Param{Name: "v", Kind: model.KindText, Canon: model.CanonTime, Array: true}, `"s"."list"("s"."read"('x', 'v'))::time[]`},
		{full, residual.Param{Name: "v", Kind: model.KindText, Canon: model.CanonInterval}, ""},
		{full, residual.Param{Name: "v", Kind: model.KindText, Canon: model.CanonBytea}, `::bytea`},
		{full, residual.Param{Name: "v", Kind: model.KindText, Canon: model.CanonInet}, ""},
		{full, residual.Param{Name: "v", Kind: model.KindText, Canon: model.CanonArray}, ""},
		{full, residual.Param{Name: "v", Kind: model.KindJSONB}, `"s"."read"('x', 'v')::jsonb`},
		{full, residual.Param{Name: "v", Kind: model.KindJSONB, Array: true}, `"s"."list"("s"."read"('x', 'v'))::jsonb[]`},
		{full, residual.Param{Name: "v", Kind: model.KindText, Enum: e.String()}, `"s"."labels"(ARRAY["s"."read"('x', 'v')], ARRAY['sad', 'ok']::text[])`},
		{full, residual.Param{Name: "v", Kind: model.KindText, Enum: "public.other"}, ""},
		{bare, residual.Param{Name: "v", Kind: model.KindText, Enum: e.String()}, ""},
		{full, residual.Param{Name: "v", Kind: model.KindText, Enum: e.String(), Array: true, Order: model.OpGt}, `array_position(`},
	} {
		got, err := sqlgen.SessionSQL(c.s, c.p)
		var ue *sqlgen.UnsupportedError
		switch {
		case c.want == "" && err == nil:
			t.Errorf("%+v: read as %s, want a refusal", c.p, got)
		case c.want == "" && !errors.As(err, &ue):
			t.Errorf("%+v: %v, want an *UnsupportedError", c.p, err)
		case c.want != "" && err != nil:
			t.Errorf("%+v: %v", c.p, err)
		case c.want != "" && !strings.Contains(got, c.want):
			t.Errorf("%+v: %s, want it to contain %s", c.p, got, c.want)
		}
	}
}
