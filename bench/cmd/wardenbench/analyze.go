package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/wardenpdp/warden/bench/report"
)

// The targets of the README's performance section: issue #16's.
const (
	targetVsEcho       = 0.75 // Check req/s at least 75% of Echo's
	targetCheckVsOPA   = 4    // Check at least 4x OPA's Data API
	targetFilterVsEcho = 0.70 // Filter req/s at least 70% of Echo's
	targetFilterVsOPA  = 8    // Filter at least 8x OPA's Compile API
	targetMixVsEcho    = 0.60 // mix req/s at least 60% of Echo's
	targetP99ms        = 2    // Check p99 under 2 ms at half of peak
	targetBatchRatio   = 5    // 100 rows at most 5x the latency of one
	noisyOther         = 0.10 // other processes above this share: noisy
)

// analyze fills in the ratios to the baselines, judges the targets and
// writes the closing notes.
func analyze(rep *report.Report, one, many, workers int, rate float64) {
	usable := func(r *report.Run) bool { return r != nil && r.Skipped == "" && r.RPS > 0 }
	for _, r := range rep.Runs {
		if r.Server != srvWarden || !usable(r) || r.Workers != workers || r.Rate != rate {
			continue
		}
		if e := rep.Find(runID(r.Scenario, one, srvEcho, workers, rate)); usable(e) {
			r.VsEcho = r.RPS / e.RPS
		}
		if o := rep.Find(runID(r.Scenario, r.Users, srvOPA, workers, rate)); usable(o) {
			r.VsOPA = r.RPS / o.RPS
		}
	}
	find := func(scenario string, users int, server string, w int) *report.Run {
		r := rep.Find(runID(scenario, users, server, w, rate))
		if !usable(r) {
			return nil
		}
		return r
	}
	check := find("check-1", many, srvWarden, workers)
	filter := find("filter", many, srvWarden, workers)
	var open *report.Run // the last open-loop run: at half of the peak
	var curve []string
	for _, r := range rep.Runs {
		if r.Scenario == "check-1" && r.Server == srvWarden && r.Mode == "open" && usable(r) && rate == 0 {
			open = r
			curve = append(curve, fmt.Sprintf("%.0f req/s: p99 %.2f ms", r.Rate, r.Latency.P99))
		}
	}
	lat1, lat100 := find("check-1", many, srvWarden, 1), find("check-100", many, srvWarden, 1)

	var notes []string
	t := &report.Target{Name: "Check throughput ÷ no-op transport", Limit: targetVsEcho, AtLeast: true, Unit: "x",
		How: fmt.Sprintf("check-1, %d users, %d workers: Check req/s ÷ Echo req/s of the same bytes", many, workers)}
	if check != nil && check.VsEcho > 0 {
		t.Measured, t.Available = check.VsEcho, true
	}
	t.Judge()
	if t.Available && !t.Met {
		echo := rep.Find(runID("check-1", one, srvEcho, workers, rate))
		notes = append(notes, whyRatio("Check", "Echo of the same bytes", check, echo))
	}
	rep.Targets = append(rep.Targets, t)

	t = &report.Target{Name: "Check throughput ÷ OPA Data API", Limit: targetCheckVsOPA, AtLeast: true, Unit: "x",
		How: fmt.Sprintf("check-1, %d users, %d workers: Warden Check req/s ÷ OPA req/s for the same questions", many, workers)}
	if check != nil && check.VsOPA > 0 {
		t.Measured, t.Available = check.VsOPA, true
	}
	t.Judge()
	if t.Available && !t.Met {
		notes = append(notes, whyRatio("Check", "OPA's Data API", check, find("check-1", many, srvOPA, workers)))
	}
	rep.Targets = append(rep.Targets, t)

	for _, vs := range []struct {
		scenario, what string
		limit          float64
	}{{"filter", "Filter", targetFilterVsEcho}, {"mix", "Mix", targetMixVsEcho}} {
		r := find(vs.scenario, many, srvWarden, workers)
		t = &report.Target{Name: vs.what + " throughput ÷ no-op transport", Limit: vs.limit, AtLeast: true, Unit: "x",
			How: fmt.Sprintf("%s, %d users, %d workers: Warden req/s ÷ Echo req/s of the same bytes", vs.scenario, many, workers)}
		if r != nil && r.VsEcho > 0 {
			t.Measured, t.Available = r.VsEcho, true
		}
		t.Judge()
		if t.Available && !t.Met {
			notes = append(notes, whyRatio(vs.what, "Echo of the same bytes", r, rep.Find(runID(vs.scenario, one, srvEcho, workers, rate))))
		}
		rep.Targets = append(rep.Targets, t)
	}

	t = &report.Target{Name: "Filter throughput ÷ OPA Compile API", Limit: targetFilterVsOPA, AtLeast: true, Unit: "x",
		How: fmt.Sprintf("filter, %d users, %d workers: Warden Filter (with SQL) req/s ÷ OPA Compile API req/s", many, workers)}
	if filter != nil && filter.VsOPA > 0 {
		t.Measured, t.Available = filter.VsOPA, true
	}
	t.Judge()
	if t.Available && !t.Met {
		notes = append(notes, whyRatio("Filter", "OPA's Compile API", filter, find("filter", many, srvOPA, workers)))
	}
	rep.Targets = append(rep.Targets, t)

	t = &report.Target{Name: "Check p99 at half of peak", Limit: targetP99ms, Unit: "ms",
		How: "check-1, many users, open loop at half of the closed-loop req/s above; latency from the intended send time"}
	if open != nil {
		t.Measured, t.Available = open.Latency.P99, true
		t.How = fmt.Sprintf("check-1, %d users, open loop at %.0f req/s (half of %.0f); latency from the intended send time", many, open.Rate, check.RPS)
	}
	t.Judge()
	if t.Available && !t.Met {
		notes = append(notes, fmt.Sprintf("Check p99 at %.0f req/s was %.2f ms (p99.9 %.2f ms, max %.2f ms); in the open loop, %s. At half of the closed-loop peak the machine is already %.0f%% busy (Warden %.0f%%, the generator %.0f%%, other processes %.0f%%): with fewer requests in flight each costs the server more CPU (%.0f µs against %.0f µs at the peak: fewer requests share each system call and wake-up, and otherwise idle cores run garbage-collection marking), so half the peak rate is not half the machine, and a request queues whenever both cores are busy. The generator's own send lag (idle senders woken late) had p99 %.2f ms.",
			open.Rate, open.Latency.P99, open.Latency.P999, open.Latency.Max, strings.Join(curve, ", "),
			(open.CPU.Server+open.CPU.Generator+open.CPU.Other)*100, open.CPU.Server*100, open.CPU.Generator*100, open.CPU.Other*100,
			open.CPU.ServerUS, check.CPU.ServerUS, open.SendLagP99))
		if g := open.ServerGC; g != nil {
			note := fmt.Sprintf("Warden completed %d garbage collections in the %.0f s measured at %.0f req/s", g.Cycles, g.Seconds, open.Rate)
			if g.Cycles > 0 {
				note += fmt.Sprintf(" (one every %.2f s", g.Every())
				if check.ServerGC.Every() > 0 {
					note += fmt.Sprintf("; at the closed-loop peak one every %.2f s", check.ServerGC.Every())
				}
				note += "): while one marks, it takes CPU the requests would use"
			}
			notes = append(notes, note+".")
		}
		if e := rep.Find(runID("check-1", one, srvEcho, workers, open.Rate)); usable(e) {
			notes = append(notes, fmt.Sprintf("Echo of the same bytes in the same open loop at %.0f req/s, which decides nothing, had p99 %.2f ms (p99.9 %.2f ms; its server %.0f µs per request against %.0f µs at its peak): the part of Check's tail that is the transport's and the machine's at that rate.",
				e.Rate, e.Latency.P99, e.Latency.P999, e.CPU.ServerUS, echoPeakUS(rep, one, workers, rate)))
		}
	}
	rep.Targets = append(rep.Targets, t)

	t = &report.Target{Name: "Batch of 100 rows ÷ one row, latency", Limit: targetBatchRatio, Unit: "x",
		How: fmt.Sprintf("p50 of Check with 100 rows ÷ p50 with 1 row, %d users, one request at a time", many)}
	if lat1 != nil && lat100 != nil && lat1.Latency.P50 > 0 {
		t.Measured, t.Available = lat100.Latency.P50/lat1.Latency.P50, true
	}
	t.Judge()
	if t.Available && !t.Met {
		perRow := (lat100.Latency.P50 - lat1.Latency.P50) / 99 * 1000
		notes = append(notes, fmt.Sprintf("A Check of one row takes %.3f ms (p50) and of 100 rows %.3f ms: each further row costs about %.0f µs, so the fixed cost of a call (transport, conversion) is small next to 100 evaluations; the ratio can only fall by making each row's evaluation cheaper.",
			lat1.Latency.P50, lat100.Latency.P50, perRow))
	}
	rep.Targets = append(rep.Targets, t)

	notes = append(notes, machineNotes(rep)...)
	rep.Notes = append(notes, rep.Notes...)
}

