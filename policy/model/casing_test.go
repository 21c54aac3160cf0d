package model

import (
	"strings"
	"testing"
)

// FuzzSnakeToCamel: Hasura's snakeToCamel of a GraphQL name is a GraphQL
// name with no underscore past its first character, and converting it
// again changes nothing (Hasura applies the convention to names it
// generated from converted parts).
func FuzzSnakeToCamel(f *testing.F) {
	for _, s := range []string{"user_id", "_hello_world_foo", "addr_2nd", "UserName", "a__b", "x_", "_", "__x", "_delete_at_path", "stddev_pop"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !IsGraphQLName(s) {
			return
		}
		got := SnakeToCamel(s)
		if !IsGraphQLName(got) {
			t.Fatalf("SnakeToCamel(%q) = %q, not a GraphQL name", s, got)
		}
		if i := strings.LastIndex(got, "_"); i > 0 {
			t.Fatalf("SnakeToCamel(%q) = %q has an underscore at %d", s, got, i)
		}
		if again := SnakeToCamel(got); again != got {
			t.Fatalf("SnakeToCamel(%q) = %q, but SnakeToCamel(%q) = %q", s, got, got, again)
		}
	})
}
