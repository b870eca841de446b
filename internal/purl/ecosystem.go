package purl

import (
	"slices"
	"strings"
)

// OSV ecosystem names (the osv-schema ecosystem list) that purls map to.
const (
	Alpine        = "Alpine"
	AlmaLinux     = "AlmaLinux"
	AzureLinux    = "Azure Linux"
	Bitnami       = "Bitnami"
	Chainguard    = "Chainguard"
	ConanCenter   = "ConanCenter"
	CRAN          = "CRAN"
	CratesIO      = "crates.io"
	Debian        = "Debian"
	GitHubActions = "GitHub Actions"
	Go            = "Go"
	Hackage       = "Hackage"
	Hex           = "Hex"
	Mageia        = "Mageia"
	Mariner       = "Mariner"
	Maven         = "Maven"
	NPM           = "npm"
	NuGet         = "NuGet"
	OpenEuler     = "openEuler"
	OpenSUSE      = "openSUSE"
	Packagist     = "Packagist"
	PhotonOS      = "Photon OS"
	Pub           = "Pub"
	PyPI          = "PyPI"
	RedHat        = "Red Hat"
	RockyLinux    = "Rocky Linux"
	RubyGems      = "RubyGems"
	SUSE          = "SUSE"
	SwiftURL      = "SwiftURL"
	Ubuntu        = "Ubuntu"
	Wolfi         = "Wolfi"
)

// languageEcosystems maps purl types whose OSV ecosystem needs no qualifier.
var languageEcosystems = map[string]string{
	"bitnami":  Bitnami,
	"cargo":    CratesIO,
	"composer": Packagist,
	"conan":    ConanCenter,
	"cran":     CRAN,
	"gem":      RubyGems,
	"github":   GitHubActions,
	"golang":   Go,
	"hackage":  Hackage,
	"hex":      Hex,
	"maven":    Maven,
	"npm":      NPM,
	"nuget":    NuGet,
	"pub":      Pub,
	"pypi":     PyPI,
	"swift":    SwiftURL,
}

// TypeEcosystem is the OSV ecosystem of a language purl type ("npm" →
// "npm", "pypi" → "PyPI"); ok is false for other types, whose ecosystem
// depends on more than the type.
func TypeEcosystem(typ string) (string, bool) {
	eco, ok := languageEcosystems[typ]
	return eco, ok
}

// OSV maps a purl to the OSV ecosystem and package name that advisories use
// for it. ok is false for purl types with no OSV ecosystem (oci, generic,
// …). Operating-system packages get a release-qualified ecosystem from the
// distro qualifier ("Debian:11", "Ubuntu:20.04:LTS", "Alpine:v3.16"), or the
// bare ecosystem when the purl names no release; their name is the source
// package from the upstream qualifier when given, because OSV's distribution
// databases are keyed by source package.
func OSV(p PURL) (ecosystem, name string, ok bool) {
	if eco, found := languageEcosystems[p.Type]; found {
		return eco, languageName(p), true
	}
	switch p.Type {
	case "deb":
		eco := debEcosystem(p)
		if eco == "" {
			return "", "", false
		}
		return eco, sourceName(p), true
	case "apk", "alpine": // "alpine" is the type older syft releases wrote
		return apkEcosystem(p), sourceName(p), true
	case "rpm":
		eco := rpmEcosystem(p)
		if eco == "" {
			return "", "", false
		}
		return eco, p.Name, true
	}
	return "", "", false
}

// Version returns the version to compare against OSV ranges: the purl
// version, with the rpm epoch qualifier prefixed ("1:2.3-4"), or for
// distribution packages the source version from the upstream qualifier
// ("upstream=openssl@1.1.1n-0") when it gives one.
func Version(p PURL) string {
	switch p.Type {
	case "deb", "apk", "alpine":
		if _, v, ok := strings.Cut(p.Qualifier("upstream"), "@"); ok && v != "" {
			return v
		}
	case "rpm":
		if e := p.Qualifier("epoch"); e != "" && e != "0" && !strings.Contains(p.Version, ":") {
			return e + ":" + p.Version
		}
	}
	return p.Version
}

func languageName(p PURL) string {
	switch p.Type {
	case "maven":
		if p.Namespace == "" {
			return p.Name
		}
		return p.Namespace + ":" + p.Name
	case "npm":
		if p.Namespace == "" {
			return p.Name
		}
		ns := p.Namespace
		if !strings.HasPrefix(ns, "@") {
			ns = "@" + ns
		}
		return ns + "/" + p.Name
	case "pypi":
		return pep503(p.Name)
	case "golang", "composer", "swift", "github":
		if p.Namespace == "" {
			return p.Name
		}
		return p.Namespace + "/" + p.Name
	}
	return p.Name
}

// sourceName is the upstream (source) package of a distribution package,
// without the "@version" some generators append, or the binary name.
func sourceName(p PURL) string {
	if up := p.Qualifier("upstream"); up != "" {
		if n, _, _ := strings.Cut(up, "@"); n != "" {
			return n
		}
	}
	return p.Name
}

