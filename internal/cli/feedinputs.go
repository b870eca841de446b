package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/feeds"
	"github.com/stella-policy/stella/internal/snapshot"
)

// Reading inputs from the feed cache (docs/feeds.md): snapshot create
// --feeds freezes cached feeds, and policy simulate reads them when it is
// given no advisories.

const (
	feedsAll  = "all"  // --feeds alone: every cached feed
	feedsAuto = "auto" // simulate without advisories: every cached feed, if any
)

// addFeeds adds the selected cached feeds to sp as inputs, with their
// provenance, and returns them. Feeds of a kind an input flag already gives
// (--kev, --epss) are left out unless named.
func (f *inputFlags) addFeeds(app *App, sp *snapshot.Spec) ([]feeds.Meta, error) {
	if len(f.feeds) == 0 {
		return nil, nil
	}
	var names []string
	for _, n := range f.feeds {
		for _, x := range strings.Split(n, ",") {
			if x != feedsAll && x != feedsAuto && x != "" {
				names = append(names, x)
			}
		}
	}
	cache := feeds.Open(app.feedCacheDir(f.cacheDir))
	ms, err := cache.Select(names)
	if err != nil {
		return nil, err
	}
	var used []feeds.Meta
	for _, m := range ms {
		p := m.Path(cache.Root)
		switch {
		case m.Kind == feeds.OSV:
			sp.Advisories = append(sp.Advisories, p)
		case m.Kind == feeds.NVD:
			sp.NVD = append(sp.NVD, p)
		case m.Kind == feeds.KEV && (sp.KEV == "" || names != nil):
			sp.KEV = cmpOrString(sp.KEV, p)
		case m.Kind == feeds.EPSS && (sp.EPSS == "" || names != nil):
			sp.EPSS = cmpOrString(sp.EPSS, p)
		default:
			continue
		}
		sp.Feeds = append(sp.Feeds, m.Provenance())
		used = append(used, m)
	}
	return used, nil
}

// noAdvisoriesError is simulate's answer when it has no advisories at all.
func noAdvisoriesError(app *App, cacheDir string) error {
	return fail.New(fail.Invalid, "no advisories to evaluate: give --advisories PATH or --snapshot ID, or pull feeds into the cache (%s) first: stella feeds pull --osv auto --sbom FILE --kev --epss",
		app.feedCacheDir(cacheDir))
}

// feedAges says which cached feeds are in use and how old each is.
func feedAges(ms []feeds.Meta, now time.Time) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		age := "?"
		if t, err := time.Parse(time.RFC3339, m.CheckedAt); err == nil {
			age = humanAge(max(now.Sub(t), 0).Truncate(time.Second))
		}
		parts[i] = fmt.Sprintf("%s (%d records, age %s)", m.Name, m.Records, age)
	}
	return strings.Join(parts, ", ")
}
