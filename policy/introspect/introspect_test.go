package introspect_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardenpdp/warden/policy/examples"
	"github.com/wardenpdp/warden/policy/introspect"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

// TestPullExample creates the blog example's tables (its schema.sql) in each
// database, pulls the schema of the tables its metadata tracks, and loads
// the example metadata with the pulled schema: it must load with no
// problem, with the columns, keys and nullability of schema.sql.
func TestPullExample(t *testing.T) {
	ddl, err := os.ReadFile("../examples/blog/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	tracked, err := load.TrackedTablesFS(context.Background(), examples.Blog())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []introspect.Dialect{introspect.SQLite, introspect.Postgres, introspect.MySQL} {
		t.Run(string(d), func(t *testing.T) {
			url := scratchDatabase(t, d)
			db, dialect, err := introspect.Open(url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if dialect != d {
				t.Fatalf("Open(%q) dialect %s, want %s", url, dialect, d)
			}
			if d == introspect.SQLite {
				// The read-only handle cannot create tables: use a writer.
				w, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(url, "sqlite://"))
				if err != nil {
					t.Fatal(err)
				}
				execAll(t, w, string(ddl))
				w.Close()
			} else {
				execAll(t, db, string(ddl))
			}
			ctx := context.Background()
			names, err := introspect.WithReferenced(ctx, db, d, tracked)
			if err != nil {
				t.Fatal(err)
			}
			tables, missing, err := introspect.Tables(ctx, db, d, names)
			if len(missing) > 0 {
				t.Errorf("missing tables %v", missing)
			}
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := introspect.WriteSchema(&buf, tables, nil, "pulled in a test"); err != nil {
				t.Fatal(err)
			}
			schema := filepath.Join(t.TempDir(), "schema.yaml")
			if err := os.WriteFile(schema, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			dir, err := filepath.Abs("../examples/blog")
			if err != nil {
				t.Fatal(err)
			}
			p, err := load.Dir(ctx, dir, load.WithSchemaFile(schema))
			if err != nil {
				t.Fatalf("the example does not load with the pulled schema:\n%v\n%s", err, buf.String())
			}
			articles := p.Tables[tracked[0]]
			if articles == nil || articles.Name.Name != "articles" {
				t.Fatalf("tables %v", tracked)
			}
			if got := strings.Join(articles.PrimaryKey, ","); got != "id" {
				t.Errorf("articles primary key %q, want id", got)
			}
			if len(articles.ForeignKeys) != 2 {
				t.Errorf("articles foreign keys %+v, want 2", articles.ForeignKeys)
			}
			body, _ := articles.Column("body")
			title, _ := articles.Column("title")
			if body == nil || !body.Nullable || title == nil || title.Nullable {
				t.Errorf("nullability: body %+v, title %+v", body, title)
			}
			published, _ := articles.Column("published")
			if published == nil || published.Type.Kind.String() != "boolean" {
				t.Errorf("published %+v, want boolean", published)
			}
		})
	}
}

func TestTableNotFound(t *testing.T) {
	url := scratchDatabase(t, introspect.SQLite)
	w, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(url, "sqlite://"))
	if err != nil {
		t.Fatal(err)
	}
	execAll(t, w, "CREATE TABLE present (id INTEGER PRIMARY KEY)")
	w.Close()
	db, d, err := introspect.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tracked, err := load.TrackedTablesFS(context.Background(), examples.Blog())
	if err != nil {
		t.Fatal(err)
	}
	// A table the database lacks is left out and named, not an error: the
	// loader reports the objects on it as inconsistent.
	tables, missing, err := introspect.Tables(context.Background(), db, d, tracked)
	if err != nil || len(tables) != 0 || !slices.Contains(missing, model.TableName{Schema: "public", Name: "articles"}) {
		t.Errorf("Tables = %v, missing %v, %v; want public.articles missing", tables, missing, err)
	}
}

