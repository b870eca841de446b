package purl

import (
	"slices"
	"testing"
)

func TestParseCanonical(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"pkg:npm/%40angular/core@12.0.0", "pkg:npm/%40angular/core@12.0.0"},
		{"pkg:npm/lodash@4.17.21", "pkg:npm/lodash@4.17.21"},
		{"PKG:NPM/lodash@4.17.21", "pkg:npm/lodash@4.17.21"},
		{"pkg:pypi/Django_Rest@1.0", "pkg:pypi/django-rest@1.0"},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar"},
		{"pkg:golang/github.com/BurntSushi/toml@v0.3.1", "pkg:golang/github.com/BurntSushi/toml@v0.3.1"},
		{"pkg:golang/github.com/MakeNowJust/heredoc/v2@v2.0.1?type=module", "pkg:golang/github.com/MakeNowJust/heredoc/v2@v2.0.1?type=module"},
		{"pkg:deb/debian/libc6@2.31-13?distro=debian-11&arch=amd64", "pkg:deb/debian/libc6@2.31-13?arch=amd64&distro=debian-11"},
		{"pkg:deb/debian/libc6@2.31-13?arch=&distro=debian-11", "pkg:deb/debian/libc6@2.31-13?distro=debian-11"},
		{"pkg:rpm/redhat/openssl@1.1.1k-7.el8?epoch=1", "pkg:rpm/redhat/openssl@1.1.1k-7.el8?epoch=1"},
		{"pkg:generic/foo@1.0#sub/path/", "pkg:generic/foo@1.0#sub/path"},
		{"pkg://npm/lodash", "pkg:npm/lodash"},
	}
	for _, tt := range tests {
		p, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := p.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		again, err := Parse(p.String())
		if err != nil || again.String() != p.String() {
			t.Errorf("canonical form of %q does not round-trip: %q, %v", tt.in, again.String(), err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"npm/lodash",
		"pkg:npm",
		"pkg:npm/",
		"pkg:npm/@4.17.21",
		"pkg:maven/@org/x",
		"pkg:1npm/x",
		"pkg:npm/x?1a=b",
		"pkg:npm/x?a=b&a=c",
		"pkg:npm/%zz",
	} {
		if p, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", in, p)
		}
	}
}

func TestQualifier(t *testing.T) {
	p, err := Parse("pkg:deb/ubuntu/bash@5.0-6ubuntu1?arch=amd64&distro=ubuntu-20.04")
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Qualifier("distro"); got != "ubuntu-20.04" {
		t.Errorf("distro = %q", got)
	}
	if got := p.Qualifier("epoch"); got != "" {
		t.Errorf("epoch = %q, want empty", got)
	}
	if got := p.WithoutVersion().String(); got != "pkg:deb/ubuntu/bash" {
		t.Errorf("WithoutVersion = %q", got)
	}
}

