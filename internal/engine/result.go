package engine

import (
	"github.com/stella-policy/stella/internal/decimal"
)

// SchemaVersion names the JSON shape of a Result (docs/output.md). It changes
// on any incompatible change to that shape.
const SchemaVersion = "stella.result@1"

// Run-level and finding verdicts (docs/dsl.md "4. Evaluation").
const (
	VerdictPassed  = "passed"
	VerdictWarned  = "warned"
	VerdictBlocked = "blocked"
	VerdictQuieted = "quieted"
	VerdictIgnored = "ignored"
)

// Rule decisions recorded in a trace.
const (
	DecisionMatched    = "matched"     // the condition held (or the else branch ran) and its actions applied
	DecisionNotMatched = "not_matched" // the condition was false and there is no else branch
	DecisionShadowed   = "shadowed"    // it would have set the status, but an earlier rule already had
)

// Gate outcomes.
const (
	GatePass  = "pass"
	GateWarn  = "warn"
	GateBlock = "block"
)

// KV is one key/value pair; lists of them are kept sorted by key.
type KV struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Result is the outcome of one evaluation: a pure function of the request.
type Result struct {
	SchemaVersion  string         `json:"schemaVersion"`
	Policy         PolicyRef      `json:"policy"`
	Inputs         InputsRef      `json:"inputs"`
	Env            []KV           `json:"env"`            // sorted by key; keys lower-cased
	EvaluationTime string         `json:"evaluationTime"` // RFC 3339 UTC
	Shadow         bool           `json:"shadow"`         // findings recorded but not enforced
	Verdict        string         `json:"verdict"`        // passed, warned or blocked
	Summary        Summary        `json:"summary"`
	Gates          []Gate         `json:"gates"`    // in the order of docs/dsl.md "Gates"
	Findings       []Finding      `json:"findings"` // sorted by findingId
	VEXMatchReport []VEXUnmatched `json:"vexMatchReport"`
	Warnings       []string       `json:"warnings"` // input-level warnings, sorted
	Freshness      *Freshness     `json:"freshness"`
	// Coverage says which ecosystems of the components the advisory
	// inputs cover (docs/output.md "Coverage"); nil when the caller did
	// not compute it (Request.Coverage).
	Coverage *Coverage `json:"coverage"`
	// Notices are the warnings the CLI also prints on stderr: those that
	// depend on the evaluation time — stale advisory data, exceptions
	// expiring soon or expired in scope, VEX statements dated after it —,
	// components not checked (Coverage) and VEX statements left out (a
	// BOM-Link to another SBOM). They are among Warnings; not encoded.
	Notices []string `json:"-"`
	Digests Digests  `json:"digests"`

	keep bool // the findings keep their canonical bytes after seal (Request.Keep)
}

// PolicyRef identifies the evaluated policy.
type PolicyRef struct {
	ID      string `json:"id"`
	Digest  string `json:"digest"` // IR digest
	Syntax  string `json:"syntax"`
	Profile string `json:"riskProfile"` // risk score profile version, e.g. "risk@1"
}

// InputsRef identifies the evaluated inputs by digest. Each digest is over
// the canonical JSON of the normalized content, so it does not depend on the
// order or formatting of the files it came from. InputsHash covers all of
// them plus env and evaluation time.
type InputsRef struct {
	SnapshotID   string      `json:"snapshotId,omitempty"`
	SBOMs        []SBOMRef   `json:"sboms"` // sorted by digest
	Advisories   string      `json:"advisories"`
	VEX          string      `json:"vex"`
	NVD          string      `json:"nvd,omitempty"`
	EPSS         string      `json:"epss,omitempty"`
	KEV          string      `json:"kev,omitempty"`
	Reachability string      `json:"reachability,omitempty"`
	Exceptions   string      `json:"exceptions,omitempty"`
	Feeds        []FeedRef   `json:"feeds,omitempty"` // the cached feeds the snapshot was frozen from, by name
	Counts       InputCounts `json:"counts"`
	InputsHash   string      `json:"inputsHash"`
}

// FeedRef is the provenance of a feed the inputs were frozen from
// (docs/feeds.md): where it was downloaded, when, and the digest of the
// bytes as downloaded.
type FeedRef struct {
	Name      string `json:"name"`
	URL       string `json:"url"`
	FetchedAt string `json:"fetchedAt"`
	Digest    string `json:"digest"`
}

