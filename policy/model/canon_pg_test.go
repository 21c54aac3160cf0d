package model_test

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"

	"github.com/wardenpdp/warden/policy/difftest"
	"github.com/wardenpdp/warden/policy/model"
)

// keyedInputs are inputs of the types compared by a key (interval, timetz,
// money): the forms Warden reads (must says it must read them) and forms
// it refuses, some of which PostgreSQL reads.
var keyedInputs = []struct {
	typ    model.Type
	must   []string
	others []string
}{
	{model.Type{Declared: "interval", Kind: model.KindText, Canon: model.CanonInterval, Cast: "interval"},
		[]string{"1 day", "24 hours", "1 day 02:00:00", "26:00:00", "1 mon", "30 days", "1 year", "12 mons", "360 days",
			"@ 1 day", "@ 1 day ago", "1 day ago", "-1 days", "1 day -01:00", "-1:00", "3 04:05:06", "1-2", "-1-2", "+1-2",
			"1-2 3", "3600", "1.5", "-1.5", "00:00:60.5", "1:2", "100:00:00", "1h30m", "1 h 30 m", "1 week", "7 days",
			"P1DT2H", "PT", "P1Y2M3W4DT5H6M7.5S", "P-1D", "PT1H", "PT0.000001S", "0.000001 s", "1 microseconds", "1 us",
			"1 s 3 ms", "1.5 ms", "1 decade", "1 c", "1 mil", "1 DAY", "1day", "+1 day", "0", "00:00:00",
			"-1 mons -2 days -3 microseconds", "1 mon -30 days", "2147483647 mons", "-2147483647 mons",
			"1 year 2 mons 3 days 04:05:06.789", "P1W1D",
			"2147483647 days", "-2147483647 days", "178956970 years 7 mons", "2562047788 hours", "P2147483647D"},
		[]string{"", "1 2 day", "1 day 1 day", "1 hour 01:00", "01:00 2", "1.5 days", "P1.5D", "p1d", "P", "P1D2H",
			"1 day hour", "- 1 day", "1e3 s", "1.2.3", "infinity", "00:60", "1 qtr", "1.5 s 3 ms", "1 us 1 usec",
			"ago 1 day", "1 microsecondsxyz", "0.0000005 s", "P0001-02-03T04:05:06", "1 day, 2 hours", "3 1-2",
			"10000000000000000000 s", "12:00:00.1234567", "3000000000 days", "1 week 2147483647 days", "200000000 years",
			"2562047789 hours", "P3000000000D", "2147483647 mons 1 day"}},
	{model.Type{Declared: "timetz", Kind: model.KindText, Canon: model.CanonTimetz, Cast: "time with time zone"},
		[]string{"12:00+01", "11:00+00", "12:00 +01", "12:00+0130", "12:00+01:30", "12:00+01:30:15", "12:00:00.5-05",
			"12:00Z", "12:00 UTC", "12:00 gmt", "12:00+15:59", "12:00-15:59:59", "24:00+01", "00:00-01", "12:00+1",
			"12:00+5:30", "23:59:59.999999+00", "10:00+02", "13:00+02"},
		[]string{"12:00", "12:00+16", "12:00+013015", "24:00:01+01", "12:00 PST", "12:00:00.1234567+00",
			"12:00+00:60", "12:00 Europe/Paris", "noon+01", "1:2+01"}},
	{model.Type{Declared: "inet", Kind: model.KindText, Canon: model.CanonInet, Cast: "inet"},
		[]string{"10.0.0.1", "10.0.0.1/32", "10.0.0.1/24", "10.0.0.0/24", "10.0.0.0/8", "10.0.0.2/8", "10.0.0.0/9", "10.128.0.0/9",
			"9.255.255.255", "11.0.0.0/7", "0.0.0.0/0", "255.255.255.255", "::1", "::1/64", "::/0", "::ffff:10.0.0.1",
			"2001:db8::1", "2001:DB8::/32", "2001:db8:8000::/33", "fe80::1/10"},
		[]string{"10.0.0", "10/8", "fe80::1%eth0", "10.0.0.1/33", "::1/129", "10.0.0.01", "abc", " 10.0.0.1 "}},
	{model.Type{Declared: "cidr", Kind: model.KindText, Canon: model.CanonCidr, Cast: "cidr"},
		[]string{"10.0.0.0/8", "10.0.0.0/9", "10.128.0.0/9", "10.0.0.0/24", "0.0.0.0/0", "10.0.0.1", "::/0", "2001:db8::/32", "2001:db8:8000::/33"},
		[]string{"10.0.0.1/8", "10/8", "10.1/16"}},
	{model.Type{Declared: "money", Kind: model.KindText, Canon: model.CanonMoney, Cast: "money"},
		[]string{"$1,234.56", "1234.56", "1234.567", "1234.565", "-1234.565", "(12.3)", "-$5", "$-5", "", "$", " 12 ",
			"1,2,3", "1.2,3", "12.", ".5", "12-", "+3", "92233720368547758.07", "-92233720368547758.08", "12.3)",
			"1.999", "-0.001", "- 5", "$ 5", "12.34 $", "0.005", "0", "-0.01", "0.01"},
		[]string{"1.234.5", "12 USD", "1e3", "92233720368547758.08", "abc", "1,234,56 €"}},
}

