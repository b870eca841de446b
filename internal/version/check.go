package version

import (
	"fmt"
	"regexp"
	"strings"
)

// The comparators order anything, a word or a range spec too ("^1.2.5"
// sorts below 0.0.0 under npm), so a component version is checked for the
// shape of a version of its ecosystem before it is compared: one that is no
// version is a problem, never a silent "not affected" (docs/conformance.md).
var (
	// semverLike: npm, crates.io, Hex, Pub, SwiftURL and Go versions (Go's
	// toolchain spells them go1.21.3). Release parts may be fewer than three.
	semverLike = regexp.MustCompile(`^v?[0-9]+(\.[0-9]+)*(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	// anyVersion: every other ecosystem (PEP 440, Maven, dpkg, rpm, apk,
	// NuGet, RubyGems, …) — starts with a letter or digit, holds a digit,
	// and has none of the characters of range specs, placeholders or lists.
	anyVersion = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+~_:!^-]*$`)
)

// Check reports whether s has the shape of a version of ecosystem (which may
// carry a release suffix, "Debian:12"); the error says why not.
func Check(ecosystem, s string) error {
	base, _, _ := strings.Cut(ecosystem, ":")
	ok := false
	switch base {
	case "npm", "crates.io", "Hex", "Pub", "SwiftURL", "SEMVER":
		ok = semverLike.MatchString(s)
	case "Go":
		ok = semverLike.MatchString(strings.TrimPrefix(s, "go"))
	default:
		ok = anyVersion.MatchString(s) && strings.ContainsAny(s, "0123456789")
	}
	if !ok {
		return fmt.Errorf("component version %q is not a valid %s version", s, base)
	}
	return nil
}