// SBOMRef is one evaluated SBOM.
type SBOMRef struct {
	Name       string `json:"name"`
	Digest     string `json:"digest"`
	Components int    `json:"components"`
}

// InputCounts sizes the inputs.
type InputCounts struct {
	Components   int `json:"components"`
	Advisories   int `json:"advisories"`
	VEX          int `json:"vex"`
	NVD          int `json:"nvd,omitempty"`
	EPSS         int `json:"epss"`
	KEV          int `json:"kev"`
	Reachability int `json:"reachability"`
	Exceptions   int `json:"exceptions"`
}

// Summary aggregates the findings.
type Summary struct {
	Findings        int           `json:"findings"`
	ByVerdict       VerdictCounts `json:"byVerdict"`
	ByVEXStatus     VEXCounts     `json:"byVexStatus"`
	BySeverity      BandCounts    `json:"bySeverity"`
	Rules           []RuleStat    `json:"rules"`    // in evaluation order
	Unknowns        int           `json:"unknowns"` // findings with an unknown severity, VEX status or reachability
	UnknownsByKind  UnknownCounts `json:"unknownsByKind"`
	RuleEvaluations int           `json:"ruleEvaluations"`
	Exceptions      int           `json:"exceptionsApplied"`
	// Unchecked counts the components no advisory of the inputs could be
	// checked against (docs/output.md "Coverage"), per ecosystem in
	// UncheckedByEcosystem (sorted by ecosystem; only those with any).
	Unchecked            int              `json:"unchecked"`
	UncheckedByEcosystem []EcosystemCount `json:"uncheckedByEcosystem"`
}

// EcosystemCount is a number of components of one ecosystem.
type EcosystemCount struct {
	Ecosystem  string `json:"ecosystem"`
	Components int    `json:"components"`
}

// Coverage bases of an ecosystem (EcosystemCoverage.Basis).
const (
	CoverageFeed       = "feed"       // a feed of that ecosystem was pulled, even if it held no advisory for it
	CoverageAdvisories = "advisories" // at least one advisory of the inputs names it (a heuristic for loose files)
	CoverageNone       = "none"       // nothing covers it: its components are not checked
)

// Coverage is which ecosystems of the evaluated components the advisory
// inputs cover, and which components could therefore not be checked
// (docs/output.md "Coverage").
type Coverage struct {
	Ecosystems []EcosystemCoverage `json:"ecosystems"` // sorted by ecosystem
}

// EcosystemCoverage is the coverage of the components of one ecosystem.
type EcosystemCoverage struct {
	// Ecosystem is the OSV ecosystem the components are matched in ("npm",
	// "Debian:12"), "purl:TYPE" for a purl type that has none, or
	// "(no purl)".
	Ecosystem  string `json:"ecosystem"`
	Basis      string `json:"basis"` // feed, advisories or none
	Components int    `json:"components"`
	// Unchecked components: all of them when the basis is none; else
	// those that advisories of their package could not be compared with:
	// without a version (NoVersion), or with one that is no version of
	// their ecosystem (InvalidVersion; before it had its own reason,
	// noVersion counted these too: docs/output.md "Coverage").
	Unchecked      int `json:"unchecked"`
	NoVersion      int `json:"noVersion,omitempty"`
	InvalidVersion int `json:"invalidVersion,omitempty"`
}

// The kinds of missing signal a finding lists in Finding.Unknowns
// (docs/output.md), in their sorted order.
const (
	UnknownEPSS         = "epss"         // no EPSS score for the advisory or its aliases
	UnknownKEV          = "kev"          // no KEV catalog among the inputs
	UnknownReachability = "reachability" // no reachability fact, or state U
	UnknownSeverity     = "severity"     // no base severity
	UnknownVEX          = "vex"          // no VEX statement counts
)

// UnknownCounts counts findings per missing signal (Finding.Unknowns); a
// finding lacking several counts once under each.
type UnknownCounts struct {
	Severity     int `json:"severity"`
	VEX          int `json:"vex"`
	Reachability int `json:"reachability"`
	EPSS         int `json:"epss"`
	KEV          int `json:"kev"`
}

// VerdictCounts counts findings per verdict.
type VerdictCounts struct {
	Passed  int `json:"passed"`
	Warned  int `json:"warned"`
	Blocked int `json:"blocked"`
	Quieted int `json:"quieted"`
	Ignored int `json:"ignored"`
}

// VEXCounts counts findings per VEX status.
type VEXCounts struct {
	Affected           int `json:"affected"`
	NotAffected        int `json:"not_affected"`
	Fixed              int `json:"fixed"`
	UnderInvestigation int `json:"under_investigation"`
	Unknown            int `json:"unknown"`
}

