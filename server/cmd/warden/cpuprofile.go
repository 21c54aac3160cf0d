package main

import (
	"io"
	"os"
	"runtime/pprof"
	"runtime/trace"
)

// runProfiles are the recordings of a whole serve run an environment
// variable turns on, its value the file: what each records and how.
var runProfiles = []struct {
	env, what string
	start     func(path string) (stop func() error, err error)
}{
	// A CPU profile, for go tool pprof.
	{"WARDEN_CPU_PROFILE", "a CPU profile", startCPUProfile},
	// The allocation profile at exit (go tool pprof -sample_index
	// alloc_space): where the garbage the collector marks comes from.
	{"WARDEN_ALLOC_PROFILE", "an allocation profile", startAllocProfile},
	// The execution trace (go tool trace): where a request waited, for
	// the latency tail.
	{"WARDEN_TRACE", "an execution trace", startTrace},
}

// startCPUProfile profiles the process's CPU into path until stop is
// called.
func startCPUProfile(path string) (stop func() error, err error) {
	return startRecording(path, pprof.StartCPUProfile, pprof.StopCPUProfile)
}

// startAllocProfile writes the process's allocation profile (pprof's
// "allocs": every sampled allocation since the start, with its stack) to
// path when stop is called. The file is created now, so that a path that
// cannot be written is refused before anything listens.
func startAllocProfile(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return func() error {
		werr := pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		return werr
	}, nil
}

// startTrace writes the runtime's execution trace (go tool trace reads
// it: every goroutine's wake-ups, the collector's phases, system calls)
// to path until stop is called.
func startTrace(path string) (stop func() error, err error) {
	return startRecording(path, trace.Start, trace.Stop)
}

// startRecording creates path and records into it with start until stop
// is called, which ends the recording and closes the file.
func startRecording(path string, start func(io.Writer) error, end func()) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		end()
		return f.Close()
	}, nil
}
