package loadgen

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestClosedLoop(t *testing.T) {
	var calls atomic.Int64
	res, err := Run(context.Background(), Options{Workers: 4, Warmup: 50 * time.Millisecond, Duration: 300 * time.Millisecond},
		func(ctx context.Context, w int, seq uint64) (int, error) {
			calls.Add(1)
			time.Sleep(time.Millisecond)
			if seq%10 == 0 {
				return 0, errors.New("boom")
			}
			return 2, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	// 4 workers x 300 ms / (1 ms + scheduling) : a few hundred at least,
	// never more than 4 x 300.
	if res.Requests < 200 || res.Requests > 1200 {
		t.Errorf("requests = %d, want 200..1200", res.Requests)
	}
	if res.Requests >= calls.Load() {
		t.Errorf("measured %d of %d calls: the warm-up was measured", res.Requests, calls.Load())
	}
	e := res.Errors["boom"]
	if e == 0 || e > res.Requests/5 {
		t.Errorf("errors = %d of %d, want about a tenth", e, res.Requests)
	}
	if res.Rows != 2*(res.Requests-e) {
		t.Errorf("rows = %d, want 2 per successful request (%d)", res.Rows, 2*(res.Requests-e))
	}
	if res.Latency.ValueAtQuantile(50) < 1000 {
		t.Errorf("p50 = %d µs, want at least the 1 ms the call sleeps", res.Latency.ValueAtQuantile(50))
	}
}

func TestOpenLoopRate(t *testing.T) {
	res, err := Run(context.Background(), Options{Workers: 8, Rate: 500, Duration: 400 * time.Millisecond},
		func(context.Context, int, uint64) (int, error) { return 1, nil })
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests < 180 || res.Requests > 220 {
		t.Errorf("requests = %d, want 200 (500/s for 400 ms)", res.Requests)
	}
}

// TestOpenLoopCountsTheQueue: a server that stalls for 200 ms makes every
// request that was due during the stall late. Measured from the intended
// send time, those requests show the wait; measured from the actual send
// (coordinated omission), only the one stalled request would.
func TestOpenLoopCountsTheQueue(t *testing.T) {
	var stalled atomic.Bool
	start := time.Now()
	res, err := Run(context.Background(), Options{Workers: 2, Rate: 200, Duration: 600 * time.Millisecond},
		func(context.Context, int, uint64) (int, error) {
			if time.Since(start) > 100*time.Millisecond && stalled.CompareAndSwap(false, true) {
				time.Sleep(200 * time.Millisecond)
			}
			return 1, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	// 200/s for 200 ms is 40 requests due during the stall; the stuck
	// worker had half of them, due 0 to 200 ms before it was free again:
	// about 15 of them waited 50 ms or more.
	if res.Latency.Max() < 190_000 {
		t.Errorf("max latency %d µs, want the 200 ms stall", res.Latency.Max())
	}
	if got := res.Requests - countBelow(res, 50_000); got < 8 {
		t.Errorf("%d requests waited 50 ms or more, want those due during the stall (about 15)", got)
	}
}

func countBelow(res *Result, us int64) int64 {
	var n int64
	for _, b := range res.Latency.Distribution() {
		if b.To < us {
			n += b.Count
		}
	}
	return n
}

func TestCPUShare(t *testing.T) {
	// Spin until the process has used 50 ms of CPU by its own account
	// (getrusage), however busy the machine is, then check Since sees it.
	a := SampleCPU()
	deadline := time.Now().Add(10 * time.Second)
	for SampleCPU().Self-a.Self < 50*time.Millisecond && time.Now().Before(deadline) {
	}
	sh := SampleCPU().Since(a)
	if sh.SelfTime < 50*time.Millisecond || sh.Wall <= 0 {
		t.Errorf("self CPU %s in %s after spinning for 50 ms of CPU", sh.SelfTime, sh.Wall)
	}
}
