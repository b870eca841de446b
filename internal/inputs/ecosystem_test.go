package inputs

import (
	"strings"
	"testing"
)

// TestOSVEcosystemSpelling: an affected package whose ecosystem is an OSV
// name in other letter case or with surrounding white space is respelled
// and warned (file, line:col, pointer, record id); a name OSV does not list
// is kept and warned; white space alone is a missing ecosystem.
func TestOSVEcosystemSpelling(t *testing.T) {
	rec := func(eco string) string {
		return `{"id": "GHSA-1", "affected": [{"package": {"ecosystem": ` + eco + `, "name": "x"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}`
	}
	for _, c := range []struct {
		eco, want, warn string
	}{
		{`"npm"`, "npm", ""},
		{`"Debian:11"`, "Debian:11", ""},
		{`"Linux"`, "Linux", ""},
		{`"NPM"`, "npm", `x.json:1:57: /affected/0/package/ecosystem: GHSA-1: ecosystem "NPM" is not spelled as OSV spells it (names are case-sensitive); read as "npm"`},
		{`"npm "`, "npm", `ecosystem "npm " is not spelled as OSV spells it (names are case-sensitive); read as "npm"`},
		{`"pypi"`, "PyPI", `read as "PyPI"`},
		{`"Maven "`, "Maven", `read as "Maven"`},
		{`"debian:11"`, "Debian:11", `read as "Debian:11"`},
		{`"npmjs"`, "npmjs", `x.json:1:57: /affected/0/package/ecosystem: GHSA-1: ecosystem "npmjs" is not an OSV ecosystem; no component matches this package`},
		{`"golang "`, "golang", `ecosystem "golang " is not an OSV ecosystem`},
	} {
		in := read(t, "x.json", rec(c.eco), Options{Kind: KindAdvisories})
		if got := in.Advisories[0].Affected[0].Ecosystem; got != c.want {
			t.Errorf("%s: ecosystem %q, want %q", c.eco, got, c.want)
		}
		var ws []string
		for _, w := range in.Warnings {
			ws = append(ws, w.String())
		}
		switch {
		case c.warn == "" && len(ws) != 0:
			t.Errorf("%s: warnings %q", c.eco, ws)
		case c.warn != "" && (len(ws) != 1 || !strings.Contains(ws[0], c.warn)):
			t.Errorf("%s: warnings %q, want one with %q", c.eco, ws, c.warn)
		}
	}
	readErr(t, "x.json", rec(`"  "`), Options{Kind: KindAdvisories}, `x.json:1:\d+: /affected/0/package: package needs an ecosystem and a name`)
	// In an array, the pointer names the record.
	in := read(t, "all.json", "[\n"+rec(`"npm"`)+",\n"+strings.Replace(rec(`"NPM"`), "GHSA-1", "GHSA-2", 1)+"\n]", Options{Kind: KindAdvisories})
	if len(in.Warnings) != 1 || !strings.HasPrefix(in.Warnings[0].String(), `all.json:3:57: /1/affected/0/package/ecosystem: GHSA-2: ecosystem "NPM"`) {
		t.Errorf("array: %v", in.Warnings)
	}
}
