// Package model owns the normalized input types that every reader produces
// and that snapshots, matching and the engine consume: components, advisories,
// VEX statements, signals, reachability facts and exceptions.
//
// Model values are plain data with JSON tags; the canonical JSON of a slice of
// them (after the reader's sort) is what a snapshot stores and digests. Times
// are RFC 3339 UTC strings ("2024-01-02T03:04:05Z"), scores exact decimals,
// and every list is sorted by the reader that built it, so no consumer depends
// on input order.
package model

import (
	"encoding/json"
	"time"

	"github.com/stella-policy/stella/internal/decimal"
)

// SBOM is one normalized SBOM document.
type SBOM struct {
	Format      string      `json:"format"`         // "cyclonedx" or "spdx"
	SpecVersion string      `json:"specVersion"`    // "1.4", "SPDX-2.3"
	Name        string      `json:"name"`           // document or root component name
	Digest      string      `json:"digest"`         // sha256: of the normalized SBOM (docs/inputs.md), not of the raw file
	Root        *Component  `json:"root,omitempty"` // what the SBOM describes (CycloneDX metadata.component, SPDX DESCRIBES); not in Components
	Components  []Component `json:"components"`     // sorted by Purl, then Ref
	NoPurl      int         `json:"noPurl"`         // components kept without a purl
	Tags        []string    `json:"tags,omitempty"` // document-level tags (docs/inputs.md), sorted
	// Serial and Version identify a CycloneDX SBOM for the BOM-Links of VEX
	// statements ("urn:cdx:SERIAL/VERSION#bom-ref"): the serialNumber as
	// given ("urn:uuid:…") and the BOM version (1 when not given); both
	// empty when the SBOM has no serialNumber (docs/inputs.md "BOM-Links").
	Serial  string `json:"serial,omitempty"`
	Version int    `json:"version,omitempty"`
}

// Component is one package of an SBOM.
type Component struct {
	Ref        string     `json:"ref"`                  // bom-ref or SPDXID, unique within its SBOM
	Purl       string     `json:"purl,omitempty"`       // canonical purl; empty when the SBOM gives none
	Type       string     `json:"type,omitempty"`       // purl type: npm, maven, golang, deb, …
	Namespace  string     `json:"namespace,omitempty"`  // purl namespace
	Name       string     `json:"name"`                 // purl name, or the SBOM's name when no purl
	Version    string     `json:"version,omitempty"`    // the version being matched
	Ecosystem  string     `json:"ecosystem,omitempty"`  // OSV ecosystem ("npm", "Maven", "Debian:12")
	Package    string     `json:"package,omitempty"`    // OSV package name ("org.foo:bar", "@scope/x")
	Scope      string     `json:"scope,omitempty"`      // required, optional, excluded
	Relation   string     `json:"relation,omitempty"`   // direct, transitive, or "" when the SBOM has no graph
	Licenses   []string   `json:"licenses,omitempty"`   // SPDX ids or expressions, sorted
	Tags       []string   `json:"tags,omitempty"`       // e.g. "runtime:eol", from properties; sorted
	Properties []Property `json:"properties,omitempty"` // name/value pairs, sorted
	SBOM       string     `json:"sbom,omitempty"`       // digest of the SBOM it came from
}

// Property is a name/value pair attached to a component.
type Property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Advisory is one normalized OSV record.
type Advisory struct {
	ID         string      `json:"id"`
	Aliases    []string    `json:"aliases,omitempty"` // sorted
	Related    []string    `json:"related,omitempty"`
	Source     string      `json:"source"` // GHSA, GO, PYSEC, OSV, … (see docs/inputs.md)
	Summary    string      `json:"summary,omitempty"`
	Published  string      `json:"published,omitempty"`
	Modified   string      `json:"modified,omitempty"`
	Withdrawn  string      `json:"withdrawn,omitempty"`
	Severity   []Severity  `json:"severity,omitempty"`         // CVSS vectors as given
	DBSeverity string      `json:"databaseSeverity,omitempty"` // word from database_specific.severity
	CWEs       []string    `json:"cwes,omitempty"`             // database_specific.cwe_ids, sorted
	Affected   []Affected  `json:"affected"`
	References []Reference `json:"references,omitempty"`
	Tags       []string    `json:"tags,omitempty"` // e.g. "kev" (added by signals), sorted
	File       string      `json:"file,omitempty"` // where it was read from, for messages
}

// Severity is one entry of an OSV severity[] list.
type Severity struct {
	Type  string `json:"type"`  // CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu, …
	Score string `json:"score"` // the vector or value as given
}

