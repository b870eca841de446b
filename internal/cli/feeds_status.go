package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/feeds"
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
CI.`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			return runFeedsStatus(app, opts, time.Now())
		},
	}
	cmd.Flags().StringVar(&opts.cacheDir, "cache-dir", "", "feed cache directory (default $XDG_CACHE_HOME/stella/feeds; config feeds.cache_dir)")
	cmd.Flags().StringVar(&opts.maxAge, "max-age", "", "exit non-zero when a feed is older than this, e.g. 36h or 7d")
	return cmd
}

// feedStatus is one cached feed as feeds status shows it.
type feedStatus struct {
	feeds.Meta
	Age        string `json:"age"`
	AgeSeconds int64  `json:"ageSeconds"`
	Stale      bool   `json:"stale,omitempty"`   // older than --max-age
	Problem    string `json:"problem,omitempty"` // the blob does not match its metadata
}

type feedsStatus struct {
	CacheDir string       `json:"cacheDir"`
	Feeds    []feedStatus `json:"feeds"`
}

func runFeedsStatus(app *App, opts *feedsStatusOptions, now time.Time) error {
	var maxAge time.Duration
	if opts.maxAge != "" {
		var err error
		if maxAge, err = parseAge("--max-age", opts.maxAge); err != nil {
			return err
		}
	}
	cache := feeds.Open(app.feedCacheDir(opts.cacheDir))
	st, err := feedStatuses(cache, now, maxAge)
	if err != nil {
		return err
	}
	out := feedsStatus{CacheDir: cache.Root, Feeds: st}
	if err := app.render(out, func(w io.Writer) error {
		if len(st) == 0 {
			_, err := fmt.Fprintf(w, "no feeds in %s; pull some with `stella feeds pull`\n", cache.Root)
			return err
		}
		t := app.newTable(w, "FEED", "RECORDS", "NEWEST", "FETCHED", "AGE", "SIZE", "DIGEST", "SOURCE")
		for _, s := range st {
			age := s.Age
			if s.Stale {
				age += " (stale)"
			}
			if s.Problem != "" {
				age += " (damaged)"
			}
			t.Append(s.Name, s.Records, cmpOrString(s.Newest, "-"), s.FetchedAt, age, humanBytes(s.Size), canon.Short(s.Digest, 12), s.URL)
		}
		return t.Render()
	}); err != nil {
		return err
	}
	if maxAge == 0 {
		return nil
	}
	if len(st) == 0 {
		return fail.New(fail.NotFound, "no feeds in %s; pull some with `stella feeds pull`", cache.Root)
	}
	for _, s := range st {
		if s.Problem != "" {
			return fail.New(fail.Integrity, "%s", s.Problem)
		}
		if s.Stale {
			return fail.New(fail.Integrity, "feed %s is %s old, more than --max-age %s; refresh it with `stella feeds pull`", s.Name, s.Age, opts.maxAge)
		}
	}
	return nil
}

// feedStatuses lists the cached feeds with their ages at now.
func feedStatuses(cache *feeds.Cache, now time.Time, maxAge time.Duration) ([]feedStatus, error) {
	list, err := cache.List()
	if err != nil {
		return nil, err
	}
	out := []feedStatus{}
	for _, m := range list {
		s := feedStatus{Meta: m}
		if checked, err := time.Parse(time.RFC3339, m.CheckedAt); err == nil {
			d := max(now.Sub(checked), 0).Truncate(time.Second)
			s.Age, s.AgeSeconds = humanAge(d), int64(d/time.Second)
			s.Stale = maxAge > 0 && d > maxAge
		}
		if err := cache.Verify(&m); err != nil {
			s.Problem = err.Error()
		}
		out = append(out, s)
	}
	return out, nil
}

// humanAge writes a duration in days, hours and minutes ("2d4h", "3h12m", "45s").
func humanAge(d time.Duration) string {
	days, h, m := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%dd%dh", days, h)
	case h > 0:
		return fmt.Sprintf("%dh%dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%ds", int(d/time.Second))
}
