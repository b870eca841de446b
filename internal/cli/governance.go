package cli

import (
	"context"
	"io"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

// Helpers shared by the governance commands (trust, the policy lifecycle,
// exception, audit): where the trust config is, the site's settings, and
// who is acting.

// govFlags are the flags of every governance command.
type govFlags struct {
	sign  signFlags // the acting key (state-changing commands)
	trust string    // the trust config file
}

// addTrustFlag adds --trust.
func (g *govFlags) addTrustFlag(cmd *cobra.Command) {
	cmd.Flags().StringVar(&g.trust, "trust", "", "trust config file (default: config trust_file, ./trust.yaml, the trust section of stella.yaml, then $XDG_CONFIG_HOME/stella/trust.yaml)")
}

// addFlags adds the signing key flags and --trust to a state-changing
// command.
func (g *govFlags) addFlags(cmd *cobra.Command) {
	g.sign.add(cmd.Flags(), "private key to act and sign with: a PEM file or the name of a key in the keys directory (default: config signing.key); the acting principal is whoever the trust config says holds it")
	g.sign.addAlias(cmd.Flags())
	g.addTrustFlag(cmd)
}

// site is the governance of this invocation (governance.Site): the
// database, where the trust config is found, the configured settings.
func (a *App) site() *governance.Site {
	s := &governance.Site{DB: a.Global.DB, Tenant: a.Global.Tenant, Setting: a.configString, AllowUnsignedTrust: a.Global.AllowUnsignedTrust,
		Loud: a.loud, Lookup: governance.TrustLookup{ConfigHome: a.Getenv("XDG_CONFIG_HOME")}}
	if s.Lookup.ConfigHome == "" {
		s.Lookup.ConfigHome = filepath.Join(a.Getenv("HOME"), ".config")
	}
	if a.Config != nil {
		s.Lookup.Configured, s.Lookup.ConfigFile = a.Config.GetString("trust_file"), a.Config.ConfigFileUsed()
	}
	return s
}

// authorizeRun decides who records a run (governance.Site.AuthorizeRun):
// the key of sign, under the trust config in force, must hold scope.
func (a *App) authorizeRun(ctx context.Context, trustFlag string, sign *signFlags, scope string) (*governance.RunActor, error) {
	return a.site().AuthorizeRun(ctx, trustFlag, sign.query(a), scope)
}

// govCommand runs fn with the registry and the acting principal
// (governance.Site.Acting), closing the store afterwards.
func (a *App) govCommand(ctx context.Context, g *govFlags, fn func(*governance.Registry, *governance.Actor) error) error {
	reg, act, err := a.site().Acting(ctx, g.trust, g.sign.query(a))
	if err != nil {
		return err
	}
	defer reg.Store.Close()
	return fn(reg, act)
}

// transition runs a state-changing command (govCommand) and prints the
// transition fn returns: warnings on stderr, the transition on stdout.
func (a *App) transition(ctx context.Context, g *govFlags, fn func(*governance.Registry, *governance.Actor) (*governance.Transition, error)) error {
	return a.govCommand(ctx, g, func(reg *governance.Registry, act *governance.Actor) error {
		t, err := fn(reg, act)
		if err != nil {
			return err
		}
		for _, w := range t.Warnings {
			a.infof("stella: warning: %s", w)
		}
		return a.render(t, func(w io.Writer) error { return report.Transition(w, t, a.tableOptions()) })
	})
}

// setMembers loads the policies of a set for conflicts and deps
// (setPolicies, picking the latest version of a bare P-n).
func (a *App) setMembers(ctx context.Context, refs []string, active bool) ([]run.Member, error) {
	return a.setPolicies(ctx, nil, refs, active, store.PickLatest)
}

// setPolicies loads the policies of a set (governance.LoadSet), a bare P-n
// picked by dflt; st may be nil: it is opened when needed.
func (a *App) setPolicies(ctx context.Context, st *store.Store, refs []string, active bool, dflt string) ([]run.Member, error) {
	if st == nil && (active || slices.ContainsFunc(refs, run.IsRegistered)) {
		var err error
		if st, err = a.openStore(ctx, true); err != nil {
			return nil, err
		}
		defer st.Close()
	}
	return governance.LoadSet(ctx, st, refs, active, func(ref string) (*run.Policy, error) { return a.loadPolicy(ctx, st, ref, dflt) })
}
