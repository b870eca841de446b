package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/evidence"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
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

func runPolicyExplain(ctx context.Context, app *App, runID string, opts *policyExplainOptions) error {
	var doc report.ExplainPage
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
	doc.Findings = nonNil(doc.Findings)
	if len(doc.Findings) == 0 && (opts.finding != "" || opts.purl != "" || opts.vuln != "") {
		return fail.New(fail.NotFound, "run %s has no finding matching %s", doc.RunID, filterText(opts))
	}
	switch app.Format() {
	case "html":
		return report.ExplainHTML(app.Out, doc)
	case "ndjson":
		return writeNDJSON(app.Out, doc.Findings)
	}
	return app.render(doc, func(w io.Writer) error { return report.ExplainTable(w, &doc, report.Options{Color: app.Color()}) })
}

// explainStored fills doc from a stored run.
func explainStored(ctx context.Context, app *App, runID string, filter store.FindingFilter, doc *report.ExplainPage) error {
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	return st.View(ctx, func(tx *store.Tx) error {
		r, err := tx.RunRef(ctx, runID)
		if err != nil {
			return err
		}
		if r.Status != store.StatusSucceeded {
			return fail.New(fail.NotFound, "run %s %s and has no findings to explain: %s", r.RunID, r.Status, r.Error)
		}
		*doc = report.ExplainPage{RunID: r.RunID, PolicyID: r.PolicyID, PolicyVersion: r.PolicyVersion, IRDigest: r.IRDigest,
			EvaluationTime: r.EvaluationTime, Shadow: r.Shadow, Verdict: r.Verdict, Feeds: run.RecordFeeds(r.Record)}
		doc.Findings, err = tx.Findings(ctx, r.RunID, filter, true)
		return err
	})
}

// explainEvidence fills doc from an evidence archive, with no database.
func explainEvidence(ctx context.Context, app *App, path string, opts *policyExplainOptions, filter store.FindingFilter, doc *report.ExplainPage) error {
	a, _, err := opts.evidence.open(ctx, app, path)
	if err != nil {
		return err
	}
	rec := a.Record
	*doc = report.ExplainPage{RunID: rec.RunID, PolicyID: rec.Policy.PolicyID, PolicyVersion: rec.Policy.Version, IRDigest: rec.Policy.IRDigest,
		EvaluationTime: rec.Inputs.EvaluationTime, Shadow: rec.Shadow, Verdict: rec.Verdict, Feeds: run.RecordFeeds(a.Evidence.Record)}
	doc.Findings, err = a.Findings(filter)
	return err
}

// nonNil is s, or an empty list for nil (JSON [] rather than null).
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
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
