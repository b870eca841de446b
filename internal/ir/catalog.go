package ir

import (
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/cvss"
)

// This file is the catalogue of everything a stella-dsl@1 policy may
// reference: namespaces and their fields, the objects that calls return and
// predicates range over, the functions (built-ins and namespace methods), the
// settings the engine reads and the status and band vocabularies.
//
// It is plain data shared by two sides: the checker (internal/dsl/check)
// resolves every name in a policy against it and rejects anything else, and
// the engine implements exactly these entries with the meaning and null
// behaviour stated in each Doc. Entries are listed in a fixed order; lookups
// never depend on map iteration.
//
// Null: every field may be null when the inputs do not say (the Doc tells
// when). A comparison with a null operand is false (so `!=` with null is also
// false); `not` of null is true only through `not exists(x)`; a call with a
// null argument returns null unless its Doc says otherwise; member access on
// null is null. `exists(x)` and `coalesce(…)` are the tools for missing data.

// Type is the static type of a value.
type Type string

// Static types. TBand is a severity band name ("None", "Low", "Medium",
// "High", "Critical"), ordered by BandRank. TTime is an RFC 3339 UTC instant
// carried as a string. TObject values are read with member access; their
// fields are listed in Objects. TAny is used where a value may have any type
// (it compares by dynamic type).
const (
	TString Type = "string"
	TNumber Type = "number"
	TBool   Type = "bool"
	TBand   Type = "band"
	TTime   Type = "time"
	TList   Type = "list"
	TObject Type = "object"
	TAny    Type = "any"
	TNull   Type = "null" // the type of the literal null only
)

// Attr is one field of a namespace or object.
type Attr struct {
	Name   string
	Type   Type
	Elem   Type   // element type when Type is TList
	Object string // object name (see Objects) when Type is TObject
	Doc    string // meaning and when the value is null
}

// Namespace is a top-level name such as sbom or severity.
type Namespace struct {
	Name  string
	Doc   string
	Attrs []Attr
	// Open namespaces (env) accept any field name; every such field has type
	// OpenType and is null when the run does not define it.
	Open     bool
	OpenType Type
}

// Object is a structured value: what vex.latest() returns and what the
// predicates of vex.any and vex.all see as their element in scope.
type Object struct {
	Name  string
	Doc   string
	Attrs []Attr
}

// Param is one parameter of a function.
type Param struct {
	Name string
	Type Type // TAny accepts every type
	// Scope, when set, makes the argument a predicate: it is evaluated once
	// per element of the collection the function ranges over, with that
	// element's fields (the Attrs of the named Object) in scope as bare
	// identifiers (OpElem in the IR).
	Scope string
}

// Func is a callable: a built-in (Name "severity_band") or a namespace method
// (Name "vex.any"). Name is what OpCall.Fn holds.
type Func struct {
	Name   string
	Params []Param
	// Min is the least number of arguments. When Variadic, the last param
	// may repeat without limit; otherwise at most len(Params) are allowed.
	Min      int
	Variadic bool
	Result   Type
	// ResultElem is the element type when Result is TList; ResultObject is
	// the object name when Result is TObject.
	ResultElem   Type
	ResultObject string
	// Unify makes the result type the common type of the arguments
	// (coalesce): TAny when they differ.
	Unify bool
	Doc   string
}

// Setting is one key the settings block may hold.
type Setting struct {
	Name string
	Type Type // TString, TNumber or TBool
	Doc  string
}

