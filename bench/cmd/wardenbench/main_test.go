package main

import (
	"io"
	"testing"
)

// TestServerCPUs: -server-cpus takes a taskset CPU list and nothing else,
// so that no other text reaches taskset's command line.
func TestServerCPUs(t *testing.T) {
	for _, ok := range []string{"1", "0,2", "2-3", "0-1,3"} {
		c, err := parse([]string{"-server-cpus", ok}, io.Discard)
		if err != nil || c.serverCPUs != ok {
			t.Errorf("-server-cpus %q: %v, %q", ok, err, c.serverCPUs)
		}
	}
	for _, bad := range []string{"", "a", "1;rm", "-1", "1,", "1 2", "--all"} {
		if _, err := parse([]string{"-server-cpus", bad}, io.Discard); err == nil {
			t.Errorf("-server-cpus %q accepted", bad)
		}
	}
}