func TestOpenRejectsUnknownScheme(t *testing.T) {
	if _, _, err := introspect.Open("redis://user:secret@host/0"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("err = %v, want an error that does not show the password", err)
	}
}

// scratchDatabase makes an empty database for one test and drops it after:
// a SQLite file, or a fresh database on the local PostgreSQL or MariaDB.
// Without the server the test skips, but not under CI=true.
func scratchDatabase(t *testing.T, d introspect.Dialect) string {
	t.Helper()
	name := fmt.Sprintf("warden_introspect_%d", time.Now().UnixNano())
	var admin, driver, url string
	switch d {
	case introspect.SQLite:
		return "sqlite://" + filepath.Join(t.TempDir(), "test.db")
	case introspect.Postgres:
		driver, admin = "pgx", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		url = "postgres://postgres@127.0.0.1:5432/" + name + "?sslmode=disable"
	case introspect.MySQL:
		driver, admin = "mysql", "root@tcp(127.0.0.1:3306)/test"
		url = "mysql://root@127.0.0.1:3306/" + name
	}
	db, err := sql.Open(driver, admin)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not reachable (%v), and under CI=true nothing that could run is skipped", d, err)
		}
		t.Skipf("%s is not reachable on 127.0.0.1 (%v): skipping", d, err)
	}
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if d == introspect.Postgres {
			_, _ = db.Exec("DROP DATABASE " + name + " WITH (FORCE)")
		} else {
			_, _ = db.Exec("DROP DATABASE " + name)
		}
		db.Close()
	})
	return url
}

