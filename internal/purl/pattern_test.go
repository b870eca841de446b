package purl

import "testing"

func TestPurlPatterns(t *testing.T) {
	cases := []struct {
		pattern, purl string
		want          int
	}{
		{"pkg:npm/lib@1.0.0", "pkg:npm/lib@1.0.0", 3},
		{"pkg:npm/lib", "pkg:npm/lib@1.0.0", 2},
		{"pkg:npm/lib", "pkg:npm/lib@1.0.0?arch=x", 2},
		{"pkg:npm/lib@1.0.1", "pkg:npm/lib@1.0.0", 0},
		{"pkg:npm/li", "pkg:npm/lib@1.0.0", 0},
		{"pkg:maven/org.apache/*", "pkg:maven/org.apache/log4j-core@2.14.0", 1},
		{"pkg:maven/org.apache/*", "pkg:maven/org.apachex/log4j@1", 0},
		{"pkg:*/lib@1.0.0", "pkg:npm/lib@1.0.0", 1},
		{"pkg:npm/@scope/x", "pkg:npm/%40scope/x@2", 0},
	}
	for _, tc := range cases {
		if got := PatternMatch(tc.pattern, tc.purl); got != tc.want {
			t.Errorf("PatternMatch(%q, %q) = %d, want %d", tc.pattern, tc.purl, got, tc.want)
		}
	}
}

// Patterns are compared as component purls are spelled: written another
// way ("pkg:NPM/…", "pkg:pypi/Django", "@scope"), a pattern matched nothing.
func TestCanonicalPattern(t *testing.T) {
	cases := []struct{ pattern, want string }{
		{"pkg:npm/lodash@4.17.20", "pkg:npm/lodash@4.17.20"},
		{"pkg:NPM/minimist", "pkg:npm/minimist"},
		{"pkg:pypi/Django", "pkg:pypi/django"},
		{"pkg:pypi/Py_YAML*", "pkg:pypi/py-yaml*"},
		{"pkg:npm/@babel/*", "pkg:npm/%40babel/*"},
		{"pkg:npm/%6Dinimist@1.*", "pkg:npm/minimist@1.*"},
		{"pkg:maven/org.apache/*", "pkg:maven/org.apache/*"},
		{"pkg:maven/org.apache*", "pkg:maven/org.apache*"},
		{"pkg:golang/github.com/BurntSushi/*", "pkg:golang/github.com/BurntSushi/*"},
		{"pkg:npm/*", "pkg:npm/*"},
		// Not canonicalized: qualifiers, no name, the marker itself.
		{"pkg:deb/debian/openssl?arch=amd64", "pkg:deb/debian/openssl?arch=amd64"},
		{"pkg:npm/", "pkg:npm/"},
		{"pkg:npm/x0STELLAGLOB0", "pkg:npm/x0STELLAGLOB0"},
	}
	for _, tc := range cases {
		if got := CanonicalPattern(tc.pattern); got != tc.want {
			t.Errorf("CanonicalPattern(%q) = %q, want %q", tc.pattern, got, tc.want)
		}
	}
	if PatternMatch(CanonicalPattern("pkg:npm/@scope/x"), "pkg:npm/%40scope/x@2") != 2 {
		t.Error("a canonical @scope pattern does not match its component")
	}
}
