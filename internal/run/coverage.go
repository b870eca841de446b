package run

import (
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/purl"
	"github.com/stella-policy/stella/internal/snapshot"
)

// Coverage (docs/output.md "Coverage"): a gate must not pass components it
// could not check. An ecosystem of the components is covered when a feed of
// it was pulled (the snapshot's feeds name osv/ECOSYSTEM: declared, even if
// the feed held no advisory for it), else when at least one advisory of the
// inputs names it (a heuristic for loose files: an advisory set that names
// an ecosystem is taken to cover it). Components of an ecosystem nothing
// covers, components with no OSV ecosystem or no purl, and components
// without a version whose package advisories name are not checked.

// Coverage works out the coverage of snap's components from its manifest
// (the feeds it was frozen from, the ecosystems its advisories name — all
// of them, not only those an evaluation loads) and the join m of its
// inputs (nil: versionless components are not looked at). Evaluate gives
// it to the engine; it is exported for renderers' tests.
func Coverage(snap *snapshot.Snapshot, m *match.Result) *engine.Coverage {
	feeds := map[string]bool{}
	for _, f := range snap.Manifest.Content.Feeds {
		if eco, ok := strings.CutPrefix(f.Name, "osv/"); ok {
			feeds[eco] = true
		}
	}
	var named []string
	for _, c := range snap.Manifest.Content.Stats.AdvisoriesByEcosystem {
		named = append(named, c.Name)
	}
	for i := range snap.Inputs.Advisories {
		for _, af := range snap.Inputs.Advisories[i].Affected {
			if af.Ecosystem != "" && !slices.Contains(named, af.Ecosystem) {
				named = append(named, af.Ecosystem)
			}
		}
	}
	rows := map[string]*engine.EcosystemCoverage{}
	row := func(eco, typ string) *engine.EcosystemCoverage {
		r := rows[eco]
		if r == nil {
			_, lang := purl.TypeEcosystem(typ)
			r = &engine.EcosystemCoverage{Ecosystem: eco, Basis: basis(eco, lang || typ == "", feeds, named)}
			rows[eco] = r
		}
		return r
	}
	for s := range snap.Inputs.SBOMs {
		comps := snap.Inputs.SBOMs[s].Components
		for i := range comps {
			c := &comps[i]
			eco, _ := match.Target(c)
			switch {
			case eco != "":
			case c.Purl == "":
				eco = engine.NoPurl
			default:
				eco = engine.PurlPrefix + c.Type
			}
			r := row(eco, c.Type)
			r.Components++
			switch {
			case r.Basis == engine.CoverageNone:
				r.Unchecked++
			case m != nil && m.NoVersion[match.NoVersionKey(c)]:
				r.Unchecked++
				r.NoVersion++
			case m != nil && m.InvalidVersion[match.NoVersionKey(c)]:
				r.Unchecked++
				r.InvalidVersion++
			}
		}
	}
	cov := &engine.Coverage{Ecosystems: make([]engine.EcosystemCoverage, 0, len(rows))}
	for _, r := range rows {
		cov.Ecosystems = append(cov.Ecosystems, *r)
	}
	slices.SortFunc(cov.Ecosystems, func(a, b engine.EcosystemCoverage) int { return strings.Compare(a.Ecosystem, b.Ecosystem) })
	return cov
}

// basis says what covers the ecosystem eco: a pulled feed of its base
// ecosystem, an advisory naming it (or a refinement of it, as the join
// matches: purl.EcosystemCovers), or nothing. A distribution's packages
// (lang false: a deb, apk or rpm purl) named without a release ("Debian")
// match only advisories without one, which distribution feeds do not
// hold: the feed alone does not cover them.
func basis(eco string, lang bool, feeds map[string]bool, named []string) string {
	if eco == engine.NoPurl || strings.HasPrefix(eco, engine.PurlPrefix) {
		return engine.CoverageNone
	}
	if feeds[purl.Base(eco)] && (lang || strings.Contains(eco, ":")) {
		return engine.CoverageFeed
	}
	for _, n := range named {
		if purl.EcosystemCovers(n, eco) {
			return engine.CoverageAdvisories
		}
	}
	return engine.CoverageNone
}
