package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/delta"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/text"
)

// markdownTop is how many blocked findings (and delta rows) the markdown
// summary lists; the rest are counted.
const markdownTop = 10

// Markdown writes a compact summary for CI job summaries and pull-request
// comments (docs/output.md "Markdown"): the verdict, counts by verdict and
// by severity band (unknown included), the gates that did not pass, the
// delta against a baseline when o.Delta is set, the top blocked findings
// with their fixed versions and deciding rule, and how to explain one. It
// links nowhere.
func Markdown(w io.Writer, r *engine.Result, o Options) error {
	var b strings.Builder
	shadow := ""
	if r.Shadow {
		shadow = " (shadow: not enforced)"
	}
	gate := ""
	if o.FailOn != "" {
		gate = fmt.Sprintf(" · gate --fail-on %s: %s", o.FailOn, strings.ToUpper(o.FailOnOutcome))
	}
	fmt.Fprintf(&b, "## stella: %s%s%s\n\n", strings.ToUpper(r.Verdict), shadow, gate)
	v := r.Summary.ByVerdict
	fmt.Fprintf(&b, "Policy **%s** `%s` · %d findings: %d blocked, %d warned, %d quieted, %d ignored, %d passed · evaluated at %s\n\n",
		mdText(r.Policy.ID), canon.Short(r.Policy.Digest, 12), r.Summary.Findings, v.Blocked, v.Warned, v.Quieted, v.Ignored, v.Passed, r.EvaluationTime)
	s := r.Summary.BySeverity
	b.WriteString("| Critical | High | Medium | Low | None | Unknown |\n|---:|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %d |\n\n", s.Critical, s.High, s.Medium, s.Low, s.None, s.Unknown)
	if r.Summary.Unchecked > 0 {
		fmt.Fprintf(&b, "**%d components unchecked**: no advisory of the inputs could be checked against them (%s).\n\n",
			r.Summary.Unchecked, mdText(UncheckedList(r)))
	}
	for _, g := range r.Gates {
		if g.Outcome != engine.GatePass {
			fmt.Fprintf(&b, "- gate **%s** %s: %s\n", mdText(g.Name), strings.ToUpper(g.Outcome), mdText(g.Message))
		}
	}
	if o.Delta != nil {
		markdownDelta(&b, o.Delta)
	}
	var blocked []*engine.Finding
	for _, f := range ByAttention(r.Findings) {
		if f.Verdict == engine.VerdictBlocked {
			blocked = append(blocked, f)
		}
	}
	if len(blocked) > 0 {
		fmt.Fprintf(&b, "\n### Blocked findings\n\n| severity | package | advisory | fixed in | rule |\n|---|---|---|---|---|\n")
		for i, f := range blocked {
			if i == markdownTop {
				fmt.Fprintf(&b, "\n%d more blocked findings are not listed.\n", len(blocked)-markdownTop)
				break
			}
			fmt.Fprintf(&b, "| %s %s | `%s` | %s | %s | %s |\n", f.Severity.Band, scoreText(f), mdCode(pkgText(f)), mdText(f.AdvisoryID),
				mdText(fixedText(f.FixedIn)), mdText(ruleText(f)))
		}
		fmt.Fprintf(&b, "\nWhy a finding is blocked: `stella policy explain latest --vuln %s` after recording the run (`--record`), or its `explain` member in `--format json`.\n",
			blocked[0].AdvisoryID)
	}
	if ws := resultWarnings(r); len(ws) > 0 {
		// What the inputs did not let stella see (ranges not evaluated,
		// components without versions, stale data…): a PASSED comment must
		// not hide it (docs/output.md "Markdown").
		fmt.Fprintf(&b, "\n### Warnings\n\n")
		for i, wn := range ws {
			if i == markdownTop {
				fmt.Fprintf(&b, "- and %d more (`--format json`: `warnings`)\n", len(ws)-markdownTop)
				break
			}
			fmt.Fprintf(&b, "- %s\n", mdText(wn))
		}
	}
	_, err := io.WriteString(w, escape(b.String(), true))
	return err
}

