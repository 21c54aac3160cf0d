package examples_test

import (
	"context"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/examples"
	"github.com/wardenpdp/warden/policy/load"
	"github.com/wardenpdp/warden/policy/model"
)

func loadBlog(t *testing.T) *model.Policy {
	t.Helper()
	p, err := load.FS(context.Background(), examples.Blog(), "embedded:blog")
	if err != nil {
		t.Fatalf("the blog example does not load:\n%v", err)
	}
	return p
}

func TestBlogLoads(t *testing.T) {
	p := loadBlog(t)
	if want := []string{"anonymous", "author_editor", "editor", "user"}; !slices.Equal(p.Roles, want) {
		t.Errorf("roles %v, want %v", p.Roles, want)
	}
	var names []string
	for _, tb := range p.SortedTables() {
		names = append(names, tb.Name.String())
	}
	if want := []string{"public.articles", "public.comments", "public.organisations", "public.users"}; !slices.Equal(names, want) {
		t.Errorf("tables %v, want %v", names, want)
	}
	// The anonymous rule the server's end-to-end tests rely on.
	articles, _ := p.Table(model.TableName{Schema: "public", Name: "articles"})
	anon, ok := articles.Permission(model.OpSelect, "anonymous")
	if !ok {
		t.Fatal("no anonymous select on articles")
	}
	cmp, ok := anon.Filter.(model.Compare)
	if !ok || cmp.Column.Name != "published" || cmp.Op != model.OpEq || cmp.Value != (model.Literal{V: true}) {
		t.Errorf("anonymous filter %#v", anon.Filter)
	}
	if !slices.Equal(anon.Columns, []string{"created_at", "id", "title"}) {
		t.Errorf("anonymous columns %v", anon.Columns)
	}
	if _, err := fs.Stat(examples.Blog(), "databases/databases.yaml"); err != nil {
		t.Errorf("the FS root is not the blog directory: %v", err)
	}
}

var (
	createRE = regexp.MustCompile(`(?s)CREATE TABLE (\w+) \((.*?)\n\);`)
	insertRE = regexp.MustCompile(`(?s)INSERT INTO (\w+) \(([^)]*)\)\s*VALUES \((.*?)\);`)
)

// TestSchemaSQL checks that schema.sql creates the tables of schema.yaml,
// with the same columns, NOT NULL where they are not nullable, and the same
// foreign keys.
func TestSchemaSQL(t *testing.T) {
	p := loadBlog(t)
	sql, err := fs.ReadFile(examples.Blog(), "schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, m := range createRE.FindAllStringSubmatch(string(sql), -1) {
		tb, ok := p.Table(model.TableName{Schema: "public", Name: m[1]})
		if !ok {
			t.Errorf("schema.sql creates %s, which schema.yaml lacks", m[1])
			continue
		}
		seen++
		var cols, fks []string
		for _, line := range strings.Split(m[2], "\n") {
			line = strings.TrimSuffix(strings.TrimSpace(line), ",")
			switch {
			case line == "":
			case strings.HasPrefix(line, "FOREIGN KEY"):
				fks = append(fks, line)
			default:
				f := strings.Fields(line)
				c, ok := tb.Column(f[0])
				if !ok {
					t.Errorf("%s.%s is in schema.sql, not in schema.yaml", m[1], f[0])
					continue
				}
				cols = append(cols, f[0])
				if notNull := strings.Contains(line, "NOT NULL"); notNull == c.Nullable {
					t.Errorf("%s.%s: NOT NULL is %v in schema.sql but nullable is %v in schema.yaml", m[1], f[0], notNull, c.Nullable)
				}
				if pk := strings.Contains(line, "PRIMARY KEY"); pk != slices.Equal(tb.PrimaryKey, []string{f[0]}) {
					t.Errorf("%s.%s: primary key differs", m[1], f[0])
				}
			}
		}
		if !slices.Equal(cols, tb.ColumnNames()) {
			t.Errorf("%s columns %v in schema.sql, %v in schema.yaml", m[1], cols, tb.ColumnNames())
		}
		var want []string
		for _, fk := range tb.ForeignKeys {
			want = append(want, "FOREIGN KEY ("+strings.Join(fk.Columns, ", ")+") REFERENCES "+fk.RefTable.Name+" ("+strings.Join(fk.RefColumns, ", ")+")")
		}
		if !slices.Equal(fks, want) {
			t.Errorf("%s foreign keys %q in schema.sql, %q in schema.yaml", m[1], fks, want)
		}
	}
	if seen != len(p.Tables) {
		t.Errorf("schema.sql creates %d of the %d tables", seen, len(p.Tables))
	}
}

// TestSeedSQL checks that seed.sql inserts rows that fit the schema: known
// columns, NOT NULL respected, unique primary keys, foreign keys that point
// at rows inserted before, and a data set large enough for the examples.
func TestSeedSQL(t *testing.T) {
	p := loadBlog(t)
	sql, err := fs.ReadFile(examples.Blog(), "seed.sql")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]map[string]string{}
	for _, m := range insertRE.FindAllStringSubmatch(string(sql), -1) {
		tb, ok := p.Table(model.TableName{Schema: "public", Name: m[1]})
		if !ok {
			t.Fatalf("seed.sql inserts into unknown table %s", m[1])
		}
		cols := strings.Split(m[2], ", ")
		vals := splitValues(m[3])
		if len(cols) != len(vals) {
			t.Fatalf("%s: %d columns, %d values in %q", m[1], len(cols), len(vals), m[0])
		}
		row := map[string]string{}
		for i, c := range cols {
			col, ok := tb.Column(c)
			if !ok {
				t.Fatalf("%s: unknown column %s", m[1], c)
			}
			if vals[i] == "NULL" && !col.Nullable {
				t.Errorf("%s.%s is NOT NULL but seed.sql inserts NULL", m[1], c)
			}
			if vals[i] != "NULL" {
				if _, err := model.ParseText(col.Type.Kind, strings.Trim(vals[i], "'")); err != nil {
					t.Errorf("%s.%s: %v", m[1], c, err)
				}
			}
			row[c] = vals[i]
		}
		for _, r := range rows[m[1]] {
			if r["id"] == row["id"] {
				t.Errorf("%s: duplicate id %s", m[1], row["id"])
			}
		}
		for _, fk := range tb.ForeignKeys {
			found := false
			for _, r := range rows[fk.RefTable.Name] {
				found = found || r[fk.RefColumns[0]] == row[fk.Columns[0]]
			}
			if !found {
				t.Errorf("%s id %s: %s = %s has no %s row inserted before it", m[1], row["id"], fk.Columns[0], row[fk.Columns[0]], fk.RefTable)
			}
		}
		rows[m[1]] = append(rows[m[1]], row)
	}
	published := map[string]int{}
	for _, r := range rows["articles"] {
		published[r["published"]]++
	}
	if len(rows["organisations"]) < 2 || len(rows["users"]) < 4 || len(rows["articles"]) < 6 ||
		len(rows["comments"]) < 1 || published["TRUE"] == 0 || published["FALSE"] == 0 {
		t.Errorf("seed too small: %d organisations, %d users, %d articles (%v), %d comments",
			len(rows["organisations"]), len(rows["users"]), len(rows["articles"]), published, len(rows["comments"]))
	}
}

// splitValues splits a VALUES list on commas outside single quotes.
func splitValues(s string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted = !quoted
			cur.WriteRune(r)
		case r == ',' && !quoted:
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	return append(out, strings.TrimSpace(cur.String()))
}