// Namespaces lists every namespace, in name order.
var Namespaces = []Namespace{
	{
		Name: "advisory",
		Doc:  "The advisory (OSV record) of the finding, after alias folding.",
		Attrs: []Attr{
			{Name: "aliases", Type: TList, Elem: TString, Doc: "Other identifiers of the advisory (CVE, GHSA, …), sorted. Empty list when none; never null."},
			{Name: "cwes", Type: TList, Elem: TString, Doc: "CWE ids (\"CWE-79\") from database_specific.cwe_ids of the advisory and its alias-group records, and from NVD weaknesses of its CVE ids, sorted. Empty list when none; never null."},
			{Name: "fix_available", Type: TBool, Doc: "True when a version in fixed_in is greater than the installed version (ordered per ecosystem). False when there is none. Null when the installed version or a fixed version cannot be ordered."},
			{Name: "fixed_in", Type: TList, Elem: TString, Doc: "The versions that fix this component's affected range: the fixed events of the advisory's affected entries for the component's package, in the advisory's order. Empty list when none; never null."},
			{Name: "id", Type: TString, Doc: "The advisory id as published (\"GHSA-…\", \"CVE-…\", \"GO-…\"). Never null."},
			{Name: "modified", Type: TTime, Doc: "When the advisory was last modified. Null when the record does not say."},
			{Name: "published", Type: TTime, Doc: "When the advisory was published. Null when the record does not say."},
			{Name: "source", Type: TString, Doc: "The database the advisory comes from, derived from its id prefix (\"GHSA\", \"GO\", \"PYSEC\", \"OSV\", …); the key that profile maps match with `source \"…\"`. Never null."},
			{Name: "summary", Type: TString, Doc: "The one-line summary. Null when the record has none."},
			{Name: "tags", Type: TList, Elem: TString, Doc: "Advisory tags, sorted; \"kev\" is added when the KEV signal lists the advisory id or an alias. Empty list when none."},
			{Name: "withdrawn", Type: TTime, Doc: "When the advisory was withdrawn. The join skips withdrawn records, so for a finding it is null unless a rule runs over one in a policy test."},
		},
	},
	{
		Name: "env",
		Doc: "The run environment given with --env key=value (or the snapshot/bundle). Keys are case-insensitive: " +
			"the compiler lower-cases the field name (env.quietUntil reads key \"quietuntil\") and the engine lower-cases input keys. " +
			"Values are strings; an undefined key is null.",
		Open:     true,
		OpenType: TString,
	},
	{
		Name: "kev",
		Doc:  "The CISA KEV entry of the advisory, looked up by its id and then its aliases. Every field is null when no KEV catalog is an input or it does not list the advisory (see signals.kev).",
		Attrs: []Attr{
			{Name: "date_added", Type: TTime, Doc: "When CISA added it to KEV (a date). Null when not listed."},
			{Name: "due_date", Type: TTime, Doc: "The remediation due date for US federal agencies (a date). Null when not listed or the entry has none."},
			{Name: "ransomware", Type: TBool, Doc: "True when the entry says \"Known\" ransomware campaign use, false otherwise. Null when not listed."},
		},
	},
	{
		Name: "reachability",
		Doc:  "The reachability fact for the finding: the one naming the component's purl and the advisory (id or alias), else the one naming the purl only.",
		Attrs: []Attr{
			{Name: "evidence", Type: TList, Elem: TString, Doc: "Evidence references of the fact, sorted. Empty list when there is no fact."},
			{Name: "score", Type: TNumber, Doc: "Confidence score of the fact, 0–1. Null when there is no fact."},
			{Name: "state", Type: TString, Doc: "Lattice state code: U SR SU RO RU CR CU X (see docs/dsl.md). Null when there is no fact; use coalesce(reachability.state, \"U\") to treat that as Unknown."},
		},
	},
	{
		Name: "run",
		Doc:  "Facts about the evaluation itself. There is no clock: time is the run's frozen evaluation timestamp.",
		Attrs: []Attr{
			{Name: "policy_id", Type: TString, Doc: "The policyId of the policy being evaluated (its header name). Never null."},
			{Name: "timestamp", Type: TTime, Doc: "The evaluation timestamp (--as-of, or the snapshot's), RFC 3339 UTC. Never null."},
		},
	},
	{
		Name: "sbom",
		Doc:  "The component of the finding, from the SBOM.",
		Attrs: []Attr{
			{Name: "direct", Type: TBool, Doc: "True for a direct dependency of the SBOM's root, false for a transitive one. Null when the SBOM has no dependency graph."},
			{Name: "ecosystem", Type: TString, Doc: "OSV ecosystem of the component (\"npm\", \"Maven\", \"Debian:12\"). Null when the purl type has none."},
			{Name: "licenses", Type: TList, Elem: TString, Doc: "Declared licenses (SPDX ids or expressions), sorted. Empty list when none."},
			{Name: "name", Type: TString, Doc: "Package name (purl name, with namespace for ecosystems that use one, e.g. \"org.apache:log4j\"). Never null."},
			{Name: "purl", Type: TString, Doc: "Canonical package URL. Never null for a finding (matching needs it)."},
			{Name: "scope", Type: TString, Doc: "Dependency scope as the SBOM says: \"required\", \"optional\" or \"excluded\". Null when not given."},
			{Name: "tags", Type: TList, Elem: TString, Doc: "Component tags (e.g. \"runtime:eol\"), from SBOM properties, with the document-level tags of its SBOM (e.g. \"image:latest-tag\"), sorted. Empty list when none."},
			{Name: "type", Type: TString, Doc: "Purl type (\"npm\", \"maven\", \"golang\", \"deb\", …). Never null."},
			{Name: "version", Type: TString, Doc: "The component version. Null when the SBOM gives none."},
		},
	},
	{
		Name: "severity",
		Doc: "The finding's severity. The base is resolved in order (docs/dsl.md \"Severity resolution\"): the advisory's own most specific CVSS " +
			"(v4.0 > v3.1 > v3.0 > v2); else the CVSS of another record of its alias group; else NVD's CVSS for a CVE id of the group (--nvd); " +
			"else a qualitative label (GHSA database_specific.severity, a distro priority) as its band's floor (CRITICAL 9.0, HIGH 7.0, " +
			"MODERATE/MEDIUM 4.0, LOW 0.1); else it is unknown. Then the severity profile's map and env deltas are added and the sum clamped " +
			"to [0, 10] (decimal, 3 places).",
		Attrs: []Attr{
			{Name: "base", Type: TNumber, Doc: "The base score before profile adjustments, 0–10. Null when the severity is unknown."},
			{Name: "normalized", Type: TBand, Doc: "Band of score: Critical ≥ 9, High ≥ 7, Medium ≥ 4, Low > 0, None = 0. Compares by band order. Null when score is null."},
			{Name: "qualitative", Type: TBool, Doc: "True when the base is a qualitative label's band representative, not a CVSS score. Never null."},
			{Name: "record", Type: TString, Doc: "The record the base came from: the advisory id, another record of its alias group (\"GHSA-…\"), or \"NVD CVE-…\". Null when unknown."},
			{Name: "score", Type: TNumber, Doc: "The adjusted score, 0–10, 3 decimal places. Null when base is null (and no rule set one)."},
			{Name: "source", Type: TString, Doc: "What the base is: \"cvss_v4\", \"cvss_v3.1\", \"cvss_v3.0\", \"cvss_v2\" or \"qualitative\". Null when base is null."},
			{Name: "step", Type: TString, Doc: "The resolution step that found the base: \"advisory\", \"alias\", \"nvd\", \"qualitative\", or \"unknown\". Never null."},
			{Name: "unknown", Type: TBool, Doc: "True when no step found a base severity: no CVSS in the advisory, its alias group or NVD and no qualitative label. Never null."},
			{Name: "vector", Type: TString, Doc: "The CVSS vector base was computed from. Null when base is null or came from a label."},
		},
	},
	{
		Name: "signals",
		Doc:  "Exploit signals for the advisory, looked up by its id and then its aliases (first hit in that order).",
		Attrs: []Attr{
			{Name: "epss", Type: TNumber, Doc: "EPSS probability, 0–1. Null when no EPSS input is given or it has no score for the advisory."},
			{Name: "epss_percentile", Type: TNumber, Doc: "EPSS percentile, 0–1. Null as for epss."},
			{Name: "kev", Type: TBool, Doc: "True when the KEV catalog lists the advisory; false when a KEV catalog is an input and does not. Null when no KEV catalog is given."},
			{Name: "kev_date_added", Type: TTime, Doc: "When CISA added the advisory to KEV. Null when kev is not true."},
			{Name: "kev_due_date", Type: TTime, Doc: "The KEV remediation due date. Null when kev is not true or the entry has none."},
			{Name: "kev_ransomware", Type: TBool, Doc: "True when the KEV entry says \"Known\" ransomware campaign use, false otherwise. Null when kev is not true."},
		},
	},
	{
		Name: "vex",
		Doc: "The VEX statements that apply to the finding and are accepted (after any requireVex filter of an earlier rule). " +
			"The winning statement is vex.latest(): the accepted statement with the greatest timestamp, ties broken by the greater statement id.",
		Attrs: []Attr{
			{Name: "count", Type: TNumber, Doc: "Number of accepted statements. 0 when none; never null."},
			{Name: "justification", Type: TString, Doc: "Justification of the winning statement (OpenVEX vocabulary). Null when there is no statement or it gives none."},
			{Name: "status", Type: TString, Doc: "Status of the winning statement: affected, not_affected, fixed or under_investigation. Null when no statement is accepted."},
		},
	},
}

