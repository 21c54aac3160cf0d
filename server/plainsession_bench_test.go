package server

import "testing"

// BenchmarkPlainSession: the unsorted check of a call's four session
// variables, in lower case as clients send them, and one in mixed case.
func BenchmarkPlainSession(b *testing.B) {
	for _, c := range []struct {
		name string
		vars map[string]string
	}{
		{"lower", map[string]string{"x-hasura-user-id": "12345", "x-hasura-org-id": "7", "x-hasura-team-ids": "{1,8,14}", "x-hasura-statuses": "{open,pending}"}},
		{"mixed", map[string]string{"X-Hasura-User-Id": "12345", "x-hasura-org-id": "7", "x-hasura-team-ids": "{1,8,14}", "x-hasura-statuses": "{open,pending}"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, ok := plainSession(c.vars); !ok {
					b.Fatal("not plain")
				}
			}
		})
	}
}
