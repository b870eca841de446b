package cli

import (
	"context"
	"encoding/json"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/store"
)

type policyExplainOptions struct {
	finding string
	purl    string
	vuln    string
}

func newPolicyExplainCmd(app *App) *cobra.Command {
	opts := &policyExplainOptions{}
	cmd := &cobra.Command{
		Use:   "explain RUN|latest [--finding ID | --purl P | --vuln V]",
		Short: "Explain each verdict of a stored run: rule chain, evidence, what would change it",
		Long: `Explain why each finding of a stored run got its verdict: every rule in
evaluation order (✓ matched, ✗ not matched, ⊘ shadowed) with its condition and
the values its operands had, the deciding rule highlighted, the evidence
(advisory, VEX statements and whether they counted, signals, reachability,
exceptions) and, for blocked findings, what would change the verdict.

--format table (default on a terminal), json (the stored traces), or html
(one self-contained file an auditor can open offline). --purl accepts a
trailing * as a prefix match; --vuln matches the advisory id or an alias.`,
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
	return cmd
}

func runPolicyExplain(ctx context.Context, app *App, runID string, opts *policyExplainOptions) error {
	st, err := app.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	var doc report.ExplainPage
	err = st.View(ctx, func(tx *store.Tx) error {
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
		doc = report.ExplainPage{RunID: r.RunID, PolicyID: r.PolicyID, PolicyVersion: r.PolicyVersion, IRDigest: r.IRDigest,
			EvaluationTime: r.EvaluationTime, Shadow: r.Shadow, Verdict: r.Verdict, Feeds: recordFeeds(r.Record)}
		doc.Findings, err = tx.Findings(ctx, r.RunID, store.FindingFilter{FindingID: opts.finding, Purl: opts.purl, Vuln: opts.vuln}, true)
		return err
	})
	if err != nil {
		return err
	}
	if doc.Findings == nil {
		doc.Findings = []engine.Finding{}
	}
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