// Objects lists the structured values, in name order.
var Objects = []Object{
	{
		Name: "vex.statement",
		Doc:  "One normalized VEX statement, whatever format it came from.",
		Attrs: []Attr{
			{Name: "actionStatement", Type: TString, Doc: "The action statement. Null when absent."},
			{Name: "document", Type: TString, Doc: "Id or digest of the VEX document. Never null."},
			{Name: "format", Type: TString, Doc: "\"openvex\", \"cyclonedx\" or \"csaf\". Never null."},
			{Name: "impactStatement", Type: TString, Doc: "The impact statement. Null when absent."},
			{Name: "issuer", Type: TString, Doc: "Issuer (author or vendor) of the statement; what requireVex vendors match. Null when the document does not say."},
			{Name: "justification", Type: TString, Doc: "Justification in the OpenVEX vocabulary (see VEXJustifications). Null when absent."},
			{Name: "statementId", Type: TString, Doc: "The statement id, given or content-derived. Never null."},
			{Name: "status", Type: TString, Doc: "affected, not_affected, fixed or under_investigation. Never null."},
			{Name: "timestamp", Type: TTime, Doc: "When the statement was made. Null when neither statement nor document says."},
			{Name: "vulnerability", Type: TString, Doc: "The vulnerability id the statement names. Never null."},
		},
	},
}

