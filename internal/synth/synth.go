// Package synth owns the synthetic inputs used to measure stella at scale:
// a CycloneDX SBOM of N components across seven language ecosystems, M OSV
// advisories with SEMVER and ECOSYSTEM ranges (and, like osv.dev records,
// some explicit version lists), an OpenVEX document of K statements, and
// policies of R rules. Everything is derived from a seed with a PCG
// generator: the same Config always writes byte-identical files, on any
// machine, so numbers measured on them can be compared across commits.
//
// The shapes follow the real data in ../shared/data: purls, OSV ids and
// ecosystems as the public databases spell them, release histories that grow
// by patch, minor and major steps, ranges that start at "0" or at a release
// and end with fixed, last_affected or nothing, CVSS v3.1 vectors, aliases.
// A fraction of the advisories (Config.Hit) names packages of the SBOM; the
// rest name packages it does not hold, as most of a real database does.
package synth

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Config sizes a synthetic input set.
type Config struct {
	Seed       uint64
	Components int     // SBOM components
	Advisories int     // OSV records
	VEX        int     // OpenVEX statements
	Hit        float64 // fraction of advisories naming a package of the SBOM (default 0.1)
}

func (c Config) hit() float64 {
	if c.Hit <= 0 {
		return 0.1
	}
	return min(c.Hit, 1)
}

// eco is one language ecosystem: its purl type, OSV name and range type.
type eco struct {
	purlType  string
	osv       string
	rangeType string // SEMVER or ECOSYSTEM
	weight    int    // share of the components, in percent
}

var ecos = []eco{
	{"npm", "npm", "SEMVER", 40},
	{"maven", "Maven", "ECOSYSTEM", 20},
	{"pypi", "PyPI", "ECOSYSTEM", 14},
	{"golang", "Go", "SEMVER", 14},
	{"cargo", "crates.io", "SEMVER", 5},
	{"gem", "RubyGems", "ECOSYSTEM", 4},
	{"nuget", "NuGet", "ECOSYSTEM", 3},
}

// ecoOf spreads package indexes over the ecosystems by weight.
func ecoOf(pkg int) *eco {
	n := int(mix(uint64(pkg), 0x9e37) % 100)
	for i := range ecos {
		if n < ecos[i].weight {
			return &ecos[i]
		}
		n -= ecos[i].weight
	}
	return &ecos[0]
}

var (
	words = []string{"fast", "json", "http", "yaml", "lodash", "react", "spring", "jackson", "netty", "tokio",
		"serde", "rails", "cloud", "date", "uuid", "crypto", "log", "test", "parse", "stream", "cache", "redis",
		"graph", "auth", "jwt", "xml", "proto", "grpc", "image", "mime", "socket", "path", "form", "query",
		"config", "event", "batch", "queue", "codec", "zip"}
	suffixes = []string{"", "core", "utils", "parser", "client", "server", "cli", "api", "sdk", "plugin", "extra",
		"lite", "async", "common"}
	orgs = []string{"acme", "apache", "fasterxml", "eclipse", "google", "hashicorp", "jboss", "square", "aws",
		"azure", "elastic", "grafana", "kubernetes", "spotify", "netflix", "mozilla"}
)

// mix is a small integer hash (splitmix64 finalizer) for deriving
// per-package properties without storing them.
func mix(x, salt uint64) uint64 {
	x += salt*0x9e3779b97f4a7c15 + 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// pkg is one package of the universe: index i names the same package in the
// SBOM and in the advisories.
type pkg struct {
	eco       *eco
	namespace string // purl namespace (Maven group, Go module path prefix, npm scope)
	name      string // purl name
}

// pkgOf derives package i. Packages [0, n) of a Set are those the SBOM may
// hold; advisories that miss the SBOM name packages from n on.
func pkgOf(i int) pkg {
	e := ecoOf(i)
	h := mix(uint64(i), 7)
	base := words[h%uint64(len(words))]
	if s := suffixes[h>>8%uint64(len(suffixes))]; s != "" {
		base += "-" + s
	}
	base += "-" + strconv.Itoa(i) // every package name is unique
	org := orgs[h>>16%uint64(len(orgs))]
	p := pkg{eco: e, name: base}
	switch e.purlType {
	case "maven":
		p.namespace = "org." + org
		p.name = strings.ReplaceAll(base, "-", ".")
	case "golang":
		p.namespace = "github.com/" + org
	case "npm":
		if h>>24%5 == 0 {
			p.namespace = "@" + org
		}
	case "nuget":
		p.name = strings.ToUpper(base[:1]) + strings.ReplaceAll(base[1:], "-", ".")
	case "pypi":
		p.name = strings.ReplaceAll(base, "-", "_")
		if h>>28%2 == 0 {
			p.name = base
		}
	}
	return p
}

// osvName is the package's name in OSV.
func (p pkg) osvName() string {
	switch p.eco.purlType {
	case "maven":
		return p.namespace + ":" + p.name
	case "golang", "npm":
		if p.namespace != "" {
			return p.namespace + "/" + p.name
		}
	}
	return p.name
}

// purl is the package URL of version v of the package, or of every
// version when v is "".
func (p pkg) purl(v string) string {
	ns := p.namespace
	if p.eco.purlType == "npm" && ns != "" {
		ns = "%40" + ns[1:]
	}
	s := "pkg:" + p.eco.purlType + "/" + p.name
	if ns != "" {
		s = "pkg:" + p.eco.purlType + "/" + ns + "/" + p.name
	}
	if v != "" {
		s += "@" + v
	}
	return s
}

// history is the package's releases, oldest first, as OSV writes them (Go
// without the "v" the module version has).
func (p pkg) history(i int) []string {
	r := rand.New(rand.NewPCG(uint64(i), 0x5eed))
	n := 3 + r.IntN(12)
	major, minor, patch := r.IntN(6), r.IntN(20), r.IntN(10)
	style := r.IntN(10)
	out := make([]string, n)
	for k := range out {
		out[k] = p.format(major, minor, patch, style)
		switch x := r.IntN(10); {
		case x < 6:
			patch++
		case x < 9:
			minor, patch = minor+1, 0
		default:
			major, minor, patch = major+1, 0, 0
		}
	}
	return out
}

// format spells a release the way the ecosystem's packages usually do.
func (p pkg) format(major, minor, patch, style int) string {
	v := fmt.Sprintf("%d.%d.%d", major, minor, patch)
	switch p.eco.purlType {
	case "maven":
		switch {
		case style == 0:
			return v + ".Final"
		case style == 1:
			return v + ".RELEASE"
		}
	case "pypi":
		if style < 3 && patch == 0 {
			return fmt.Sprintf("%d.%d", major, minor)
		}
	case "nuget":
		if style < 2 {
			return v + ".0"
		}
	}
	return v
}

// componentVersion is the version a component of the package carries.
func (p pkg) componentVersion(v string) string {
	if p.eco.purlType == "golang" {
		return "v" + v
	}
	return v
}