// BandCounts counts findings per severity band.
type BandCounts struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	None     int `json:"none"`
	Unknown  int `json:"unknown"`
}

// BandCount is the number of findings of one severity band.
type BandCount struct {
	Band  string // Critical, High, Medium, Low, None, Unknown
	Count int
}

// List returns the counts in band order, most severe first, Unknown last:
// the order every report prints them in.
func (b BandCounts) List() []BandCount {
	return []BandCount{{"Critical", b.Critical}, {"High", b.High}, {"Medium", b.Medium}, {"Low", b.Low}, {"None", b.None}, {"Unknown", b.Unknown}}
}

// RuleStat says how often a rule matched and how often it decided a status.
type RuleStat struct {
	Rule     string `json:"rule"`
	Matched  int    `json:"matched"`
	Decided  int    `json:"decided"`
	Shadowed int    `json:"shadowed"`
}

// Gate is the outcome of one run-level gate with the numbers that decided it.
type Gate struct {
	Name      string    `json:"name"`
	Outcome   string    `json:"outcome"` // pass, warn or block
	Observed  decimal.D `json:"observed"`
	Threshold decimal.D `json:"threshold"`
	Action    string    `json:"action"` // what exceeding the threshold does: warn or block
	Message   string    `json:"message"`
	Findings  []string  `json:"findings,omitempty"` // ids of the findings that count against it, sorted
}

// Finding is one component affected by one advisory, with its decision.
type Finding struct {
	FindingID  string       `json:"findingId"`
	Purl       string       `json:"purl"`
	Component  ComponentRef `json:"component"`
	Ecosystem  string       `json:"ecosystem"`
	Name       string       `json:"name"`
	Version    string       `json:"version"`
	AdvisoryID string       `json:"advisoryId"`
	Aliases    []string     `json:"aliases"`
	Source     string       `json:"source"` // advisory source (GHSA, GO, PYSEC, …)
	Summary    string       `json:"summary,omitempty"`
	Range      string       `json:"range,omitempty"` // the range that matched
	// MatchedCaseInsensitive: the component's Go module path matched the
	// advisory's only case-insensitively (docs/conformance.md "Go module paths").
	MatchedCaseInsensitive bool          `json:"matchedCaseInsensitive,omitempty"`
	FixedIn                []string      `json:"fixedIn,omitempty"` // versions that fix it, from the advisory
	VEXStatus              string        `json:"vexStatus"`
	Verdict                string        `json:"verdict"`
	Severity               Severity      `json:"severity"`
	RiskScore              *decimal.D    `json:"riskScore"` // 0–100; null when the severity is unknown
	Rule                   string        `json:"rule"`      // the rule that decided the status; "" when none did
	Signals                Signals       `json:"signals"`
	Reachability           Reachability  `json:"reachability"`
	Exception              *ExceptionRef `json:"exception,omitempty"` // the winning exception
	Annotations            []Annotation  `json:"annotations"`         // in the order first set; a later value for a key replaces the earlier
	Warnings               []string      `json:"warnings"`            // warn messages, in rule order
	Unknowns               []string      `json:"unknowns"`            // signals that were missing, sorted
	Enforced               bool          `json:"enforced"`            // false in shadow mode
	ExplainID              string        `json:"explainId"`
	Explain                *Explain      `json:"explain,omitempty"`

	canonical []byte // the finding's canonical JSON without Explain, set by seal (Canonical)
}

// ComponentRef locates a component in its SBOM.
type ComponentRef struct {
	SBOM     string `json:"sbom"` // SBOM digest
	Ref      string `json:"ref"`  // bom-ref or SPDXID
	Scope    string `json:"scope,omitempty"`
	Relation string `json:"relation,omitempty"`
}

// Annotation is one `annotate KEY := VALUE` result.
type Annotation struct {
	Key   string `json:"key"`
	Value Val    `json:"value"`
	Rule  string `json:"rule"`
}