// Functions lists every callable, built-ins first, then namespace methods,
// each group in name order.
var Functions = []Func{
	{
		Name: "age_days", Params: []Param{{Name: "t", Type: TTime}}, Min: 1, Result: TNumber,
		Doc: "Whole days from t to the evaluation time (run.timestamp), rounded down: age_days(advisory.published) > 30 is \"published more than 30 days ago\". Negative when t is later. Null for null or an unparsable time.",
	},
	{
		Name: "coalesce", Params: []Param{{Name: "value", Type: TAny}}, Min: 2, Variadic: true, Result: TAny, Unify: true,
		Doc: "The first argument that is not null, else null. Arguments after it are not evaluated.",
	},
	{
		Name: "cvss", Result: TNumber,
		Doc: "The CVSS base score (0–10) of the advisory's most specific vector (v4.0 > v3.1 > v3.0 > v2), before profile adjustments. Null when the advisory has no CVSS vector.",
	},
	{
		Name: "days_until", Params: []Param{{Name: "t", Type: TTime}}, Min: 1, Result: TNumber,
		Doc: "Whole days from the evaluation time to t, rounded down: days_until(kev.due_date) < 0 is \"past its due date\". Null for null or an unparsable time.",
	},
	{
		Name: "exists", Params: []Param{{Name: "value", Type: TAny}}, Min: 1, Result: TBool,
		Doc: "True when the argument is not null. Never null.",
	},
	{
		Name: "lowercase", Params: []Param{{Name: "s", Type: TString}}, Min: 1, Result: TString,
		Doc: "The string with Unicode simple lower-case mapping applied. Null for null.",
	},
	{
		Name: "normalize_cvss", Params: []Param{{Name: "x", Type: TAny}}, Min: 1, Result: TNumber,
		Doc: "A CVSS v2/v3.0/v3.1/v4.0 vector string → its base score; a number → itself clamped to [0, 10]; 3 decimal places. Null for null or an unparsable vector.",
	},
	{
		Name: "percent_of", Params: []Param{{Name: "part", Type: TNumber}, {Name: "whole", Type: TNumber}}, Min: 2, Result: TNumber,
		Doc: "part / whole × 100, decimal, rounded to 3 places. Null when either is null or whole is 0.",
	},
	{
		Name: "reach_state", Params: []Param{{Name: "state", Type: TString}}, Min: 1, Result: TString,
		Doc: "Normalizes a reachability state, given as a code (\"cu\") or a name (\"ConfirmedUnreachable\", case-insensitive), to its code (\"CU\"). Null for null or an unknown state.",
	},
	{
		Name: "risk_score", Result: TNumber,
		Doc: "The finding's risk score (profile risk@1, docs/dsl.md \"Risk score\"), 0–100: " +
			"100 × (0.5·severity.score/10 + 0.2·signals.epss + 0.2·[signals.kev] + 0.1·reach), where reach is 1 for CR, 0.9 RO, 0.7 SR, 0.6 X, " +
			"0.5 U or no fact, 0.3 RU, 0.2 SU, 0 CU; the weights can be set by `profile risk { cvss = … epss = … kev = … reachability = … }`. " +
			"0 when the VEX status is not_affected or fixed, clamped to [0, 100], 3 decimal places; a null kev or epss counts as 0. Null when severity.score is null.",
	},
	{
		Name: "severity_band", Params: []Param{{Name: "x", Type: TAny}}, Min: 1, Result: TBand,
		Doc: "A band name (case-insensitive) → that band; a number (0–10) → its band (Critical ≥ 9, High ≥ 7, Medium ≥ 4, Low > 0, None). Null for null or any other string.",
	},
	{
		Name: "advisory.has_tag", Params: []Param{{Name: "tag", Type: TString}}, Min: 1, Result: TBool,
		Doc: "True when advisory.tags contains tag (exact match); \"kev\" is present when the KEV signal lists the advisory. Never null (false for a null tag).",
	},
	{
		Name: "sbom.has_tag", Params: []Param{{Name: "tag", Type: TString}}, Min: 1, Result: TBool,
		Doc: "True when sbom.tags contains tag (exact match). Never null (false for a null tag).",
	},
	{
		Name: "vex.all", Params: []Param{{Name: "pred", Type: TBool, Scope: "vex.statement"}}, Min: 1, Result: TBool,
		Doc: "True when there is at least one accepted statement and pred is true for every one. False when there is none (no vacuous truth). Never null.",
	},
	{
		Name: "vex.any", Params: []Param{{Name: "pred", Type: TBool, Scope: "vex.statement"}}, Min: 1, Result: TBool,
		Doc: "True when pred is true for at least one accepted statement. False when there is none. Never null.",
	},
	{
		Name: "vex.latest", Result: TObject, ResultObject: "vex.statement",
		Doc: "The winning statement: the accepted statement with the greatest timestamp (statements without one sort first), ties broken by the greater statementId. Null when there is none.",
	},
}

