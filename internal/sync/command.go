package sync

import (
	"context"
	"fmt"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/store"
)

// Command is `stella sync postgres` below its flags.
type Command struct {
	Options
	Sealed  bool // sealed or offline mode: refused
	Retries int  // --retries: retries of a failed connection or batch (0 = none)
	// Info, when set, receives progress and warnings (stderr in the CLI).
	Info func(format string, args ...any)
}

// Run checks the command, opens the store, checks its governance rows,
// and pushes. Governance
// rows are pushed only when they agree with their signed statements
// (docs/governance.md "Threat model"): a row edited in the database never
// reaches PostgreSQL, whichever site it claims to be.
func (c *Command) Run(ctx context.Context, open func(context.Context) (*store.Store, error)) (*Report, error) {
	if c.Sealed {
		return nil, sealed("sync postgres")
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
	// Local, when set, opens the database of the site that synced there
	// (checkTail); nil when there is none at hand.
	Local func(context.Context) (*store.Store, error)
	// Checkpoints are the keys and freshness the sync checkpoints are
	// checked against (--key, --max-sync-age; verifyCheckpoints).
	Checkpoints CheckpointOptions
}

// Run verifies the tenant's audit chains and push records in PostgreSQL
// and, with Local, what that site sent (VerifyAudit).
func (c *AuditCommand) Run(ctx context.Context) (*AuditReport, error) {
	if c.Sealed {
		return nil, sealed("audit verify --dsn")
	}
	o := AuditOptions{CheckpointOptions: c.Checkpoints}
	if c.Local != nil {
		st, err := c.Local(ctx)
		if err != nil {
			return nil, err
		}
		defer st.Close()
		o.Local = st
	}
	return VerifyAudit(ctx, c.DSN, c.Tenant, Retry{}, o)
}