// Affected is one entry of an OSV affected[] list.
type Affected struct {
	Ecosystem         string          `json:"ecosystem"`
	Name              string          `json:"name"`
	Purl              string          `json:"purl,omitempty"`
	Ranges            []Range         `json:"ranges,omitempty"`
	Versions          []string        `json:"versions,omitempty"`
	EcosystemSpecific json.RawMessage `json:"ecosystemSpecific,omitempty"` // canonical JSON, kept opaque
	DatabaseSpecific  json.RawMessage `json:"databaseSpecific,omitempty"`  // canonical JSON, kept opaque
}

// Range is one OSV range.
type Range struct {
	Type   string  `json:"type"` // SEMVER, ECOSYSTEM, GIT
	Repo   string  `json:"repo,omitempty"`
	Events []Event `json:"events"` // as given; evaluation sorts them
}

// Event is one OSV range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Reference is one OSV reference.
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// VEX statuses (the OpenVEX vocabulary, used for every format).
const (
	VEXAffected           = "affected"
	VEXNotAffected        = "not_affected"
	VEXFixed              = "fixed"
	VEXUnderInvestigation = "under_investigation"
	VEXUnknown            = "unknown"
)

// VEXStatement is one normalized VEX statement, whatever format it came from.
type VEXStatement struct {
	ID                    string    `json:"id"`       // given, or content-derived
	Format                string    `json:"format"`   // openvex, cyclonedx, csaf
	Document              string    `json:"document"` // document id or digest
	Issuer                string    `json:"issuer,omitempty"`
	Timestamp             string    `json:"timestamp,omitempty"` // RFC 3339 UTC
	Vulnerability         string    `json:"vulnerability"`
	Aliases               []string  `json:"aliases,omitempty"`
	Products              []Product `json:"products"`
	Subcomponents         []Product `json:"subcomponents,omitempty"`
	Status                string    `json:"status"`
	Justification         string    `json:"justification,omitempty"` // OpenVEX vocabulary
	OriginalJustification string    `json:"originalJustification,omitempty"`
	ImpactStatement       string    `json:"impactStatement,omitempty"`
	ActionStatement       string    `json:"actionStatement,omitempty"`
}

// Product identifies what a VEX statement is about; any field may be set.
type Product struct {
	ID     string `json:"id,omitempty"` // format-specific id (CSAF product_id, OpenVEX @id)
	Purl   string `json:"purl,omitempty"`
	CPE    string `json:"cpe,omitempty"`
	BOMRef string `json:"bomRef,omitempty"` // CycloneDX bom-ref or BOM-Link
	Name   string `json:"name,omitempty"`   // product name as the document gives it, for messages
	// At most one of Version and Range narrows the product to some of its
	// versions (CycloneDX affects[].versions, CSAF product_version and
	// product_version_range branches); neither means every version.
	Version string `json:"version,omitempty"`
	Range   string `json:"range,omitempty"` // a vers range: "vers:semver/>=2.2.0|<=2.4.0"
}

// EPSS is an EPSS score file.
type EPSS struct {
	ModelVersion string      `json:"modelVersion"`
	ScoreDate    string      `json:"scoreDate"`
	Scores       []EPSSScore `json:"scores"` // sorted by CVE
}

// EPSSScore is the EPSS probability and percentile of one CVE.
type EPSSScore struct {
	CVE        string    `json:"cve"`
	Score      decimal.D `json:"epss"`
	Percentile decimal.D `json:"percentile"`
}

// KEV is the CISA Known Exploited Vulnerabilities catalog.
type KEV struct {
	CatalogVersion string     `json:"catalogVersion"`
	DateReleased   string     `json:"dateReleased"`
	Entries        []KEVEntry `json:"entries"` // sorted by CVE
}

// KEVEntry is one KEV catalog entry.
type KEVEntry struct {
	CVE                string `json:"cve"`
	VendorProject      string `json:"vendorProject,omitempty"`
	Product            string `json:"product,omitempty"`
	DateAdded          string `json:"dateAdded"`
	DueDate            string `json:"dueDate,omitempty"`
	KnownRansomwareUse string `json:"knownRansomwareCampaignUse,omitempty"`
}

// Reachability lattice states (see docs/inputs.md).
const (
	ReachUnknown               = "U"
	ReachStaticallyReachable   = "SR"
	ReachStaticallyUnreachable = "SU"
	ReachRuntimeObserved       = "RO"
	ReachRuntimeUnobserved     = "RU"
	ReachConfirmedReachable    = "CR"
	ReachConfirmedUnreachable  = "CU"
	ReachContested             = "X"
)

// Reach is one reachability fact about a component, optionally narrowed to a
// vulnerability.
type Reach struct {
	Purl          string    `json:"purl"`
	Vulnerability string    `json:"vulnerability,omitempty"`
	State         string    `json:"state"`
	Score         decimal.D `json:"score"`
	Evidence      []string  `json:"evidence,omitempty"`
}