// Severity is the finding's effective severity and where its base came
// from (docs/dsl.md "Severity resolution").
type Severity struct {
	Band        string     `json:"band"`   // Critical, High, Medium, Low, None, or Unknown when there is no score
	Score       *decimal.D `json:"score"`  // 0–10, 3 dp; null when unknown
	Source      string     `json:"source"` // what the base is: cvss_v4, cvss_v3.1, cvss_v3.0, cvss_v2, qualitative, or "" when unknown
	Vector      string     `json:"vector,omitempty"`
	Label       string     `json:"label,omitempty"`  // the qualitative label, when source is qualitative
	Record      string     `json:"record,omitempty"` // the record the base came from: an advisory id, or "NVD CVE-…"
	Step        string     `json:"step"`             // the resolution step that found it: advisory, alias, nvd, qualitative, unknown
	Qualitative bool       `json:"qualitative,omitempty"`
}

// Signals are the exploit signals joined to the finding.
type Signals struct {
	KEV            *bool      `json:"kev"` // null when no KEV catalog is among the inputs
	KEVDateAdded   string     `json:"kevDateAdded,omitempty"`
	EPSS           *decimal.D `json:"epss"`           // null when unknown
	EPSSPercentile *decimal.D `json:"epssPercentile"` // null when unknown
	EPSSCVE        string     `json:"epssCve,omitempty"`
}

// Reachability is the reachability fact used for the finding.
type Reachability struct {
	State    string     `json:"state"` // U SR SU RO RU CR CU X; U when there is no fact
	Score    *decimal.D `json:"score"` // null when there is no fact
	Scope    string     `json:"scope"` // vulnerability, component or none
	Evidence []string   `json:"evidence,omitempty"`
}

// ExceptionRef is an exception applied to a finding.
type ExceptionRef struct {
	ID            string `json:"id"`
	Effect        string `json:"effect"`
	Severity      string `json:"severity,omitempty"`
	Control       string `json:"control,omitempty"`
	Owner         string `json:"owner"`
	Expires       string `json:"expires"`
	Justification string `json:"justification"`
}

// VEXUnmatched is a VEX statement that attached to no finding.
type VEXUnmatched struct {
	StatementID   string `json:"statementId"`
	Vulnerability string `json:"vulnerability"`
	Reason        string `json:"reason"`
	Detail        string `json:"detail,omitempty"`
}

// Digests are the content digests of the outputs. Findings is over the
// findings without their explain traces, Explains over the traces in
// finding order, Result over the whole result with Digests.Result empty.
type Digests struct {
	Findings string `json:"findings"`
	Explains string `json:"explains"`
	Result   string `json:"result"`
}

// Explain is the trace of one finding's decision (docs/output.md "Explain
// traces").
type Explain struct {
	ExplainID       string        `json:"explainId"` // digest of the trace with this field empty
	FindingID       string        `json:"findingId"`
	Verdict         ExplainResult `json:"verdict"`
	RuleChain       []RuleTrace   `json:"ruleChain"` // every rule, in evaluation order
	Evidence        Evidence      `json:"evidence"`
	VEXImpacts      []VEXImpact   `json:"vexImpacts"`
	Severity        SeverityTrace `json:"severity"`
	Risk            RiskTrace     `json:"risk"`
	Notes           []string      `json:"notes"`           // expired ignores, unknown signals, …
	WhatWouldChange []string      `json:"whatWouldChange"` // for blocked findings
	Set             *SetTrace     `json:"set,omitempty"`   // only in the result of a policy set

	canonical []byte // the trace's canonical JSON, set with its id (Canonical)
}

// ExplainResult is the verdict part of a trace.
type ExplainResult struct {
	Status    string     `json:"status"` // the verdict
	VEXStatus string     `json:"vexStatus"`
	Severity  string     `json:"severity"` // band
	Score     *decimal.D `json:"score"`    // severity score
	RiskScore *decimal.D `json:"riskScore"`
	Quiet     bool       `json:"quiet"`
	Rule      string     `json:"rule"`
	Rationale string     `json:"rationale"` // the deciding rule's because, or why nothing decided
}

// RuleTrace records one rule's evaluation for a finding.
type RuleTrace struct {
	Rule      string        `json:"rule"`
	Priority  *int          `json:"priority"`
	Decision  string        `json:"decision"` // matched, not_matched, shadowed
	Branch    string        `json:"branch"`   // then, else or none
	Condition Condition     `json:"condition"`
	Operands  []Operand     `json:"operands"` // values of the references and calls in the condition, in source order
	Actions   []ActionTrace `json:"actions"`
	Because   string        `json:"because"`
}

