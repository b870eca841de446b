package match

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/purl"
)

// comp builds a component from a purl the way the SBOM readers do.
func comp(t *testing.T, s string) model.Component {
	t.Helper()
	p, err := purl.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	c := model.Component{Ref: s, Purl: p.String(), Type: p.Type, Namespace: p.Namespace, Name: p.Name, Version: purl.Version(p), SBOM: "sha256:sbom"}
	c.Ecosystem, c.Package, _ = purl.OSV(p)
	return c
}

func semver(events ...string) model.Range { return rng("SEMVER", events...) }
func ecoRng(events ...string) model.Range { return rng("ECOSYSTEM", events...) }
func rng(typ string, events ...string) model.Range {
	r := model.Range{Type: typ}
	for _, e := range events {
		k, v, _ := strings.Cut(e, "=")
		switch k {
		case "introduced":
			r.Events = append(r.Events, model.Event{Introduced: v})
		case "fixed":
			r.Events = append(r.Events, model.Event{Fixed: v})
		case "last_affected":
			r.Events = append(r.Events, model.Event{LastAffected: v})
		}
	}
	return r
}

func adv(id string, aliases []string, affected ...model.Affected) model.Advisory {
	return model.Advisory{ID: id, Aliases: aliases, Affected: affected}
}

func aff(eco, name string, ranges ...model.Range) model.Affected {
	return model.Affected{Ecosystem: eco, Name: name, Ranges: ranges}
}

// rows renders pairs as "purl advisory [aliases] [records] range" lines.
func rows(res *Result) []string {
	var out []string
	for _, p := range res.Pairs {
		line := fmt.Sprintf("%s %s %v %v %s", p.Component.Purl, p.Advisory.ID, p.Aliases, p.Records, p.Range)
		for _, s := range p.VEX {
			line += " vex:" + s.ID
		}
		out = append(out, line)
	}
	return out
}

func TestJoinMatching(t *testing.T) {
	withdrawn := adv("GHSA-wwww", nil, aff("npm", "lodash", semver("introduced=0")))
	withdrawn.Withdrawn = "2024-01-01T00:00:00Z"
	withCVSS := adv("GHSA-cccc", []string{"CVE-2021-1"}, aff("Go", "github.com/BurntSushi/toml", semver("introduced=0", "fixed=0.4.0")))
	withCVSS.Severity = []model.Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}
	in := &model.Inputs{
		SBOMs: []model.SBOM{{Digest: "sha256:sbom", Components: []model.Component{
			comp(t, "pkg:npm/lodash@4.17.20"),
			comp(t, "pkg:npm/lodash@4.17.21"),
			comp(t, "pkg:npm/%40babel/traverse@7.22.0"),
			comp(t, "pkg:golang/github.com/BurntSushi/toml@v0.3.1"),
			comp(t, "pkg:pypi/Django_Rest_Framework@3.9.0"),
			comp(t, "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10?type=jar"),
			comp(t, "pkg:deb/debian/libc6@2.31-13?upstream=glibc&distro=debian-11"),
			comp(t, "pkg:golang/stdlib@go1.20.1"),
			{Ref: "no-eco", Purl: "pkg:npm/minimist@1.2.0", Name: "minimist", Version: "1.2.0"}, // filled from the purl
			{Ref: "no-purl", Name: "left-pad", Version: "1.0.0"},
		}}},
		Advisories: []model.Advisory{
			adv("GHSA-aaaa", []string{"CVE-2020-8203"}, aff("npm", "lodash", semver("introduced=0", "fixed=4.17.21"))),
			adv("GHSA-bbbb", []string{"CVE-2023-45133"}, aff("npm", "@babel/traverse", semver("introduced=0", "fixed=7.23.2"))),
			withCVSS,
			adv("GO-2021-0001", []string{"CVE-2021-1", "GHSA-cccc"}, aff("Go", "github.com/BurntSushi/toml", semver("introduced=0", "fixed=0.4.0"))),
			adv("GO-2022-0002", nil, aff("Go", "github.com/burntsushi/toml", semver("introduced=0"))), // other case: another module
			adv("PYSEC-1", nil, aff("PyPI", "django-rest-framework", ecoRng("introduced=0", "fixed=3.9.1"))),
			adv("GHSA-dddd", nil, aff("Maven", "com.fasterxml.jackson.core:jackson-databind", ecoRng("introduced=2.9.0", "fixed=2.9.10.1")),
				aff("Maven", "com.fasterxml.jackson.core:jackson-databind", ecoRng("introduced=2.0.0", "fixed=2.6.7.3"))),
			adv("DSA-1", nil, aff("Debian:11", "glibc", ecoRng("introduced=0", "fixed=2.31-13+deb11u3"))),
			adv("DSA-2", nil, aff("Debian:12", "glibc", ecoRng("introduced=0", "fixed=2.36-9"))),
			adv("GO-2023-0003", nil, aff("Go", "stdlib", semver("introduced=1.20.0", "fixed=1.20.2"))),
			adv("GHSA-eeee", nil, aff("npm", "minimist", semver("introduced=0", "fixed=1.2.6"))),
			adv("GHSA-gggg", nil, model.Affected{Ecosystem: "npm", Name: "lodash", Ranges: []model.Range{{Type: "GIT", Repo: "x", Events: []model.Event{{Introduced: "0"}, {Fixed: "abc"}}}}}),
			withdrawn,
		},
	}
	res, err := Join(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pkg:deb/debian/libc6@2.31-13?distro=debian-11&upstream=glibc DSA-1 [] [DSA-1] ECOSYSTEM >=0 <2.31-13+deb11u3",
		"pkg:golang/github.com/BurntSushi/toml@v0.3.1 GHSA-cccc [CVE-2021-1 GO-2021-0001] [GHSA-cccc GO-2021-0001] SEMVER >=0 <0.4.0",
		"pkg:golang/stdlib@go1.20.1 GO-2023-0003 [] [GO-2023-0003] SEMVER >=1.20.0 <1.20.2",
		"pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10?type=jar GHSA-dddd [] [GHSA-dddd] ECOSYSTEM >=2.9.0 <2.9.10.1",
		"pkg:npm/%40babel/traverse@7.22.0 GHSA-bbbb [CVE-2023-45133] [GHSA-bbbb] SEMVER >=0 <7.23.2",
		"pkg:npm/lodash@4.17.20 GHSA-aaaa [CVE-2020-8203] [GHSA-aaaa] SEMVER >=0 <4.17.21",
		"pkg:npm/minimist@1.2.0 GHSA-eeee [] [GHSA-eeee] SEMVER >=0 <1.2.6",
		"pkg:pypi/django-rest-framework@3.9.0 PYSEC-1 [] [PYSEC-1] ECOSYSTEM >=0 <3.9.1",
	}
	if got := rows(res); !reflect.DeepEqual(got, want) {
		t.Errorf("pairs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantWarn := []string{
		"1 GIT ranges ignored in 1 advisories (GIT ranges order commits, not versions)",
		"1 withdrawn advisories skipped",
	}
	if !reflect.DeepEqual(res.Warnings, wantWarn) {
		t.Errorf("warnings = %q, want %q", res.Warnings, wantWarn)
	}
	for _, p := range res.Pairs {
		if p.Component.Purl == "pkg:npm/minimist@1.2.0" && (p.Component.Ecosystem != "npm" || p.Component.Package != "minimist") {
			t.Errorf("component without ecosystem was not filled: %+v", p.Component)
		}
	}
	if in.SBOMs[0].Components[8].Ecosystem != "" {
		t.Error("Join modified its input")
	}
}

