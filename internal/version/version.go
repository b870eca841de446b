// Package version owns version ordering per OSV ecosystem and the evaluation
// of OSV affected entries (ranges and explicit versions lists) against one
// component version.
//
// Ordering comes from github.com/google/osv-scalibr/semantic, the comparators
// osv.dev itself uses (npm/Go/crates.io/Hex semver, PEP 440, Maven
// ComparableVersion, dpkg, rpmvercmp, apk, NuGet, RubyGems, Packagist, Pub,
// CRAN, Hackage); the conformance test checks it against the reference
// vectors for every ecosystem. Nothing here reads the clock, the environment
// or map order.
package version

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/osv-scalibr/semantic"
)

// ErrUnsupported is returned for an ecosystem with no known ordering.
var ErrUnsupported = errors.New("unsupported ecosystem")

// V is a version parsed under one ecosystem's ordering.
type V struct {
	raw string
	v   semantic.Version
}

// String returns the version as given.
func (v V) String() string { return v.raw }

// Parse parses s under the ordering of ecosystem, which may carry a release
// suffix ("Debian:12"). The ecosystem "SEMVER" selects plain SemVer 2.0
// ordering, as OSV SEMVER ranges require.
func Parse(ecosystem, s string) (V, error) {
	var (
		sv  semantic.Version
		err error
	)
	base, _, _ := strings.Cut(ecosystem, ":")
	switch base {
	case "SEMVER", "GitHub Actions":
		sv = semantic.ParseSemverVersion(s)
	default:
		sv, err = semantic.Parse(s, base)
	}
	if errors.Is(err, semantic.ErrUnsupportedEcosystem) {
		return V{}, fmt.Errorf("%w %q", ErrUnsupported, ecosystem)
	}
	if err != nil {
		return V{}, fmt.Errorf("invalid %s version %q", base, s)
	}
	return V{raw: s, v: sv}, nil
}

// Compare returns -1, 0 or +1 as v sorts before, equal to or after w. Both
// must come from Parse with the same ecosystem; the error reports versions of
// different orderings or a pair the comparator cannot order.
func (v V) Compare(w V) (int, error) {
	c, err := v.v.Compare(w.v)
	if err != nil {
		return 0, fmt.Errorf("cannot order %q and %q: %v", v.raw, w.raw, err)
	}
	return c, nil
}

// Compare orders two version strings of one ecosystem.
func Compare(ecosystem, a, b string) (int, error) {
	va, err := Parse(ecosystem, a)
	if err != nil {
		return 0, err
	}
	vb, err := Parse(ecosystem, b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb)
}

// Supported reports whether ecosystem has a known ordering.
func Supported(ecosystem string) bool {
	_, err := Parse(ecosystem, "0")
	return !errors.Is(err, ErrUnsupported)
}
