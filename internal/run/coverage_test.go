package run

import (
	"reflect"
	"testing"

	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/snapshot"
)

// TestCoverage: which ecosystems the advisory inputs cover, declared by a
// pulled feed or named by an advisory, and which components stay unchecked
// (docs/output.md "Coverage").
func TestCoverage(t *testing.T) {
	comp := func(purl, eco string) model.Component {
		return model.Component{Purl: purl, Ecosystem: eco, Package: "x", Version: "1"}
	}
	npm := comp("pkg:npm/a@1", "npm")
	deb := comp("pkg:deb/debian/b@1?distro=debian-12", "Debian:12")
	debBare := comp("pkg:deb/debian/b@1", "Debian")
	ubuntu := comp("pkg:deb/ubuntu/c@1?distro=ubuntu-22.04", "Ubuntu:22.04")
	pypi := comp("pkg:pypi/d@1", "PyPI")
	npm.Type, deb.Type, debBare.Type, pypi.Type = "npm", "deb", "deb", "pypi"
	generic := model.Component{Purl: "pkg:generic/e@1", Type: "generic", Version: "1"}
	noPurl := model.Component{Name: "debian", Version: "12"}
	noVer := model.Component{Purl: "pkg:npm/f", Ecosystem: "npm", Package: "f"}
	badVer := model.Component{Purl: "pkg:npm/g@%5E1.2.5", Ecosystem: "npm", Package: "g", Version: "^1.2.5"}
	row := func(eco, basis string, comps, unchecked, noVersion int) engine.EcosystemCoverage {
		return engine.EcosystemCoverage{Ecosystem: eco, Basis: basis, Components: comps, Unchecked: unchecked, NoVersion: noVersion}
	}
	for _, tc := range []struct {
		name  string
		feeds []string // feed names: osv/ECOSYSTEM
		named []string // ecosystems the advisories name
		comps []model.Component
		noVer map[string]bool
		want  []engine.EcosystemCoverage
	}{
		{"npm advisories only", nil, []string{"npm"}, []model.Component{npm, npm, deb, pypi},
			nil, []engine.EcosystemCoverage{row("Debian:12", "none", 1, 1, 0), row("PyPI", "none", 1, 1, 0), row("npm", "advisories", 2, 0, 0)}},
		{"a pulled feed covers its ecosystem even without advisories for it", []string{"osv/PyPI", "osv/Debian", "kev"}, []string{"npm"},
			[]model.Component{npm, deb, pypi},
			nil, []engine.EcosystemCoverage{row("Debian:12", "feed", 1, 0, 0), row("PyPI", "feed", 1, 0, 0), row("npm", "advisories", 1, 0, 0)}},
		{"an advisory release refining the component's covers it", nil, []string{"Ubuntu:22.04:LTS", "Debian:11"}, []model.Component{ubuntu, deb},
			nil, []engine.EcosystemCoverage{row("Debian:12", "none", 1, 1, 0), row("Ubuntu:22.04", "advisories", 1, 0, 0)}},
		{"a component without a release matches no released advisory", nil, []string{"Debian:12"}, []model.Component{debBare},
			nil, []engine.EcosystemCoverage{row("Debian", "none", 1, 1, 0)}},
		{"a feed does not cover a distribution's packages without a release", []string{"osv/Debian", "osv/npm"}, nil, []model.Component{debBare, deb, npm},
			nil, []engine.EcosystemCoverage{row("Debian", "none", 1, 1, 0), row("Debian:12", "feed", 1, 0, 0), row("npm", "feed", 1, 0, 0)}},
		{"no purl, and a purl type without an ecosystem", nil, []string{"npm"}, []model.Component{generic, noPurl, npm},
			nil, []engine.EcosystemCoverage{row("(no purl)", "none", 1, 1, 0), row("npm", "advisories", 1, 0, 0), row("purl:generic", "none", 1, 1, 0)}},
		{"versionless components whose package advisories name", nil, []string{"npm"}, []model.Component{noVer, npm},
			map[string]bool{"pkg:npm/f": true}, []engine.EcosystemCoverage{row("npm", "advisories", 2, 1, 1)}},
		{"an invalid version is its own reason", nil, []string{"npm"}, []model.Component{noVer, badVer, npm},
			map[string]bool{"pkg:npm/f": true}, []engine.EcosystemCoverage{{Ecosystem: "npm", Basis: "advisories", Components: 3, Unchecked: 2, NoVersion: 1, InvalidVersion: 1}}},
		{"no components", nil, []string{"npm"}, nil, nil, []engine.EcosystemCoverage{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := &snapshot.Snapshot{Inputs: &model.Inputs{SBOMs: []model.SBOM{{Components: tc.comps}}}}
			for _, f := range tc.feeds {
				snap.Manifest.Content.Feeds = append(snap.Manifest.Content.Feeds, snapshot.Feed{Name: f})
			}
			for _, e := range tc.named {
				snap.Manifest.Content.Stats.AdvisoriesByEcosystem = append(snap.Manifest.Content.Stats.AdvisoriesByEcosystem, snapshot.Count{Name: e, Count: 1})
			}
			got := Coverage(snap, &match.Result{NoVersion: tc.noVer, InvalidVersion: map[string]bool{"pkg:npm/g@%5E1.2.5": true}})
			if !reflect.DeepEqual(got.Ecosystems, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got.Ecosystems, tc.want)
			}
		})
	}
}

// TestCoverageWarning: the one warning names each ecosystem and its count,
// by reason; none when everything was checked.
func TestCoverageWarning(t *testing.T) {
	cov := &engine.Coverage{Ecosystems: []engine.EcosystemCoverage{
		{Ecosystem: "(no purl)", Basis: "none", Components: 2, Unchecked: 2},
		{Ecosystem: "Alpine:v3.16", Basis: "none", Components: 3, Unchecked: 3},
		{Ecosystem: "Debian:12", Basis: "none", Components: 1, Unchecked: 1},
		{Ecosystem: "npm", Basis: "feed", Components: 10, Unchecked: 3, NoVersion: 1, InvalidVersion: 2},
		{Ecosystem: "purl:oci", Basis: "none", Components: 1, Unchecked: 1},
	}}
	want := `10 of 17 components not checked against any advisory (docs/output.md "Coverage"): the advisory inputs cover no Alpine:v3.16 (3), Debian:12 (1); no advisory ecosystem for purl:oci (1); no purl (2); no version to compare with their package's advisories: npm (1); a version that is no version of their ecosystem (in none of their package's advisory ranges): npm (2)`
	if got := cov.Warning(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if n, list := cov.Unchecked(), cov.UncheckedCounts(); n != 10 || len(list) != 5 || list[0] != (engine.EcosystemCount{Ecosystem: "(no purl)", Components: 2}) {
		t.Errorf("Unchecked %d, UncheckedCounts %v", n, list)
	}
	covered := &engine.Coverage{Ecosystems: []engine.EcosystemCoverage{{Ecosystem: "npm", Basis: "advisories", Components: 3}}}
	var none *engine.Coverage
	if covered.Warning() != "" || none.Warning() != "" || none.Unchecked() != 0 || len(none.UncheckedCounts()) != 0 {
		t.Error("a warning or count where every component was checked")
	}
}
