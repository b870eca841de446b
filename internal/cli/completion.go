package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

type completionOptions struct {
	shell string
}

func newCompletionCmd(app *App) *cobra.Command {
	opts := &completionOptions{}
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script",
		Long: `Print a completion script for bash, zsh or fish. For example:

  source <(stella completion bash)

Besides commands and flags, it completes flag values: --format, --fail-on
(new-blocked and new-warned where a baseline can be given), --show,
--log-format, --log-level; and from the database (--db, STELLA_DB, else the
default; never created by completing): policies for POLICY, --set,
--baseline and --policy (P-n, P-n@active, P-n@latest, P-n@v with its
state; files too), run ids and latest[:LABEL] for RUN and --baseline-run,
snapshot ids for --snapshot and --baseline-snapshot.`,
		ValidArgs: []string{"bash", "zsh", "fish"},
		Args:      exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.shell = args[0]
			return runCompletion(app, cmd.Root(), opts)
		},
	}
}

func runCompletion(app *App, root *cobra.Command, opts *completionOptions) error {
	switch opts.shell {
	case "bash":
		return root.GenBashCompletionV2(app.Out, true)
	case "zsh":
		return root.GenZshCompletion(app.Out)
	case "fish":
		return root.GenFishCompletion(app.Out, true)
	}
	return fail.New(fail.Invalid, "unknown shell %q (want bash, zsh or fish)", opts.shell)
}

// Completion of flag values and arguments (docs/cli.md "stella completion"):
// the formats, the gate values, and what the database holds — policies
// (P-n, P-n@v with their state), run ids and labels, snapshot ids. A
// completion never creates or changes the database; without one it offers
// only the fixed values.

// fixedValues are the values of flags that take one of a fixed list.
var fixedValues = map[string][]string{
	"format":     {"table", "json", "yaml", "ndjson", "sarif", "junit", "openvex", "html", "markdown", "dot", "mermaid"},
	"log-format": {"text", "json"},
	"log-level":  {"debug", "info", "warn", "error"},
	"show":       {"blocked", "warned", "passed", "quieted", "ignored"}, // a comma list
}

// completions registers flag-value and argument completion on every
// command of the tree below root. A flag whose completion a command already
// registered is an error (the tree is built wrong).
func (a *App) completions(root *cobra.Command) error {
	var errs []error
	fixed := func(vals []string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return func(_ *cobra.Command, _ []string, typed string) ([]string, cobra.ShellCompDirective) {
			return withPrefix(vals, typed), cobra.ShellCompDirectiveNoFileComp
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		local := c.LocalNonPersistentFlags() // built anew by every call: once per command
		register := func(flag string, fn func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective)) {
			if c.Flags().Lookup(flag) != nil || c.PersistentFlags().Lookup(flag) != nil {
				if err := c.RegisterFlagCompletionFunc(flag, fn); err != nil {
					errs = append(errs, fmt.Errorf("completion of %s --%s: %w", c.CommandPath(), flag, err))
				}
			}
		}
		for flag, vals := range fixedValues {
			if flag != "show" && (c.PersistentFlags().Lookup(flag) != nil || local.Lookup(flag) != nil) {
				register(flag, fixed(vals))
			}
		}
		if local.Lookup("show") != nil {
			register("show", func(_ *cobra.Command, _ []string, typed string) ([]string, cobra.ShellCompDirective) {
				return commaList(fixedValues["show"], typed), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
			})
		}
		if local.Lookup("fail-on") != nil {
			vals := []string{"blocked", "warned", "never"}
			if c.Flags().Lookup("baseline-run") != nil {
				vals = append(vals, "new-blocked", "new-warned")
			}
			register("fail-on", fixed(vals))
		}
		for _, flag := range []string{"snapshot", "baseline-snapshot"} {
			if local.Lookup(flag) != nil {
				register(flag, a.completeFrom(completeSnapshots, cobra.ShellCompDirectiveDefault))
			}
		}
		for _, flag := range []string{"baseline-run", "run", "shadow-evidence"} {
			if local.Lookup(flag) != nil {
				register(flag, a.completeFrom(completeRuns, cobra.ShellCompDirectiveNoFileComp))
			}
		}
		for _, flag := range []string{"policy", "baseline"} {
			if local.Lookup(flag) != nil {
				register(flag, a.completeFrom(completePolicies, cobra.ShellCompDirectiveDefault))
			}
		}
		if local.Lookup("set") != nil {
			register("set", a.completeFrom(completeSet, cobra.ShellCompDirectiveNoFileComp|cobra.ShellCompDirectiveNoSpace))
		}
		if c.ValidArgsFunction == nil && len(c.ValidArgs) == 0 {
			if fn := a.argCompletion(c); fn != nil {
				c.ValidArgsFunction = fn
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return errors.Join(errs...)
}

// argCompletion completes a command's positional arguments by the first
// placeholder of its usage line: POLICY and P-n (policies, and files),
// RUN (run ids), a snapshot's ID.
func (a *App) argCompletion(c *cobra.Command) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	words := strings.Fields(c.Use)
	if len(words) < 2 {
		return nil
	}
	arg := strings.Trim(words[1], "([])…")
	first, _, _ := strings.Cut(arg, "|")
	switch first {
	case "POLICY", "P-n", "P-n[@v", "OLD":
		return a.completeFrom(completePolicies, cobra.ShellCompDirectiveDefault)
	case "RUN", "RUN_A":
		dir := cobra.ShellCompDirectiveNoFileComp
		if strings.Contains(arg, ".tar") {
			dir = cobra.ShellCompDirectiveDefault // an evidence archive too
		}
		return a.completeFrom(completeRuns, dir)
	case "ID":
		return a.completeFrom(completeSnapshots, cobra.ShellCompDirectiveDefault)
	}
	return nil
}

// completeFrom makes a completion function of a lister that reads the
// database: the candidates that start with what was typed.
func (a *App) completeFrom(list func(context.Context, *store.Tx, string) ([]string, error), dir cobra.ShellCompDirective) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, _ []string, typed string) ([]string, cobra.ShellCompDirective) {
		db := a.Global.DB
		if db == "" {
			if db = a.Getenv("STELLA_DB"); db == "" {
				db = store.DefaultPath(a.Getenv)
			}
		}
		if !fileExists(db) {
			return nil, dir
		}
		ctx := cmd.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		st, err := store.Open(ctx, db, a.Global.Tenant, store.Options{MustExist: true})
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		defer st.Close()
		var vals []string
		err = st.View(ctx, func(tx *store.Tx) error {
			var err error
			vals, err = list(ctx, tx, typed)
			return err
		})
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		return withPrefix(vals, typed), dir
	}
}