func TestJoinPrimaryWithoutCVSS(t *testing.T) {
	in := &model.Inputs{
		SBOMs: []model.SBOM{{Components: []model.Component{comp(t, "pkg:npm/x@1.0.0")}}},
		Advisories: []model.Advisory{
			adv("GHSA-zzzz", []string{"CVE-1"}, aff("npm", "x", semver("introduced=0"))),
			adv("CVE-1", nil, aff("npm", "x", semver("introduced=0", "fixed=2.0.0"))),
			adv("OSV-2", []string{"CVE-1"}),
		},
	}
	res, err := Join(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pkg:npm/x@1.0.0 CVE-1 [GHSA-zzzz OSV-2] [CVE-1 GHSA-zzzz] SEMVER >=0 <2.0.0"}
	if got := rows(res); !reflect.DeepEqual(got, want) {
		t.Errorf("pairs = %q, want %q", got, want)
	}
}

func TestJoinProblems(t *testing.T) {
	in := &model.Inputs{
		SBOMs: []model.SBOM{{Components: []model.Component{comp(t, "pkg:deb/debian/bash@5.1-2?distro=debian-11")}}},
		Advisories: []model.Advisory{
			adv("DSA-1", nil, aff("Debian:11", "bash", ecoRng("introduced=0", "fixed=x:1"))),
			adv("DSA-2", nil, aff("Debian:11", "bash", ecoRng("introduced=0", "fixed=y:1"))),
		},
	}
	res, _ := Join(in, Options{MaxProblems: 1})
	if len(res.Pairs) != 0 || len(res.Warnings) != 2 ||
		!strings.HasPrefix(res.Warnings[1], "range not evaluated: DSA-1 affected[0] range 0:") ||
		res.Warnings[0] != "1 more ranges not evaluated" {
		t.Errorf("got %q, %d pairs", res.Warnings, len(res.Pairs))
	}
}

// TestJoinNoVersion: a component without a version cannot be compared with
// the ranges of the advisories that name its package; the join says so
// instead of passing it silently. One without advisories is not mentioned.
func TestJoinNoVersion(t *testing.T) {
	in := &model.Inputs{
		SBOMs: []model.SBOM{{Components: []model.Component{
			comp(t, "pkg:pypi/pyyaml"), comp(t, "pkg:npm/x"), comp(t, "pkg:npm/x@1.0.0"), comp(t, "pkg:npm/quiet"),
			comp(t, "pkg:npm/y@%5E3.0.0"), // no npm version, and in no range
		}}},
		Advisories: []model.Advisory{
			adv("PYSEC-1", nil, aff("PyPI", "PyYAML", ecoRng("introduced=0", "fixed=5.4"))),
			adv("GHSA-1", nil, aff("npm", "x", semver("introduced=0", "fixed=2.0.0"))),
			adv("GHSA-2", nil, aff("npm", "y", semver("introduced=1.0.0", "fixed=2.0.0"))),
		},
	}
	for _, tc := range []struct {
		max  int
		want []string
	}{
		{0, []string{"1 components have a version that is no version of their ecosystem and in none of the ranges, so the advisories for their package were not evaluated: pkg:npm/y@%5E3.0.0",
			"2 components have no version, so the advisories for their package were not evaluated: pkg:npm/x, pkg:pypi/pyyaml", "range not evaluated: GHSA-2 affected[0] component version \"^3.0.0\" is not a valid npm version"}},
		{1, []string{"1 components have a version that is no version of their ecosystem and in none of the ranges, so the advisories for their package were not evaluated: pkg:npm/y@%5E3.0.0",
			"2 components have no version, so the advisories for their package were not evaluated: pkg:npm/x, and 1 more", "range not evaluated: GHSA-2 affected[0] component version \"^3.0.0\" is not a valid npm version"}},
		{-1, []string{"1 components have a version that is no version of their ecosystem and in none of the ranges, so the advisories for their package were not evaluated: and 1 more", "1 more ranges not evaluated",
			"2 components have no version, so the advisories for their package were not evaluated: and 2 more"}},
	} {
		res, err := Join(in, Options{MaxProblems: tc.max})
		if err != nil {
			t.Fatal(err)
		}
		if got := rows(res); !reflect.DeepEqual(got, []string{"pkg:npm/x@1.0.0 GHSA-1 [] [GHSA-1] SEMVER >=0 <2.0.0"}) {
			t.Errorf("pairs = %q", got)
		}
		if !reflect.DeepEqual(res.Warnings, tc.want) || !reflect.DeepEqual(res.NoVersion, map[string]bool{"pkg:npm/x": true, "pkg:pypi/pyyaml": true}) ||
			!reflect.DeepEqual(res.InvalidVersion, map[string]bool{"pkg:npm/y@%5E3.0.0": true}) {
			t.Errorf("max %d: warnings = %q, want %q", tc.max, res.Warnings, tc.want)
		}
	}
}

// TestJoinWithdrawnLater: a withdrawal dated after the evaluation time (by
// more than model.FutureSkew) has not happened yet, so the record matches.
func TestJoinWithdrawnLater(t *testing.T) {
	w := adv("GHSA-late", nil, aff("npm", "x", semver("introduced=0", "fixed=2.0.0")))
	w.Withdrawn = "2099-01-01T00:00:00Z"
	in := &model.Inputs{
		SBOMs:      []model.SBOM{{Components: []model.Component{comp(t, "pkg:npm/x@1.0.0")}}},
		Advisories: []model.Advisory{w},
	}
	at := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		at      time.Time
		pairs   int
		warning string
	}{
		{at, 1, "1 advisories withdrawn only after the evaluation time, so still in force: GHSA-late"},
		{time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), 0, "1 withdrawn advisories skipped"},
		{time.Time{}, 0, "1 withdrawn advisories skipped"}, // no evaluation time: every withdrawal counts
	} {
		res, err := Join(in, Options{At: tc.at})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Pairs) != tc.pairs || !reflect.DeepEqual(res.Warnings, []string{tc.warning}) {
			t.Errorf("at %v: %d pairs, warnings %q; want %d, %q", tc.at, len(res.Pairs), res.Warnings, tc.pairs, tc.warning)
		}
	}
}