// Exception effects (docs/dsl.md "Exceptions").
const (
	EffectSuppress       = "suppress"
	EffectDefer          = "defer"
	EffectDowngrade      = "downgrade"
	EffectRequireControl = "requireControl"
)

// Exception statuses.
const (
	ExceptionRequested = "requested"
	ExceptionApproved  = "approved"
	ExceptionRevoked   = "revoked"
)

// Exception is a time-boxed waiver over vulnerabilities and purl patterns.
type Exception struct {
	ID            string   `json:"id"`
	Vulns         []string `json:"vulns"` // advisory ids or aliases; sorted
	Purls         []string `json:"purls"` // purl patterns ("pkg:npm/lodash", "pkg:maven/org.apache/*"); sorted
	Effect        string   `json:"effect"`
	Severity      string   `json:"severity,omitempty"` // the band for downgrade
	Control       string   `json:"control,omitempty"`  // the control id for requireControl
	Justification string   `json:"justification"`
	Owner         string   `json:"owner"`
	Requester     string   `json:"requester,omitempty"`
	Approvers     []string `json:"approvers,omitempty"`
	Status        string   `json:"status"`
	Created       string   `json:"created,omitempty"`
	Effective     string   `json:"effective,omitempty"` // start of the timebox; empty = Created
	Expires       string   `json:"expires"`
	Ticket        string   `json:"ticket,omitempty"`
	// Policy, when set, is the one registered policy (P-n) the exception
	// waives for; it does not apply to a run of any other policy or of a
	// policy file.
	Policy string `json:"policy,omitempty"`
	// Statements are the signed governance statements the exception rests
	// on (its request and its approval, each {"envelope", "publicKey"}),
	// frozen with it by `snapshot create --exceptions approved`; a run at a
	// governed site verifies them against its trust config
	// (docs/governance.md "How exceptions reach evaluations").
	Statements []json.RawMessage `json:"statements,omitempty"`
}

// NVDCVE is one CVE record of the NVD CVE API 2.0, reduced to what severity
// resolution and the advisory facts read (docs/inputs.md, "NVD").
type NVDCVE struct {
	ID           string      `json:"id"`
	Published    string      `json:"published,omitempty"`    // RFC 3339 UTC
	LastModified string      `json:"lastModified,omitempty"` // RFC 3339 UTC
	Status       string      `json:"vulnStatus,omitempty"`   // Analyzed, Modified, Rejected, …
	Metrics      []NVDMetric `json:"metrics,omitempty"`      // Primary before Secondary, then v4.0, v3.1, v3.0, v2; then source
	CWEs         []string    `json:"cwes,omitempty"`         // CWE ids of its weaknesses, sorted
}

// NVDMetric is one CVSS metric of an NVD CVE record.
type NVDMetric struct {
	Source       string    `json:"source"`  // who scored it: "nvd@nist.gov", a CNA's address
	Type         string    `json:"type"`    // Primary or Secondary
	Version      string    `json:"version"` // "4.0", "3.1", "3.0", "2.0"
	Vector       string    `json:"vector"`  // the vector string as given
	BaseScore    decimal.D `json:"baseScore"`
	BaseSeverity string    `json:"baseSeverity,omitempty"`
}

// Inputs is a complete, normalized input set: what a snapshot freezes and the
// engine evaluates.
type Inputs struct {
	SBOMs      []SBOM         `json:"sboms"`
	Advisories []Advisory     `json:"advisories"`    // sorted by ID
	VEX        []VEXStatement `json:"vex"`           // sorted by ID
	NVD        []NVDCVE       `json:"nvd,omitempty"` // sorted by ID
	EPSS       *EPSS          `json:"epss,omitempty"`
	KEV        *KEV           `json:"kev,omitempty"`
	Reach      []Reach        `json:"reachability,omitempty"`
	Exceptions []Exception    `json:"exceptions,omitempty"`
}

// FutureSkew is how far after the evaluation time (or, choosing it, the
// wall clock) an input's date may be and still count, as clocks and time
// zones differ; a later date is not yet known then: an advisory's modified
// time for freshness, a VEX statement, a withdrawal (docs/runs.md
// "Evaluation time").
const FutureSkew = 24 * time.Hour

// Future reports whether t is more than FutureSkew after at: not yet known
// at at. A zero at is no limit.
func Future(t, at time.Time) bool { return !at.IsZero() && t.After(at.Add(FutureSkew)) }

// FutureString is Future for an input's timestamp s; a timestamp that does
// not parse (ParseTime) is not future.
func FutureString(s string, at time.Time) bool {
	t, ok := ParseTime(s)
	return ok && Future(t, at)
}

// ParseTime reads an input's timestamp: RFC 3339 (in UTC), else a bare date
// (KEV and EPSS dates) as midnight UTC; ok is false for anything else.
func ParseTime(s string) (t time.Time, ok bool) {
	if s == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}