// scratchPostgres opens a new scratch PostgreSQL database, closed and
// dropped when the test ends.
func scratchPostgres(t *testing.T) (*sql.DB, introspect.Dialect) {
	t.Helper()
	db, d, err := introspect.Open(scratchDatabase(t, introspect.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, d
}

func execAll(t *testing.T, db *sql.DB, script string) {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(script, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line + "\n")
		}
	}
	for _, stmt := range strings.Split(b.String(), ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// TestPullPostgresTypes pulls columns of an enum, a domain over citext
// (as nhost's auth.email), a domain over an enum, an array, inet,
// interval, timetz, money, int4range, an interval restricted to fields and
// a numeric array from PostgreSQL: the schema file records the enum
// labels in the type's order and the domains' base types, rules on them
// load, and exactly the last three columns (only _is_null) are warned
// about.
func TestPullPostgresTypes(t *testing.T) {
	db, d := scratchPostgres(t)
	execAll(t, db, `
		CREATE EXTENSION IF NOT EXISTS citext;
		CREATE SCHEMA auth;
		CREATE DOMAIN auth.email AS citext;
		CREATE TYPE public."Leave Status" AS ENUM ('Pending', 'Approved', 'it''s');
		ALTER TYPE public."Leave Status" ADD VALUE 'Draft' BEFORE 'Pending';
		CREATE DOMAIN public.status_d AS public."Leave Status";
		CREATE TABLE public.leaves (
			id integer PRIMARY KEY,
			status public."Leave Status" NOT NULL,
			sd public.status_d,
			email auth.email,
			tags text[],
			ip inet,
			ttl interval,
			span int4range,
			opens time(3) with time zone,
			price money,
			window_ interval hour to minute,
			amounts numeric[]
		)`)
	ctx := context.Background()
	names := []model.TableName{{Schema: "public", Name: "leaves"}}
	tables, _, err := introspect.Tables(ctx, db, d, names)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := introspect.WriteSchema(&buf, tables, nil, "pulled in a test"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`{name: "status", type: "public.\"Leave Status\"", enum: ["Draft", "Pending", "Approved", "it's"], nullable: false}`,
		`{name: "sd", type: "public.status_d", base: "public.\"Leave Status\"", enum: ["Draft", "Pending", "Approved", "it's"], nullable: true}`,
		`{name: "email", type: "auth.email", base: "citext", nullable: true}`,
		`{name: "tags", type: "text[]", nullable: true}`,
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the schema file lacks %s:\n%s", want, buf.String())
		}
	}
	warnings := strings.Join(introspect.Warnings(tables), "\n")
	for _, want := range []string{"public.leaves.window_: type interval hour to minute", "public.leaves.span: type int4range", "public.leaves.amounts: type numeric[]"} {
		if !strings.Contains(warnings, want) {
			t.Errorf("warnings lack %q:\n%s", want, warnings)
		}
	}
	for _, want := range []string{
		"public.leaves.window_: type interval hour to minute: Warden decides only _is_null on it; a rule comparing it otherwise will not load",
		"public.leaves.span: type int4range: Warden decides only _is_null on it; _eq _neq _gt _lt _gte _lte _in _nin are left to the database",
	} {
		if !strings.Contains(warnings, want) {
			t.Errorf("warnings lack %q:\n%s", want, warnings)
		}
	}
	if n := strings.Count(warnings, "\n") + 1; n != 3 {
		t.Errorf("%d warnings, want 3:\n%s", n, warnings)
	}
	if strings.Contains(warnings, "status") || strings.Contains(warnings, "email") || strings.Contains(warnings, "tags") || strings.Contains(warnings, ".ip") ||
		strings.Contains(warnings, "ttl") || strings.Contains(warnings, "opens") || strings.Contains(warnings, "price") {
		t.Errorf("warnings about usable columns:\n%s", warnings)
	}

	dir := t.TempDir()
	meta := `{"version": 3, "sources": [{"name": "default", "kind": "postgres", "tables": [{"table": {"schema": "public", "name": "leaves"},
		"select_permissions": [{"role": "user", "permission": {"columns": ["id"], "filter": {"_and": [
			{"status": {"_gt": "Draft"}}, {"sd": {"_in": ["Pending", "it's"]}}, {"email": {"_eq": "X-Hasura-Email"}}, {"tags": {"_eq": ["a", "b c"]}}, {"ip": {"_eq": "X-Hasura-Ip"}}, {"ttl": {"_gt": "1 day"}},
			{"opens": {"_lt": "12:00+01"}}, {"price": {"_lte": "$1,000"}}, {"window_": {"_is_null": false}}]}}}]}]}]}`
	if err := os.WriteFile(filepath.Join(dir, "metadata.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "schema.yaml"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := load.Dir(ctx, dir)
	if err != nil {
		t.Fatalf("rules on the pulled columns do not load:\n%v\n%s", err, buf.String())
	}
	leaves := p.Tables[names[0]]
	status, _ := leaves.Column("status")
	email, _ := leaves.Column("email")
	if status.Type.Enum == nil || status.Type.Enum.String() != "public.Leave Status" || !email.Type.Fold {
		t.Errorf("status %+v, email %+v: want an enum and a citext domain", status.Type, email.Type)
	}
	// A label that is not one of the type's is a problem: the permission
	// is left out as inconsistent, naming the label.
	bad := strings.Replace(meta, `"_gt": "Draft"`, `"_gt": "draft"`, 1)
	if err := os.WriteFile(filepath.Join(dir, "metadata.json"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err = load.Dir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	inc, ok := p.Tables[names[0]].Inconsistent[model.OpSelect]["user"]
	if !ok || !strings.Contains(strings.Join(inc.Reasons, "\n"), `"draft" is not a label`) {
		t.Errorf("inconsistency %+v, want the select permission left out naming the label", inc)
	}
}

// TestPullComputedFieldFunctions pulls the functions the metadata's computed
// fields call from PostgreSQL (a scalar, an enum result, a SETOF table, one
// that returns a single row, and one the database lacks): the schema file
// records what each returns, and the metadata loads with the scalar fields
// decidable and the others left out as inconsistent, never guessed.
func TestPullComputedFieldFunctions(t *testing.T) {
	db, d := scratchPostgres(t)
	execAll(t, db, `
		CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
		CREATE TABLE public.authors (id integer PRIMARY KEY, first text, last text);
		CREATE TABLE public.books (id integer PRIMARY KEY, author_id integer REFERENCES public.authors (id));
		CREATE FUNCTION public.full_name(a public.authors) RETURNS text LANGUAGE sql STABLE AS 'SELECT a.first || '' '' || a.last';
		CREATE FUNCTION public.mood_of(a public.authors) RETURNS public.mood LANGUAGE sql STABLE AS 'SELECT ''ok''::public.mood';
		CREATE FUNCTION public.books_of(a public.authors) RETURNS SETOF public.books LANGUAGE sql STABLE AS 'SELECT * FROM public.books WHERE author_id = a.id';
		CREATE FUNCTION public.first_book(a public.authors) RETURNS public.books LANGUAGE sql STABLE AS 'SELECT * FROM public.books LIMIT 1';
		CREATE FUNCTION public.tag_list(a public.authors, hasura_session json) RETURNS SETOF text LANGUAGE sql STABLE AS 'SELECT a.first'`)
	dir := t.TempDir()
	meta := `{"version": 3, "sources": [{"name": "default", "kind": "postgres", "configuration": {}, "tables": [
		{"table": {"schema": "public", "name": "books"}},
		{"table": {"schema": "public", "name": "authors"},
		 "computed_fields": [
			{"name": "full_name", "definition": {"function": {"schema": "public", "name": "full_name"}}},
			{"name": "mood", "definition": {"function": {"schema": "public", "name": "mood_of"}}},
			{"name": "books", "definition": {"function": {"schema": "public", "name": "books_of"}}},
			{"name": "first_book", "definition": {"function": {"schema": "public", "name": "first_book"}}},
			{"name": "gone", "definition": {"function": {"schema": "public", "name": "gone"}}},
			{"name": "tags", "definition": {"function": {"schema": "public", "name": "tag_list"}, "table_argument": "a", "session_argument": "hasura_session"}}],
		 "select_permissions": [
			{"role": "user", "permission": {"columns": ["id"], "computed_fields": ["full_name", "mood"],
			 "filter": {"full_name": {"_ilike": "%ann%"}, "mood": {"_gt": "sad"}}}},
			{"role": "fan", "permission": {"columns": ["id"], "filter": {"gone": {"_eq": 1}}}}]}]}]}`
	if err := os.WriteFile(filepath.Join(dir, "metadata.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tables, functions, err := load.TrackedFS(ctx, os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(functions) != 6 {
		t.Fatalf("tracked functions %v, want the 6 computed fields call", functions)
	}
	pulled, _, err := introspect.Tables(ctx, db, d, tables)
	if err != nil {
		t.Fatal(err)
	}
	fns, warnings, err := introspect.Functions(ctx, db, d, functions)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := introspect.WriteSchema(&buf, pulled, fns, "pulled in a test"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`- {name: {schema: "public", name: "full_name"}, returns: "text"}`,
		`- {name: {schema: "public", name: "mood_of"}, returns: "public.mood", enum: ["sad", "ok", "happy"]}`,
		`- {name: {schema: "public", name: "books_of"}, setof: {schema: "public", name: "books"}}`,
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the schema file lacks %s:\n%s", want, buf.String())
		}
	}
	w := strings.Join(warnings, "\n")
	// A set of scalars is named as such (it was called "one composite row").
	if !strings.Contains(w, "function public.first_book: returns one composite row (books)") || !strings.Contains(w, "function public.gone: not in the database") ||
		!strings.Contains(w, "function public.tag_list: returns a set of scalars (SETOF text), which Warden does not read") {
		t.Errorf("warnings:\n%s", w)
	}
	if err := os.WriteFile(filepath.Join(dir, "schema.yaml"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := load.Dir(ctx, dir)
	if err != nil {
		t.Fatalf("load with the pulled schema: %v", err)
	}
	authors := p.Tables[model.TableName{Schema: "public", Name: "authors"}]
	if _, ok := authors.Permission(model.OpSelect, "user"); !ok {
		t.Errorf("the user permission on full_name and mood did not load: %v", p.Inconsistent)
	}
	var bad []string
	for _, i := range p.Inconsistent {
		bad = append(bad, i.String())
	}
	want := []string{"computed field first_book of public.authors", "computed field gone of public.authors", "computed field tags of public.authors", "select permission of role fan on public.authors"}
	if !slices.Equal(bad, want) {
		t.Errorf("inconsistent %q, want %q", bad, want)
	}
}

// TestPullTrackedFunctions pulls the functions a source tracks (the v3
// directory's databases/<source>/functions/, one file per function), not
// only those computed fields call: before, schema pull wrote none of them
// and every tracked function loaded undecided ("the schema file does not
// declare the table it returns") although the database says which table
// it returns.
func TestPullTrackedFunctions(t *testing.T) {
	db, d := scratchPostgres(t)
	execAll(t, db, `
		CREATE TABLE public.course_index (id integer PRIMARY KEY, code text, doc tsvector);
		CREATE FUNCTION public.find_courses(query text, open_only boolean) RETURNS SETOF public.course_index
			LANGUAGE sql STABLE AS 'SELECT * FROM public.course_index WHERE code LIKE query'`)
	dir := t.TempDir()
	files := map[string]string{
		"version.yaml":                                         "version: 3\n",
		"databases/databases.yaml":                             "- name: default\n  kind: postgres\n  configuration: {}\n  tables: \"!include default/tables/tables.yaml\"\n  functions: \"!include default/functions/functions.yaml\"\n",
		"databases/default/tables/tables.yaml":                 "- \"!include public_course_index.yaml\"\n",
		"databases/default/tables/public_course_index.yaml":    "table:\n  name: course_index\n  schema: public\nselect_permissions:\n  - role: anonymous\n    permission:\n      columns: [id, code]\n      filter: {}\n",
		"databases/default/functions/functions.yaml":           "- \"!include public_find_courses.yaml\"\n",
		"databases/default/functions/public_find_courses.yaml": "function:\n  name: find_courses\n  schema: public\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	tables, functions, err := load.TrackedFS(ctx, os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if want := (model.TableName{Schema: "public", Name: "find_courses"}); len(functions) != 1 || functions[0] != want {
		t.Fatalf("functions to pull %v, want [%s]", functions, want)
	}
	pulled, _, err := introspect.Tables(ctx, db, d, tables)
	if err != nil {
		t.Fatal(err)
	}
	fns, warnings, err := introspect.Functions(ctx, db, d, functions)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("pull functions: %v %v", err, warnings)
	}
	var buf bytes.Buffer
	if err := introspect.WriteSchema(&buf, pulled, fns, "pulled in a test"); err != nil {
		t.Fatal(err)
	}
	if want := `- {name: {schema: "public", name: "find_courses"}, setof: {schema: "public", name: "course_index"}}`; !strings.Contains(buf.String(), want) {
		t.Fatalf("the schema file lacks %s:\n%s", want, buf.String())
	}
	if err := os.WriteFile(filepath.Join(dir, "schema.yaml"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := load.Dir(ctx, dir)
	if err != nil {
		t.Fatalf("load with the pulled schema: %v", err)
	}
	f := p.GraphQL.FunctionsByName[model.TableName{Schema: "public", Name: "find_courses"}]
	if f == nil || f.Returns != (model.TableName{Schema: "public", Name: "course_index"}) {
		t.Errorf("tracked function find_courses = %+v, want it decided over public.course_index (notes: %v)", f, p.Notes)
	}
}