// distroRelease splits a distro qualifier ("debian-11.6", "ubuntu-20.04",
// "alpine-3.16.2", "3.15.6", "bookworm") into its id and release parts.
func distroRelease(distro string) (id, release string) {
	distro = strings.ToLower(distro)
	if i := strings.LastIndexByte(distro, '-'); i >= 0 {
		return distro[:i], distro[i+1:]
	}
	return "", distro // a bare release number or code name
}

func debEcosystem(p PURL) string {
	id, release := distroRelease(p.Qualifier("distro"))
	base := ""
	switch {
	case strings.EqualFold(p.Namespace, "debian"):
		base = Debian
	case strings.EqualFold(p.Namespace, "ubuntu"):
		base = Ubuntu
	case id == "debian":
		base = Debian
	case id == "ubuntu":
		base = Ubuntu
	default:
		return ""
	}
	if release == "" {
		return base
	}
	if base == Debian {
		if r, ok := debianReleases[release]; ok {
			return base + ":" + r
		}
		// OSV names Debian releases by major version: 11.6 → Debian:11.
		major, _, _ := strings.Cut(release, ".")
		if !isDigits(major) {
			return base
		}
		return base + ":" + major
	}
	if r, ok := ubuntuReleases[release]; ok {
		return base + ":" + r
	}
	if rel, ok := ubuntuNumeric(release); ok {
		return base + ":" + rel
	}
	return base
}

// ubuntuNumeric turns "22.04" or "22.04.3" into OSV's "22.04:LTS" (April
// releases of even years are LTS) or "22.10".
func ubuntuNumeric(release string) (string, bool) {
	parts := strings.Split(release, ".")
	if len(parts) < 2 || !isDigits(parts[0]) || len(parts[1]) != 2 || !isDigits(parts[1]) {
		return "", false
	}
	rel := parts[0] + "." + parts[1]
	if parts[1] == "04" && (parts[0][len(parts[0])-1]-'0')%2 == 0 {
		rel += ":LTS"
	}
	return rel, true
}

func apkEcosystem(p PURL) string {
	switch strings.ToLower(p.Namespace) {
	case "wolfi":
		return Wolfi
	case "chainguard":
		return Chainguard
	}
	_, release := distroRelease(p.Qualifier("distro"))
	release = strings.TrimLeft(release, "vV")
	if release == "edge" {
		return Alpine + ":edge"
	}
	parts := strings.Split(release, ".")
	if len(parts) >= 2 && isDigits(parts[0]) && isDigits(parts[1]) {
		return Alpine + ":v" + parts[0] + "." + parts[1]
	}
	return Alpine
}

// rpmEcosystem maps the rpm vendor namespace, with the release from the
// distro qualifier ("rocky-8.6", "rhel-9.2", "el8") where OSV qualifies the
// ecosystem by release.
func rpmEcosystem(p PURL) string {
	_, release := distroRelease(p.Qualifier("distro"))
	release = strings.TrimPrefix(release, "el")
	major, _, _ := strings.Cut(release, ".")
	if !isDigits(major) {
		major = ""
	}
	withMajor := func(eco string) string {
		if major == "" {
			return eco
		}
		return eco + ":" + major
	}
	switch strings.ToLower(p.Namespace) {
	case "redhat", "rhel":
		if major == "" {
			return RedHat
		}
		// OSV Red Hat ecosystems are "Red Hat:enterprise_linux:8::appstream"
		// and the like; the join treats this as a prefix of those.
		return RedHat + ":enterprise_linux:" + major
	case "almalinux", "alma":
		return withMajor(AlmaLinux)
	case "rocky", "rockylinux":
		return withMajor(RockyLinux)
	case "mageia":
		return withMajor(Mageia)
	case "opensuse":
		return OpenSUSE
	case "suse", "sles":
		return SUSE
	case "openeuler":
		return OpenEuler
	case "mariner", "cbl-mariner":
		if release == "" {
			return Mariner
		}
		return Mariner + ":" + release
	case "azurelinux":
		if release == "" {
			return AzureLinux
		}
		return AzureLinux + ":" + release
	case "photon":
		if release == "" {
			return PhotonOS
		}
		return PhotonOS + ":" + release
	}
	return ""
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NormalizeName returns the form of an OSV package name that two spellings
// of the same package share, for indexing and comparison: PEP 503 for PyPI,
// lower case for the case-insensitive registries (NuGet, Packagist), and
// unchanged elsewhere (npm, Maven, Go, RubyGems and crates.io names are
// compared exactly, as osv.dev does).
// ecosystem may carry a release suffix ("Debian:12").
func NormalizeName(ecosystem, name string) string {
	switch Base(ecosystem) {
	case PyPI:
		return pep503(name)
	case NuGet, Packagist:
		return strings.ToLower(name)
	}
	return name
}

// Base returns an ecosystem without its release suffix: "Debian:12" → "Debian".
func Base(ecosystem string) string {
	b, _, _ := strings.Cut(ecosystem, ":")
	return b
}

// EcosystemCovers reports whether an advisory's affected ecosystem applies to
// a component in ecosystem comp: equal names, or — when comp names a release
// — an advisory ecosystem that refines it ("Ubuntu:22.04:LTS" for
// "Ubuntu:22.04", "Red Hat:enterprise_linux:8::appstream" for
// "Red Hat:enterprise_linux:8"). A component without a release ("Debian")
// matches only advisories without one: guessing the release would report
// fixes of one release against another.
func EcosystemCovers(adv, comp string) bool {
	if adv == comp {
		return true
	}
	return strings.IndexByte(comp, ':') >= 0 && len(adv) > len(comp) &&
		adv[len(comp)] == ':' && adv[:len(comp)] == comp
}

// pep503 normalizes a Python distribution name: runs of "-", "_" and "."
// become one "-", and letters are lower-cased.
func pep503(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_' || c == '.':
			sep = true
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		if sep {
			b.WriteByte('-')
			sep = false
		}
		b.WriteByte(c)
	}
	if sep {
		b.WriteByte('-')
	}
	return b.String()
}

