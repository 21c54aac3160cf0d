// Package bench measures Warden. The load generator is
// bench/cmd/wardenbench (real gRPC against a running server, with the
// transport and OPA's own server as baselines in the same run); this
// package holds the in-process benchmarks of the decision path over the
// same generated policy set:
//
//	go test ./bench -run '^$' -bench . -benchmem
//
// Compare two builds with benchstat (golang.org/x/perf/cmd/benchstat):
//
//	go test ./bench -run '^$' -bench . -count 10 > old.txt
//	# change the code
//	go test ./bench -run '^$' -bench . -count 10 > new.txt
//	benchstat old.txt new.txt
package bench
