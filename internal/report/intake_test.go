package report

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/feeds"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/snapshot"
)

// TestMatches: each format of `stella match` writes its matches on stdout
// and its notes — the unapplied VEX statements only where stdout cannot
// hold them (ndjson), the warnings with the table and ndjson — on stderr.
func TestMatches(t *testing.T) {
	m := &run.Matches{Matches: []run.MatchRow{{Purl: "pkg:npm/a@1", AdvisoryID: "GHSA-1", Aliases: []string{}}},
		VEXReport: []run.VEXReportRow{{Statement: "s1", Vulnerability: "CVE-9", Reason: "unknown_product", Detail: "no such product"}},
		Warnings:  []string{"w1"}}
	for _, c := range []struct {
		format, out, notes string
	}{
		{"ndjson", `"advisoryId":"GHSA-1"`, "vex: statement s1 (CVE-9): unknown_product: no such product\nstella: warning: w1\n"},
		{"table", "1 findings", "stella: warning: w1\n"},
		{"json", `"vexReport"`, ""},
	} {
		var out, notes bytes.Buffer
		if err := Matches(&out, &notes, c.format, m, false); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), c.out) || notes.String() != c.notes {
			t.Errorf("%s: stdout\n%s\nstderr\n%s", c.format, out.String(), notes.String())
		}
	}
}

func TestPullWarnings(t *testing.T) {
	var w bytes.Buffer
	PullWarnings(&w, []feeds.Result{{Name: "kev"}, {Name: "osv/Go", Warnings: []string{"a", "b"}}})
	if got := w.String(); got != "stella: warning: feed osv/Go: a\nstella: warning: feed osv/Go: b\n" {
		t.Errorf("got %q", got)
	}
}

// TestInspectErrors: each file inputs inspect could not read gets its
// error on stderr, one problem per line; files read get none.
func TestInspectErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join("..", "..", "testdata", "simulate", "kev.json")
	missing := filepath.Join(dir, "missing.json")
	out, err := snapshot.Inspect([]string{good, missing}, snapshot.InspectOptions{MaxInputSize: snapshot.DefaultMaxInputSize})
	if err != nil {
		t.Fatal(err)
	}
	var w bytes.Buffer
	if n := InspectErrors(&w, out); n != 1 || !strings.HasPrefix(w.String(), "stella: "+missing) || strings.Count(w.String(), "\n") != 1 {
		t.Errorf("%d errors:\n%s", n, w.String())
	}
}

// TestComparisons: symbols stream out a line each (what was read before an
// error stays written); a structured format writes one value, none after
// an error.
func TestComparisons(t *testing.T) {
	a, b := run.Comparison{Ecosystem: "npm", A: "1", B: "2", Result: "<"}, run.Comparison{Ecosystem: "npm", A: "2", B: "2", Result: "="}
	for _, c := range []struct {
		format string
		pair   bool
		rows   []run.Comparison
		err    error
		want   string
	}{
		{"", false, []run.Comparison{a, b}, nil, "<\n=\n"},
		{"table", true, []run.Comparison{a}, nil, "<\n"},
		{"", false, []run.Comparison{a}, errors.New("stdin:2: bad"), "<\n"},
		{"json", true, []run.Comparison{a}, nil, "{\n  \"ecosystem\": \"npm\",\n  \"a\": \"1\",\n  \"b\": \"2\",\n  \"result\": \"<\"\n}\n"},
		{"ndjson", false, []run.Comparison{a, b}, nil, `{"ecosystem":"npm","a":"1","b":"2","result":"<"}` + "\n" + `{"ecosystem":"npm","a":"2","b":"2","result":"="}` + "\n"},
		{"json", false, []run.Comparison{a}, errors.New("stdin:2: bad"), ""},
	} {
		var w bytes.Buffer
		out := NewComparisons(&w, c.format, c.pair)
		for _, r := range c.rows {
			if err := out.Add(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := out.Close(c.err); err != c.err || w.String() != c.want {
			t.Errorf("%s pair=%v: %q, %v; want %q", c.format, c.pair, w.String(), err, c.want)
		}
	}
}