// Condition is a rule's condition as written.
type Condition struct {
	Text string `json:"text"`
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// Operand is the value one sub-expression had.
type Operand struct {
	Expr  string `json:"expr"`
	Value Val    `json:"value"`
}

// ActionTrace records one action of the branch that ran.
type ActionTrace struct {
	Action  string `json:"action"`
	Key     string `json:"key,omitempty"`
	Value   Val    `json:"value"`
	Applied bool   `json:"applied"`
	Note    string `json:"note,omitempty"` // why it did not apply, or what it changed
}

// Evidence is everything the decision could see.
type Evidence struct {
	Advisory     AdvisoryEvidence    `json:"advisory"`
	VEX          []VEXEvidence       `json:"vex"` // timestamp, then issuer, then id
	Consensus    Consensus           `json:"consensus"`
	Signals      Signals             `json:"signals"`
	Reachability Reachability        `json:"reachability"`
	Exceptions   []ExceptionEvidence `json:"exceptions"` // every exception in scope, by id
}

// AdvisoryEvidence describes the matched advisory.
type AdvisoryEvidence struct {
	ID        string   `json:"id"`
	Source    string   `json:"source"`
	Aliases   []string `json:"aliases"`
	Published string   `json:"published,omitempty"`
	Modified  string   `json:"modified,omitempty"`
	Range     string   `json:"range,omitempty"`
	// MatchedCaseInsensitive as on the finding.
	MatchedCaseInsensitive bool       `json:"matchedCaseInsensitive,omitempty"`
	FixedIn                []string   `json:"fixedIn,omitempty"`
	Severity               []SevEntry `json:"severity,omitempty"`
	Tags                   []string   `json:"tags"`
}

// SevEntry is one severity entry of the advisory.
type SevEntry struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// VEXEvidence is one statement attached to the finding.
type VEXEvidence struct {
	StatementID   string `json:"statementId"`
	Issuer        string `json:"issuer"`
	Timestamp     string `json:"timestamp"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
	Document      string `json:"document,omitempty"`
	Format        string `json:"format,omitempty"`
}

// Consensus is the VEX status the statements agree on, and their disagreements.
type Consensus struct {
	Status     string     `json:"status"`
	Statement  string     `json:"statement,omitempty"` // the statement that decided it
	Conflicts  []Conflict `json:"conflicts"`
	Considered int        `json:"considered"` // statements that counted (after requireVex)
}

// Conflict is a statement that disagreed with the consensus at the same precedence.
type Conflict struct {
	StatementID string `json:"statementId"`
	Issuer      string `json:"issuer"`
	Status      string `json:"status"`
	Timestamp   string `json:"timestamp"`
}

// ExceptionEvidence is one exception whose scope covers the finding.
type ExceptionEvidence struct {
	ID     string `json:"id"`
	Effect string `json:"effect"`
	State  string `json:"state"` // applied, outranked, expired, not_yet_effective, not_approved
	Detail string `json:"detail,omitempty"`
}

// VEXImpact says whether a statement counted towards the decision, and why.
type VEXImpact struct {
	StatementID   string `json:"statementId"`
	Provider      string `json:"provider"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
	Accepted      bool   `json:"accepted"`
	Reason        string `json:"reason"`
}

// SeverityTrace shows how the severity score was computed.
type SeverityTrace struct {
	Base        *decimal.D   `json:"base"`
	BaseSource  string       `json:"baseSource"`
	Vector      string       `json:"vector,omitempty"`
	Record      string       `json:"record,omitempty"`
	Step        string       `json:"step"`
	Resolution  []string     `json:"resolution"`  // each step tried, in order, and what it found`
	Adjustments []Adjustment `json:"adjustments"` // in profile order
	Final       *decimal.D   `json:"final"`
	Band        string       `json:"band"`
}

// Adjustment is one profile delta or rule action applied to the severity.
type Adjustment struct {
	From  string    `json:"from"` // "profile severity map vendor_weight", "rule escalate_high", …
	When  string    `json:"when"` // the selector or condition
	Delta decimal.D `json:"delta"`
}

// RiskTrace shows how the risk score was computed.
type RiskTrace struct {
	Profile string     `json:"profile"`
	Terms   []RiskTerm `json:"terms"`
	Raw     *decimal.D `json:"raw"`
	Score   *decimal.D `json:"score"`
	Capped  string     `json:"capped,omitempty"` // why the score was capped, if it was
}

// RiskTerm is one weighted input of the risk score.
type RiskTerm struct {
	Signal string    `json:"signal"`
	Value  decimal.D `json:"value"` // normalized to 0–1
	Weight decimal.D `json:"weight"`
	Points decimal.D `json:"points"` // value × weight × 100
}
