package warden_test

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/big"
	"path/filepath"
	"slices"
	"testing"

	warden "github.com/wardenpdp/warden/clients/go"
	"github.com/wardenpdp/warden/clients/go/wardentest"
)

// numbersPolicy is the policy set over bigint and numeric(38,0) columns
// the client suites share (its postgres.sql runs in the gateway's test).
var numbersPolicy = filepath.Join("..", "testdata", "numbers")

// TestNumbersExact: bigint values at ±2^63 and numeric(38,0) values go to
// Warden exactly whatever Go type holds them (int64, *big.Int, strings,
// sql.NullInt64); a float64 that cannot be exact is refused with
// a field violation; Filter's arguments are int64 and decimal strings, as
// a driver takes them.
func TestNumbersExact(t *testing.T) {
	srv := wardentest.Start(t, "--api-keys", wardentest.APIKeysFlag(serviceKey), "--policy", numbersPolicy)
	c, err := warden.New(srv.Addr, warden.WithPlaintext(), warden.WithAPIKey(apiKey))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	user := func(id int64) warden.Principal {
		return warden.Principal{Role: "user", Session: map[string]string{"x-hasura-user-id": fmt.Sprint(id)}}
	}
	bigNumeric, _ := new(big.Int).SetString("12345678901234567890123456789012345678", 10)

	for _, tc := range []struct {
		name string
		user int64
		rows []map[string]any
		want []warden.Effect
	}{
		{"2^63-1 as int64", math.MaxInt64, []map[string]any{
			{"id": 1, "owner_id": int64(math.MaxInt64), "balance": bigNumeric},
			{"id": 2, "owner_id": int64(math.MaxInt64 - 1), "balance": "1"},
		}, []warden.Effect{warden.Allow, warden.Deny}},
		{"-2^63 as *big.Int and sql-style values", math.MinInt64, []map[string]any{
			{"id": big.NewInt(math.MinInt64), "owner_id": big.NewInt(math.MinInt64), "balance": new(big.Int).Neg(bigNumeric)},
			{"id": 2, "owner_id": sql.NullInt64{Int64: math.MinInt64 + 1, Valid: true}, "balance": 0},
		}, []warden.Effect{warden.Allow, warden.Deny}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := warden.CheckRequest{Principal: user(tc.user), Table: "accounts", Operation: warden.Select}
			for _, r := range tc.rows {
				req.Rows = append(req.Rows, warden.Row{Values: r})
			}
			res, err := c.Check(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			var got []warden.Effect
			for _, d := range res.Decisions {
				got = append(got, d.Effect)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("effects %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("a float64 beyond 2^53 is refused, not rounded", func(t *testing.T) {
		_, err := c.CheckRow(t.Context(), user(math.MaxInt64), "accounts", warden.Select,
			map[string]any{"id": 1, "owner_id": float64(math.MaxInt64), "balance": 0})
		var we *warden.Error
		if !errors.Is(err, warden.ErrInvalidArgument) || !errors.As(err, &we) || len(we.Fields) != 1 || we.Fields[0].Field != "rows[0].values.owner_id" {
			t.Fatalf("%v, want InvalidArgument for rows[0].values.owner_id", err)
		}
	})

	t.Run("presets", func(t *testing.T) {
		// The row states what the caller writes; the preset owner_id is
		// applied before the check.
		res, err := c.CheckRow(t.Context(), user(math.MinInt64), "accounts", warden.Insert,
			map[string]any{"id": 7, "balance": bigNumeric})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Allowed() || res.Presets["owner_id"] != "-9223372036854775808" {
			t.Errorf("allowed %v, presets %v: want owner_id \"-9223372036854775808\"", res.Allowed(), res.Presets)
		}
	})

	t.Run("filter arguments", func(t *testing.T) {
		for _, tc := range []struct {
			p     warden.Principal
			table string
			want  []any
		}{
			{user(math.MaxInt64), "transfers", []any{"12345678901234567890123456789012345676", int64(math.MaxInt64)}},
			{user(math.MinInt64), "accounts", []any{int64(math.MinInt64)}},
			{warden.Principal{Role: "auditor"}, "accounts", []any{[]int64{math.MaxInt64, math.MinInt64}, "12345678901234567890123456789012345678"}},
		} {
			for _, d := range []warden.Dialect{warden.Postgres, warden.MySQL, warden.SQLite} {
				f, err := c.Filter(t.Context(), warden.FilterRequest{Principal: tc.p, Table: tc.table, Operation: warden.Select, Dialect: d})
				if err != nil {
					t.Fatal(err)
				}
				want := tc.want
				if d != warden.Postgres && tc.p.Role == "auditor" { // IN (?, ?) instead of = ANY
					want = []any{int64(math.MaxInt64), int64(math.MinInt64), "12345678901234567890123456789012345678"}
				}
				if got := fmt.Sprintf("%#v", f.Args); got != fmt.Sprintf("%#v", want) {
					t.Errorf("%s %s %s: args %s, want %#v", tc.p.Role, tc.table, d, got, want)
				}
			}
		}
	})
}
