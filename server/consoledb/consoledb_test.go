package consoledb

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/wardenpdp/warden/policy/sqlgen"
)

func TestSpecs(t *testing.T) {
	var s Specs
	for _, v := range []string{
		"default=postgres://warden:pw0rd@db.internal:5432/app?sslmode=disable",
		"shop=mysql://root:hunter2@127.0.0.1:3306/shop local=sqlite:///var/lib/app.db",
	} {
		if err := s.Set(v); err != nil {
			t.Fatalf("Set(%q): %v", v, err)
		}
	}
	want := map[string]sqlgen.Dialect{"default": sqlgen.Postgres, "shop": sqlgen.MySQL, "local": sqlgen.SQLite}
	if len(s) != len(want) {
		t.Fatalf("%d specs, want %d", len(s), len(want))
	}
	for _, sp := range s {
		if sp.Dialect != want[sp.Name] {
			t.Errorf("%s: dialect %s, want %s", sp.Name, sp.Dialect, want[sp.Name])
		}
	}
	if got := strings.Join(s.Names(), ","); got != "default,local,shop" {
		t.Errorf("names %q", got)
	}
	printed := s.String()
	for _, secret := range []string{"pw0rd", "hunter2"} {
		if strings.Contains(printed, secret) {
			t.Errorf("String() shows a password: %s", printed)
		}
	}
	if !strings.Contains(printed, "default=postgres://warden:xxxxx@db.internal:5432/app") {
		t.Errorf("String() = %s", printed)
	}

	for _, bad := range []string{
		"", "noequals", "=postgres://x/y", "x=", "x=oracle://h/db",
		"x=mysql://root:hunter2@127.0.0.1:3306/", // no database
		"default=postgres://a/b",                 // given twice
	} {
		err := s.Set(bad)
		if err == nil {
			t.Errorf("Set(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Set(%q): the error shows the password: %v", bad, err)
		}
	}
}

func TestText(t *testing.T) {
	at := time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   any
		want string
	}{
		{int64(math.MaxInt64), "9223372036854775807"},
		{int64(-1), "-1"},
		{uint64(math.MaxUint64), "18446744073709551615"},
		{0.1, "0.1"},
		{true, "true"},
		{"héllo", "héllo"},
		{[]byte("plain"), "plain"},
		{[]byte{0xff, 0x00}, `\xff00`},
		{at, "2024-01-10T09:00:00Z"},
		{map[string]any{"a": 1}, `{"a":1}`},
	} {
		got := Text(c.in)
		if got == nil || *got != c.want {
			t.Errorf("Text(%#v) = %v, want %q", c.in, got, c.want)
		}
	}
	if Text(nil) != nil {
		t.Error("Text(nil) is not NULL")
	}
}