// TestKeyedTypesAgainstPostgres: every value Warden reads for interval,
// timetz and money, PostgreSQL reads too, as the value Warden's key
// stands for (the input equals the key's PostgreSQL text there); and
// the keys of all of them compare as PostgreSQL compares the values.
func TestKeyedTypesAgainstPostgres(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("pgx", difftest.PostgresDSN)
	if err == nil {
		err = db.PingContext(ctx)
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable: %v", err)
	}
	defer db.Close()
	// The money forms are lc_monetary C's; the interval forms
	// IntervalStyle postgres'.
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, set := range []string{"SET lc_monetary = 'C'", "SET IntervalStyle = 'postgres'"} {
		if _, err := conn.ExecContext(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range keyedInputs {
		t.Run(tc.typ.Declared, func(t *testing.T) {
			cast := tc.typ.Cast
			var keys, texts []string
			for _, in := range append(append([]string{}, tc.must...), tc.others...) {
				key, werr := model.CoerceColumn(tc.typ, in, false)
				var ok bool
				perr := conn.QueryRowContext(ctx, "SELECT $1::text::"+cast+" IS NOT NULL", in).Scan(&ok)
				if werr != nil {
					if contains(tc.must, in) {
						t.Errorf("%q: Warden refuses it: %v", in, werr)
					}
					continue
				}
				if perr != nil {
					t.Errorf("%q: Warden reads %v, PostgreSQL refuses it: %v", in, key, perr)
					continue
				}
				if !contains(tc.must, in) {
					t.Errorf("%q: Warden reads it (%v); list it in must", in, key)
				}
				pg, err := model.CanonPG(tc.typ, key)
				if err != nil {
					t.Errorf("%q: CanonPG(%v): %v", in, key, err)
					continue
				}
				var same bool
				if err := conn.QueryRowContext(ctx, "SELECT $1::text::"+cast+" = $2::text::"+cast, in, pg).Scan(&same); err != nil || !same {
					t.Errorf("%q: key %v, whose PostgreSQL text %q is not equal to it there (%v)", in, key, pg, err)
				}
				if again, err := model.CoerceColumn(tc.typ, key, false); err != nil || again != key {
					t.Errorf("%q: the key %v reads back as %v (%v)", in, key, again, err)
				}
				if again, err := model.CoerceColumn(tc.typ, pg, false); err != nil || again != key {
					t.Errorf("%q: the PostgreSQL text %q of key %v reads as %v (%v)", in, pg, key, again, err)
				}
				keys, texts = append(keys, key.(string)), append(texts, pg.(string))
			}
			rows, err := conn.QueryContext(ctx, `SELECT a.i, b.i, CASE WHEN a.v::`+cast+` < b.v::`+cast+` THEN -1 WHEN a.v::`+cast+` = b.v::`+cast+` THEN 0 ELSE 1 END
				FROM unnest($1::text[]) WITH ORDINALITY a(v, i), unnest($1::text[]) WITH ORDINALITY b(v, i)`, texts)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var i, j, want int
				if err := rows.Scan(&i, &j, &want); err != nil {
					t.Fatal(err)
				}
				n++
				if got := strings.Compare(keys[i-1], keys[j-1]); got != want {
					t.Errorf("%s vs %s: PostgreSQL compares %d, the keys %s and %s %d", texts[i-1], texts[j-1], want, keys[i-1], keys[j-1], got)
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if n != len(keys)*len(keys) || n == 0 {
				t.Fatalf("compared %d pairs of %d values", n, len(keys))
			}
		})
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// PGArrayText's literal is read by PostgreSQL's array input as exactly
// its elements: none split at a comma, trimmed, unescaped twice or read as
// NULL.
func TestPGArrayTextAgainstPostgres(t *testing.T) {
	elems := []string{"a", "b,c", ` d `, `e"f`, `g\h`, "NULL", "", "{i}", "*.j|k@"}
	if got, want := model.PGArrayText(elems[:2]), `{"a","b,c"}`; got != want {
		t.Errorf("PGArrayText: %s, want %s", got, want)
	}
	db, err := sql.Open("pgx", difftest.PostgresDSN)
	if err == nil {
		err = db.PingContext(context.Background())
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable: %v", err)
	}
	defer db.Close()
	var n int
	var nulls bool
	if err := db.QueryRow("SELECT cardinality($1::text::text[]), array_position($1::text::text[], NULL) IS NOT NULL", model.PGArrayText(elems)).Scan(&n, &nulls); err != nil {
		t.Fatal(err)
	}
	if n != len(elems) || nulls {
		t.Fatalf("%d elements (NULL among them: %v), want %d", n, nulls, len(elems))
	}
	for i, e := range elems {
		var got string
		if err := db.QueryRow("SELECT ($1::text::text[])[$2::int]", model.PGArrayText(elems), i+1).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != e {
			t.Errorf("element %d: %q, want %q", i+1, got, e)
		}
	}
}