// Settings lists the keys a settings block may hold, in name order. Values
// are literals of the given type.
var Settings = []Setting{
	{Name: "block_kev", Type: TBool, Doc: "When true, a finding whose signals.kev is true and whose verdict no rule decided is blocked. Default false."},
	{Name: "default_status", Type: TString, Doc: "The verdict of a finding no rule decided: passed, warned, blocked, quieted or ignored. Default passed."},
	{Name: "epss_threshold", Type: TNumber, Doc: "When set, a finding with signals.epss ≥ threshold whose verdict no rule decided is warned. 0–1."},
	{Name: "max_critical", Type: TNumber, Doc: "Gate: the run is blocked when more than this many findings of band Critical have verdict blocked or warned."},
	{Name: "max_feed_age_days", Type: TNumber, Doc: "Gate: the run is blocked when the newest advisory modified time among the inputs is more than this many whole days before the evaluation time, or when no advisory has one."},
	{Name: "max_high", Type: TNumber, Doc: "Gate: as max_critical, for band High."},
	{Name: "max_medium", Type: TNumber, Doc: "Gate: as max_critical, for band Medium."},
	{Name: "new_findings_only", Type: TBool, Doc: "Gate: with a baseline (simulate --baseline, --baseline-run, --baseline-snapshot or --baseline-sbom), only blocked findings the baseline did not block fail the run; blocked findings it also blocked only warn. Default false."},
	{Name: "score_threshold", Type: TNumber, Doc: "When set, a finding with severity.score ≥ threshold whose verdict no rule decided is blocked. 0–10."},
	{Name: "severity_profile", Type: TString, Doc: "Name of the profile whose maps and env blocks adjust severity. Default \"severity\"."},
	{Name: "shadow", Type: TBool, Doc: "When true, runs of this policy are shadow runs: findings are recorded but not enforced (the gate never fails). Default false."},
	{Name: "unchecked_budget", Type: TNumber, Doc: "Gate: the run is blocked when more than this many components could not be checked against any advisory: their ecosystem is covered by no feed or advisory of the inputs, they have no purl, or no version (docs/output.md \"Coverage\")."},
	{Name: "unknowns_budget", Type: TNumber, Doc: "Gate: the run is blocked when more than this many findings that are not quieted or ignored have an unknown severity (severity.unknown)."},
	{Name: "unknowns_budget_epss", Type: TNumber, Doc: "Gate: as unknowns_budget, for findings without an EPSS score."},
	{Name: "unknowns_budget_reachability", Type: TNumber, Doc: "Gate: as unknowns_budget, for findings whose reachability is unknown (no fact, or state U)."},
	{Name: "unknowns_budget_vex", Type: TNumber, Doc: "Gate: as unknowns_budget, for findings whose VEX status is unknown."},
}

