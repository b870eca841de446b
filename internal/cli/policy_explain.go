package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/evidence"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/store"
)

type policyExplainOptions struct {
	finding  string
	purl     string
	vuln     string
	evidence evidenceFlags
}

func newPolicyExplainCmd(app *App) *cobra.Command {
	opts := &policyExplainOptions{}
	cmd := &cobra.Command{
		Use:   "explain RUN|latest|evidence.tar [--finding ID | --purl P | --vuln V] [--key PUB]",
		Short: "Explain each verdict of a stored run: rule chain, evidence, what would change it",
		Long: `Explain why each finding of a stored run got its verdict: every rule in
evaluation order (✓ matched, ✗ not matched, ⊘ shadowed) with its condition and
the values its operands had, the deciding rule highlighted, the evidence
(advisory, VEX statements and whether they counted, signals, reachability,
exceptions) and, for blocked findings, what would change the verdict.

--format table (default on a terminal), json (the stored traces), or html
(one self-contained file an auditor can open offline). --purl accepts a
trailing * as a prefix match; --vuln matches the advisory id or an alias.

Given an evidence archive (policy export --run) instead of a run, the
explanation is read from the archive alone, with no database: verified
first against --key (or the trust config in force) as policy verify does,
else marked UNVERIFIED on stderr.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyExplain(cmd.Context(), app, args[0], opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.finding, "finding", "", "only this finding id")
	f.StringVar(&opts.purl, "purl", "", "only findings of this purl (a trailing * matches a prefix)")
	f.StringVar(&opts.vuln, "vuln", "", "only findings of this advisory id or alias")
	cmd.MarkFlagsMutuallyExclusive("finding", "purl", "vuln")
	opts.evidence.register(f)
	return cmd
}

// explainDoc is the JSON form of `policy explain`.
type explainDoc struct {
	RunID          string           `json:"runId"`
	PolicyID       string           `json:"policyId"`
	PolicyVersion  int              `json:"policyVersion,omitempty"`
	IRDigest       string           `json:"irDigest"`
	EvaluationTime string           `json:"evaluationTime"`
	Shadow         bool             `json:"shadow"`
	Verdict        string           `json:"verdict"`
	Feeds          []engine.FeedRef `json:"feeds,omitempty"` // the feeds the inputs were frozen from (docs/feeds.md)
	Findings       []engine.Finding `json:"findings"`
}

func runPolicyExplain(ctx context.Context, app *App, runID string, opts *policyExplainOptions) error {
	var doc explainDoc
	var err error
	filter := store.FindingFilter{FindingID: opts.finding, Purl: opts.purl, Vuln: opts.vuln}
	if evidence.IsArchive(runID) {
		err = explainEvidence(ctx, app, runID, opts, filter, &doc)
	} else {
		err = explainStored(ctx, app, runID, filter, &doc)
	}
	if err != nil {
		return err
	}
	return finishExplain(app, doc, opts)
}

// explainStored fills doc from a stored run.
func explainStored(ctx context.Context, app *App, runID string, filter store.FindingFilter, doc *explainDoc) error {
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	return st.View(ctx, func(tx *store.Tx) error {
		id, err := tx.ResolveRun(ctx, runID)
		if err != nil {
			return err
		}
		r, err := tx.Run(ctx, id)
		if err != nil {
			return err
		}
		if r.Status != store.StatusSucceeded {
			return fail.New(fail.NotFound, "run %s %s and has no findings to explain: %s", r.RunID, r.Status, r.Error)
		}
		*doc = explainDoc{RunID: r.RunID, PolicyID: r.PolicyID, PolicyVersion: r.PolicyVersion, IRDigest: r.IRDigest,
			EvaluationTime: r.EvaluationTime, Shadow: r.Shadow, Verdict: r.Verdict, Feeds: recordFeeds(r.Record)}
		doc.Findings, err = tx.Findings(ctx, r.RunID, filter, true)
		return err
	})
}

// explainEvidence fills doc from an evidence archive, with no database.
func explainEvidence(ctx context.Context, app *App, path string, opts *policyExplainOptions, filter store.FindingFilter, doc *explainDoc) error {
	a, _, err := opts.evidence.open(ctx, app, path)
	if err != nil {
		return err
	}
	rec := a.Record
	*doc = explainDoc{RunID: rec.RunID, PolicyID: rec.Policy.PolicyID, PolicyVersion: rec.Policy.Version, IRDigest: rec.Policy.IRDigest,
		EvaluationTime: rec.Inputs.EvaluationTime, Shadow: rec.Shadow, Verdict: rec.Verdict, Feeds: recordFeeds(a.Evidence.Record)}
	doc.Findings, err = a.Findings(filter)
	return err
}

func finishExplain(app *App, doc explainDoc, opts *policyExplainOptions) error {
	if doc.Findings == nil {
		doc.Findings = []engine.Finding{}
	}
	if len(doc.Findings) == 0 && (opts.finding != "" || opts.purl != "" || opts.vuln != "") {
		return fail.New(fail.NotFound, "run %s has no finding matching %s", doc.RunID, filterText(opts))
	}
	switch app.Format() {
	case "html":
		return report.ExplainHTML(app.Out, report.ExplainPage{
			RunID: doc.RunID, PolicyID: doc.PolicyID, PolicyVersion: doc.PolicyVersion, IRDigest: doc.IRDigest,
			EvaluationTime: doc.EvaluationTime, Shadow: doc.Shadow, Verdict: doc.Verdict, Findings: doc.Findings,
		})
	case "ndjson":
		return writeNDJSON(app.Out, doc.Findings)
	}
	return app.render(doc, func(w io.Writer) error { return app.explainTable(w, &doc) })
}

// recordFeeds reads the feed provenance of a run record (inputs.feeds).
func recordFeeds(record []byte) []engine.FeedRef {
	var rec struct {
		Inputs struct {
			Feeds []engine.FeedRef `json:"feeds"`
		} `json:"inputs"`
	}
	if json.Unmarshal(record, &rec) != nil {
		return nil
	}
	return rec.Inputs.Feeds
}

func filterText(o *policyExplainOptions) string {
	switch {
	case o.finding != "":
		return "--finding " + o.finding
	case o.purl != "":
		return "--purl " + o.purl
	}
	return "--vuln " + o.vuln
}

// explainTable writes the terminal form: one block per finding.
func (a *App) explainTable(w io.Writer, doc *explainDoc) error {
	s := a.styles()
	shadow := ""
	if doc.Shadow {
		shadow = " · shadow (not enforced)"
	}
	policy := doc.PolicyID
	if doc.PolicyVersion > 0 {
		policy = fmt.Sprintf("%s@%d", doc.PolicyID, doc.PolicyVersion)
	}
	fmt.Fprintf(w, "%s  policy %s  evaluated at %s  verdict %s%s\n", s.paint(s.bold, doc.RunID), policy, doc.EvaluationTime, verdictText(s, doc.Verdict), shadow)
	for _, f := range doc.Feeds {
		fmt.Fprintf(w, "feed %s  from %s  fetched %s  %s\n", f.Name, f.URL, f.FetchedAt, f.Digest)
	}
	if len(doc.Findings) == 0 {
		fmt.Fprintln(w, "no findings")
		return nil
	}
	for i := range doc.Findings {
		fmt.Fprintln(w)
		writeExplain(w, s, &doc.Findings[i])
	}
	return nil
}

func writeExplain(w io.Writer, s styles, f *engine.Finding) {
	ex := f.Explain
	fmt.Fprintf(w, "%s %s\n", s.paint(s.bold, "finding"), f.FindingID)
	comp := f.Purl
	if comp == "" {
		comp = f.Name + "@" + f.Version
	}
	if extra := joinNonEmpty(", ", f.Component.Scope, f.Component.Relation); extra != "" {
		comp += " (" + extra + ")"
	}
	fmt.Fprintf(w, "  component  %s\n", comp)
	adv := f.AdvisoryID
	if len(f.Aliases) > 0 {
		adv += " (" + strings.Join(f.Aliases, ", ") + ")"
	}
	fmt.Fprintf(w, "  advisory   %s  source %s", adv, f.Source)
	if f.Range != "" {
		fmt.Fprintf(w, "  range %s", f.Range)
	}
	if len(f.FixedIn) > 0 {
		fmt.Fprintf(w, "  fixed in %s", strings.Join(f.FixedIn, ", "))
	}
	fmt.Fprintln(w)
	sev := f.Severity.Band + " " + dtext(f.Severity.Score)
	if f.Severity.Source != "" {
		sev += " (" + f.Severity.Source + ")"
	}
	fmt.Fprintf(w, "  verdict    %s · vex %s · severity %s · risk %s", verdictText(s, f.Verdict), f.VEXStatus, sev, dtext(f.RiskScore))
	if !f.Enforced {
		fmt.Fprint(w, " · not enforced")
	}
	fmt.Fprintln(w)
	if ex == nil {
		return
	}
	if ex.Verdict.Rule != "" {
		fmt.Fprintf(w, "  decided by %s — %s\n", s.paint(s.bold, ex.Verdict.Rule), ex.Verdict.Rationale)
	} else {
		fmt.Fprintf(w, "  decided by no rule — %s\n", ex.Verdict.Rationale)
	}

	fmt.Fprintf(w, "  %s\n", s.paint(s.bold, "rule chain"))
	for _, r := range ex.RuleChain {
		mark, note := "✗", "not matched"
		switch r.Decision {
		case engine.DecisionMatched:
			mark, note = "✓", "matched"
			if r.Branch == "else" {
				note = "else branch"
			}
		case engine.DecisionShadowed:
			mark, note = "⊘", "shadowed"
		}
		prio := ""
		if r.Priority != nil {
			prio = fmt.Sprintf(" [priority %d]", *r.Priority)
		}
		line := fmt.Sprintf("%s %s%s  %s", mark, r.Rule, prio, note)
		deciding := r.Rule == ex.Verdict.Rule && r.Decision == engine.DecisionMatched
		if deciding {
			line = s.paint(s.bad, line+"  ◀ deciding rule")
		} else if r.Decision != engine.DecisionMatched {
			line = s.paint(s.dim, line)
		}
		fmt.Fprintf(w, "    %s\n", line)
		// A condition written over several lines keeps its shape, indented.
		cond := strings.ReplaceAll(r.Condition.Text, "\n", "\n             ")
		if r.Condition.Line > 0 {
			cond += fmt.Sprintf("  (%s:%d:%d)", r.Condition.File, r.Condition.Line, r.Condition.Col)
		}
		if cond != "" {
			fmt.Fprintf(w, "        when %s\n", cond)
		}
		for _, o := range r.Operands {
			fmt.Fprintf(w, "          %s = %s\n", o.Expr, o.Value.String())
		}
		for _, act := range r.Actions {
			applied := "applied"
			if !act.Applied {
				applied = "not applied"
			}
			what := act.Action
			if act.Key != "" {
				what += " " + act.Key
			}
			fmt.Fprintf(w, "        → %s %s (%s", what, act.Value.String(), applied)
			if act.Note != "" {
				fmt.Fprintf(w, ": %s", act.Note)
			}
			fmt.Fprintln(w, ")")
		}
	}

	ev := ex.Evidence
	fmt.Fprintf(w, "  %s\n", s.paint(s.bold, "evidence"))
	fmt.Fprintf(w, "    advisory      %s (%s)", ev.Advisory.ID, ev.Advisory.Source)
	if len(ev.Advisory.Tags) > 0 {
		fmt.Fprintf(w, " tags %s", strings.Join(ev.Advisory.Tags, ", "))
	}
	fmt.Fprintln(w)
	if len(ex.VEXImpacts) == 0 {
		fmt.Fprintln(w, "    vex           no statements")
	}
	for _, vi := range ex.VEXImpacts {
		acc := s.paint(s.good, "counted")
		if !vi.Accepted {
			acc = s.paint(s.warn, "rejected")
		}
		fmt.Fprintf(w, "    vex           %s by %s: %s", vi.StatementID, orDash(vi.Provider), vi.Status)
		if vi.Justification != "" {
			fmt.Fprintf(w, " (%s)", vi.Justification)
		}
		fmt.Fprintf(w, " — %s", acc)
		if vi.Reason != "" {
			fmt.Fprintf(w, ": %s", vi.Reason)
		}
		fmt.Fprintln(w)
	}
	if ev.Consensus.Status != "" {
		fmt.Fprintf(w, "    consensus     %s", ev.Consensus.Status)
		if len(ev.Consensus.Conflicts) > 0 {
			fmt.Fprintf(w, " (%d conflicting statement(s))", len(ev.Consensus.Conflicts))
		}
		fmt.Fprintln(w)
	}
	sig := "kev " + report.YesNo(ev.Signals.KEV)
	if ev.Signals.KEVDateAdded != "" {
		sig += " (added " + ev.Signals.KEVDateAdded + ")"
	}
	sig += " · epss " + dtext(ev.Signals.EPSS)
	if ev.Signals.EPSSPercentile != nil {
		sig += " (percentile " + dtext(ev.Signals.EPSSPercentile) + ")"
	}
	fmt.Fprintf(w, "    signals       %s\n", sig)
	fmt.Fprintf(w, "    reachability  %s %s (%s)\n", orDash(ev.Reachability.State), dtext(ev.Reachability.Score), orDash(ev.Reachability.Scope))
	for _, e := range ev.Exceptions {
		fmt.Fprintf(w, "    exception     %s %s: %s", e.ID, e.Effect, e.State)
		if e.Detail != "" {
			fmt.Fprintf(w, " (%s)", e.Detail)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "    severity      base %s (%s)", dtext(ex.Severity.Base), orDash(ex.Severity.BaseSource))
	for _, adj := range ex.Severity.Adjustments {
		fmt.Fprintf(w, " %+g %s", adj.Delta.Float(), adj.From)
	}
	fmt.Fprintf(w, " → %s %s\n", dtext(ex.Severity.Final), ex.Severity.Band)
	if len(ex.Notes) > 0 {
		fmt.Fprintf(w, "  %s\n", s.paint(s.bold, "notes"))
		for _, n := range ex.Notes {
			fmt.Fprintf(w, "    - %s\n", n)
		}
	}
	if len(ex.WhatWouldChange) > 0 {
		fmt.Fprintf(w, "  %s\n", s.paint(s.bold, "what would change it"))
		for _, c := range ex.WhatWouldChange {
			fmt.Fprintf(w, "    - %s\n", c)
		}
	}
}

func verdictText(s styles, v string) string {
	up := strings.ToUpper(v)
	switch v {
	case engine.VerdictBlocked:
		return s.paint(s.bad, up)
	case engine.VerdictWarned:
		return s.paint(s.warn, up)
	case engine.VerdictPassed:
		return s.paint(s.good, up)
	}
	return up
}

// dtext prints a decimal that may be absent (nil pointer) as "–".
func dtext(v any) string {
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

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
