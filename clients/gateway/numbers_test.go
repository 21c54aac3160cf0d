package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/wardenpdp/warden/clients/go/wardentest"
)

// numbers is the client suites' policy set over bigint ids and
// numeric(38,0) amounts, with postgres.sql to create and fill its tables.
var numbers = filepath.Join("..", "testdata", "numbers")

// TestNumbersEndToEnd: end users whose ids are bigints at ±2^63 read
// exactly their rows through the gateway in PostgreSQL (Filter's
// parameters reach pgx as int64 and decimal text), write a row with a
// bigint id and a numeric(38,0) amount sent as JSON numbers, and get every
// number a double would round back as a decimal string.
func TestNumbersEndToEnd(t *testing.T) {
	key := wardentest.NewKey("gateway", "user", "check", "filter")
	secret := wardentest.HS256Secret()
	srv := wardentest.Start(t, "--api-keys", wardentest.APIKeysFlag(key), "--jwt-secret", wardentest.JWTConfig(secret), "--policy", numbers)
	url := startGateway(t, "--warden-addr", srv.Addr, "--warden-api-key", key.Secret,
		"--database-url", freshPostgres(t), "--init-sql", filepath.Join(numbers, "postgres.sql"))
	gw := gateway{t: t, url: url}
	token := func(id string, role string) string {
		return wardentest.Token(secret, wardentest.User{ID: id, Roles: []string{role}})
	}
	maxUser, minUser := token("9223372036854775807", "user"), token("-9223372036854775808", "user")
	const cols = "?columns=id,owner_id,balance"

	gw.want(http.StatusOK, "GET", "/tables/accounts"+cols, maxUser, "", nil, []any{
		obj{"id": 1, "owner_id": "9223372036854775807", "balance": "12345678901234567890123456789012345678"},
	})
	gw.want(http.StatusOK, "GET", "/tables/accounts"+cols, minUser, "", nil, []any{
		obj{"id": 3, "owner_id": "-9223372036854775808", "balance": "1"},
	})
	gw.want(http.StatusOK, "GET", "/tables/accounts"+cols, token("9223372036854775806", "user"), "", nil, []any{
		obj{"id": 2, "owner_id": "9223372036854775806", "balance": "12345678901234567890123456789012345677"},
	})
	gw.want(http.StatusOK, "GET", "/tables/accounts"+cols, token("1", "auditor"), "", nil, []any{
		obj{"id": "-9223372036854775808", "owner_id": 6, "balance": "0"},
		obj{"id": 1, "owner_id": "9223372036854775807", "balance": "12345678901234567890123456789012345678"},
		obj{"id": "9223372036854775807", "owner_id": 5, "balance": "0"},
	})
	gw.want(http.StatusOK, "GET", "/tables/transfers?columns=id,amount", maxUser, "", nil, []any{
		obj{"id": 1, "amount": "12345678901234567890123456789012345678"},
	})
	gw.want(http.StatusOK, "GET", "/tables/transfers?columns=id,amount", minUser, "", nil, []any{
		obj{"id": 4, "amount": "12345678901234567890123456789012345677"},
	})

	// JSON numbers in the body are read exactly; the preset owner comes
	// from the token.
	gw.want(http.StatusCreated, "POST", "/tables/accounts", maxUser, "",
		obj{"id": json.Number("9223372036854775805"), "balance": json.Number("12345678901234567890123456789012345679")},
		obj{"id": "9223372036854775805", "owner_id": "9223372036854775807", "balance": "12345678901234567890123456789012345679"})
	gw.want(http.StatusOK, "GET", "/tables/accounts"+cols, maxUser, "", nil, []any{
		obj{"id": 1, "owner_id": "9223372036854775807", "balance": "12345678901234567890123456789012345678"},
		obj{"id": "9223372036854775805", "owner_id": "9223372036854775807", "balance": "12345678901234567890123456789012345679"},
	})
}
