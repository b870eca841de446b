package version

import (
	"testing"

	"github.com/stella-policy/stella/internal/model"
)

var fuzzEcosystems = []string{
	"npm", "Go", "PyPI", "Maven", "Debian", "Red Hat", "Alpine", "NuGet",
	"RubyGems", "Packagist", "crates.io", "Pub", "CRAN", "Hackage", "SEMVER",
}

// FuzzCompare checks that no pair of strings panics parsing or comparison in
// any ecosystem, that comparison is antisymmetric, and that range evaluation
// with those strings as events never panics.
func FuzzCompare(f *testing.F) {
	seeds := [][2]string{
		{"1.2.3-beta.2", "1.2.3"}, {"v1.10.0", "v1.9.9"}, {"1.0.post1", "1.0rc1"},
		{"1.0-alpha-1", "1.0"}, {"1:2.30-1", "2.31-1~bpo12+1"}, {"1.0-1.el8", "1.0-1.el8_1"},
		{"1.2.3-r0", "1.2.3_rc1-r0"}, {"1.0.0.0", "1.0"}, {"2.2.0.a", "2.2.0"}, {"", "0"},
	}
	for i, s := range seeds {
		f.Add(uint8(i), s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, e uint8, a, b string) {
		eco := fuzzEcosystems[int(e)%len(fuzzEcosystems)]
		ab, err1 := Compare(eco, a, b)
		ba, err2 := Compare(eco, b, a)
		if err1 == nil && err2 == nil && ab != -ba {
			t.Fatalf("%s: Compare(%q, %q) = %d but Compare(%q, %q) = %d", eco, a, b, ab, b, a, ba)
		}
		aff := model.Affected{
			Versions: []string{b},
			Ranges: []model.Range{{Type: "ECOSYSTEM", Events: []model.Event{
				{Introduced: a}, {Fixed: b}, {LastAffected: a}, {Limit: b},
			}}},
		}
		Evaluate(eco, a, &aff)
		Evaluate(eco, b, &aff)
	})
}

// FuzzInVers checks that no vers range or version panics InVers.
func FuzzInVers(f *testing.F) {
	for _, s := range [][2]string{
		{"vers:npm/>=1.0.0|<2.0.0", "1.5.0"},
		{"vers:deb/>=1:2.30-1|!=2.31-1", "2.31-1"},
		{"vers:pypi/*", "1.0"},
		{"vers:maven/1.0|%3E%3D2.0", "2.0"},
		{"vers:semver/", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, r, v string) {
		InVers(r, v)
	})
}
