package security_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"

	_ "modernc.org/sqlite" // SQLite, pure Go

	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/sqlgen"
	"github.com/wardenpdp/warden/server/callerauth"
	"github.com/wardenpdp/warden/server/session"
)

// TestSQLLookingSessionValuesAreBindParameters follows session values
// that look like SQL from the request to the database: the resolver
// passes them through unchanged, the filter binds them, the SQL text
// never contains them (only a placeholder), and SQLite, running the
// fragment, matches them as plain text.
func TestSQLLookingSessionValuesAreBindParameters(t *testing.T) {
	ctx := context.Background()
	set := loadNotes(t)
	r, err := session.NewResolver(session.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	gateway := &callerauth.Caller{ID: "gateway", Level: callerauth.LevelUser, Grants: []callerauth.Grant{callerauth.GrantTrustedSession}}
	notes := model.TableName{Schema: "public", Name: "notes"}

	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	values := []string{
		`' OR '1'='1`,
		`x'; DROP TABLE notes; --`,
		`"); DELETE FROM notes; --`,
		`$1`, `?`, `\' OR 1=1 --`,
	}
	if _, err := db.Exec(`CREATE TABLE notes (id integer primary key, owner_id integer not null, title text not null)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO notes VALUES (1, 1, 'ordinary')`); err != nil {
		t.Fatal(err)
	}
	for i, v := range values {
		if _, err := db.Exec(`INSERT INTO notes VALUES (?, 1, ?)`, i+2, v); err != nil {
			t.Fatal(err)
		}
	}

	render := func(v string, d sqlgen.Dialect) sqlgen.Fragment {
		t.Helper()
		s, err := r.Resolve(ctx, session.Request{Caller: gateway, Role: "titled", Variables: map[string]string{"X-Hasura-Title": v}})
		if err != nil {
			t.Fatal(err)
		}
		if s.Vars["x-hasura-title"] != v {
			t.Fatalf("resolver changed %q to %q", v, s.Vars["x-hasura-title"])
		}
		res, err := set.Filter(ctx, engine.FilterInput{Session: s, Table: notes, Op: model.OpSelect})
		if err != nil {
			t.Fatal(err)
		}
		rd, err := sqlgen.NewRenderer(set.Policy(), notes, sqlgen.Options{Dialect: d, Alias: "n"})
		if err != nil {
			t.Fatal(err)
		}
		frag, err := rd.Render(res.Predicate)
		if err != nil {
			t.Fatal(err)
		}
		return frag
	}
	for i, v := range values {
		for _, d := range sqlgen.Dialects {
			// The SQL text is the same whatever the value: the value is
			// only ever an argument.
			frag, plain := render(v, d), render("plain", d)
			if frag.SQL != plain.SQL {
				t.Errorf("%s: the SQL text depends on the value %q: %s", d, v, frag.SQL)
			}
			if !slices.ContainsFunc(frag.Args, func(a any) bool { return a == v }) {
				t.Errorf("%s: the value is not a bind parameter: %s %v", d, frag.SQL, frag.Args)
			}
			if d != sqlgen.SQLite {
				continue
			}
			rows, err := db.Query(`SELECT n.id FROM notes AS n WHERE `+frag.SQL, frag.Args...)
			if err != nil {
				t.Fatalf("%s %v: %v", frag.SQL, frag.Args, err)
			}
			var ids []int
			for rows.Next() {
				var id int
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			rows.Close()
			if !slices.Equal(ids, []int{i + 2}) {
				t.Errorf("%q matched rows %v, want only its own row %d", v, ids, i+2)
			}
		}
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM notes`).Scan(&n); err != nil || n != len(values)+1 {
		t.Fatalf("the table changed: %d rows, %v", n, err)
	}
}