var debianReleases = map[string]string{
	"buzz": "1.1", "rex": "1.2", "bo": "1.3", "hamm": "2", "slink": "2.1", "potato": "2.2",
	"woody": "3", "sarge": "3.1", "etch": "4", "lenny": "5", "squeeze": "6", "wheezy": "7",
	"jessie": "8", "stretch": "9", "buster": "10", "bullseye": "11", "bookworm": "12",
	"trixie": "13", "forky": "14", "duke": "15",
}

var ubuntuReleases = map[string]string{
	"precise": "12.04:LTS", "quantal": "12.10", "raring": "13.04", "trusty": "14.04:LTS",
	"utopic": "14.10", "vivid": "15.04", "wily": "15.10", "xenial": "16.04:LTS",
	"yakkety": "16.10", "zesty": "17.04", "artful": "17.10", "bionic": "18.04:LTS",
	"cosmic": "18.10", "disco": "19.04", "eoan": "19.10", "focal": "20.04:LTS",
	"groovy": "20.10", "hirsute": "21.04", "impish": "21.10", "jammy": "22.04:LTS",
	"kinetic": "22.10", "lunar": "23.04", "mantic": "23.10", "noble": "24.04:LTS",
	"oracular": "24.10", "plucky": "25.04", "questing": "25.10", "resolute": "26.04:LTS",
}

// osvEcosystems are the ecosystem names of the osv-schema ecosystem list
// (its "ecosystems.json", schema 1.7) and "Mariner", the name before "Azure
// Linux", sorted by byte order for a binary search. An advisory's ecosystem is one of them, possibly with a ":"
// suffix naming a release ("Debian:11").
var osvEcosystems = [...]string{
	"AlmaLinux", "Alpaquita", "Alpine", "Android", "Azure Linux",
	"BellSoft Hardened Containers", "Bioconductor", "Bitnami", "CRAN",
	"Chainguard", "CleanStart", "ConanCenter", "Debian", "Docker Hardened Images",
	"Echo", "FreeBSD", "GHC", "GIT", "GitHub Actions", "Go", "Hackage", "Hex",
	"Homebrew", "Julia", "Kubernetes", "Linux", "Mageia", "Mariner", "Maven",
	"MinimOS", "NuGet", "OSS-Fuzz", "Packagist", "Photon OS", "Pub", "PyPI",
	"Red Hat", "Rocky Linux", "Root", "RubyGems", "SUSE", "SwiftURL", "TuxCare",
	"Ubuntu", "VSCode", "Wolfi", "crates.io", "npm", "opam", "openEuler",
	"openSUSE", "vcpkg",
}

// CanonicalEcosystem checks an advisory's ecosystem name against the
// osv-schema list, whose names are case-sensitive (docs/inputs.md "OSV
// ecosystems"). A listed name is returned as given, with known true. A
// listed name in other letter case or with surrounding white space ("NPM",
// "npm ", "pypi", "debian:11") is returned in the list's spelling ("npm",
// "PyPI", "Debian:11": the suffix is kept as given), with known true; the
// caller warns that it was respelled. Any other name is returned trimmed,
// with known false: no purl maps to it.
func CanonicalEcosystem(eco string) (canon string, known bool) {
	if _, ok := slices.BinarySearch(osvEcosystems[:], Base(eco)); ok && strings.TrimSpace(eco) == eco {
		return eco, true
	}
	eco = strings.TrimSpace(eco)
	base, suffix, hasSuffix := strings.Cut(eco, ":")
	base = strings.TrimSpace(base)
	for _, e := range osvEcosystems {
		if strings.EqualFold(e, base) {
			if hasSuffix {
				return e + ":" + suffix, true
			}
			return e, true
		}
	}
	return eco, false
}
