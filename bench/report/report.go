// Package report holds the results of a load test and renders them as a
// Markdown report or as JSON.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Report is one run of the load generator.
type Report struct {
	Date    time.Time `json:"date"`
	Command string    `json:"command"`
	Machine Machine   `json:"machine"`
	Policy  string    `json:"policy"`
	// Settings in words, e.g. "64 workers, 4 connections, 10s + 3s warm-up".
	Settings string    `json:"settings"`
	Runs     []*Run    `json:"runs"`
	Targets  []*Target `json:"targets"`
	// Checks are the answer comparisons made before measuring.
	Checks []string `json:"checks"`
	// Notes close the report: why a target was missed, what was noisy.
	Notes []string `json:"notes"`
}

// Machine describes where the report was made.
type Machine struct {
	Cores      int    `json:"cores"`
	CPU        string `json:"cpu"`
	OS         string `json:"os"`
	GoVersion  string `json:"go_version"`
	Commit     string `json:"commit"`
	LoadBefore string `json:"load_before"`
	LoadAfter  string `json:"load_after"`
}

// Run is one measured scenario or baseline.
type Run struct {
	// ID is unique in the report, e.g. "check-1/users=100000/warden".
	ID       string `json:"id"`
	Scenario string `json:"scenario"`
	Users    int    `json:"users"`
	// Server is "warden", "echo" (Warden's no-op RPC) or "opa".
	Server string `json:"server"`
	// API is what was called, e.g. "Check", "Echo", "Data API".
	API     string  `json:"api"`
	Mode    string  `json:"mode"` // "closed" or "open"
	Workers int     `json:"workers"`
	Rate    float64 `json:"rate,omitempty"` // open loop: requests per second asked for

	Requests   int64            `json:"requests"`
	Seconds    float64          `json:"seconds"`
	RPS        float64          `json:"rps"`
	RowsPS     float64          `json:"rows_per_second"`
	Latency    Percentiles      `json:"latency_ms"`
	SendLagP99 float64          `json:"send_lag_p99_ms,omitempty"`
	Errors     map[string]int64 `json:"errors,omitempty"`
	FirstError string           `json:"first_error,omitempty"`
	CPU        CPU              `json:"cpu"`
	// ServerGC counts Warden's garbage collections during the run (its
	// runs and Echo's; nil: not counted, as for OPA).
	ServerGC *GC `json:"server_gc,omitempty"`

	// VsEcho and VsOPA are throughput ratios to the baselines of the same
	// scenario (0: none).
	VsEcho float64 `json:"vs_echo,omitempty"`
	VsOPA  float64 `json:"vs_opa,omitempty"`
	// Skipped says why the run was not measured.
	Skipped string `json:"skipped,omitempty"`
}

// GC is the garbage collections a server completed in the measured
// windows of a run, from its /metrics.
type GC struct {
	Cycles  int64   `json:"cycles"`
	Seconds float64 `json:"seconds"` // the windows' length
}

// Every is the mean time between collections, in seconds (0: none).
func (g *GC) Every() float64 {
	if g == nil || g.Cycles == 0 {
		return 0
	}
	return g.Seconds / float64(g.Cycles)
}

// ErrorCount is the number of failed requests.
func (r *Run) ErrorCount() int64 {
	var n int64
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// CPU is the CPU use during a run, as shares of the whole machine (1.0 =
// every core busy), and per request.
type CPU struct {
	Generator float64 `json:"generator"`
	Server    float64 `json:"server"`
	Other     float64 `json:"other"`
	// Microseconds of CPU per request.
	ServerUS    float64 `json:"server_us_per_request"`
	GeneratorUS float64 `json:"generator_us_per_request"`
}

// Percentiles of a latency distribution, in milliseconds.
type Percentiles struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
}

// FromHistogram reads percentiles from a histogram in microseconds.
func FromHistogram(h *hdrhistogram.Histogram) Percentiles {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Percentiles{
		P50:  ms(h.ValueAtQuantile(50)),
		P90:  ms(h.ValueAtQuantile(90)),
		P99:  ms(h.ValueAtQuantile(99)),
		P999: ms(h.ValueAtQuantile(99.9)),
		Max:  ms(h.Max()),
	}
}

