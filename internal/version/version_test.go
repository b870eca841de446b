package version

import (
	"errors"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/model"
)

func TestCompare(t *testing.T) {
	tests := []struct {
		eco, a, b string
		want      int
	}{
		{"npm", "1.2.3-beta.2", "1.2.3", -1},
		{"Go", "v1.10.0", "v1.9.9", 1},
		{"Go", "v1.2.3", "1.2.3", 0},
		{"Go", "v2.0.0+incompatible", "v2.0.0", 0},
		{"Go", "v0.0.0-20200202094626-16171245cfb2", "v0.0.1", -1},
		{"PyPI", "1.0.post1", "1.0rc1", 1},
		{"PyPI", "1!0.5", "2.0", 1},
		{"Maven", "1.0-alpha-1", "1.0", -1},
		{"Maven", "1.0.0.RELEASE", "1.0", 0},
		{"Debian", "1:2.30-1", "2.31-1~bpo12+1", 1},
		{"Debian:12", "1.0~rc1", "1.0", -1},
		{"Ubuntu:22.04:LTS", "1.0-1ubuntu1", "1.0-1", 1},
		{"Red Hat", "1.0-1.el8", "1.0-1.el8_1", -1},
		{"Alpine:v3.18", "1.2.3-r0", "1.2.3_rc1-r0", 1},
		{"NuGet", "1.0.0.0", "1.0", 0},
		{"RubyGems", "2.2.0.a", "2.2.0", -1},
		{"crates.io", "0.3.0", "0.2.9", 1},
		{"Packagist", "1.0.0-RC1", "1.0.0", -1},
		{"GitHub Actions", "v3.1.0", "v3", 1},
		{"SEMVER", "1.0.0-rc.1", "1.0.0", -1},
	}
	for _, tt := range tests {
		got, err := Compare(tt.eco, tt.a, tt.b)
		if err != nil || got != tt.want {
			t.Errorf("Compare(%q, %q, %q) = %d, %v; want %d", tt.eco, tt.a, tt.b, got, err, tt.want)
		}
	}
}

func TestCompareErrors(t *testing.T) {
	if _, err := Compare("Linux", "1", "2"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Compare(Linux) error = %v, want ErrUnsupported", err)
	}
	if _, err := Compare("Debian", "1.0", "1.2.3-not-a-debian:version!@#$"); err == nil || errors.Is(err, ErrUnsupported) {
		t.Errorf("Compare(Debian, invalid) error = %v, want an invalid-version error", err)
	}
	if !Supported("Debian:11") || !Supported("npm") || Supported("Linux") {
		t.Error("Supported disagrees with Parse")
	}
}

// ev builds events from "introduced=1.0" style words.
func ev(words ...string) []model.Event {
	var out []model.Event
	for _, w := range words {
		k, v, _ := strings.Cut(w, "=")
		switch k {
		case "introduced":
			out = append(out, model.Event{Introduced: v})
		case "fixed":
			out = append(out, model.Event{Fixed: v})
		case "last_affected":
			out = append(out, model.Event{LastAffected: v})
		case "limit":
			out = append(out, model.Event{Limit: v})
		}
	}
	return out
}

