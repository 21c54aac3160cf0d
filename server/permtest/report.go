package permtest

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"
)

// Formats are the output formats of Report.
var Formats = []string{"human", "json", "junit", "tap"}

// Summary counts results.
type Summary struct {
	Passed int `json:"passed"`
	Failed int `json:"failed"`
}

// Summarize counts passed and failed results.
func Summarize(rs []*Result) Summary {
	var s Summary
	for _, r := range rs {
		if r.Passed {
			s.Passed++
		} else {
			s.Failed++
		}
	}
	return s
}

// Report writes results in a format: human (failures with expected and
// actual side by side), json, junit (XML for CI dashboards) or tap.
func Report(w io.Writer, format string, rs []*Result, verbose bool) error {
	switch format {
	case "human":
		return human(w, rs, verbose)
	case "json":
		type doc struct {
			Summary
			Tests []*Result `json:"tests"`
		}
		if rs == nil {
			rs = []*Result{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(doc{Summarize(rs), rs})
	case "junit":
		return junit(w, rs)
	case "tap":
		return tap(w, rs)
	}
	return fmt.Errorf("format %q: want one of %s", format, strings.Join(Formats, ", "))
}

func human(w io.Writer, rs []*Result, verbose bool) error {
	for _, r := range rs {
		if r.Passed {
			if verbose {
				fmt.Fprintf(w, "ok    %s:%d: %s\n", r.File, r.Line, r.Name)
			}
			continue
		}
		fmt.Fprintf(w, "FAIL  %s:%d: %s\n", r.File, r.Line, r.Name)
		if r.Error != "" {
			fmt.Fprintf(w, "      could not run: %s\n", r.Error)
		}
		if len(r.Failures) == 0 {
			continue
		}
		// Expected and actual side by side, one line per expectation.
		whatW, expW := len("expectation"), len("expected")
		for _, f := range r.Failures {
			whatW = max(whatW, len(f.What))
			expW = max(expW, len(f.Expected))
		}
		expW = min(expW, 48)
		fmt.Fprintf(w, "      %-*s  %-*s  %s\n", whatW, "expectation", expW, "expected", "actual")
		for _, f := range r.Failures {
			fmt.Fprintf(w, "      %-*s  %-*s  %s\n", whatW, f.What, expW, f.Expected, f.Actual)
			if f.Detail != "" {
				fmt.Fprintf(w, "      %-*s  %s\n", whatW, "", "("+f.Detail+")")
			}
		}
		for _, f := range r.Failures {
			if f.Explanation != "" {
				fmt.Fprintf(w, "      why: ")
				for i, line := range strings.Split(strings.TrimRight(f.Explanation, "\n"), "\n") {
					if i > 0 {
						fmt.Fprint(w, "           ")
					}
					fmt.Fprintln(w, line)
				}
			}
		}
	}
	s := Summarize(rs)
	if s.Failed > 0 {
		fmt.Fprintf(w, "FAIL  %d of %d tests failed\n", s.Failed, s.Passed+s.Failed)
	} else {
		fmt.Fprintf(w, "ok    %d tests passed\n", s.Passed)
	}
	return nil
}

func tap(w io.Writer, rs []*Result) error {
	fmt.Fprintf(w, "TAP version 13\n1..%d\n", len(rs))
	for i, r := range rs {
		if r.Passed {
			fmt.Fprintf(w, "ok %d - %s\n", i+1, tapText(r.Name))
			continue
		}
		fmt.Fprintf(w, "not ok %d - %s\n  ---\n  at: %s:%d\n", i+1, tapText(r.Name), r.File, r.Line)
		if r.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", yamlText(r.Error))
		}
		if len(r.Failures) > 0 {
			fmt.Fprintf(w, "  failures:\n")
			for _, f := range r.Failures {
				fmt.Fprintf(w, "    - what: %s\n      expected: %s\n      actual: %s\n", yamlText(f.What), yamlText(f.Expected), yamlText(f.Actual))
				if f.Detail != "" {
					fmt.Fprintf(w, "      detail: %s\n", yamlText(f.Detail))
				}
			}
		}
		fmt.Fprintf(w, "  ...\n")
	}
	return nil
}

// tapText keeps a test name on its line and away from TAP's directives.
func tapText(s string) string {
	return strings.NewReplacer("\n", " ", "#", `\#`).Replace(s)
}

func yamlText(s string) string {
	b, _ := json.Marshal(s) // a JSON string is a YAML string
	return string(b)
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Tests   int          `xml:"tests,attr"`
	Fails   int          `xml:"failures,attr"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name  string      `xml:"name,attr"`
	Tests int         `xml:"tests,attr"`
	Fails int         `xml:"failures,attr"`
	Time  string      `xml:"time,attr"`
	Cases []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr"`
	Line      int           `xml:"line,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func junit(w io.Writer, rs []*Result) error {
	doc := junitSuites{}
	index := map[string]int{}
	for _, r := range rs {
		i, ok := index[r.Suite]
		if !ok {
			i = len(doc.Suites)
			index[r.Suite] = i
			doc.Suites = append(doc.Suites, junitSuite{Name: r.Suite})
		}
		s := &doc.Suites[i]
		c := junitCase{Name: r.Name, Classname: r.Suite, File: r.File, Line: r.Line, Time: seconds(r.Elapsed)}
		if !r.Passed {
			var b strings.Builder
			msg := r.Error
			if r.Error != "" {
				fmt.Fprintf(&b, "could not run: %s\n", r.Error)
			}
			for i, f := range r.Failures {
				if i == 0 {
					msg = f.What + ": expected " + f.Expected + ", actual " + f.Actual
				}
				fmt.Fprintf(&b, "%s\n  expected: %s\n  actual:   %s\n", f.What, f.Expected, f.Actual)
				if f.Detail != "" {
					fmt.Fprintf(&b, "  (%s)\n", f.Detail)
				}
			}
			c.Failure = &junitFailure{Message: msg, Text: b.String()}
			s.Fails++
			doc.Fails++
		}
		s.Tests++
		doc.Tests++
		s.Cases = append(s.Cases, c)
	}
	for i := range doc.Suites {
		var d time.Duration
		for _, r := range rs {
			if r.Suite == doc.Suites[i].Name {
				d += r.Elapsed
			}
		}
		doc.Suites[i].Time = seconds(d)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	sort.Strings(x)
	sort.Strings(y)
	return slices.Equal(x, y)
}

// diff returns what want has that got lacks, and what got has that want
// lacks.
func diff(want, got []string) (missing, extra []string) {
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	return missing, extra
}

// sortIDs puts ids in fixture order, as the actual ones are.
func sortIDs(ids []string, ft *fixtureTable) []string {
	out := slices.Clone(ids)
	sort.SliceStable(out, func(i, j int) bool { return ft.byID[out[i]] < ft.byID[out[j]] })
	return out
}

func list(s []string) string { return "[" + strings.Join(s, ", ") + "]" }

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func sameJSON(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}
