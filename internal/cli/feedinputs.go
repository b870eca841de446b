package cli

import (
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/feeds"
)

// Reading inputs from the feed cache (docs/feeds.md): snapshot create
// --feeds freezes cached feeds, and policy simulate reads them when it is
// given no advisories.

const feedsAuto = feeds.Auto // simulate without advisories: every cached feed, if any

// noAdvisoriesError is simulate's answer when it has no advisories at all.
func noAdvisoriesError(app *App, cacheDir string) error {
	return fail.New(fail.Invalid, "no advisories to evaluate: give --advisories PATH or --snapshot ID, or pull feeds into the cache (%s) first: stella feeds pull --osv auto --sbom FILE --kev --epss",
		app.feedCacheDir(cacheDir))
}
