package rls_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/wardenpdp/warden/policy/difftest"
	"github.com/wardenpdp/warden/policy/engine"
	"github.com/wardenpdp/warden/policy/model"
	"github.com/wardenpdp/warden/policy/rls"
	"github.com/wardenpdp/warden/policy/sqlgen"
)

// The fourth leg of the differential property: under the generated
// row-level security, as the mapped database role with the session set
// (SET LOCAL via set_config), a row is visible, deletable, updatable or
// insertable exactly when Check allows it, and an insert or update that
// both allow stores the presets Check reports. Each row is tried alone:
// the other rows of its table are deleted first (as the superuser, in the
// same transaction, rolled back after), so that an UPDATE or DELETE need
// not read the row, which would apply the select policy too. Check is
// given the same rows: its own table's as the statement sees them (the
// row alone; none for an insert), the others' as stored, and the row's
// relationships nested from them.

// openPG connects to PostgreSQL, skipping the test without it (failing it
// under CI=true).
func openPG(ctx context.Context, t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", difftest.PostgresDSN)
	if err == nil {
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err = db.PingContext(pctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable (%v): the row-level security leg needs it at 127.0.0.1:5432", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// runID names this run's schemas and roles: roles are cluster-wide, and
// other runs share the server.
func runID() string { return fmt.Sprintf("%d_%d", os.Getpid(), time.Now().UnixNano()%1_000_000_000) }

// createRoles creates a database role per Hasura role of p, dropped (with
// every privilege they hold) when the test ends.
func createRoles(ctx context.Context, t *testing.T, db *sql.DB, p *model.Policy, run, schema string) map[string]string {
	t.Helper()
	roles := map[string]string{}
	for _, r := range rls.Roles(p) {
		name := "wrls_" + run + "_" + r
		if _, err := db.ExecContext(ctx, `CREATE ROLE "`+name+`" NOLOGIN`); err != nil {
			t.Fatalf("create role %s: %v", name, err)
		}
		t.Cleanup(func() {
			c := context.WithoutCancel(ctx)
			if _, err := db.ExecContext(c, `DROP OWNED BY "`+name+`"`); err != nil {
				t.Errorf("drop owned by %s: %v", name, err)
			}
			if _, err := db.ExecContext(c, `DROP ROLE "`+name+`"`); err != nil {
				t.Errorf("drop role %s: %v", name, err)
			}
		})
		if _, err := db.ExecContext(ctx, `GRANT USAGE ON SCHEMA "`+schema+`" TO "`+name+`"`); err != nil {
			t.Fatal(err)
		}
		roles[r] = name
	}
	return roles
}

// leg compares Check with row-level security for one policy set loaded
// into schema.
type leg struct {
	db      *sql.DB
	set     *engine.Set
	schema  string
	roles   map[string]string
	script  *rls.Script
	refused map[string]bool // table/op/role
	// rows are every table's rows, for Check's view (see view).
	rows map[model.TableName][]map[string]any
	// claimsPath is where the session goes in the setting's json.
	claimsPath []string
	// counts of agreeing outcomes, allowed and denied, per operation;
	// presets counts the preset columns found stored as Check reports
	// them, undecided the inserts Check could not decide (its check
	// reads a column the insert does not state).
	allowed, denied    map[model.Operation]int
	presets, undecided int
	// backendOnly: the request asks for backend_only permissions
	// (Check's Session.BackendOnly; the backend-only setting 'true').
	backendOnly bool
	// withSession, when set, gives every table's rows with the values of
	// computed fields that take the session, for the role and session
	// (difftest.Limits.SessionComputed): Check reads computed fields from
	// the rows, as the caller computed them.
	withSession func(ctx context.Context, role string, vars map[string]string) map[model.TableName][]map[string]any
}

// backendOnlySetting is the legs' rls.Options.BackendOnlySetting.
const backendOnlySetting = "wtest.backend_only"

func newLeg(ctx context.Context, t *testing.T, db *sql.DB, set *engine.Set, schema string, roles map[string]string, claimsPath []string) *leg {
	t.Helper()
	s, err := rls.Generate(set, rls.Options{Roles: roles, Schemas: map[string]string{"public": schema}, FunctionSchema: schema, ClaimsPath: claimsPath,
		BackendOnlySetting: backendOnlySetting})
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	l := &leg{db: db, set: set, schema: schema, roles: roles, script: s, refused: map[string]bool{}, claimsPath: claimsPath,
		allowed: map[model.Operation]int{}, denied: map[model.Operation]int{}}
	for _, e := range s.Refused {
		var re *rls.RefusedError
		if !errors.As(e, &re) {
			t.Fatalf("refusal %v is not a *RefusedError", e)
		}
		l.refused[fmt.Sprintf("%s/%s/%s", re.Table, re.Op, re.Role)] = true
	}
	// Twice: a re-run replaces what the first created.
	for i := range 2 {
		if _, err := db.ExecContext(ctx, s.Apply); err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Position > 0 && int(pe.Position) <= len(s.Apply) {
				err = fmt.Errorf("%w, at: %.200s", err, s.Apply[pe.Position-1:])
			}
			t.Fatalf("apply the script (run %d): %v\n%s", i+1, err, s.Apply)
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_policies WHERE schemaname = $1`, schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := strings.Count(s.Apply, "CREATE POLICY "); n != want {
		t.Fatalf("%d policies in %s after two runs, want the script's %d", n, schema, want)
	}
	// The session and list readers, the helpers and the preset
	// triggers' functions.
	want := [2]int{strings.Count(s.Apply, "CREATE OR REPLACE FUNCTION ") + strings.Count(s.Apply, "CREATE FUNCTION "), strings.Count(s.Apply, "CREATE TRIGGER ")}
	if got := l.objects(ctx, t); got != want {
		t.Fatalf("(functions, triggers) in %s after two runs: %v, want the script's %v", schema, got, want)
	}
	return l
}

// objects counts the functions named warden_* in the leg's schema and
// the preset triggers on its tables.
func (l *leg) objects(ctx context.Context, t *testing.T) (n [2]int) {
	t.Helper()
	if err := l.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM pg_proc WHERE pronamespace = to_regnamespace($1) AND left(proname, 7) = 'warden_'),
		(SELECT count(*) FROM pg_trigger AS g JOIN pg_class AS c ON c.oid = g.tgrelid WHERE c.relnamespace = to_regnamespace($1) AND g.tgname = 'warden_presets')`,
		qi(l.schema)).Scan(&n[0], &n[1]); err != nil {
		t.Fatal(err)
	}
	return n
}

// qi quotes an identifier; the generated cases' names are not all plain.
func qi(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// rowText reads a row's columns as text, by id.
func (l *leg) rowText(ctx context.Context, tx *sql.Tx, ref string, cols []string, id any) ([]sql.NullString, error) {
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = qi(c) + `::text`
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	err := tx.QueryRowContext(ctx, `SELECT `+strings.Join(sel, ", ")+` FROM `+ref+` WHERE "id"::text = $1`, fmt.Sprint(id)).Scan(ptrs...)
	return vals, err
}

// columnTypes returns each column's SQL type, for casts of its text.
func (l *leg) columnTypes(ctx context.Context, tx *sql.Tx, table string, cols []string) ([]string, error) {
	out := make([]string, len(cols))
	for i, c := range cols {
		if err := tx.QueryRowContext(ctx, `SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2`,
			qi(l.schema)+"."+qi(table), c).Scan(&out[i]); err != nil {
			return nil, fmt.Errorf("type of %s.%s: %w", table, c, err)
		}
	}
	return out, nil
}

// underRLS says whether the operation on the row succeeds as the role's
// database role with the session set. A refusal by privileges or
// row-level security (42501) or a session value the cast rejects (class
// 22) is false; any other error is the test's.
func (l *leg) underRLS(ctx context.Context, tb *model.Table, op model.Operation, role string, vars map[string]string, id any, w writing) (bool, error) {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	// A TimeZone other than UTC, so that a timestamptz read in the
	// session's zone (not as Check reads it, without an offset as UTC)
	// shows. The row is read and written back in it alike.
	if _, err := tx.ExecContext(ctx, `SET LOCAL TimeZone = 'America/St_Johns'`); err != nil {
		return false, err
	}
	ref := qi(l.schema) + "." + qi(tb.Name.Name)
	cols := tb.ColumnNames()
	slices.Sort(cols)
	vals, err := l.rowText(ctx, tx, ref, cols, id)
	if err != nil {
		return false, fmt.Errorf("read row %v: %w", id, err)
	}
	types, err := l.columnTypes(ctx, tx, tb.Name.Name, cols)
	if err != nil {
		return false, err
	}
	keep := `DELETE FROM ` + ref + ` WHERE "id"::text <> $1`
	if op == model.OpInsert {
		keep = `DELETE FROM ` + ref + ` WHERE $1::text IS NOT NULL`
	}
	if _, err := tx.ExecContext(ctx, keep, fmt.Sprint(id)); err != nil {
		return false, fmt.Errorf("%s: %w", keep, err)
	}
	var claims any = vars
	for i := len(l.claimsPath) - 1; i >= 0; i-- {
		claims = map[string]any{l.claimsPath[i]: claims}
	}
	js, err := json.Marshal(claims)
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `SET LOCAL ROLE "`+l.roles[role]+`"`); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `SELECT set_config('`+rls.DefaultSetting+`', $1, true)`, string(js)); err != nil {
		return false, err
	}
	if l.backendOnly {
		if _, err := tx.ExecContext(ctx, `SELECT set_config('`+backendOnlySetting+`', 'true', true)`); err != nil {
			return false, err
		}
	}
	var args []any
	var q string
	switch op {
	case model.OpSelect:
		q = `SELECT count(*) FROM ` + ref
	case model.OpDelete:
		q = `DELETE FROM ` + ref
	case model.OpUpdate, model.OpInsert:
		// The columns written (see writing), to the value they have: the
		// new row is the old one.
		var names, exprs []string
		for i, c := range cols {
			if !w.writes(c) {
				continue
			}
			args = append(args, vals[i])
			names = append(names, qi(c))
			exprs = append(exprs, fmt.Sprintf("$%d::text::%s", len(args), types[i]))
		}
		if op == model.OpInsert {
			q = `INSERT INTO ` + ref + ` (` + strings.Join(names, ", ") + `) VALUES (` + strings.Join(exprs, ", ") + `)`
			break
		}
		if len(names) == 0 {
			return false, nil
		}
		sets := make([]string, len(names))
		for i := range names {
			sets[i] = names[i] + " = " + exprs[i]
		}
		q = `UPDATE ` + ref + ` SET ` + strings.Join(sets, ", ")
	}
	var n int64
	if op == model.OpSelect {
		err = tx.QueryRowContext(ctx, q).Scan(&n)
	} else {
		var res sql.Result
		if res, err = tx.ExecContext(ctx, q, args...); err == nil {
			n, err = res.RowsAffected()
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "42501" || strings.HasPrefix(pe.Code, "22")) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", q, err)
	}
	if n == 1 && len(w.presets) > 0 {
		// The stored row holds the presets Check applied.
		if _, err := tx.ExecContext(ctx, `RESET ROLE`); err != nil {
			return false, err
		}
		for _, c := range slices.Sorted(maps.Keys(w.presets)) {
			ty, err := l.columnTypes(ctx, tx, tb.Name.Name, []string{c})
			if err != nil {
				return false, err
			}
			want := w.presets[c]
			var same bool
			// The row is the table's only one (an insert may not state
			// its id).
			var got sql.NullString
			if err := tx.QueryRowContext(ctx, `SELECT `+qi(c)+` IS NOT DISTINCT FROM $1::text::`+ty[0]+`, `+qi(c)+`::text FROM `+ref,
				want).Scan(&same, &got); err != nil {
				return false, fmt.Errorf("read preset %s: %w", c, err)
			}
			if !same {
				return false, fmt.Errorf("%s stored %v after the %s, Check's preset is %v", c, got, op, want)
			}
			l.presets++
		}
	}
	return n == 1, nil
}

// writing says which columns an insert or update states, and the presets
// the written row must hold.
type writing struct {
	cols    []string // nil: every column
	presets map[string]sql.NullString
}

func (w writing) writes(c string) bool { return w.cols == nil || slices.Contains(w.cols, c) }

// view is what Check is given for a row: the row with its relationships
// nested, and every table's rows, its own table's as the statement sees
// them (the row alone, or none before an insert).
func (l *leg) view(tb *model.Table, op model.Operation, row map[string]any) (map[string]any, map[model.TableName][]map[string]any) {
	tables := maps.Clone(l.rows)
	tables[tb.Name] = []map[string]any{row}
	if op == model.OpInsert {
		tables[tb.Name] = nil
	}
	c := &difftest.Case{Policy: l.set.Policy(), Rows: tables}
	return c.Nested(tb, row, difftest.DefaultLimits.Depth), tables
}

// presetText is a preset's value as text, for a cast to its column's type.
func presetText(v any) sql.NullString {
	switch x := v.(type) {
	case nil:
		return sql.NullString{}
	case string:
		return sql.NullString{String: x, Valid: true}
	case json.Number:
		return sql.NullString{String: x.String(), Valid: true}
	case bool:
		return sql.NullString{String: fmt.Sprint(x), Valid: true}
	}
	js, _ := json.Marshal(v)
	return sql.NullString{String: string(js), Valid: true}
}

// byCheck says whether Check allows the operation on the row, writing
// the columns w states, and the presets Check applies. A Check error (a
// missing or malformed session variable) allows nothing; undecided is
// an insert's NEEDS_DATA.
func (l *leg) byCheck(ctx context.Context, tb *model.Table, op model.Operation, role string, vars map[string]string, row map[string]any, w writing) (ok, undecided bool, presets map[string]sql.NullString, err error) {
	nested, tables := l.view(tb, op, row)
	in := engine.CheckInput{Session: engine.Session{Role: role, Vars: vars, BackendOnly: l.backendOnly}, Table: tb.Name, Op: op, Tables: tables}
	r := engine.Row{ID: "r", Values: nested}
	switch op {
	case model.OpUpdate:
		r.New = maps.Clone(nested)
		in.Columns = w.cols
	case model.OpInsert:
		// A relationship over a preset column is the row's as the
		// preset leaves it, not as given: left for Check to read from
		// the tables (or to answer NEEDS_DATA).
		var set map[string]model.Value
		if perm := tb.Permissions[op][role]; perm != nil {
			set = perm.Set
		}
		values := map[string]any{}
		for k, v := range nested {
			if _, col := tb.Column(k); col && !w.writes(k) {
				continue
			}
			if rel, ok := tb.Relationships[k]; ok && slices.ContainsFunc(rel.Mapping, func(m model.ColumnPair) bool { _, p := set[m.Local]; return p }) {
				continue
			}
			values[k] = v
		}
		r.Values = values
		in.Columns = w.cols
		if w.cols == nil {
			in.Columns = tb.ColumnNames()
		}
	}
	in.Rows = []engine.Row{r}
	res, err := l.set.Check(ctx, in)
	if err != nil {
		if errors.Is(err, engine.ErrMissingSessionVariables) || errors.Is(err, engine.ErrInvalidValue) {
			return false, false, nil, nil
		}
		return false, false, nil, err
	}
	d := res.Rows[0]
	if d.Decision == engine.NeedsData && op == model.OpInsert {
		return false, true, nil, nil
	}
	if d.Decision == engine.NeedsData {
		return false, false, nil, fmt.Errorf("NEEDS_DATA %v: the view lacks data (%s)", d.MissingData, d.Reason)
	}
	ok = d.Decision == engine.Allow && len(d.DeniedColumns) == 0
	if ok && len(res.Presets) > 0 {
		presets = map[string]sql.NullString{}
		for c, v := range res.Presets {
			presets[c] = presetText(v)
		}
	}
	return ok, false, presets, nil
}

// writings are the ways the test writes a row for op: select and delete
// write nothing; an insert states every column (what the permission may
// not write refuses it), and, where that differs, only the columns the
// permission lets it write, presets left out, as Hasura writes; an update
// sets the columns the permission lets it write, presets left out.
func writings(tb *model.Table, op model.Operation, perm *model.Permission, idDefault bool) []writing {
	if op != model.OpInsert && op != model.OpUpdate {
		return []writing{{}}
	}
	var own []string
	if perm != nil {
		for _, c := range perm.Columns {
			if _, preset := perm.Set[c]; !preset {
				own = append(own, c)
			}
		}
	}
	if op == model.OpUpdate {
		if perm == nil {
			return []writing{{cols: tb.ColumnNames()}}
		}
		return []writing{{cols: own}}
	}
	out := []writing{{}}
	if perm != nil && len(own) < len(tb.Columns) && (idDefault || slices.Contains(own, "id")) {
		out = append(out, writing{cols: own})
	}
	return out
}

// compare runs both sides for every role with a permission of op on the
// table (refused ones included: they must deny), session and row.
func (l *leg) compare(ctx context.Context, t *testing.T, tb *model.Table, op model.Operation, role string, sessions []map[string]string, rows []map[string]any) {
	t.Helper()
	key := fmt.Sprintf("%s/%s/%s", tb.Name, op, role)
	var idDefault bool
	if err := l.db.QueryRowContext(ctx, `SELECT count(*) > 0 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = 'id' AND (column_default IS NOT NULL OR is_identity = 'YES')`,
		l.schema, tb.Name.Name).Scan(&idDefault); err != nil {
		t.Fatal(err)
	}
	for _, w := range writings(tb, op, tb.Permissions[op][role], idDefault) {
		for _, vars := range sessions {
			rows := rows
			if l.withSession != nil {
				l.rows = l.withSession(ctx, role, vars)
				rows = l.rows[tb.Name]
			}
			for _, row := range rows {
				want, undecided, presets, err := l.byCheck(ctx, tb, op, role, vars, row, w)
				if err != nil {
					t.Fatalf("%s session %v row %v Check: %v", key, vars, row["id"], err)
				}
				if undecided {
					l.undecided++
					continue
				}
				if l.refused[key] {
					want, presets = false, nil
				}
				w.presets = presets
				got, err := l.underRLS(ctx, tb, op, role, vars, row["id"], w)
				if err != nil {
					t.Fatalf("%s session %v row %v writing %v: %v\n%s", key, vars, row["id"], w.cols, err, policyText(l.script.Apply, role, op, tb.Name.Name))
				}
				if got != want {
					t.Errorf("%s session %v row %v writing %v: row-level security %v, Check %v (refused %v)\n%s",
						key, vars, row, w.cols, got, want, l.refused[key], policyText(l.script.Apply, role, op, tb.Name.Name))
				}
				if got {
					l.allowed[op]++
				} else {
					l.denied[op]++
				}
			}
		}
	}
}

// policyText finds a permission's policy in the script, for messages.
func policyText(script, role string, op model.Operation, table string) string {
	for _, line := range strings.Split(script, "\n") {
		if strings.Contains(line, `"warden_`+role+`_`+op.String()+`" ON`) && strings.Contains(line, `"`+table+`"`) {
			return line
		}
	}
	return "(no policy)"
}

// TestGeneratedUnderRLS is the leg on difftest's generated policies, rows
// and sessions: the rules row-level security can express must agree with
// Check row by row; the refused ones must deny everything.
func TestGeneratedUnderRLS(t *testing.T) {
	ctx := context.Background()
	db := openPG(ctx, t)
	run := runID()
	pg, err := difftest.Open(ctx, sqlgen.Postgres, "rls"+run)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	total := map[model.Operation][2]int{}
	expressed, refused, others, presets, undecided, backendOnly, sessionFields := 0, 0, 0, 0, 0, 0, 0
	reasons := map[string]int{}
	// RLS_SEEDS=n runs seeds 1..n (16 by default); RLS_SEED=s only s.
	seeds := uint64(16)
	if n, err := strconv.ParseUint(os.Getenv("RLS_SEEDS"), 10, 64); err == nil {
		seeds = n
	}
	for seed := uint64(1); seed <= seeds; seed++ {
		if s := os.Getenv("RLS_SEED"); s != "" && s != fmt.Sprint(seed) {
			continue
		}
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			lim := difftest.DefaultLimits
			lim.BackendOnly = true
			lim.SessionComputed = true
			c := difftest.Generate(seed, lim)
			// The computed fields' functions, named for the run: they
			// live in public, where the metadata says.
			fns := map[model.TableName]string{}
			for _, tb := range c.Policy.Tables {
				if cf := tb.Computed["sess"]; cf != nil {
					cf.Computed.Function.Name = fmt.Sprintf("wgen_%s_%d_%s", run, seed, tb.Name.Name)
					fns[tb.Name] = cf.Computed.Function.Name
				}
			}
			st, err := pg.Load(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			set, err := engine.New(ctx, c.Policy)
			if err != nil {
				t.Fatal(err)
			}
			schema := st.Schemas["public"]
			sessionFunctions(ctx, t, db, schema, fns)
			roles := createRoles(ctx, t, db, c.Policy, fmt.Sprintf("%s_%d", run, seed), schema)
			l := newLeg(ctx, t, db, set, schema, roles, nil)
			l.rows = c.Rows
			// Helpers that pass the session to a computed field.
			sessionFields += strings.Count(l.script.Apply, `"hasura_session" => `)
			l.withSession = func(ctx context.Context, role string, vars map[string]string) map[model.TableName][]map[string]any {
				return withSessionFields(ctx, t, db, schema, fns, c.Rows, role, vars)
			}
			for _, e := range l.script.Refused {
				// The reason without the names of the case (the variable's
				// and the column's), which vary.
				reason := e.(*rls.RefusedError).Reason
				if head, why, ok := strings.Cut(reason, "cannot be rendered in SQL dialect postgres: "); ok {
					v, _, _ := strings.Cut(strings.TrimPrefix(head, "session variable "), " ")
					reason = v + ": " + why
				} else {
					reason, _, _ = strings.Cut(reason, ":")
				}
				reasons[reason]++
			}
			for _, r := range c.Rules {
				if l.refused[r.Key()] {
					refused++
				} else {
					expressed++
					if r.UsesExists || r.Depth > 0 {
						others++
					}
				}
				l.compare(ctx, t, c.Policy.Tables[r.Table], r.Op, r.Role, c.Sessions[r.Key()], c.Rows[r.Table])
				if r.Op != model.OpSelect {
					// Asking for backend_only permissions: those apply,
					// and so do the others.
					if c.Policy.Tables[r.Table].Permissions[r.Op][r.Role].BackendOnly {
						backendOnly++
					}
					l.backendOnly = true
					l.compare(ctx, t, c.Policy.Tables[r.Table], r.Op, r.Role, c.Sessions[r.Key()], c.Rows[r.Table])
					l.backendOnly = false
				}
			}
			for _, op := range model.Operations {
				n := total[op]
				total[op] = [2]int{n[0] + l.allowed[op], n[1] + l.denied[op]}
			}
			presets += l.presets
			undecided += l.undecided
		})
	}
	t.Logf("%d rules expressed (%d reading other tables), %d refused", expressed, others, refused)
	t.Logf("%d preset values stored as Check reports them; %d inserts Check could not decide", presets, undecided)
	t.Logf("%d backend_only rules, compared with and without the request asking for them", backendOnly)
	t.Logf("%d calls of computed fields that take the session, in the helpers", sessionFields)
	if !t.Failed() && sessionFields == 0 {
		t.Error("no computed field takes the session: the comparison shows nothing")
	}
	if !t.Failed() && backendOnly == 0 {
		t.Error("no backend_only rule: the comparison shows nothing")
	}
	if !t.Failed() && (others == 0 || presets == 0) {
		t.Errorf("%d expressed rules read other tables, %d presets compared: the new cases show nothing", others, presets)
	}
	for r, n := range reasons {
		t.Logf("refused %d times: %s", n, r)
	}
	for _, op := range model.Operations {
		t.Logf("%s: %d allowed, %d denied, in agreement", op, total[op][0], total[op][1])
		if !t.Failed() && (total[op][0] == 0 || total[op][1] == 0) {
			t.Errorf("%s: %d allowed, %d denied: the comparison shows nothing", op, total[op][0], total[op][1])
		}
	}
}

// sessionFunctions creates the generated computed fields' functions
// (difftest.Limits.SessionComputed), dropped when the test ends: the
// row's id and the session's json (its number of variables, the role's
// length, x-hasura-text's length), modulo 4, so that a value Filter would
// pass and one the policy passes differ where the objects differ.
func sessionFunctions(ctx context.Context, t *testing.T, db *sql.DB, schema string, fns map[model.TableName]string) {
	t.Helper()
	for tn, fn := range fns {
		sig := `public.` + qi(fn) + `(` + qi(schema) + `.` + qi(tn.Name) + `, json)`
		if _, err := db.ExecContext(ctx, `CREATE FUNCTION public.`+qi(fn)+`(r `+qi(schema)+`.`+qi(tn.Name)+`, hasura_session json) RETURNS bigint
			LANGUAGE sql STABLE AS $$ SELECT (r.id + (SELECT count(*) FROM json_object_keys(hasura_session))
				+ length(hasura_session->>'x-hasura-role') + coalesce(length(hasura_session->>'x-hasura-text'), 0)) % 4 $$`); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.ExecContext(context.WithoutCancel(ctx), `DROP FUNCTION IF EXISTS `+sig) })
	}
}