// markdownDelta writes the delta section: the counts, the component
// changes and the findings that are not unchanged.
func markdownDelta(b *strings.Builder, d *delta.Delta) {
	s := d.Summary
	fmt.Fprintf(b, "\n### Changes against %s `%s` (%s)\n\n", d.Baseline.Kind, mdCode(d.Baseline.Ref), d.Baseline.Verdict)
	fmt.Fprintf(b, "Findings: **%d new** (%d newly blocked, %d newly warned), %d fixed, %d unchanged, %d verdict changed. Components: %d added, %d removed, %d upgraded.\n",
		s.New, s.NewBlocked, s.NewWarned, s.Fixed, s.Unchanged, s.VerdictChanged, s.ComponentsAdded, s.ComponentsRemoved, s.ComponentsUpgraded)
	if len(s.GatesNewlyBlocking) > 0 {
		fmt.Fprintf(b, "\nGates newly blocking: **%s** (`--fail-on new-blocked` fails on them too).\n", mdText(strings.Join(s.GatesNewlyBlocking, ", ")))
	}
	if len(s.GatesNewlyWarning) > 0 {
		fmt.Fprintf(b, "\nGates newly warning: **%s**.\n", mdText(strings.Join(s.GatesNewlyWarning, ", ")))
	}
	var rows []delta.Change
	for _, f := range d.Findings {
		if f.Kind != delta.Unchanged {
			rows = append(rows, f)
		}
	}
	if len(rows) > 0 {
		b.WriteString("\n| change | package | advisory | version | verdict | severity | fixed in |\n|---|---|---|---|---|---|---|\n")
		for i, f := range rows {
			if i == markdownTop {
				fmt.Fprintf(b, "\n%d more changed findings are not listed.\n", len(rows)-markdownTop)
				break
			}
			verdict := arrow(f.OldVerdict, f.NewVerdict)
			if f.Kind == delta.Fixed {
				verdict = "was " + f.OldVerdict
			}
			fmt.Fprintf(b, "| %s | `%s` | %s | %s | %s | %s | %s |\n", strings.ReplaceAll(f.Kind, "_", " "), mdCode(pkgName(f.Ecosystem, f.Name)),
				mdText(f.AdvisoryID), mdText(arrow(f.OldVersion, f.NewVersion)), verdict, f.Severity, mdText(fixedText(f.FixedIn)))
		}
	}
	c := d.Components
	if len(c.Added)+len(c.Removed)+len(c.Upgraded) > 0 {
		var parts []string
		for _, u := range c.Upgraded {
			parts = append(parts, fmt.Sprintf("`%s` %s → %s", mdCode(pkgName(u.Ecosystem, u.Name)), mdText(u.From), mdText(u.To)))
		}
		for _, a := range c.Added {
			parts = append(parts, fmt.Sprintf("`%s` %s added", mdCode(pkgName(a.Ecosystem, a.Name)), mdText(a.Version)))
		}
		for _, r := range c.Removed {
			parts = append(parts, fmt.Sprintf("`%s` %s removed", mdCode(pkgName(r.Ecosystem, r.Name)), mdText(r.Version)))
		}
		fmt.Fprintf(b, "\nComponents: %s.\n", strings.Join(text.First(parts, markdownTop), "; "))
	}
}

// mdCode keeps text inside a code span in a markdown table cell: pipes
// escaped, line breaks as spaces, no backtick to end the span.
func mdCode(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "`", "'").Replace(s)
}

// mdText keeps input text (versions, messages, names) plain outside a code
// span: besides mdCode's replacements, HTML (<, >, &) becomes entities and
// link brackets are escaped, so a component version "1.0<!--" cannot hide
// the rest of a pull-request comment, nor "[x](…)" or "<img …>" add a link
// or an image to it (docs/output.md "Markdown").
func mdText(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "`", "'", "<", "&lt;", ">", "&gt;", "&", "&amp;",
		"[", `\[`, "]", `\]`).Replace(s)
}
