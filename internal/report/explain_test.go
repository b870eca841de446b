package report

import (
	"bytes"
	"html/template"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/run"
)

// explainPage is the fixture as `policy explain` shows a stored run of it.
func explainPage(t *testing.T) *ExplainPage {
	r := result(t)
	return &ExplainPage{Explanation: run.Explanation{RunID: "run:Shop-API-Gate:20240601T000000Z:0123456789ab", PolicyID: "P-1", PolicyVersion: 2,
		IRDigest: r.Policy.Digest, EvaluationTime: r.EvaluationTime, Shadow: r.Shadow, Verdict: r.Verdict,
		Feeds:    []engine.FeedRef{{Name: "osv", URL: "https://osv.dev", FetchedAt: "2024-05-31T00:00:00Z", Digest: "sha256:0f"}},
		Findings: r.Findings}}
}

// TestExplainGolden renders `policy explain`'s table (plain and coloured)
// and HTML forms of the fixture. Checked by hand when the goldens were
// written: each finding's block names the deciding rule and marks it in
// the rule chain (✓ matched, ✗ not matched, ⊘ shadowed) with the operand
// values, the evidence (VEX statements counted or rejected, signals,
// reachability, EXC-1 for the quieted finding) and, for blocked findings,
// what would change the verdict.
func TestExplainGolden(t *testing.T) {
	page := explainPage(t)
	for _, tt := range []struct {
		name   string
		render func(w *bytes.Buffer) error
	}{
		{"golden.explain.table", func(w *bytes.Buffer) error { return Explained(w, "table", &page.Explanation, Options{}) }},
		{"golden.explain.color", func(w *bytes.Buffer) error { return Explained(w, "table", &page.Explanation, Options{Color: true}) }},
		{"golden.explain.html", func(w *bytes.Buffer) error { return Explained(w, "html", &page.Explanation, Options{}) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := tt.render(&a); err != nil {
				t.Fatal(err)
			}
			if err := tt.render(&b); err != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatalf("two renderings differ (%v)", err)
			}
			checkGolden(t, tt.name, a.Bytes())
		})
	}
	var lines bytes.Buffer
	if err := Explained(&lines, "ndjson", &page.Explanation, Options{}); err != nil || bytes.Count(lines.Bytes(), []byte("\n")) != len(page.Findings) {
		t.Errorf("ndjson: %v, %d lines for %d findings", err, bytes.Count(lines.Bytes(), []byte("\n")), len(page.Findings))
	}
	var none bytes.Buffer
	page.Findings = nil
	if err := ExplainTable(&none, page, Options{}); err != nil || !bytes.HasSuffix(none.Bytes(), []byte("no findings\n")) {
		t.Errorf("no findings: %v %q", err, none.String())
	}
}

// TestExplainInstances: when one package is at several places (two SBOMs,
// two bom-refs), each finding's block says which instance it explains —
// the purl alone would show two identical "component" lines, and a reader
// could not tell which verdict belongs to which place. A package at one
// place keeps its line as it was.
func TestExplainInstances(t *testing.T) {
	page := explainPage(t)
	twin := page.Findings[0]
	twin.FindingID, twin.Component.Ref = "finding:twin", "other-ref"
	page.Findings = append(page.Findings, twin)
	var b bytes.Buffer
	if err := ExplainTable(&b, page, Options{}); err != nil {
		t.Fatal(err)
	}
	f := page.Findings[0]
	where := func(ref string) string {
		return "  component  " + f.Purl + " at SBOM " + canon.Short(f.Component.SBOM, 12) + " ref " + ref + " ("
	}
	out := b.String()
	if !strings.Contains(out, where(f.Component.Ref)) || !strings.Contains(out, where("other-ref")) {
		t.Errorf("instances not told apart:\n%s", out)
	}
	if other := page.Findings[1]; !strings.Contains(out, "  component  "+other.Purl+" (") {
		t.Errorf("a package at one place changed its line:\n%s", out)
	}

	// The HTML page tells them apart the same way, in each trace and, for
	// a whole result, in the findings table.
	b.Reset()
	if err := ExplainHTML(&b, *page); err != nil {
		t.Fatal(err)
	}
	place := func(ref string) string { return " at SBOM " + canon.Short(f.Component.SBOM, 12) + " ref " + ref }
	html := b.String()
	for _, ref := range []string{f.Component.Ref, "other-ref"} {
		if !strings.Contains(html, ">"+template.HTMLEscapeString(f.Purl+place(ref))) {
			t.Errorf("html trace: no component line %q:\n%s", f.Purl+place(ref), html)
		}
	}
	if other := page.Findings[1]; strings.Contains(html, template.HTMLEscapeString(other.Purl)+" at SBOM") {
		t.Errorf("html: a package at one place got a place")
	}
	r := result(t)
	twin = r.Findings[0]
	twin.FindingID, twin.Component.Ref = "finding:twin", "other-ref"
	r.Findings = append(r.Findings, twin)
	b.Reset()
	if err := HTML(&b, r); err != nil {
		t.Fatal(err)
	}
	html = b.String()
	for _, id := range []string{r.Findings[0].FindingID, "finding:twin"} {
		row := `<a href="#` + strings.ReplaceAll(id, ":", "%3a") + `">`
		at := strings.Index(html, row)
		if at < 0 {
			t.Fatalf("html findings table: no row for %s", id)
		}
		end := at + strings.Index(html[at:], "</td>")
		want := template.HTMLEscapeString(place(r.Findings[len(r.Findings)-1].Component.Ref))
		if id == r.Findings[0].FindingID {
			want = template.HTMLEscapeString(place(r.Findings[0].Component.Ref))
		}
		if !strings.HasSuffix(html[at:end], want) {
			t.Errorf("html findings table row of %s: %q, want it to end %q", id, html[at:end], want)
		}
	}
}