// withSessionFields gives the rows with each table's computed field
// "sess" as the caller computes it for the session: the function called
// with the json object Filter passes (sqlgen.Options.SessionVars and
// Role: names lower-cased, x-hasura-role the role).
func withSessionFields(ctx context.Context, t *testing.T, db *sql.DB, schema string, fns map[model.TableName]string, rows map[model.TableName][]map[string]any,
	role string, vars map[string]string) map[model.TableName][]map[string]any {
	t.Helper()
	obj := map[string]string{}
	for k, v := range vars {
		obj[strings.ToLower(k)] = v
	}
	obj["x-hasura-role"] = role
	js, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	out := map[model.TableName][]map[string]any{}
	for tn, rs := range rows {
		fn, ok := fns[tn]
		if !ok {
			out[tn] = rs
			continue
		}
		vals := map[string]json.Number{}
		q, err := db.QueryContext(ctx, `SELECT r."id"::text, public.`+qi(fn)+`(r, $1::json)::text FROM `+qi(schema)+`.`+qi(tn.Name)+` AS r`, string(js))
		if err != nil {
			t.Fatal(err)
		}
		for q.Next() {
			var id, v string
			if err := q.Scan(&id, &v); err != nil {
				t.Fatal(err)
			}
			vals[id] = json.Number(v)
		}
		if err := q.Close(); err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			r = maps.Clone(r)
			v, ok := vals[fmt.Sprint(r["id"])]
			if !ok {
				t.Fatalf("%s row %v: not in the database", tn, r["id"])
			}
			r["sess"] = v
			out[tn] = append(out[tn], r)
		}
	}
	return out
}
