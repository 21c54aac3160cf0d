package warden_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	warden "github.com/wardenpdp/warden/clients/go"
)

// The examples run against the server TestMain starts with the example
// policy set (policy/examples/blog): addr is its address, apiKey a caller
// key with the check, filter and trusted-session grants.

func Example() {
	c, err := warden.New(addr, warden.WithPlaintext(), warden.WithAPIKey(apiKey))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// User 1 of organisation 1, as a trusted service states her session,
	// asks to read her own draft.
	alice := warden.Principal{Role: "user", Session: map[string]string{"x-hasura-user-id": "1", "x-hasura-org-id": "1"}}
	res, err := c.CheckRow(context.Background(), alice, "articles", warden.Select,
		map[string]any{"id": 2, "org_id": 1, "author_id": 1, "published": false})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Allowed(), res.Decisions[0].Reason)
	// Output: true role user: filter holds
}

func ExampleClient_Check() {
	c, err := warden.New(addr, warden.WithPlaintext(), warden.WithAPIKey(apiKey))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	editor := warden.Principal{Role: "editor", Session: map[string]string{"x-hasura-user-id": "5", "x-hasura-org-id": "1"}}
	res, err := c.Check(context.Background(), warden.CheckRequest{
		Principal: editor,
		Table:     "public.users",
		Operation: warden.Select,
		Columns:   []string{"name", "email"},
		Rows: []warden.Row{
			{ID: "bob", Values: map[string]any{"id": 2, "org_id": 1, "name": "Bob", "email": "bob@acme.example"}},
			{ID: "carol", Values: map[string]any{"id": 3, "org_id": 2, "name": "Carol", "email": "carol@globex.example"}},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range res.Decisions {
		fmt.Println(d.ID, d.Effect)
	}
	// Output:
	// bob DECISION_ALLOW
	// carol DECISION_DENY
}

func ExampleClient_CheckRow_insert() {
	c, err := warden.New(addr, warden.WithPlaintext(), warden.WithAPIKey(apiKey))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// An insert is checked as Hasura writes the row: it states the
	// columns the caller writes, and the role's presets (Hasura "set")
	// are applied before the check; the answer returns them, for the
	// caller to write.
	alice := warden.Principal{Role: "user", Session: map[string]string{"x-hasura-user-id": "1", "x-hasura-org-id": "1"}}
	row := map[string]any{"title": "Hello", "body": "First post", "published": false}
	res, err := c.CheckRow(context.Background(), alice, "articles", warden.Insert, row)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Allowed(), res.Presets["org_id"], res.Presets["author_id"])
	// Output: true 1 1
}

func ExampleClient_Filter() {
	c, err := warden.New(addr, warden.WithPlaintext(), warden.WithAPIKey(apiKey))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	alice := warden.Principal{Role: "user", Session: map[string]string{"x-hasura-user-id": "1", "x-hasura-org-id": "1"}}
	f, err := c.Filter(ctx, warden.FilterRequest{Principal: alice, Table: "articles", Operation: warden.Select,
		Dialect: warden.Postgres, TableAlias: "a"})
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println(f.Kind, f.Limit)
	fmt.Println(f.SQL)
	fmt.Println(f.Args...)

	// With database/sql and pgx's stdlib driver (or pgx's own Query):
	var db *sql.DB // sql.Open("pgx", "postgres://...")
	if db != nil {
		rows, err := db.QueryContext(ctx, "SELECT a.id, a.title FROM articles a WHERE "+f.SQL+" ORDER BY a.id", f.Args...)
		if err != nil {
			log.Fatal(err)
		}
		defer rows.Close()
	}
	// Output:
	// FILTER_KIND_CONDITIONAL 100
	// (("a"."author_id" = $1::bigint) OR (("a"."org_id" = $2::bigint) AND ("a"."published" = $3::boolean)))
	// 1 1 true
}

func ExampleNewFromConn() {
	// A connection the application already has, with its own interceptors
	// and service config.
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	c := warden.NewFromConn(conn, warden.WithAPIKey(apiKey))

	_, err = c.CheckRow(context.Background(), warden.Principal{Role: "user", Session: map[string]string{"x-hasura-user-id": "1"}},
		"articles", warden.Select, map[string]any{"id": 5, "org_id": 2, "author_id": 3, "published": true})
	fmt.Println(errors.Is(err, warden.ErrFailedPrecondition))
	// Output: true
}

func ExampleError() {
	c, err := warden.New(addr, warden.WithPlaintext(), warden.WithAPIKey(apiKey))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// The rule reads x-hasura-org-id, which this session lacks: an error,
	// not a deny.
	_, err = c.CheckRow(context.Background(), warden.Principal{Role: "user", Session: map[string]string{"x-hasura-user-id": "1"}},
		"articles", warden.Select, map[string]any{"id": 5, "org_id": 2, "author_id": 3, "published": true})
	var e *warden.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, e.Reason, e.MissingVariables)
	}
	// Output: FailedPrecondition MISSING_SESSION_VARIABLES [x-hasura-org-id]
}
