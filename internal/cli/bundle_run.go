package cli

import (
	"context"
	"time"

	"github.com/spf13/pflag"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/store"
)

// bundleRunFlags are the flags of `policy run --bundle KIT`: the bundle and
// how it is verified.
type bundleRunFlags struct {
	path string
	bundleVerifyFlags
}

func (f *bundleRunFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.path, "bundle", "", "evaluate a policy and snapshot of this offline bundle (verified and imported first; see stella bundle import)")
	f.bundleVerifyFlags.register(fs)
	f.registerTrust(fs)
}

// prepare verifies the bundle and imports it (a bundle already imported is
// left as it is; a replayed older one is refused), then returns the policy
// version and snapshot of the bundle the run evaluates: policyRef and
// snapshotRef choose among the bundle's own and may be empty when it holds
// one of each. at is the run's evaluation time when it comes from the
// clock (zero under --as-of): staleness is judged at it when it is later
// than --time-anchor. The run then reads them from the database, where they are
// the bundle's bytes. Nothing here touches the network; sealed mode only
// forbids naming the bundle or a trust root by URL.
func (f *bundleRunFlags) prepare(ctx context.Context, app *App, policyRef, snapshotRef string, at time.Time) (string, string, error) {
	o, lim, err := f.importOptions(ctx, app, f.path)
	if err != nil {
		return "", "", err
	}
	o.Verify.EvaluatedAt = at
	open := func() (*store.Store, error) { return app.openStore(ctx, false) }
	t, err := bundle.PrepareRun(ctx, f.path, lim, open, o, policyRef, snapshotRef)
	if err != nil {
		return "", "", err
	}
	report.BundleRun(app.info(), t)
	return t.Policy.Ref(), t.SnapshotID, nil
}
