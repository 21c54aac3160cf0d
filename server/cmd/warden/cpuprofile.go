package main

import (
	"os"
	"runtime/pprof"
	"runtime/trace"
)

// startCPUProfile profiles the process's CPU into path until stop is
// called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
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
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := trace.Start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		trace.Stop()
		return f.Close()
	}, nil
}