// whyRatio explains a throughput ratio by CPU per request: on a machine
// whose cores the generator and the server share, throughput is about
// cores ÷ (generator + server CPU per request).
func whyRatio(what, baseline string, r, base *report.Run) string {
	if r == nil || base == nil {
		return what + ": the baseline run is missing."
	}
	bound := (base.CPU.GeneratorUS + base.CPU.ServerUS) / (r.CPU.GeneratorUS + r.CPU.ServerUS)
	msg := fmt.Sprintf("%s costs Warden %.0f µs of CPU per request, %s costs its server %.0f µs; the generator spends %.0f and %.0f µs per request on the same cores. With every core busy, throughput is about cores ÷ (generator + server CPU per request), which puts the ratio near %.2f.",
		what, r.CPU.ServerUS, baseline, base.CPU.ServerUS, r.CPU.GeneratorUS, base.CPU.GeneratorUS, bound)
	if base.Server == srvEcho && what != "Check" {
		msg += fmt.Sprintf(" The %.0f µs between them are what a %s call adds to the same transport and interceptors (--server-env WARDEN_CPU_PROFILE=FILE profiles the server for the split).", r.CPU.ServerUS-base.CPU.ServerUS, what)
	} else if base.Server == srvEcho {
		msg += fmt.Sprintf(" The %.0f µs between them are what a Check adds to the same transport and interceptors: reading the rows (straight from the wire) and converting them, resolving the session, evaluating the rules (each permission's residual in Go, or OPA with --evaluator opa), metrics and logs of the decision, building the answer, and the garbage they leave (--server-env WARDEN_CPU_PROFILE=FILE profiles the server for the split).", r.CPU.ServerUS-base.CPU.ServerUS)
	}
	return msg
}