func TestOSV(t *testing.T) {
	tests := []struct {
		purl, eco, name, version string
		ok                       bool
	}{
		{"pkg:npm/lodash@4.17.21", "npm", "lodash", "4.17.21", true},
		{"pkg:npm/%40babel/core@7.0.0", "npm", "@babel/core", "7.0.0", true},
		{"pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10?type=jar", "Maven", "com.fasterxml.jackson.core:jackson-databind", "2.9.10", true},
		{"pkg:maven/junit@4.12", "Maven", "junit", "4.12", true},
		{"pkg:golang/github.com/BurntSushi/toml@v0.3.1", "Go", "github.com/BurntSushi/toml", "v0.3.1", true},
		{"pkg:golang/golang.org/x/net@v0.0.0-20200202094626-16171245cfb2", "Go", "golang.org/x/net", "v0.0.0-20200202094626-16171245cfb2", true},
		{"pkg:golang/stdlib@1.20.1", "Go", "stdlib", "1.20.1", true},
		{"pkg:pypi/Zope.Interface@5.0", "PyPI", "zope-interface", "5.0", true},
		{"pkg:pypi/ruamel.yaml.clib@0.2.6", "PyPI", "ruamel-yaml-clib", "0.2.6", true},
		{"pkg:composer/laravel/framework@7.12.0", "Packagist", "laravel/framework", "7.12.0", true},
		{"pkg:gem/rails@4.1.1", "RubyGems", "rails", "4.1.1", true},
		{"pkg:nuget/Newtonsoft.Json@12.0.1", "NuGet", "Newtonsoft.Json", "12.0.1", true},
		{"pkg:cargo/serde@1.0.0", "crates.io", "serde", "1.0.0", true},
		{"pkg:hex/phoenix@1.6.0", "Hex", "phoenix", "1.6.0", true},
		{"pkg:pub/http@0.13.0", "Pub", "http", "0.13.0", true},
		{"pkg:cran/ggplot2@3.4.0", "CRAN", "ggplot2", "3.4.0", true},
		{"pkg:hackage/aeson@2.0.0.0", "Hackage", "aeson", "2.0.0.0", true},
		{"pkg:swift/github.com/apple/swift-nio@2.40.0", "SwiftURL", "github.com/apple/swift-nio", "2.40.0", true},
		{"pkg:github/actions/checkout@v3", "GitHub Actions", "actions/checkout", "v3", true},
		{"pkg:conan/openssl@3.0.0", "ConanCenter", "openssl", "3.0.0", true},
		// Debian: release from the distro qualifier, major only; source package from upstream.
		{"pkg:deb/debian/libc6@2.31-13+deb11u5?arch=amd64&upstream=glibc&distro=debian-11", "Debian:11", "glibc", "2.31-13+deb11u5", true},
		{"pkg:deb/debian/openssl@1.1.1n-0+deb11u3?distro=debian-11.6", "Debian:11", "openssl", "1.1.1n-0+deb11u3", true},
		{"pkg:deb/debian/bash@5.2.15-2?distro=bookworm", "Debian:12", "bash", "5.2.15-2", true},
		{"pkg:deb/debian/libgcc-s1@10.2.1-6+b1?upstream=gcc-10%4010.2.1-6&distro=debian-11", "Debian:11", "gcc-10", "10.2.1-6", true},
		{"pkg:deb/debian/bash@5.1-2", "Debian", "bash", "5.1-2", true},
		{"pkg:deb/ubuntu/bash@4.3-7ubuntu1.7?distro=ubuntu-14.04", "Ubuntu:14.04:LTS", "bash", "4.3-7ubuntu1.7", true},
		{"pkg:deb/ubuntu/bash@5.0-6ubuntu1?arch=amd64&distro=ubuntu-20.04", "Ubuntu:20.04:LTS", "bash", "5.0-6ubuntu1", true},
		{"pkg:deb/ubuntu/bash@5.2?distro=ubuntu-22.10", "Ubuntu:22.10", "bash", "5.2", true},
		{"pkg:deb/ubuntu/bash@5.2?distro=jammy", "Ubuntu:22.04:LTS", "bash", "5.2", true},
		{"pkg:deb/bash@5.2?distro=debian-12", "Debian:12", "bash", "5.2", true},
		{"pkg:deb/bash@5.2", "", "", "5.2", false},
		// Alpine: "vMAJOR.MINOR", from "alpine-3.16.2" or a bare "3.15.6".
		{"pkg:apk/alpine/busybox@1.35.0-r17?arch=x86_64&distro=3.15.6", "Alpine:v3.15", "busybox", "1.35.0-r17", true},
		{"pkg:alpine/alpine-baselayout@3.2.0-r22?arch=x86_64&upstream=alpine-baselayout&distro=alpine-3.16.2", "Alpine:v3.16", "alpine-baselayout", "3.2.0-r22", true},
		{"pkg:apk/alpine/ssl_client@1.36.1-r2?upstream=busybox&distro=alpine-3.18.4", "Alpine:v3.18", "busybox", "1.36.1-r2", true},
		{"pkg:apk/alpine/musl@1.2.4-r2?distro=alpine-edge", "Alpine:edge", "musl", "1.2.4-r2", true},
		{"pkg:apk/alpine/musl@1.2.4-r2", "Alpine", "musl", "1.2.4-r2", true},
		{"pkg:apk/wolfi/glibc@2.38-r1", "Wolfi", "glibc", "2.38-r1", true},
		{"pkg:apk/chainguard/glibc@2.38-r1", "Chainguard", "glibc", "2.38-r1", true},
		// RPM: vendor namespace, release where OSV qualifies by it, epoch prefixed.
		{"pkg:rpm/redhat/openssl@1.1.1k-7.el8?epoch=1&distro=rhel-8.6", "Red Hat:enterprise_linux:8", "openssl", "1:1.1.1k-7.el8", true},
		{"pkg:rpm/redhat/openssl@1.1.1k-7.el8", "Red Hat", "openssl", "1.1.1k-7.el8", true},
		{"pkg:rpm/rocky/bash@4.4.20-4.el8?distro=rocky-8.6", "Rocky Linux:8", "bash", "4.4.20-4.el8", true},
		{"pkg:rpm/almalinux/bash@5.1.8-6.el9?distro=almalinux-9.2&epoch=0", "AlmaLinux:9", "bash", "5.1.8-6.el9", true},
		{"pkg:rpm/opensuse/bash@5.1", "openSUSE", "bash", "5.1", true},
		{"pkg:rpm/fedora/bash@5.1", "", "", "5.1", false},
		{"pkg:oci/airflow@sha256%3A54f8?arch=amd64", "", "", "sha256:54f8", false},
		{"pkg:generic/openssl@1.1.1", "", "", "1.1.1", false},
	}
	for _, tt := range tests {
		p, err := Parse(tt.purl)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.purl, err)
			continue
		}
		eco, name, ok := OSV(p)
		if eco != tt.eco || name != tt.name || ok != tt.ok {
			t.Errorf("OSV(%q) = %q, %q, %v; want %q, %q, %v", tt.purl, eco, name, ok, tt.eco, tt.name, tt.ok)
		}
		if v := Version(p); v != tt.version {
			t.Errorf("Version(%q) = %q, want %q", tt.purl, v, tt.version)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	tests := []struct{ eco, in, want string }{
		{"PyPI", "Django", "django"},
		{"PyPI", "zope.interface", "zope-interface"},
		{"PyPI", "a__b--c..d", "a-b-c-d"},
		{"PyPI", "trailing_", "trailing-"},
		{"NuGet", "Newtonsoft.Json", "newtonsoft.json"},
		{"Packagist", "Laravel/Framework", "laravel/framework"},
		{"npm", "JSONStream", "JSONStream"},
		{"Maven", "org.Foo:Bar", "org.Foo:Bar"},
		{"Go", "github.com/BurntSushi/toml", "github.com/BurntSushi/toml"},
		{"Debian:11", "Glibc", "Glibc"},
	}
	for _, tt := range tests {
		if got := NormalizeName(tt.eco, tt.in); got != tt.want {
			t.Errorf("NormalizeName(%q, %q) = %q, want %q", tt.eco, tt.in, got, tt.want)
		}
	}
}