// TestJoinWithdrawnInvalid: a withdrawal that is not a timestamp (only a
// snapshot written by another tool can hold one: the readers refuse it) is
// an input error naming the record, not a withdrawal that would hide the
// vulnerability.
func TestJoinWithdrawnInvalid(t *testing.T) {
	w := adv("GHSA-bad", nil, aff("npm", "x", semver("introduced=0", "fixed=2.0.0")))
	w.Withdrawn = "last tuesday"
	in := &model.Inputs{
		SBOMs:      []model.SBOM{{Components: []model.Component{comp(t, "pkg:npm/x@1.0.0")}}},
		Advisories: []model.Advisory{w},
	}
	for _, at := range []time.Time{{}, time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)} {
		_, err := Join(in, Options{At: at})
		if fail.KindOf(err) != fail.Invalid || err == nil || !strings.Contains(err.Error(), `GHSA-bad (withdrawn "last tuesday")`) {
			t.Errorf("at %v: %v, want an input error naming GHSA-bad", at, err)
		}
	}
}

// TestJoinDeterministic shuffles every input list: the result must not
// change.
func TestJoinDeterministic(t *testing.T) {
	var comps []model.Component
	var advs []model.Advisory
	for i := range 40 {
		comps = append(comps, comp(t, fmt.Sprintf("pkg:npm/p%d@1.%d.0", i%7, i)))
		advs = append(advs, adv(fmt.Sprintf("GHSA-%03d", i), []string{fmt.Sprintf("CVE-%d", i%5)},
			aff("npm", fmt.Sprintf("p%d", i%7), semver("introduced=1.0.0", fmt.Sprintf("fixed=1.%d.0", i)))))
	}
	stmts := []model.VEXStatement{
		{ID: "s1", Vulnerability: "CVE-1", Products: []model.Product{{Purl: "pkg:npm/p1"}}, Status: "not_affected", Timestamp: "2024-02-01T00:00:00Z"},
		{ID: "s2", Vulnerability: "CVE-1", Products: []model.Product{{Purl: "pkg:npm/p1"}}, Status: "affected", Timestamp: "2024-01-01T00:00:00Z"},
		{ID: "s3", Vulnerability: "CVE-9", Products: []model.Product{{Purl: "pkg:npm/p1"}}, Status: "affected"},
	}
	base, err := Join(&model.Inputs{SBOMs: []model.SBOM{{Components: comps}}, Advisories: advs, VEX: stmts}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint(rows(base), base.Warnings, len(base.Unmatched))
	if len(base.Pairs) == 0 {
		t.Fatal("no pairs")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10 {
		c, a, s := slices.Clone(comps), slices.Clone(advs), slices.Clone(stmts)
		r.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
		r.Shuffle(len(a), func(i, j int) { a[i], a[j] = a[j], a[i] })
		r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
		res, err := Join(&model.Inputs{SBOMs: []model.SBOM{{Components: c}}, Advisories: a, VEX: s}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(rows(res), res.Warnings, len(res.Unmatched)); got != want {
			t.Fatalf("input order changed the result:\n%s\nwant:\n%s", got, want)
		}
	}
}

// TestJoinGoCase: an all-lowercase Go module path (a generator lowercased
// the purl) also matches the path with capitals, marked CaseInsensitive; a
// path with capitals matches only itself, Go paths being case-sensitive.
func TestJoinGoCase(t *testing.T) {
	ntlm := adv("GO-2026-5543", []string{"GHSA-pjcq"}, aff("Go", "github.com/Azure/go-ntlmssp", semver("introduced=0", "fixed=0.1.1")))
	both := adv("GO-1", nil, aff("Go", "github.com/x/Nginx-UI", semver("introduced=0")), aff("Go", "github.com/x/nginx-ui", semver("introduced=0")))
	upper := adv("GO-2", nil, aff("Go", "github.com/x/Nginx-UI", semver("introduced=0")))
	for _, tc := range []struct {
		purl string
		want []string
	}{
		{"pkg:golang/github.com/azure/go-ntlmssp@v0.1.0", []string{"GO-2026-5543 true"}},
		{"pkg:golang/github.com/Azure/go-ntlmssp@v0.1.0", []string{"GO-2026-5543 false"}},
		{"pkg:golang/github.com/azure/go-ntlmssp@v0.1.1", nil},
		{"pkg:golang/github.com/AZURE/go-ntlmssp@v0.1.0", nil},
		{"pkg:golang/github.com/x/nginx-ui@v1.0.0", []string{"GO-1 false", "GO-2 true"}},
		{"pkg:golang/github.com/x/Nginx-UI@v1.0.0", []string{"GO-1 false", "GO-2 false"}},
		{"pkg:npm/github.com/azure/go-ntlmssp@0.1.0", nil},
	} {
		in := &model.Inputs{
			SBOMs:      []model.SBOM{{Digest: "sha256:sbom", Components: []model.Component{comp(t, tc.purl)}}},
			Advisories: []model.Advisory{ntlm, both, upper},
		}
		res, err := Join(in, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range res.Pairs {
			got = append(got, fmt.Sprintf("%s %t", p.Advisory.ID, p.CaseInsensitive))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.purl, got, tc.want)
		}
	}
}