// Verdicts are the values of a finding's verdict axis.
var Verdicts = []string{"passed", "warned", "blocked", "quieted", "ignored"}

// VEXStatuses are the values of a finding's vexStatus axis.
var VEXStatuses = []string{"affected", "fixed", "not_affected", "under_investigation", "unknown"}

// VEXJustifications are the OpenVEX justifications, the vocabulary every VEX
// reader maps to.
var VEXJustifications = []string{
	"component_not_present",
	"inline_mitigations_already_exist",
	"vulnerable_code_cannot_be_controlled_by_adversary",
	"vulnerable_code_not_in_execute_path",
	"vulnerable_code_not_present",
}

// ReachStates are the reachability lattice codes; ReachStateNames are their
// long names, index for index (reach_state accepts either).
var (
	ReachStates     = []string{"U", "SR", "SU", "RO", "RU", "CR", "CU", "X"}
	ReachStateNames = []string{"Unknown", "StaticallyReachable", "StaticallyUnreachable", "RuntimeObserved",
		"RuntimeUnobserved", "ConfirmedReachable", "ConfirmedUnreachable", "Contested"}
)

// ReachStateCode normalizes a reachability state given as a code or a long
// name, case-insensitively, to its code; ok is false for anything else. It is
// what reach_state() computes.
func ReachStateCode(s string) (code string, ok bool) {
	for i, c := range ReachStates {
		if strings.EqualFold(s, c) || strings.EqualFold(s, ReachStateNames[i]) {
			return c, true
		}
	}
	return "", false
}

// Bands are the severity bands in increasing order: cvss.Bands, which
// owns them, from the other end.
var Bands = func() []string {
	b := cvss.Bands()
	slices.Reverse(b)
	return b
}()

// BandRank returns the position of a band name in Bands, matching case
// insensitively, and whether it is a band.
func BandRank(s string) (int, bool) {
	_, worst, ok := cvss.ParseBand(s)
	if !ok {
		return 0, false
	}
	return len(Bands) - 1 - worst, true
}

// LookupNamespace returns the namespace called name.
func LookupNamespace(name string) (*Namespace, bool) {
	for i := range Namespaces {
		if Namespaces[i].Name == name {
			return &Namespaces[i], true
		}
	}
	return nil, false
}

// LookupObject returns the object called name.
func LookupObject(name string) (*Object, bool) {
	for i := range Objects {
		if Objects[i].Name == name {
			return &Objects[i], true
		}
	}
	return nil, false
}

// LookupFunc returns the function called name ("exists", "vex.any").
func LookupFunc(name string) (*Func, bool) {
	for i := range Functions {
		if Functions[i].Name == name {
			return &Functions[i], true
		}
	}
	return nil, false
}

// LookupSetting returns the setting called name.
func LookupSetting(name string) (*Setting, bool) {
	for i := range Settings {
		if Settings[i].Name == name {
			return &Settings[i], true
		}
	}
	return nil, false
}

// Attr returns the field called name of the namespace. For an open
// namespace every name is a field of OpenType.
func (ns *Namespace) Attr(name string) (Attr, bool) {
	if ns.Open {
		return Attr{Name: name, Type: ns.OpenType}, true
	}
	return findAttr(ns.Attrs, name)
}

// Attr returns the field called name of the object.
func (o *Object) Attr(name string) (Attr, bool) { return findAttr(o.Attrs, name) }

func findAttr(as []Attr, name string) (Attr, bool) {
	for _, a := range as {
		if a.Name == name {
			return a, true
		}
	}
	return Attr{}, false
}

// MaxArgs returns the most arguments f accepts, or -1 when unbounded.
func (f *Func) MaxArgs() int {
	if f.Variadic {
		return -1
	}
	return len(f.Params)
}

// Param returns the parameter the i-th argument binds to.
func (f *Func) Param(i int) Param {
	if i >= len(f.Params) {
		return f.Params[len(f.Params)-1] // variadic tail
	}
	return f.Params[i]
}