func TestEcosystemCovers(t *testing.T) {
	tests := []struct {
		adv, comp string
		want      bool
	}{
		{"npm", "npm", true},
		{"Debian:11", "Debian:11", true},
		{"Debian:11", "Debian:12", false},
		{"Debian:11", "Debian", false},
		{"Debian", "Debian:11", false},
		{"Ubuntu:22.04:LTS", "Ubuntu:22.04", true},
		{"Ubuntu:Pro:22.04:LTS", "Ubuntu:22.04:LTS", false},
		{"Red Hat:enterprise_linux:8::appstream", "Red Hat:enterprise_linux:8", true},
		{"Red Hat:enterprise_linux:80", "Red Hat:enterprise_linux:8", false},
		{"Alpine:v3.16", "Alpine:v3.1", false},
	}
	for _, tt := range tests {
		if got := EcosystemCovers(tt.adv, tt.comp); got != tt.want {
			t.Errorf("EcosystemCovers(%q, %q) = %v, want %v", tt.adv, tt.comp, got, tt.want)
		}
	}
}

func TestMatch(t *testing.T) {
	comp := "pkg:deb/debian/libc6@2.31-13?arch=amd64&distro=debian-11.6"
	tests := []struct {
		prod string
		want Mismatch
	}{
		{"pkg:deb/debian/libc6", Matched},
		{"pkg:deb/debian/libc6@2.31-13", Matched},
		{"pkg:deb/debian/libc6@2.31-13?arch=amd64", Matched},
		{"pkg:deb/debian/libc6?distro=debian-11.6&arch=amd64", Matched},
		{"pkg:deb/debian/libc6@2.31-13?distro=debian-11", QualifierMismatch},
		{"pkg:deb/debian/libc6?repository_url=x", QualifierMismatch},
		{"pkg:deb/debian/libc6@2.31-14", VersionMismatch},
		{"pkg:deb/debian/libc6@2.31-14?distro=debian-12", VersionMismatch},
		{"pkg:deb/debian/libc6#sub", QualifierMismatch},
		{"pkg:deb/debian/libc-bin", OtherPackage},
		{"pkg:deb/ubuntu/libc6", OtherPackage},
		{"pkg:rpm/debian/libc6", OtherPackage},
	}
	c, err := Parse(comp)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		p, err := Parse(tt.prod)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.prod, err)
		}
		if got := Match(p, c); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.prod, comp, got, tt.want)
		}
	}
	goComp, _ := Parse("pkg:golang/github.com/BurntSushi/toml@v0.3.1")
	goProd, _ := Parse("pkg:golang/github.com/burntsushi/toml")
	if got := Match(goProd, goComp); got != Matched {
		t.Errorf("Match of a lower-cased Go module path = %v, want matched", got)
	}
	if s := OtherPackage.String(); s != "unknown_product" {
		t.Errorf("OtherPackage.String() = %q", s)
	}
}