func TestEvaluate(t *testing.T) {
	eco := func(words ...string) model.Range { return model.Range{Type: "ECOSYSTEM", Events: ev(words...)} }
	semver := func(words ...string) model.Range { return model.Range{Type: "SEMVER", Events: ev(words...)} }
	git := model.Range{Type: "GIT", Repo: "https://x", Events: ev("introduced=0", "fixed=abc123")}
	tests := []struct {
		name     string
		eco, ver string
		aff      model.Affected
		want     bool
		rng      string
		git      int
		problems int
	}{
		{"introduced 0, fixed", "npm", "1.2.2", model.Affected{Ranges: []model.Range{semver("introduced=0", "fixed=1.2.3")}}, true, "SEMVER >=0 <1.2.3", 0, 0},
		{"at fixed", "npm", "1.2.3", model.Affected{Ranges: []model.Range{semver("introduced=0", "fixed=1.2.3")}}, false, "", 0, 0},
		{"below introduced", "npm", "0.9.0", model.Affected{Ranges: []model.Range{semver("introduced=1.0.0", "fixed=1.2.3")}}, false, "", 0, 0},
		{"at introduced", "npm", "1.0.0", model.Affected{Ranges: []model.Range{semver("introduced=1.0.0", "fixed=1.2.3")}}, true, "SEMVER >=1.0.0 <1.2.3", 0, 0},
		{"prerelease of fixed", "npm", "1.2.3-rc.1", model.Affected{Ranges: []model.Range{semver("introduced=0", "fixed=1.2.3")}}, true, "SEMVER >=0 <1.2.3", 0, 0},
		{"open-ended", "Go", "v9.0.0", model.Affected{Ranges: []model.Range{semver("introduced=2.0.0")}}, true, "SEMVER >=2.0.0", 0, 0},
		{"last_affected inclusive", "PyPI", "2.0", model.Affected{Ranges: []model.Range{eco("introduced=1.0", "last_affected=2.0")}}, true, "ECOSYSTEM >=1.0 <=2.0", 0, 0},
		{"after last_affected", "PyPI", "2.0.post1", model.Affected{Ranges: []model.Range{eco("introduced=1.0", "last_affected=2.0")}}, false, "", 0, 0},
		{"limit excludes", "npm", "3.0.0", model.Affected{Ranges: []model.Range{semver("introduced=0", "limit=3.0.0")}}, false, "", 0, 0},
		{"limit star", "npm", "3.0.0", model.Affected{Ranges: []model.Range{semver("introduced=0", "limit=*")}}, true, "SEMVER >=0", 0, 0},
		{"unsorted events, second interval", "Maven", "2.5", model.Affected{Ranges: []model.Range{eco("fixed=3.0", "introduced=2.0", "fixed=1.5", "introduced=1.0")}}, true, "ECOSYSTEM >=2.0 <3.0", 0, 0},
		{"unsorted events, gap", "Maven", "1.7", model.Affected{Ranges: []model.Range{eco("fixed=3.0", "introduced=2.0", "fixed=1.5", "introduced=1.0")}}, false, "", 0, 0},
		{"adjacent intervals", "npm", "2.0.0", model.Affected{Ranges: []model.Range{semver("introduced=1.0.0", "fixed=2.0.0", "introduced=2.0.0", "fixed=3.0.0")}}, true, "SEMVER >=2.0.0 <3.0.0", 0, 0},
		{"single version", "npm", "2.0.0", model.Affected{Ranges: []model.Range{semver("introduced=2.0.0", "last_affected=2.0.0")}}, true, "SEMVER >=2.0.0 <=2.0.0", 0, 0},
		{"single version, above", "npm", "2.0.1", model.Affected{Ranges: []model.Range{semver("introduced=2.0.0", "last_affected=2.0.0")}}, false, "", 0, 0},
		{"several ranges", "Go", "v1.5.0", model.Affected{Ranges: []model.Range{semver("introduced=0", "fixed=1.0.0"), semver("introduced=1.4.0", "fixed=1.6.0")}}, true, "SEMVER >=1.4.0 <1.6.0", 0, 0},
		{"versions list", "PyPI", "1.1", model.Affected{Versions: []string{"1.0", "1.1"}}, true, "versions 1.1", 0, 0},
		{"versions list miss", "PyPI", "1.2", model.Affected{Versions: []string{"1.0", "1.1"}}, false, "", 0, 0},
		{"versions list, Go v prefix", "Go", "v1.1.0", model.Affected{Versions: []string{"1.1.0"}}, true, "versions 1.1.0", 0, 0},
		{"versions list when no range matches", "npm", "1.0.0", model.Affected{Versions: []string{"1.0.0"}, Ranges: []model.Range{semver("introduced=0", "fixed=0.5.0")}}, true, "versions 1.0.0", 0, 0},
		{"range described over versions list", "npm", "1.0.0", model.Affected{Versions: []string{"1.0.0"}, Ranges: []model.Range{semver("introduced=0", "fixed=2.0.0")}}, true, "SEMVER >=0 <2.0.0", 0, 0},
		{"git ignored and counted", "Go", "v1.0.0", model.Affected{Ranges: []model.Range{git, git}}, false, "", 2, 0},
		{"git beside ecosystem", "PyPI", "1.0", model.Affected{Ranges: []model.Range{git, eco("introduced=0", "fixed=2.0")}}, true, "ECOSYSTEM >=0 <2.0", 1, 0},
		{"debian ordering", "Debian:11", "2.31-13+deb11u5", model.Affected{Ranges: []model.Range{eco("introduced=0", "fixed=2.31-13+deb11u6")}}, true, "ECOSYSTEM >=0 <2.31-13+deb11u6", 0, 0},
		{"unsupported ecosystem", "Linux", "5.10", model.Affected{Ranges: []model.Range{eco("introduced=0", "fixed=6.0")}}, false, "", 0, 1},
		{"unparsable component version", "Debian:11", "x:1.0", model.Affected{Ranges: []model.Range{eco("introduced=0", "fixed=1.0")}}, false, "", 0, 1},
		{"unparsable event", "Debian:11", "1.0", model.Affected{Ranges: []model.Range{eco("introduced=0", "fixed=x:1.0")}}, false, "", 0, 1},
		{"unknown range type", "npm", "1.0.0", model.Affected{Ranges: []model.Range{{Type: "DATE", Events: ev("introduced=0")}}}, false, "", 0, 1},
		{"no events", "npm", "1.0.0", model.Affected{Ranges: []model.Range{semver()}}, false, "", 0, 0},
		// A component version that is no version of its ecosystem still falls
		// in ranges open from 0 (the comparator orders it below everything);
		// when it falls in none, that is a problem, not a silent pass.
		{"npm range spec, open from 0", "npm", "^1.2.5", model.Affected{Ranges: []model.Range{semver("introduced=0", "fixed=1.2.6")}}, true, "SEMVER >=0 <1.2.6", 0, 0},
		{"npm = prefix", "npm", "=1.2.5", model.Affected{Ranges: []model.Range{semver("introduced=1.0.0", "fixed=1.2.6"), semver("introduced=2.0.0")}}, false, "", 0, 1},
		{"maven placeholder", "Maven", "${log4j2.version}", model.Affected{Ranges: []model.Range{eco("introduced=2.0-beta9", "fixed=2.15.0")}}, false, "", 0, 1},
		{"pypi word", "PyPI", "latest", model.Affected{Ranges: []model.Range{eco("introduced=1.0", "fixed=2.0")}, Versions: []string{"1.0"}}, false, "", 0, 1},
		// An event version that is no version of its ecosystem: a range it
		// leaves open still matches; one that matches nothing is a problem.
		{"fixed is no version", "npm", "1.0.0", model.Affected{Ranges: []model.Range{semver("introduced=0", "fixed=not-a-version")}}, false, "", 0, 1},
		{"introduced is no version, in range", "npm", "1.0.0", model.Affected{Ranges: []model.Range{semver("introduced=zzz", "fixed=2.0.0")}}, true, "SEMVER >=zzz <2.0.0", 0, 0},
		{"last_affected is no version", "PyPI", "2.0", model.Affected{Ranges: []model.Range{eco("introduced=0", "last_affected=${v}")}}, false, "", 0, 1},
		{"invalid version, only git", "Go", "(devel)", model.Affected{Ranges: []model.Range{git}}, false, "", 1, 0},
		{"invalid version in a range from 0", "Go", "(devel)", model.Affected{Ranges: []model.Range{git, semver("introduced=0")}}, true, "SEMVER >=0", 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(tt.eco, tt.ver, &tt.aff)
			if got.Affected != tt.want || got.Range != tt.rng || got.GitRanges != tt.git || len(got.Problems) != tt.problems {
				t.Errorf("Evaluate(%q, %q) = %+v; want affected=%v range=%q git=%d problems=%d",
					tt.eco, tt.ver, got, tt.want, tt.rng, tt.git, tt.problems)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		eco, v string
		ok     bool
	}{
		{"npm", "1.2.5", true},
		{"npm", "v1.2.5", true},
		{"npm", "1.2.3-rc.1+build.5", true},
		{"npm", "1.2", true},
		{"npm", "^1.2.5", false},
		{"npm", "~1.2.5", false},
		{"npm", "=1.2.5", false},
		{"npm", ">=1.0.0 <2", false},
		{"npm", "1.2.5@2", false},
		{"npm", "1.x", false},
		{"npm", "latest", false},
		{"npm", "", false},
		{"npm", " 1.2.5", false},
		{"Go", "v0.0.0-20200202094626-16171245cfb2", true},
		{"Go", "v2.0.0+incompatible", true},
		{"Go", "go1.21.3", true},
		{"Go", "(devel)", false},
		{"crates.io", "0.3.0", true},
		{"crates.io", "*", false},
		{"Hex", "1.0.0-rc.0", true},
		{"PyPI", "1!0.5.post1.dev2+local.7", true},
		{"PyPI", "2.0rc1", true},
		{"PyPI", "latest", false},
		{"PyPI", ">=2.0", false},
		{"Maven", "1.0.0.RELEASE", true},
		{"Maven", "r09", true},
		{"Maven", "2.14.1", true},
		{"Maven", "${log4j2.version}", false},
		{"Maven", "[1.0,2.0)", false},
		{"Debian:12", "1:2.30-1~bpo12+1", true},
		{"Alpine:v3.18", "1.2.3_rc1-r0", true},
		{"Red Hat", "1.0-1.el8_1", true},
		{"Red Hat", "4.16^20230101git1", true},
		{"NuGet", "1.0.0.0", true},
		{"RubyGems", "2.2.0.a", true},
		{"Packagist", "v1.0.0-RC1", true},
		{"Packagist", "dev-master", false},
		{"GitHub Actions", "v3", true},
		{"Linux", "5.10", true},
	}
	for _, tt := range tests {
		err := Check(tt.eco, tt.v)
		if (err == nil) != tt.ok {
			t.Errorf("Check(%q, %q) = %v; want ok=%v", tt.eco, tt.v, err, tt.ok)
		}
	}
}

func TestInVers(t *testing.T) {
	tests := []struct {
		r, v string
		want bool
	}{
		{"vers:npm/>=1.0.0|<2.0.0", "1.5.0", true},
		{"vers:npm/>=1.0.0|<2.0.0", "2.0.0", false},
		{"vers:npm/>=1.0.0|<2.0.0", "0.9.0", false},
		{"vers:npm/<2.0.0|>=1.0.0", "1.0.0", true},
		{"vers:semver/>=2.2.0|<=2.4.0", "2.4.0", true},
		{"vers:npm/<1.0.0", "0.1.0", true},
		{"vers:npm/>=3.0.0", "9.0.0", true},
		{"vers:npm/<1.0.0|>=3.0.0", "2.0.0", false},
		{"vers:npm/<1.0.0|>=3.0.0", "3.1.0", true},
		{"vers:npm/1.2.3|1.2.5", "1.2.5", true},
		{"vers:npm/1.2.3|1.2.5", "1.2.4", false},
		{"vers:npm/>=1.0.0|!=1.5.0|<2.0.0", "1.5.0", false},
		{"vers:npm/!=1.5.0", "1.6.0", true},
		{"vers:npm/*", "anything", true},
		{"vers:pypi/>=1.0|<1.0.post2", "1.0.post1", true},
		{"vers:deb/>=1:2.30-1", "2.31-1", false},
		{"vers:maven/>=1.0|<2.0", "1.0.0.RELEASE", true},
		{"vers:golang/>=v1.2.0|<v1.3.0", "v1.2.9", true},
	}
	for _, tt := range tests {
		got, err := InVers(tt.r, tt.v)
		if err != nil || got != tt.want {
			t.Errorf("InVers(%q, %q) = %v, %v; want %v", tt.r, tt.v, got, err, tt.want)
		}
	}
	for _, bad := range []string{"npm/>=1", "vers:npm", "vers:npm/", "vers:unknown/1.0", "vers:npm/>=", "vers:deb/>=x:1"} {
		if _, err := InVers(bad, "1.0.0"); err == nil {
			t.Errorf("InVers(%q) succeeded", bad)
		}
	}
}
