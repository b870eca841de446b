package report

// This file renders explain traces as one self-contained HTML page: no
// scripts, no external stylesheets, fonts or images, so an auditor can open
// it offline and archive it as it is.

import (
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/run"
)

// ExplainPage is a run and some of its findings with their explain traces:
// what `policy explain` shows (its JSON form), ExplainTable and ExplainHTML
// render.
type ExplainPage struct {
	run.Explanation
	// A whole evaluation (HTML of a result) also shows its inputs, gates,
	// summary and digests, and an overview of the findings; nil or empty
	// leaves those sections out.
	Result *engine.Result `json:"-"`
}

// ExplainHTML writes page as a self-contained HTML document. The output is
// a pure function of page.
func ExplainHTML(w io.Writer, page ExplainPage) error {
	return explainTmpl().Execute(escWriter{w}, htmlPage{page, instancePlaces(page.Findings)})
}

// htmlPage is what the page's template renders: the page, and where each
// instance of a package at several places is (instancePlaces), so the
// findings table and each trace tell the instances apart as the explain
// table does.
type htmlPage struct {
	ExplainPage
	Places map[string]string
}

// explainTmpl is parsed when first used, not at start-up: most commands
// never render HTML (docs/performance.md, start-up).
var explainTmpl = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("explain").Funcs(template.FuncMap{
		"dec":      decText,
		"yesno":    YesNo,
		"upper":    strings.ToUpper,
		"join":     strings.Join,
		"warnings": resultWarnings,
		"epssOf":   epssOf,
		"mark": func(d string) string {
			switch d {
			case engine.DecisionMatched:
				return "✓"
			case engine.DecisionShadowed:
				return "⊘"
			}
			return "✗"
		},
		"deciding": func(f engine.Finding, r engine.RuleTrace) bool {
			return f.Explain != nil && r.Rule == f.Explain.Verdict.Rule && r.Decision == engine.DecisionMatched
		},
		"summary":        Summary,
		"severityCounts": SeverityCounts,
		"attention":      ByAttention,
		"pkg":            pkgText,
		"rule":           ruleText,
		"exceptionDoes":  exceptionDoes,
		"gateClass": func(o string) string {
			switch o {
			case engine.GateBlock:
				return "v-blocked"
			case engine.GateWarn:
				return "v-warned"
			}
			return "v-passed"
		},
		"prio": func(p *int) string {
			if p == nil {
				return "–"
			}
			return fmt.Sprint(*p)
		},
	}).Parse(explainHTML))
})

// YesNo prints a flag that may be unknown (nil pointer): yes, no or unknown.
func YesNo(v any) string {
	switch b := v.(type) {
	case bool:
		if b {
			return "yes"
		}
		return "no"
	case *bool:
		if b == nil {
			return "unknown"
		}
		return YesNo(*b)
	}
	return fmt.Sprint(v)
}

// decText prints a decimal that may be absent (nil pointer) as "–".
func decText(v any) string {
	switch d := v.(type) {
	case decimal.D:
		return d.String()
	case *decimal.D:
		if d == nil {
			return "–"
		}
		return d.String()
	}
	return fmt.Sprint(v)
}

const explainHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>stella explain {{.RunID}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:72em;color:#1b1f24;padding:0 1em}
h1{font-size:1.3em}h2{font-size:1.1em;margin:0}h3{font-size:1em;margin:1em 0 .3em}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
td.mono,td .mono,td code{overflow-wrap:anywhere}
td.rule{overflow-wrap:normal;white-space:nowrap}
table{border-collapse:collapse;width:100%;margin:.3em 0}
th,td{text-align:left;padding:.25em .5em;border-bottom:1px solid #d8dee4;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
.finding{border:1px solid #d0d7de;border-radius:6px;padding:1em;margin:1.2em 0}
.v-blocked{color:#b42318;font-weight:700}.v-warned{color:#9a6700;font-weight:700}
.v-passed{color:#1a7f37;font-weight:700}.v-quieted,.v-ignored{color:#57606a;font-weight:700}
tr.deciding td{background:#fff1f0;font-weight:600}
tr.not_matched td,tr.shadowed td{color:#57606a}
.meta td:first-child{width:11em;color:#57606a}
.ops{margin:0;padding-left:1.2em;color:#57606a}
.rejected{color:#9a6700}.counted{color:#1a7f37}
footer{color:#57606a;margin-top:2em;font-size:.9em}
</style>
</head>
<body>
{{if .RunID}}<h1>Explain: <span class="mono">{{.RunID}}</span></h1>{{else}}<h1>Evaluation: <span class="v-{{.Verdict}}">{{upper .Verdict}}</span></h1>{{end}}
<table class="meta">
<tr><td>policy</td><td class="mono">{{.PolicyID}}{{if .PolicyVersion}}@{{.PolicyVersion}}{{end}}</td></tr>
<tr><td>IR digest</td><td class="mono">{{.IRDigest}}</td></tr>
<tr><td>evaluation time</td><td class="mono">{{.EvaluationTime}}</td></tr>
<tr><td>run verdict</td><td><span class="v-{{.Verdict}}">{{upper .Verdict}}</span>{{if .Shadow}} — shadow run, findings not enforced{{end}}</td></tr>
<tr><td>findings shown</td><td>{{len .Findings}}</td></tr>
{{with .Result}}<tr><td>summary</td><td>{{summary .}}</td></tr>
<tr><td>by severity</td><td>{{severityCounts .}}</td></tr>
<tr><td>env</td><td class="mono">{{range .Env}}{{.Key}}={{.Value}} {{else}}–{{end}}</td></tr>
{{with .Inputs}}{{if .SnapshotID}}<tr><td>snapshot</td><td class="mono">{{.SnapshotID}}</td></tr>{{end}}
{{range .SBOMs}}<tr><td>SBOM</td><td class="mono">{{.Name}} {{.Digest}} ({{.Components}} components)</td></tr>{{end}}
<tr><td>advisories</td><td class="mono">{{.Advisories}} ({{.Counts.Advisories}})</td></tr>
<tr><td>VEX</td><td class="mono">{{.VEX}} ({{.Counts.VEX}} statements)</td></tr>
{{if .EPSS}}<tr><td>EPSS</td><td class="mono">{{.EPSS}} ({{.Counts.EPSS}})</td></tr>{{end}}
{{if .KEV}}<tr><td>KEV</td><td class="mono">{{.KEV}} ({{.Counts.KEV}})</td></tr>{{end}}
{{if .Reachability}}<tr><td>reachability</td><td class="mono">{{.Reachability}} ({{.Counts.Reachability}})</td></tr>{{end}}
{{if .Exceptions}}<tr><td>exceptions</td><td class="mono">{{.Exceptions}} ({{.Counts.Exceptions}})</td></tr>{{end}}
<tr><td>inputs hash</td><td class="mono">{{.InputsHash}}</td></tr>{{end}}
<tr><td>digests</td><td class="mono">findings {{.Digests.Findings}}<br>explains {{.Digests.Explains}}<br>result {{.Digests.Result}}</td></tr>
{{range warnings .}}<tr><td>note</td><td>{{.}}</td></tr>{{end}}{{end}}
</table>
{{with .Result}}<h3>Gates</h3>
{{if .Gates}}<table><tr><th>gate</th><th>outcome</th><th>observed</th><th>threshold</th><th></th></tr>
{{range .Gates}}<tr><td class="mono">{{.Name}}</td><td class="{{gateClass .Outcome}}">{{.Outcome}}</td><td>{{dec .Observed}}</td><td>{{dec .Threshold}}</td><td>{{.Message}}</td></tr>{{end}}
</table>{{else}}<p>No gates are configured in the policy's settings.</p>{{end}}
<h3>Rules</h3>
<table><tr><th>rule</th><th>matched</th><th>decided</th><th>shadowed</th></tr>
{{range .Summary.Rules}}<tr><td class="mono">{{.Rule}}</td><td>{{.Matched}}</td><td>{{.Decided}}</td><td>{{.Shadowed}}</td></tr>{{end}}
</table>
<h3>Findings</h3>
<table><tr><th>verdict</th><th>severity</th><th>package</th><th>advisory</th><th>VEX</th><th>rule</th></tr>
{{range attention .Findings}}<tr><td class="v-{{.Verdict}}">{{.Verdict}}</td><td>{{.Severity.Band}} {{dec .Severity.Score}}</td><td class="mono"><a href="#{{.FindingID}}">{{pkg .}}</a>{{with index $.Places .FindingID}} at {{.}}{{end}}</td><td class="mono">{{.AdvisoryID}}</td><td>{{.VEXStatus}}</td><td class="mono">{{rule .}}</td></tr>{{end}}
</table>{{end}}
{{range $f := .Findings}}{{with $f.Explain}}
<section class="finding" id="{{$f.FindingID}}">
<h2><span class="v-{{$f.Verdict}}">{{upper $f.Verdict}}</span> <span class="mono">{{$f.FindingID}}</span></h2>
<table class="meta">
<tr><td>component</td><td class="mono">{{$f.Purl}}{{with index $.Places $f.FindingID}} at {{.}}{{end}}{{if $f.Component.Scope}} ({{$f.Component.Scope}}){{end}}</td></tr>
<tr><td>advisory</td><td class="mono">{{$f.AdvisoryID}}{{if $f.Aliases}} ({{join $f.Aliases ", "}}){{end}} · {{$f.Source}}{{if $f.Range}} · range {{$f.Range}}{{end}}{{if $f.FixedIn}} · fixed in {{join $f.FixedIn ", "}}{{end}}</td></tr>
<tr><td>VEX status</td><td>{{$f.VEXStatus}}</td></tr>
<tr><td>severity</td><td>{{$f.Severity.Band}} {{dec $f.Severity.Score}}{{if $f.Severity.Source}} ({{$f.Severity.Source}}){{end}} · risk {{dec $f.RiskScore}}</td></tr>
<tr><td>decided by</td><td>{{if .Verdict.Rule}}<b class="mono">{{.Verdict.Rule}}</b> — {{end}}{{.Verdict.Rationale}}</td></tr>{{with $f.Exception}}
<tr><td>exception</td><td><b class="mono">{{.ID}}</b> — {{exceptionDoes .}}</td></tr>{{end}}
{{if not $f.Enforced}}<tr><td>enforced</td><td>no (shadow)</td></tr>{{end}}
</table>
<h3>Rule chain</h3>
<table>
<tr><th></th><th>rule</th><th>priority</th><th>decision</th><th>condition and operand values</th><th>actions</th></tr>
{{range .RuleChain}}<tr class="{{.Decision}}{{if deciding $f .}} deciding{{end}}">
<td>{{mark .Decision}}</td><td class="mono rule">{{.Rule}}{{if deciding $f .}} ◀ deciding{{end}}</td><td>{{prio .Priority}}</td><td>{{.Decision}}{{if eq .Branch "else"}} (else){{end}}</td>
<td><code>{{.Condition.Text}}</code>{{if .Condition.Line}} <span class="mono">{{.Condition.File}}:{{.Condition.Line}}:{{.Condition.Col}}</span>{{end}}
{{if .Operands}}<ul class="ops">{{range .Operands}}<li><code>{{.Expr}}</code> = <code>{{.Value.String}}</code></li>{{end}}</ul>{{end}}</td>
<td>{{range .Actions}}<div><code>{{.Action}}{{if .Key}} {{.Key}}{{end}} {{.Value.String}}</code>{{if not .Applied}} (not applied){{end}}{{if .Note}} — {{.Note}}{{end}}</div>{{end}}</td>
</tr>{{end}}
</table>
<h3>Evidence</h3>
<table class="meta">
<tr><td>advisory</td><td class="mono">{{.Evidence.Advisory.ID}} ({{.Evidence.Advisory.Source}}){{if .Evidence.Advisory.Tags}} tags {{join .Evidence.Advisory.Tags ", "}}{{end}}</td></tr>
<tr><td>signals</td><td>KEV {{yesno .Evidence.Signals.KEV}}{{if .Evidence.Signals.KEVDateAdded}} (added {{.Evidence.Signals.KEVDateAdded}}){{end}} · EPSS {{dec .Evidence.Signals.EPSS}}{{if .Evidence.Signals.EPSSPercentile}} (percentile {{dec .Evidence.Signals.EPSSPercentile}}{{epssOf $f.Signals $f.AdvisoryID}}){{end}}</td></tr>
<tr><td>reachability</td><td>{{.Evidence.Reachability.State}} {{dec .Evidence.Reachability.Score}} ({{.Evidence.Reachability.Scope}})</td></tr>
<tr><td>VEX consensus</td><td>{{.Evidence.Consensus.Status}}{{if .Evidence.Consensus.Conflicts}} — {{len .Evidence.Consensus.Conflicts}} conflicting statement(s){{end}}</td></tr>
<tr><td>severity</td><td>base {{dec .Severity.Base}} ({{.Severity.BaseSource}}){{range .Severity.Adjustments}} · {{.From}} {{dec .Delta}}{{end}} → {{dec .Severity.Final}} {{.Severity.Band}}</td></tr>
{{range .Evidence.Exceptions}}<tr><td>exception</td><td class="mono">{{.ID}} {{.Effect}}: {{.State}}{{if .Detail}} ({{.Detail}}){{end}}</td></tr>{{end}}
</table>
{{if .VEXImpacts}}<h3>VEX statements</h3>
<table><tr><th>statement</th><th>provider</th><th>status</th><th>justification</th><th>counted</th></tr>
{{range .VEXImpacts}}<tr><td class="mono">{{.StatementID}}</td><td>{{.Provider}}</td><td>{{.Status}}</td><td>{{.Justification}}</td><td>{{if .Accepted}}<span class="counted">yes</span>{{else}}<span class="rejected">no</span>{{end}}{{if .Reason}} — {{.Reason}}{{end}}</td></tr>{{end}}
</table>{{end}}
{{if .Notes}}<h3>Notes</h3><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Risk.Terms}}<h3>Risk score ({{.Risk.Profile}})</h3>
<p>{{range .Risk.Terms}}{{.Signal}} {{dec .Value}} × {{dec .Weight}} = {{dec .Points}} · {{end}}score {{dec .Risk.Score}}{{if .Risk.Capped}} ({{.Risk.Capped}}){{end}}</p>{{end}}
{{if .WhatWouldChange}}<h3>What would change the verdict</h3><ul>{{range .WhatWouldChange}}<li>{{.}}</li>{{end}}</ul>{{end}}
</section>
{{end}}{{end}}
<footer>{{if .RunID}}Generated by stella from the stored run record; explain ids and digests in the JSON form (<code>stella policy explain --format json</code>) identify every trace.{{else}}Generated by stella from an evaluation result; the JSON form (<code>--format json</code>) carries the same data with every digest.{{end}}</footer>
</body>
</html>
`
