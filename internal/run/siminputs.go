package run

import (
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/feeds"
	"github.com/stella-policy/stella/internal/snapshot"
)

// SimulateInputs checks what a simulation is to evaluate: the snapshot
// snapshotRef, or the loose input files of r with the cached feeds sel
// (--feeds), never both, and at least one --sbom. It returns the cached
// feeds to read: with neither --advisories nor --feeds every cached feed,
// if any (feeds.Auto; docs/feeds.md).
func SimulateInputs(r snapshot.Request, sel []string, snapshotRef string) ([]string, error) {
	loose := len(r.SBOMs)+len(r.Advisories)+len(r.VEX)+len(r.NVD)+len(r.Signals)+len(r.Reachability)+len(r.Exceptions) > 0 || r.EPSS != "" || r.KEV != "" || len(sel) > 0
	switch {
	case snapshotRef != "" && loose:
		return nil, fail.New(fail.Invalid, "--snapshot and input files (--sbom, --advisories, --feeds, …) exclude each other")
	case snapshotRef != "":
		return sel, nil
	case len(r.SBOMs) == 0:
		return nil, fail.New(fail.Invalid, "give at least one --sbom (with --advisories, --vex, …), or --snapshot")
	case len(r.Advisories) == 0 && len(sel) == 0:
		return []string{feeds.Auto}, nil
	}
	return sel, nil
}

// NoAdvisories refuses loose input files with no advisories — none given
// and none in the feed cache cacheDir — naming a bad input file first.
func NoAdvisories(files snapshot.Spec, cacheDir string) error {
	if len(files.Advisories) > 0 {
		return nil
	}
	if _, err := snapshot.FromFiles(files); err != nil {
		return err
	}
	return fail.New(fail.Invalid, "no advisories to evaluate: give --advisories PATH or --snapshot ID, or pull feeds into the cache (%s) first: %s",
		cacheDir, feeds.PullHint)
}