// withPrefix keeps the candidates (value, or value TAB description) whose
// value starts with what was typed.
func withPrefix(vals []string, typed string) []string {
	var out []string
	for _, v := range vals {
		if strings.HasPrefix(v, typed) {
			out = append(out, v)
		}
	}
	return out
}

// commaList completes the last item of a comma-separated list.
func commaList(vals []string, typed string) []string {
	head := ""
	if i := strings.LastIndexByte(typed, ','); i >= 0 {
		head = typed[:i+1]
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = head + v
	}
	return withPrefix(out, typed)
}

// completePolicies lists P-n, P-n@active, P-n@latest and each P-n@v with
// its state.
func completePolicies(ctx context.Context, tx *store.Tx, _ string) ([]string, error) {
	ls, err := tx.Lifecycles(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []string
	for i, l := range ls {
		if i == 0 || ls[i-1].PolicyID != l.PolicyID {
			out = append(out, l.PolicyID, l.PolicyID+"@active", l.PolicyID+"@latest")
		}
		out = append(out, fmt.Sprintf("%s@%d\t%s", l.PolicyID, l.Version, l.State))
	}
	return out, nil
}

// completeSet completes --set: active, or a comma-separated list of
// policies.
func completeSet(ctx context.Context, tx *store.Tx, typed string) ([]string, error) {
	ps, err := completePolicies(ctx, tx, typed)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(typed, ",") {
		ps = append([]string{"active"}, ps...) // active stands alone
	}
	return commaList(ps, typed), nil
}

// completeRuns lists latest, latest:LABEL for each label, and run ids,
// newest first.
func completeRuns(ctx context.Context, tx *store.Tx, _ string) ([]string, error) {
	labels, err := tx.Labels(ctx)
	if err != nil {
		return nil, err
	}
	runs, err := tx.Runs(ctx, store.RunFilter{Limit: 200})
	if err != nil {
		return nil, err
	}
	out := []string{"latest"}
	for _, l := range labels {
		out = append(out, "latest:"+l)
	}
	for _, r := range runs {
		out = append(out, r.RunID+"\t"+r.Status+" "+r.Verdict)
	}
	return out, nil
}

// completeSnapshots lists the stored snapshot ids, newest import first.
func completeSnapshots(ctx context.Context, tx *store.Tx, _ string) ([]string, error) {
	sns, err := tx.Snapshots(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(sns))
	for i, s := range sns {
		out[i] = s.ID + "\t" + s.Source
	}
	return out, nil
}