// Target is one stated performance target and how the run did.
type Target struct {
	Name string `json:"name"`
	// How the figure is measured, in words.
	How      string  `json:"how"`
	Measured float64 `json:"measured"`
	Limit    float64 `json:"limit"`
	// AtLeast: the measured value must reach Limit; otherwise stay under.
	AtLeast bool   `json:"at_least"`
	Unit    string `json:"unit"` // "x" or "ms"
	// Available is false when a run it needs was skipped.
	Available bool   `json:"available"`
	Met       bool   `json:"met"`
	Margin    string `json:"margin"`
}

// Judge sets Met and Margin.
func (t *Target) Judge() {
	if !t.Available || t.Limit == 0 || math.IsNaN(t.Measured) {
		t.Available, t.Met, t.Margin = false, false, "not measured"
		return
	}
	if t.AtLeast {
		t.Met = t.Measured >= t.Limit
	} else {
		t.Met = t.Measured < t.Limit
	}
	diff := (t.Measured - t.Limit) / t.Limit * 100
	if !t.AtLeast {
		diff = -diff
	}
	if t.Met {
		t.Margin = fmt.Sprintf("met, %.0f%% to spare", diff)
	} else {
		t.Margin = fmt.Sprintf("missed by %.0f%%", -diff)
	}
}

// Find returns the run with the given ID, or nil.
func (r *Report) Find(id string) *Run {
	for _, x := range r.Runs {
		if x.ID == id {
			return x
		}
	}
	return nil
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteMarkdown writes the report as Markdown.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### Load report, %s\n\n", r.Date.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- command: `%s`\n", r.Command)
	m := r.Machine
	fmt.Fprintf(&b, "- machine: %d cores (%s), %s, %s; commit %s\n", m.Cores, m.CPU, m.OS, m.GoVersion, m.Commit)
	fmt.Fprintf(&b, "- load average (1, 5, 15 min): %s before, %s after\n", m.LoadBefore, m.LoadAfter)
	fmt.Fprintf(&b, "- policy: %s\n", r.Policy)
	fmt.Fprintf(&b, "- settings: %s\n\n", r.Settings)

	b.WriteString("| scenario | users | server | API | load | req/s | rows/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors | CPU gen / server / other | server µs/req | vs echo | vs OPA |\n")
	b.WriteString("| --- | ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |\n")
	for _, x := range r.Runs {
		load := fmt.Sprintf("%d workers", x.Workers)
		if x.Mode == "open" {
			load = fmt.Sprintf("%.0f/s open", x.Rate)
		}
		if x.Skipped != "" {
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | skipped: %s |||||||||||\n", x.Scenario, x.Users, x.Server, x.API, load, x.Skipped)
			continue
		}
		l := x.Latency
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %.0f | %.0f | %s | %s | %s | %s | %s | %s | %.0f%% / %.0f%% / %.0f%% | %.0f | %s | %s |\n",
			x.Scenario, x.Users, x.Server, x.API, load, x.RPS, x.RowsPS,
			num(l.P50), num(l.P90), num(l.P99), num(l.P999), num(l.Max), errorsCell(x),
			x.CPU.Generator*100, x.CPU.Server*100, x.CPU.Other*100, x.CPU.ServerUS,
			ratio(x.VsEcho), ratio(x.VsOPA))
	}

	b.WriteString("\n| target | measured | required | result | how |\n| --- | ---: | ---: | --- | --- |\n")
	for _, t := range r.Targets {
		rel := "<"
		if t.AtLeast {
			rel = "≥"
		}
		meas := "–"
		if t.Available {
			meas = fmt.Sprintf("%s %s", num(t.Measured), t.Unit)
		}
		fmt.Fprintf(&b, "| %s | %s | %s %s %s | %s | %s |\n", t.Name, meas, rel, num(t.Limit), t.Unit, t.Margin, t.How)
	}
	if len(r.Checks) > 0 {
		b.WriteString("\nAnswers checked before measuring:\n\n")
		for _, c := range r.Checks {
			fmt.Fprintf(&b, "- %s\n", c)
		}
	}
	if len(r.Notes) > 0 {
		b.WriteString("\nNotes:\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func errorsCell(x *Run) string {
	n := x.ErrorCount()
	if n == 0 {
		return "0"
	}
	keys := make([]string, 0, len(x.Errors))
	for k := range x.Errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", x.Errors[k], k)
	}
	return strings.Join(parts, ", ")
}

// num prints a number with three significant digits at most.
func num(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

func ratio(v float64) string {
	if v == 0 {
		return ""
	}
	return num(v) + "x"
}
