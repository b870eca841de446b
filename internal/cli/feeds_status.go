package cli

import (
	"context"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/feeds"
	"github.com/stella-policy/stella/internal/report"
)

type feedsStatusOptions struct {
	cacheDir string
	maxAge   string
}

func newFeedsStatusCmd(app *App) *cobra.Command {
	opts := &feedsStatusOptions{}
	cmd := &cobra.Command{
		Use:   "status [--max-age 36h]",
		Short: "List the cached feeds: source, fetched at, digest, size, records, newest record, age",
		Long: `Lists every feed in the cache with its source URL, when its bytes were
fetched, their sha256 and size, the number of records, the newest record's
modified time, and its age: the time since the source last confirmed the
copy (a download or a 304 answer to a conditional request). Each blob is
re-hashed against its metadata.

Exit codes: 0; with --max-age, 6 when a feed is older than that (or its
blob does not match its digest), 4 when the cache is empty — for cron and
CI; 2 for --max-age 0, which would call every feed stale.`,
		Args: noArgs,
		RunE: runE(app, opts, runFeedsStatus),
	}
	cmd.Flags().StringVar(&opts.cacheDir, "cache-dir", "", "feed cache directory (default $XDG_CACHE_HOME/stella/feeds; config feeds.cache_dir)")
	cmd.Flags().StringVar(&opts.maxAge, "max-age", "", "exit non-zero when a feed is older than this, e.g. 36h or 7d")
	return cmd
}

func runFeedsStatus(_ context.Context, app *App, opts *feedsStatusOptions, _ []string) error {
	r, err := feeds.Open(app.feedCacheDir(opts.cacheDir)).Status(time.Now(), opts.maxAge)
	if err != nil {
		return err
	}
	if err := app.render(r, func(w io.Writer) error { return report.FeedsStatus(w, r, app.tableOptions()) }); err != nil {
		return err
	}
	return r.Check()
}
