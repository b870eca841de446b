package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

type bundleStatusOptions struct {
	timeAnchor string
}

func newBundleStatusCmd(app *App) *cobra.Command {
	opts := &bundleStatusOptions{}
	cmd := &cobra.Command{
		Use:   "status [--time-anchor TS]",
		Short: "List the bundle streams imported here: last sequence, signed time anchor, validUntil, days left",
		Long: `List, per bundle stream imported into this database, the highest sequence
imported, its bundle id, validUntil and the days left until then, and the
latest signed time anchor (the exporter's clock) of the stream. Days left
are counted from --time-anchor, else the system clock.

Warns on stderr when a stream's newest bundle expires within 7 days or has
expired, and when the clock is behind the latest signed time anchor (a run
would then be refused unless given --as-of). Read from the bundle.imported
audit events (docs/bundle.md, "Time anchors"). Exit 0; 2 for a bad
--time-anchor.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBundleStatus(cmd.Context(), app, opts, time.Now())
		},
	}
	cmd.Flags().StringVar(&opts.timeAnchor, "time-anchor", "", "count days left from this RFC 3339 time (default: the system clock)")
	return cmd
}

// streamStatus is one stream as bundle status shows it.
type streamStatus struct {
	bundle.StreamStatus
	DaysLeft int    `json:"daysLeft"`
	Expired  bool   `json:"expired"`
	Warning  string `json:"warning,omitempty"`
}

type bundleStatusOut struct {
	CheckedAt       string         `json:"checkedAt"`
	CheckedAtSource string         `json:"checkedAtSource"` // "time-anchor" or "system-clock"
	LatestAnchor    string         `json:"latestTimeAnchor"`
	ClockBehind     bool           `json:"clockBehindAnchor"`
	Streams         []streamStatus `json:"streams"`
}

func runBundleStatus(ctx context.Context, app *App, opts *bundleStatusOptions, now time.Time) error {
	out := bundleStatusOut{CheckedAtSource: "system-clock", Streams: []streamStatus{}}
	if opts.timeAnchor != "" {
		t, err := time.Parse(time.RFC3339, opts.timeAnchor)
		if err != nil {
			return fail.New(fail.Invalid, "--time-anchor %q: want an RFC 3339 time like 2026-03-01T00:00:00Z", opts.timeAnchor)
		}
		now, out.CheckedAtSource = t, "time-anchor"
	}
	now = now.UTC().Truncate(time.Second)
	out.CheckedAt = now.Format(time.RFC3339)
	st, err := app.openStore(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	var streams []bundle.StreamStatus
	if err := st.View(ctx, func(tx *store.Tx) error {
		var err error
		streams, err = bundle.Streams(ctx, tx)
		return err
	}); err != nil {
		return err
	}
	var warnings []string
	for _, s := range streams {
		ss := streamStatus{StreamStatus: s}
		if until, err := time.Parse(time.RFC3339, s.ValidUntil); err == nil {
			left := until.Sub(now)
			ss.DaysLeft = int(left / (24 * time.Hour))
			switch {
			case left < 0:
				ss.Expired, ss.DaysLeft = true, 0
				ss.Warning = fmt.Sprintf("bundle %d of stream %q expired at %s: import a newer one", s.Sequence, s.Stream, s.ValidUntil)
			case left < bundle.ExpiryWarning:
				ss.Warning = bundle.ExpiryMessage(s.Stream, s.Sequence, s.ValidUntil, left)
			}
		}
		if ss.Warning != "" {
			warnings = append(warnings, ss.Warning)
		}
		out.Streams = append(out.Streams, ss)
	}
	if s, at, ok := bundle.LatestAnchor(streams); ok {
		out.LatestAnchor = s.TimeAnchor
		if at.Sub(now) > bundle.MaxClockSkew {
			out.ClockBehind = true
			warnings = append(warnings, fmt.Sprintf("the clock (%s) is behind the signed time anchor %s of stream %q: runs are refused unless given --as-of", out.CheckedAt, s.TimeAnchor, s.Stream))
		}
	}
	if err := app.render(out, func(w io.Writer) error {
		if len(out.Streams) == 0 {
			_, err := fmt.Fprintln(w, "no bundles imported here; import one with `stella bundle import KIT`")
			return err
		}
		t := app.newTable(w, "STREAM", "SEQUENCE", "BUNDLE", "TIME ANCHOR", "VALID UNTIL", "DAYS LEFT", "IMPORTS")
		for _, s := range out.Streams {
			left := fmt.Sprint(s.DaysLeft)
			switch {
			case s.Expired:
				left = "expired"
			case s.Warning != "":
				left += " (expiring)"
			}
			t.Append(s.Stream, s.Sequence, canon.Short(s.BundleID, 12), s.TimeAnchor, s.ValidUntil, left, s.Imports)
		}
		if err := t.Render(); err != nil {
			return err
		}
		_, err := fmt.Fprintf(w, "checked at %s (%s); latest signed time anchor %s\n", out.CheckedAt, out.CheckedAtSource, out.LatestAnchor)
		return err
	}); err != nil {
		return err
	}
	for _, w := range warnings {
		app.infof("stella: warning: %s", w)
	}
	return nil
}
