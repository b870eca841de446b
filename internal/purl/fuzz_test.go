package purl

import "testing"

// FuzzParse checks that no string panics Parse, OSV, Version or Match, and
// that the canonical form of a parsed purl is a fixed point.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"pkg:npm/%40angular/core@12.0.0",
		"pkg:golang/github.com/BurntSushi/toml@v0.3.1?type=module",
		"pkg:deb/debian/libc6@2.31-13?arch=amd64&upstream=glibc&distro=debian-11",
		"pkg:apk/alpine/busybox@1.35.0-r17?distro=3.15.6",
		"pkg:rpm/redhat/openssl@1.1.1k-7.el8?epoch=1&distro=rhel-8.6",
		"pkg:pypi/Zope.Interface@5.0#sub/path",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		OSV(p)
		Version(p)
		Match(p, p)
		c := p.String()
		q, err := Parse(c)
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", c, s, err)
		}
		if q.String() != c {
			t.Fatalf("canonical form not stable: %q → %q → %q", s, c, q.String())
		}
	})
}