// TestExplainEPSSCVE: a finding's EPSS score is its alias group's highest
// (docs/dsl.md "Signals and reachability"); explain names the CVE it is of
// when that is not the advisory id, so an auditor can check it against the
// EPSS file.
func TestExplainEPSSCVE(t *testing.T) {
	page := explainPage(t)
	var f *engine.Finding
	for i := range page.Findings {
		if s := page.Findings[i].Explain.Evidence.Signals; s.EPSSCVE != "" && s.EPSSCVE != page.Findings[i].AdvisoryID {
			f = &page.Findings[i]
			break
		}
	}
	if f == nil {
		t.Fatal("no finding of the fixture has an EPSS score of an alias")
	}
	s := f.Explain.Evidence.Signals
	want := "epss " + s.EPSS.String() + " (percentile " + s.EPSSPercentile.String() + ", of " + s.EPSSCVE + ")"
	for name, render := range map[string]func(w *bytes.Buffer) error{
		"table": func(w *bytes.Buffer) error { return ExplainTable(w, page, Options{}) },
		"html":  func(w *bytes.Buffer) error { return ExplainHTML(w, *page) },
	} {
		var b bytes.Buffer
		if err := render(&b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.ReplaceAll(b.String(), "EPSS ", "epss "), want) {
			t.Errorf("%s explain does not name the CVE of the EPSS score (want %q)", name, want)
		}
	}
}

// TestExplainInstancesPlaces: a place is named only for a package at two
// or more places (SBOM, bom-ref), not for one component with several
// advisories — in the explain table and the HTML page alike.
func TestExplainInstancesPlaces(t *testing.T) {
	page := explainPage(t)
	f := page.Findings[0]
	second := f
	second.FindingID, second.AdvisoryID = "finding:second", "GHSA-second"
	page.Findings = append(page.Findings, second)
	render := func() (string, string) {
		var tb, hb bytes.Buffer
		if err := ExplainTable(&tb, page, Options{}); err != nil {
			t.Fatal(err)
		}
		if err := ExplainHTML(&hb, *page); err != nil {
			t.Fatal(err)
		}
		return tb.String(), hb.String()
	}
	table, html := render()
	if strings.Contains(table, " at SBOM ") || strings.Contains(html, " at SBOM ") {
		t.Errorf("one component, two advisories: a place was named:\n%s\n%s", table, html)
	}
	if got := instancePlaces(page.Findings); len(got) != 0 {
		t.Errorf("one component, two advisories: places %v", got)
	}

	twin := f
	twin.FindingID, twin.Component.Ref = "finding:twin", "other-ref"
	page.Findings = append(page.Findings, twin)
	table, html = render()
	at := func(ref string) string {
		return f.Purl + " at SBOM " + canon.Short(f.Component.SBOM, 12) + " ref " + ref
	}
	if n := strings.Count(table, at(f.Component.Ref)); n != 2 || !strings.Contains(table, at("other-ref")) {
		t.Errorf("two instances: table names %d of 2 blocks at %s, or not the twin:\n%s", n, f.Component.Ref, table)
	}
	if !strings.Contains(html, template.HTMLEscapeString(at(f.Component.Ref))) || !strings.Contains(html, template.HTMLEscapeString(at("other-ref"))) {
		t.Errorf("two instances: html does not name both places:\n%s", html)
	}
	want := map[string]string{f.FindingID: "ref " + f.Component.Ref, second.FindingID: "ref " + f.Component.Ref, twin.FindingID: "ref other-ref"}
	got := instancePlaces(page.Findings)
	if len(got) != len(want) {
		t.Errorf("two instances: places %v, want %d", got, len(want))
	}
	for id, w := range want {
		if p, ok := got[id]; !ok || !strings.HasSuffix(p, w) {
			t.Errorf("two instances: %s at %q, want …%s", id, p, w)
		}
	}
}
