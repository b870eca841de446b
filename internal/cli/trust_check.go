package cli

import (
	"context"

	"github.com/stella-policy/stella/internal/governance"
)

// checkTrust compares a trust config with the version the database's audit
// chain last recorded (governance.CheckTrustFile): a file edited outside
// stella is refused, exit 6, unless --allow-unsigned-trust, which is said
// on stderr even with --quiet and recorded. No database: nothing to check.
func (a *App) checkTrust(t *governance.Trust) error {
	if !fileExists(a.Global.DB) {
		return nil
	}
	ctx := context.Background()
	st, err := a.openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	warning, err := governance.CheckTrustFile(ctx, st, t, a.Global.AllowUnsignedTrust)
	if warning != "" {
		a.loud(warning)
	}
	return err
}

// loud writes a warning to stderr that --quiet does not silence.
func (a *App) loud(msg string) { a.Err.Write([]byte("stella: " + msg + "\n")) }