func TestCanonicalEcosystem(t *testing.T) {
	if !slices.IsSorted(osvEcosystems[:]) {
		t.Fatal("osvEcosystems is not sorted: the binary search misses names")
	}
	for _, e := range osvEcosystems {
		if got, known := CanonicalEcosystem(e); got != e || !known {
			t.Errorf("%q → %q, %v", e, got, known)
		}
	}
	for _, c := range []struct {
		in, want string
		known    bool
	}{
		{"npm", "npm", true},
		{"Debian:11", "Debian:11", true},
		{"Ubuntu:Pro:18.04:LTS", "Ubuntu:Pro:18.04:LTS", true},
		{"Red Hat:enterprise_linux:8::appstream", "Red Hat:enterprise_linux:8::appstream", true},
		{"NPM", "npm", true},
		{"npm ", "npm", true},
		{" Npm\t", "npm", true},
		{"pypi", "PyPI", true},
		{"PYPI", "PyPI", true},
		{"Maven ", "Maven", true},
		{"go", "Go", true},
		{"CRATES.IO", "crates.io", true},
		{"github actions", "GitHub Actions", true},
		{"debian:11", "Debian:11", true},
		{"debian :11", "Debian:11", true},
		{"ubuntu:22.04:lts", "Ubuntu:22.04:lts", true}, // the suffix as given
		{"Debian:11 ", "Debian:11", true},
		{"npmjs", "npmjs", false},
		{" golang ", "golang", false},
		{"GSD", "GSD", false},
		{"", "", false},
		{"  ", "", false},
		{"npm\u00a0", "npm", true}, // NBSP is white space
	} {
		got, known := CanonicalEcosystem(c.in)
		if got != c.want || known != c.known {
			t.Errorf("CanonicalEcosystem(%q) = %q, %v; want %q, %v", c.in, got, known, c.want, c.known)
		}
	}
}
