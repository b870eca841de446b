package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/policyset"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

type policyConflictsOptions struct {
	active bool
}

func newPolicyConflictsCmd(app *App) *cobra.Command {
	opts := &policyConflictsOptions{}
	cmd := &cobra.Command{
		Use:   "conflicts [POLICY…] [--active]",
		Short: "Report conflicts across policies: scope overlaps, contradicting thresholds, time windows, priorities",
		Long: `Compare policies pairwise, from their IR and metadata only, and report typed
conflicts — SCOPE_OVERLAP, THRESHOLD_CONTRADICTION, TEMPORAL_CONFLICT,
PRIORITY_OVERRIDE — each BLOCKING or WARNING, with an explanation and a
recommended action (docs/governance.md "Conflicts across policies").

POLICY is a .stella file or a registered P-n[@version]. --active adds the
tenant's active policies (a POLICY naming one of them replaces its active
version); with no POLICY, --active is implied. policy activate refuses a
version that would have a BLOCKING conflict with an active policy.

Exit 0 (the report is the output), 2 invalid policy, 4 unknown policy.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyConflicts(cmd.Context(), app, args, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.active, "active", false, "include the tenant's active policies")
	return cmd
}

// conflictReport is the output of policy conflicts.
type conflictReport struct {
	Policies  []string             `json:"policies"`
	Conflicts []policyset.Conflict `json:"conflicts"`
	Blocking  int                  `json:"blocking"`
	Warnings  int                  `json:"warnings"`
}

func runPolicyConflicts(ctx context.Context, app *App, refs []string, opts *policyConflictsOptions) error {
	ms, err := app.setMembers(ctx, refs, opts.active || len(refs) == 0)
	if err != nil {
		return err
	}
	rep := conflictReport{Policies: []string{}, Conflicts: policyset.Conflicts(ms)}
	for _, m := range ms {
		rep.Policies = append(rep.Policies, m.Ref)
	}
	if rep.Conflicts == nil {
		rep.Conflicts = []policyset.Conflict{}
	}
	rep.Blocking = policyset.CountBlocking(rep.Conflicts)
	rep.Warnings = len(rep.Conflicts) - rep.Blocking
	return app.render(rep, func(w io.Writer) error {
		st := app.styles()
		for _, c := range rep.Conflicts {
			sev := c.Severity
			if sev == policyset.Blocking {
				sev = st.paint(st.bad, sev)
			}
			pols := c.PolicyA
			if c.PolicyB != c.PolicyA {
				pols += " / " + c.PolicyB
			}
			fmt.Fprintf(w, "%s  %s  %s  %s\n  %s\n  → %s\n", sev, c.Type, pols, c.Subject, c.Explanation, c.Action)
		}
		fmt.Fprintf(w, "%d %s among %d policies (%s): %d BLOCKING, %d WARNING\n", len(rep.Conflicts),
			plural(len(rep.Conflicts), "conflict", "conflicts"), len(ms), strings.Join(rep.Policies, ", "), rep.Blocking, rep.Warnings)
		return nil
	})
}

// setMembers loads the policies of a set (setPolicies, picking the latest
// version of a bare P-n) with their scopes and enforcement modes.
func (a *App) setMembers(ctx context.Context, refs []string, active bool) ([]policyset.Member, error) {
	ps, err := a.setPolicies(ctx, nil, refs, active, store.PickLatest)
	if err != nil {
		return nil, err
	}
	return run.SetMembers(ps)
}

// setPolicies loads the policies of a set: each ref (a file, or a
// registered P-n[@v], a bare P-n picked by dflt) and, with active, the
// tenant's active versions of the other policies. st may be nil: it is
// opened when needed.
func (a *App) setPolicies(ctx context.Context, st *store.Store, refs []string, active bool, dflt string) ([]run.Member, error) {
	if st == nil && (active || slices.ContainsFunc(refs, run.IsRegistered)) {
		var err error
		if st, err = a.openStore(ctx, true); err != nil {
			return nil, err
		}
		defer st.Close()
	}
	var ms []run.Member
	ids := map[string]bool{}
	add := func(ref string) error {
		lp, err := a.loadPolicy(ctx, st, ref, dflt)
		if err != nil {
			return err
		}
		name := ref
		if lp.Version > 0 {
			name = fmt.Sprintf("%s@%d", lp.ID, lp.Version)
			ids[lp.ID] = true
		}
		ms = append(ms, run.Member{Policy: lp, Ref: name})
		return nil
	}
	for _, ref := range refs {
		if err := add(ref); err != nil {
			return nil, err
		}
	}
	if active {
		var act []policyset.Member
		err := st.View(ctx, func(tx *store.Tx) error {
			var err error
			act, err = governance.ActiveMembers(ctx, tx)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, m := range act {
			if id, _, _ := strings.Cut(m.Ref, "@"); !ids[id] {
				if err := add(m.Ref); err != nil {
					return nil, err
				}
			}
		}
	}
	if len(ms) == 0 {
		return nil, fail.New(fail.NotFound, "no policies: the tenant has no active policy (name policies, or activate some)")
	}
	return ms, nil
}
