package sync

import (
	"context"
	"fmt"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// Command is `stella sync postgres` below its flags.
type Command struct {
	Options
	Sealed  bool // sealed or offline mode: refused
	Retries int  // --retries: retries of a failed connection or batch (0 = none)
	// SignKey names the site key (--sign-key, …): Run resolves it into
	// Options.Key, after refusing sealed mode.
	SignKey governance.SigningKeyQuery
	// Getenv, when set, reads EnvDSN for an empty DSN.
	Getenv func(string) string
	// Info, when set, receives progress and warnings (stderr in the CLI).
	Info func(format string, args ...any)
}

// Run checks the command, resolves the site key, opens the store, checks
// its governance rows, and pushes. Governance
// rows are pushed only when they agree with their signed statements
// (docs/governance.md "Threat model"): a row edited in the database never
// reaches PostgreSQL, whichever site it claims to be.
func (c *Command) Run(ctx context.Context, open func(context.Context) (*store.Store, error)) (*Report, error) {
	if c.Sealed {
		return nil, sealed("sync postgres")
	}
	c.DSN = dsnOr(c.DSN, c.Getenv)
	var err error
	if c.Key, err = governance.ResolveSigningKey(c.SignKey); err != nil {
		return nil, err
	}
	if c.Batch < 1 {
		return nil, fail.New(fail.Invalid, "--batch must be at least 1, not %d", c.Batch)
	}
	if c.Retries < 0 {
		return nil, fail.New(fail.Invalid, "--retries must not be negative")
	}
	c.Retry.Attempts = c.Retries
	if c.Retries == 0 {
		c.Retry.Attempts = -1 // Retry's zero value means the default
	}
	st, err := open(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if err := st.View(ctx, func(tx *store.Tx) error {
		problems, err := governance.CheckRows(ctx, tx)
		if err == nil && len(problems) > 0 {
			err = fail.New(fail.Integrity, "not syncing: %s", problems[0])
		}
		return err
	}); err != nil {
		return nil, err
	}
	info := c.Info
	if info == nil {
		info = func(string, ...any) {}
	}
	o := c.Options
	o.Progress = func(p Progress) {
		if p.Pending > int64(c.Batch) { // only tables that take several batches
			info("stella: sync: %s %d/%d", p.Table, p.Sent, p.Pending)
		}
	}
	rep, err := Push(ctx, st, o)
	if rep != nil {
		for _, w := range rep.Warnings {
			info("stella: warning: %s", w)
		}
	}
	if err != nil && rep != nil && rep.Sent() > 0 {
		info("stella: sync stopped after sending %d rows; what was sent is committed, run it again to continue", rep.Sent())
	}
	return rep, err
}

// Summary is the last line of a sync's table output.
func (r *Report) Summary() string {
	verb := "sent"
	n := r.Sent()
	if r.DryRun {
		verb = "would send (dry run)"
		n = 0
		for _, t := range r.Tables {
			n += t.Pending
		}
	}
	return fmt.Sprintf("%s %d rows from %d tables", verb, n, len(r.Tables))
}

// sealed refuses a command that needs PostgreSQL in sealed mode.
func sealed(what string) error {
	return fail.New(fail.Sealed, "sealed mode: %s (a connection to PostgreSQL) would use the network (--sealed, --offline or STELLA_OFFLINE=1 is set)", what)
}

// AuditCommand is `stella audit verify --dsn` below its flags.
type AuditCommand struct {
	DSN    string
	Tenant string
	Sealed bool
	// Local opens the database of a site that synced there (checkTail;
	// --db); fail.NotFound: none is at hand. It also holds the keys Keys
	// names by name or id.
	Local func() (*store.Store, error)
	// Keys are the site keys the sync checkpoints must verify under
	// (--key: public key files, or names or ids of keys in the database;
	// governance.TrustedKeys), and MaxAge how young the latest checkpoint
	// of each site they signed must be (--max-sync-age; verifyCheckpoints).
	// MaxAgeGiven says --max-sync-age was on the command line: a configured
	// one without Keys is not checked, and the report says so.
	Keys        []string
	MaxAge      string
	MaxAgeGiven bool
	Now         time.Time // the verification's time; zero: the clock
}

// NeedsDSN refuses --key and --max-sync-age given to an `audit verify`
// without --dsn: they are about the sync checkpoints in PostgreSQL.
func (c *AuditCommand) NeedsDSN() error {
	if len(c.Keys) > 0 || c.MaxAgeGiven {
		return fail.New(fail.Invalid, "--key and --max-sync-age check sync checkpoints: they need --dsn")
	}
	return nil
}

// Run verifies the tenant's audit chains and push records in PostgreSQL,
// the sync checkpoints against Keys and MaxAge and, with a local database,
// what that site sent (VerifyAudit).
func (c *AuditCommand) Run(ctx context.Context) (*AuditReport, error) {
	o, err := c.checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	if c.Sealed {
		return nil, sealed("audit verify --dsn")
	}
	ao := AuditOptions{CheckpointOptions: o}
	st, err := c.Local()
	switch {
	case err == nil:
		defer st.Close()
		ao.Local = st
	case !fail.Is(err, fail.NotFound):
		return nil, err
	}
	return VerifyAudit(ctx, c.DSN, c.Tenant, Retry{}, ao)
}

// checkpoints reads --max-sync-age (text.ParseAge) and resolves --key.
func (c *AuditCommand) checkpoints(ctx context.Context) (CheckpointOptions, error) {
	o := CheckpointOptions{Now: c.Now}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if c.MaxAge != "" && (len(c.Keys) > 0 || c.MaxAgeGiven) { // a configured age without --key: not checked, and said so
		if len(c.Keys) == 0 {
			return o, fail.New(fail.Invalid, "--max-sync-age needs --key: only a checkpoint signed by a key you trust says when a site last synced")
		}
		d, err := text.ParseAge(c.MaxAge)
		if err != nil {
			return o, fail.New(fail.Invalid, "--max-sync-age %v", err)
		}
		if d <= 0 {
			return o, fail.New(fail.Invalid, "--max-sync-age must be positive")
		}
		o.MaxAge = d
	}
	if len(c.Keys) > 0 {
		keys, err := governance.TrustedKeys(ctx, c.Keys, c.Local)
		if err != nil {
			return o, err
		}
		o.Keys = keys
	}
	return o, nil
}
