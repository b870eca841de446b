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