// machineNotes describes the conditions: the generator's share, and runs
// that other processes disturbed.
func machineNotes(rep *report.Report) []string {
	var notes []string
	var noisy []string
	lo, hi := 1.0, 0.0
	for _, r := range rep.Runs {
		if r.Skipped != "" || r.Requests == 0 {
			continue
		}
		if r.Workers > 1 {
			lo, hi = min(lo, r.CPU.Generator), max(hi, r.CPU.Generator)
		}
		if r.CPU.Other > noisyOther {
			noisy = append(noisy, fmt.Sprintf("%s (%.0f%%)", r.ID, r.CPU.Other*100))
		}
	}
	if hi > 0 {
		notes = append(notes, fmt.Sprintf("The load generator itself used %.0f–%.0f%% of the machine's %d cores in the concurrent runs (column \"CPU gen\"); the ratios compare runs that paid that cost alike.", lo*100, hi*100, runtime.NumCPU()))
	}
	if len(noisy) > 0 {
		notes = append(notes, "Other processes took more than 10% of the machine during: "+strings.Join(noisy, ", ")+"; those figures are noisy, re-run when the machine is quiet.")
	}
	skipped := map[string]string{}
	var order []string
	for _, r := range rep.Runs {
		if r.Skipped != "" && skipped[r.Scenario] == "" {
			skipped[r.Scenario] = r.Skipped
			order = append(order, r.Scenario)
		}
	}
	for _, s := range order {
		notes = append(notes, fmt.Sprintf("Scenario %s was not measured: %s.", s, skipped[s]))
	}
	return notes
}

// cpuModel reads the processor name from /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// echoPeakUS is Echo's server CPU per check-1 request in the closed loop
// (0 when it was not measured).
func echoPeakUS(rep *report.Report, one, workers int, rate float64) float64 {
	if e := rep.Find(runID("check-1", one, srvEcho, workers, rate)); e != nil {
		return e.CPU.ServerUS
	}
	return 0
}
