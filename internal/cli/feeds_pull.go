package cli

import (
	"cmp"
	"context"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/feeds"
	"github.com/stella-policy/stella/internal/report"
)

type feedsPullOptions struct {
	cacheDir string
	req      feeds.Request
	client   feeds.Client
}

func newFeedsPullCmd(app *App) *cobra.Command {
	opts := &feedsPullOptions{}
	cmd := &cobra.Command{
		Use:   "pull [--osv ECOSYSTEM…|--osv auto --sbom FILE…] [--kev] [--epss] [--nvd YEAR…|--nvd recent]",
		Short: "Download advisory and signal feeds into the local cache (the connected side)",
		Long: `Downloads feeds into the feed cache ($XDG_CACHE_HOME/stella/feeds, --cache-dir):
the osv.dev archive of each ecosystem (--osv PyPI --osv npm, or --osv auto
--sbom FILE… for the ecosystems of the SBOMs' purls), the CISA KEV catalog
(--kev), FIRST EPSS scores (--epss) and NVD CVE 2.0 feeds (--nvd 2024,
--nvd recent). Without any of these, every feed already cached is pulled
again.

Each download goes to a temporary file and is validated (zip structure,
size and compression-ratio limits, every record parses, a record count)
before it atomically replaces the copy in force. A failed or corrupt
download leaves the previous copy in force and exits non-zero naming the
feed. Requests are conditional (ETag, If-Modified-Since): an unchanged feed
is not downloaded again. Transient failures are retried with backoff.

Locations (docs/feeds.md): --osv-url, --kev-url, --epss-url, --nvd-url, or
env STELLA_FEEDS_OSV_URL … or config feeds.osv_url …, for a mirror.

Exit codes: 0 every feed is current, 2 invalid usage, 4 a feed is not at
its location (HTTP 404), 5 sealed mode (nothing is opened), 6 a download
failed validation, 10 a transient failure persisted after the retries.`,
		Args: noArgs,
		RunE: runE(app, opts, runFeedsPull),
	}
	f := cmd.Flags()
	f.StringVar(&opts.cacheDir, "cache-dir", "", "feed cache directory (default $XDG_CACHE_HOME/stella/feeds; config feeds.cache_dir)")
	r, c := &opts.req, &opts.client
	f.StringArrayVar(&r.OSV, "osv", nil, "OSV ecosystem to pull, as osv.dev names it (repeatable), or auto with --sbom")
	f.StringArrayVar(&r.SBOMs, "sbom", nil, "with --osv auto: SBOM whose purls name the ecosystems (repeatable)")
	f.BoolVar(&r.KEV, "kev", false, "pull the CISA KEV catalog")
	f.BoolVar(&r.EPSS, "epss", false, "pull FIRST EPSS scores")
	f.StringArrayVar(&r.NVD, "nvd", nil, "NVD CVE 2.0 feed to pull: a year, recent or modified (repeatable)")
	f.StringVar(&r.URLs.OSV, "osv-url", "", "base URL under which <Ecosystem>/all.zip lives (default "+feeds.DefaultOSV+")")
	f.StringVar(&r.URLs.KEV, "kev-url", "", "KEV catalog URL (default "+feeds.DefaultKEV+")")
	f.StringVar(&r.URLs.EPSS, "epss-url", "", "EPSS scores URL (default "+feeds.DefaultEPSS+")")
	f.StringVar(&r.URLs.NVD, "nvd-url", "", "base URL of the nvdcve-2.0-<feed>.json.gz files (default "+feeds.DefaultNVD+")")
	f.IntVar(&c.Retries, "retries", 3, "attempts after the first on a transient failure")
	f.DurationVar(&c.Timeout, "timeout", 60*time.Second, "give up on a source that sends nothing for this long")
	f.Int64Var(&c.MaxSize, "max-size", 4<<30, "largest download accepted, in bytes")
	f.BoolVar(&c.AllowShrink, "allow-shrink", false, "accept a download with less than half the records of the copy in force")
	return cmd
}

func runFeedsPull(ctx context.Context, app *App, opts *feedsPullOptions, _ []string) error {
	if err := bundle.Guard(app.Global.Sealed, "feeds pull (downloading feeds)"); err != nil {
		return err
	}
	cache := feeds.Open(app.feedCacheDir(opts.cacheDir))
	req := opts.req
	req.URLs = app.feedLocations(req.URLs)
	plan, err := cache.Plan(req)
	if plan != nil && plan.Auto != nil {
		app.infof("stella: --osv auto: %d ecosystems from the SBOMs: %v", len(plan.Auto), plan.Auto)
	}
	if err != nil {
		return app.inputError(err)
	}
	cl := opts.client
	cl.Progress = report.ProgressBar(app.Err, app.showProgress(), true)
	if cl.Retries == 0 {
		cl.Retries = -1
	}
	res, perr := cache.Pull(ctx, &cl, plan.Sources)
	report.PullWarnings(app.info(), res)
	out := feeds.Pulled{CacheDir: cache.Root, Feeds: res}
	if err := app.render(out, func(w io.Writer) error { return report.FeedsPull(w, res, app.tableOptions()) }); err != nil {
		return err
	}
	return perr
}

// feedCacheDir is the feed cache: flag, else config feeds.cache_dir (env
// STELLA_FEEDS_CACHE_DIR), else the default (feeds.Root).
func (a *App) feedCacheDir(flag string) string {
	return feeds.Root(flag, a.configString("feeds.cache_dir"), a.Getenv)
}

// frozenCacheDir is the frozen-advisory cache: config inputs.cache_dir (env
// STELLA_INPUTS_CACHE_DIR), else the default; "" when it is off
// (feeds.FrozenRoot).
func (a *App) frozenCacheDir() string {
	return feeds.FrozenRoot(a.configString("inputs.cache_dir"), a.Getenv)
}

// feedLocations are the feed locations set for this command: each flag,
// else config feeds.<kind>_url (env STELLA_FEEDS_<KIND>_URL); "" where
// neither says.
func (a *App) feedLocations(f feeds.URLs) feeds.URLs {
	return feeds.URLs{OSV: cmp.Or(f.OSV, a.configString("feeds.osv_url")), KEV: cmp.Or(f.KEV, a.configString("feeds.kev_url")),
		EPSS: cmp.Or(f.EPSS, a.configString("feeds.epss_url")), NVD: cmp.Or(f.NVD, a.configString("feeds.nvd_url"))}
}

// configString is a config value (file or STELLA_* env), or "".
func (a *App) configString(key string) string {
	if a.Config == nil {
		return ""
	}
	return a.Config.GetString(key)
}

// tableOptions are the report options of the inspection tables.
func (a *App) tableOptions() report.Options { return report.Options{Color: a.Color(), TTY: a.OutTTY} }
