package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/feeds"
)

// FeedsStatus writes `stella feeds status` as a table (docs/feeds.md).
func FeedsStatus(w io.Writer, r *feeds.StatusReport, o Options) error {
	if len(r.Feeds) == 0 {
		_, err := printf(w, "no feeds in %s; pull some: %s\n", r.CacheDir, feeds.PullHint)
		return err
	}
	t := NewTable(w, o.TTY, "FEED", "RECORDS", "NEWEST", "FETCHED", "AGE", "SIZE", "DIGEST", "SOURCE")
	for _, s := range r.Feeds {
		age := s.Age
		if s.Stale {
			age += " (stale)"
		}
		if s.Problem != "" {
			age += " (damaged)"
		}
		t.Append(s.Name, s.Records, cmp.Or(s.Newest, "-"), s.FetchedAt, age, humanBytes(s.Size), canon.Short(s.Digest, 12), s.URL)
	}
	return t.Render()
}

// FeedsPull writes what `stella feeds pull` did, one row per feed; when a
// feed failed, an ERROR column says why (the error past its "feed NAME
// (URL): " prefix, which the row already names).
func FeedsPull(w io.Writer, res []feeds.Result, o Options) error {
	failed := slices.ContainsFunc(res, func(r feeds.Result) bool { return r.Error != "" })
	cols := []any{"FEED", "RESULT", "RECORDS", "NEWEST", "SIZE", "DIGEST"}
	if failed {
		cols = append(cols, "ERROR")
	}
	t := NewTable(w, o.TTY, cols...)
	for _, r := range res {
		row := []any{r.Name, r.Outcome, "", "", "", ""}
		if m := r.Meta; m != nil {
			row = []any{r.Name, r.Outcome, m.Records, cmp.Or(m.Newest, "-"), humanBytes(m.Size), canon.Short(m.Digest, 12)}
		}
		if failed {
			_, msg, ok := strings.Cut(r.Error, "): ")
			if !ok {
				msg = r.Error
			}
			row = append(row, msg)
		}
		t.Append(row...)
	}
	return t.Render()
}

// PullWarnings writes on stderr what `stella feeds pull` saw on the way
// (a damaged metadata file replaced, …), one line per warning and feed.
func PullWarnings(w io.Writer, res []feeds.Result) {
	for _, r := range res {
		for _, m := range r.Warnings {
			printf(w, "stella: warning: feed %s: %s\n", r.Name, m)
		}
	}
}

// humanBytes writes a size with a binary unit.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
