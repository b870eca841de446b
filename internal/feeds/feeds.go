// Package feeds owns the connected side of stella's inputs: where the
// advisory and signal feeds are published (osv.dev per-ecosystem archives,
// the CISA KEV catalog, FIRST EPSS scores, NVD CVE 2.0 feeds), downloading
// them with conditional requests and retries, validating each download before
// it replaces the previous copy, and the content-addressed cache they live in
// (docs/feeds.md). Evaluation never reads the network: it reads the cache
// through a snapshot or `policy simulate`.
package feeds

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
)

// Kind is a kind of feed.
type Kind string

// The feed kinds.
const (
	OSV  Kind = "osv"
	KEV  Kind = "kev"
	EPSS Kind = "epss"
	NVD  Kind = "nvd"
)

// Kinds lists the feed kinds in the order they are listed and pulled.
var Kinds = []Kind{OSV, KEV, EPSS, NVD}

// Default locations (docs/feeds.md, "Sources"). OSV and NVD are bases: an
// ecosystem's archive is <base>/<Ecosystem>/all.zip, a year's NVD feed
// <base>/nvdcve-2.0-<year>.json.gz.
const (
	DefaultOSV  = "https://osv-vulnerabilities.storage.googleapis.com"
	DefaultKEV  = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
	DefaultEPSS = "https://epss.cyentia.com/epss_scores-current.csv.gz"
	DefaultNVD  = "https://nvd.nist.gov/feeds/json/cve/2.0"
)

// URLs are the feed locations in force: a site's mirror, or the defaults.
type URLs struct {
	OSV, KEV, EPSS, NVD string
}

// Of is the location of feeds of kind k.
func (u URLs) Of(k Kind) string {
	switch k {
	case OSV:
		return u.OSV
	case KEV:
		return u.KEV
	case EPSS:
		return u.EPSS
	case NVD:
		return u.NVD
	}
	return ""
}

// Defaults returns the published locations.
func Defaults() URLs {
	return URLs{OSV: DefaultOSV, KEV: DefaultKEV, EPSS: DefaultEPSS, NVD: DefaultNVD}
}

// Source is one feed to pull: its name in the cache and where it comes from.
type Source struct {
	Name string // "osv/PyPI", "kev", "epss", "nvd/2024"
	Kind Kind
	URL  string
}

// OSVSource is the archive of one OSV ecosystem under base.
func OSVSource(base, ecosystem string) (Source, error) {
	if err := checkEcosystem(ecosystem); err != nil {
		return Source{}, err
	}
	return Source{Name: "osv/" + ecosystem, Kind: OSV, URL: strings.TrimSuffix(base, "/") + "/" + url.PathEscape(ecosystem) + "/all.zip"}, nil
}

// NVDSource is one NVD CVE 2.0 feed under base: a year (2002 on), "recent"
// or "modified".
func NVDSource(base, feed string) (Source, error) {
	if feed != "recent" && feed != "modified" {
		if y, err := strconv.Atoi(feed); err != nil || y < 2002 || y > 9999 || strconv.Itoa(y) != feed {
			return Source{}, fail.New(fail.Invalid, "--nvd %q: want a year (2002 or later), recent or modified", feed)
		}
	}
	return Source{Name: "nvd/" + feed, Kind: NVD, URL: strings.TrimSuffix(base, "/") + "/nvdcve-2.0-" + feed + ".json.gz"}, nil
}

// checkEcosystem refuses names that could not be an OSV ecosystem or would
// escape the cache directory.
func checkEcosystem(e string) error {
	if e == "" || e == "." || e == ".." || strings.ContainsAny(e, "/\\\x00") || strings.TrimSpace(e) != e {
		return fail.New(fail.Invalid, "--osv %q: not an OSV ecosystem name", e)
	}
	for _, r := range e {
		if r < 0x20 || r == 0x7f {
			return fail.New(fail.Invalid, "--osv %q: not an OSV ecosystem name", e)
		}
	}
	return nil
}

// BaseEcosystem is the ecosystem osv.dev publishes an archive for: the part
// before the first ':' ("Debian:12" → "Debian", "Ubuntu:22.04:LTS" → "Ubuntu").
func BaseEcosystem(e string) string {
	b, _, _ := strings.Cut(e, ":")
	return b
}

// Ecosystems returns the base ecosystems of the given component ecosystems,
// sorted and without duplicates.
func Ecosystems(ecos []string) []string {
	var out []string
	for _, e := range ecos {
		if b := BaseEcosystem(e); b != "" {
			out = append(out, b)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// SourceOf is the source of the feed called name ("osv/PyPI", "kev", …) at
// the locations in urls.
func SourceOf(name string, urls URLs) (Source, error) {
	k, rest, _ := strings.Cut(name, "/")
	switch {
	case Kind(k) == OSV && rest != "":
		return OSVSource(urls.OSV, rest)
	case Kind(k) == NVD && rest != "":
		return NVDSource(urls.NVD, rest)
	case name == string(KEV):
		return Source{Name: name, Kind: KEV, URL: urls.KEV}, nil
	case name == string(EPSS):
		return Source{Name: name, Kind: EPSS, URL: urls.EPSS}, nil
	}
	return Source{}, fail.New(fail.Invalid, "unknown feed %q (want osv/ECOSYSTEM, kev, epss or nvd/FEED)", name)
}

// SBOMEcosystems returns the base OSV ecosystems of the components of the
// given SBOM files (`feeds pull --osv auto`), sorted.
func SBOMEcosystems(paths []string, lim inputs.Limits) ([]string, error) {
	var ecos []string
	for _, p := range paths {
		in, err := inputs.Read(p, inputs.Options{Kind: inputs.KindSBOM, Limits: lim})
		if err != nil {
			return nil, err
		}
		for _, c := range in.SBOM.Components {
			ecos = append(ecos, c.Ecosystem)
		}
	}
	out := Ecosystems(ecos)
	if len(out) == 0 {
		return nil, fail.New(fail.Invalid, "--osv auto: no component of %s has a purl with an OSV ecosystem", strings.Join(paths, ", "))
	}
	return out, nil
}
