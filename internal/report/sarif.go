package report

import (
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/buildinfo"
	"github.com/stella-policy/stella/internal/delta"
	"github.com/stella-policy/stella/internal/engine"
)

// SARIF 2.1.0, hand-written: only the members stella fills, so the output
// stays small and every member is deterministic.

const sarifSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// InformationURI is where stella is documented: SARIF's
// tool.driver.informationUri.
const InformationURI = "https://github.com/stella-policy/stella"

// sarifBaseID names the --sarif-base directory in artifact locations.
const sarifBaseID = "SRCROOT"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool            `json:"tool"`
	OriginalURIBases  map[string]sarifBase `json:"originalUriBaseIds,omitempty"`
	AutomationDetails *sarifAutomation     `json:"automationDetails,omitempty"`
	Results           []sarifResult        `json:"results"`
	Invocations       []sarifInvocation    `json:"invocations,omitempty"`
	Properties        map[string]any       `json:"properties,omitempty"`
}

// sarifInvocation carries the result's warnings as tool execution
// notifications: what the inputs did not let stella check.
type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
}

// sarifBase describes a uriBaseId; its uri is left out so the log does
// not depend on where it was made (code-scanning tools resolve it to the
// repository root).
type sarifBase struct {
	Description sarifText `json:"description"`
}

type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name,omitempty"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      *sarifText     `json:"fullDescription,omitempty"`
	Help                 *sarifText     `json:"help,omitempty"`
	HelpURI              string         `json:"helpUri,omitempty"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           sarifRuleProps `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	SecuritySeverity string   `json:"security-severity,omitempty"`
	Tags             []string `json:"tags"`
	Aliases          []string `json:"aliases,omitempty"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Suppressions        []sarifSuppress   `json:"suppressions,omitempty"`
	BaselineState       string            `json:"baselineState,omitempty"` // with a delta: new, unchanged or updated
	Properties          sarifResultProps  `json:"properties"`
}

// baselineStates maps a delta's change kinds to SARIF's baselineState
// (docs/output.md "SARIF"): a finding whose verdict changed is "updated".
var baselineStates = map[string]string{delta.New: "new", delta.Unchanged: "unchanged", delta.VerdictChanged: "updated"}

type sarifSuppress struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
}

type sarifResultProps struct {
	FindingID string   `json:"findingId"`
	Verdict   string   `json:"verdict"`
	VEXStatus string   `json:"vexStatus"`
	Severity  string   `json:"severity"`
	Rule      string   `json:"rule,omitempty"`
	ExplainID string   `json:"explainId,omitempty"`
	FixedIn   []string `json:"fixedIn,omitempty"`
	// Gates names the run-level gates that did not pass and count this
	// finding ("unknowns-budget: block"): what made a passed finding an
	// error.
	Gates []string `json:"gates,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// gateLevel is the SARIF level of a gate outcome that did not pass.
func gateLevel(outcome string) string {
	if outcome == engine.GateBlock {
		return "error"
	}
	return "warning"
}

var levelRank = map[string]int{"note": 0, "warning": 1, "error": 2}

// sarifLevel maps a verdict to a result level: blocked is an error, warned
// a warning, everything else a note (quieted and ignored findings are also
// marked suppressed, passed ones carry their VEX status).
func sarifLevel(v string) string {
	switch v {
	case engine.VerdictBlocked:
		return "error"
	case engine.VerdictWarned:
		return "warning"
	}
	return "note"
}

// knownBlocks returns, for a blocked finding the run's gate does not fail
// on because the baseline blocked it too, why (else ""): under --fail-on
// new-blocked|new-warned with a delta, one the delta finds unchanged;
// otherwise, under settings new_findings_only, one its gate does not list
// (docs/dsl.md "Gates"). blocking tells whether a run-level gate that
// blocks fails the run: under --fail-on new-* only if it blocks newly.
func knownBlocks(r *engine.Result, o Options) (why func(f *engine.Finding) string, blocking func(gate string) bool) {
	blocking = func(string) bool { return true }
	if strings.HasPrefix(o.FailOn, "new-") && o.Delta != nil {
		known := map[string]bool{}
		for _, c := range o.Delta.Findings {
			if c.Kind == delta.Unchanged && c.NewVerdict == engine.VerdictBlocked {
				known[c.FindingID] = true
			}
		}
		newly := o.Delta.Summary.GatesNewlyBlocking
		blocking = func(g string) bool { return slices.Contains(newly, g) }
		return func(f *engine.Finding) string {
			if f.Verdict == engine.VerdictBlocked && known[f.FindingID] {
				return "--fail-on " + o.FailOn
			}
			return ""
		}, blocking
	}
	if known, ok := r.BaselineBlocked(); ok {
		return func(f *engine.Finding) string {
			if known[f.FindingID] {
				return "new_findings_only"
			}
			return ""
		}, blocking
	}
	return func(*engine.Finding) string { return "" }, blocking
}

// SARIF writes the result as a SARIF 2.1.0 log with one run: a rule per
// advisory (with its security-severity, the highest severity score among
// its findings), a result per finding located at the component in its SBOM,
// with the finding id as a stable partial fingerprint.
func SARIF(w io.Writer, r *engine.Result, o Options) error {
	log := sarifLog{Schema: sarifSchema, Version: "2.1.0"}
	run := sarifRun{
		Tool:              sarifTool{Driver: sarifDriver{Name: "stella", Version: buildinfo.Version, InformationURI: InformationURI, Rules: []sarifRule{}}},
		AutomationDetails: &sarifAutomation{ID: "stella/" + r.Policy.ID + "/"},
		Results:           []sarifResult{},
		Properties: map[string]any{
			"policyId": r.Policy.ID, "policyDigest": r.Policy.Digest, "verdict": r.Verdict,
			"evaluationTime": r.EvaluationTime, "inputsHash": r.Inputs.InputsHash, "resultDigest": r.Digests.Result,
			"bySeverity": r.Summary.BySeverity, "unknownSeverity": r.Summary.BySeverity.Unknown,
			"unchecked": r.Summary.Unchecked, "uncheckedByEcosystem": r.Summary.UncheckedByEcosystem,
			"shadow": r.Shadow,
		},
	}
	// One rule per advisory, in advisory id order.
	index := map[string]int{}
	var ids []string
	worst := map[string]*engine.Finding{}
	for i := range r.Findings {
		f := &r.Findings[i]
		if _, ok := worst[f.AdvisoryID]; !ok {
			ids = append(ids, f.AdvisoryID)
			worst[f.AdvisoryID] = f
		} else if cmpScore(f, worst[f.AdvisoryID]) > 0 {
			worst[f.AdvisoryID] = f
		}
	}
	slices.Sort(ids)
	for i, id := range ids {
		f := worst[id]
		index[id] = i
		rule := sarifRule{
			ID:                   id,
			ShortDescription:     sarifText{Text: cmpOr(f.Summary, id)},
			DefaultConfiguration: sarifConfig{Level: "warning"},
			Properties:           sarifRuleProps{Tags: []string{"security", "vulnerability"}, Aliases: f.Aliases},
		}
		if f.Severity.Score != nil {
			rule.Properties.SecuritySeverity = f.Severity.Score.String()
		}
		help := id + " (" + f.Source + ")"
		if len(f.Aliases) > 0 {
			help += ", also " + strings.Join(f.Aliases, ", ")
		}
		rule.Help = &sarifText{Text: help}
		if o.HelpURI != nil {
			rule.HelpURI = o.HelpURI(id)
		}
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, rule)
	}
	state := map[string]string{} // finding id → baselineState, with a delta
	if o.Delta != nil {
		for _, c := range o.Delta.Findings {
			if c.FindingID != "" {
				state[c.FindingID] = baselineStates[c.Kind]
			}
		}
	}
	// A gate that does not pass counts findings (unknowns-budget,
	// max-critical, …): those results take the gate's level, so a log whose
	// run is blocked only by a gate shows what blocked it; a gate that
	// counts no finding (feed-age, unchecked-budget) is a notification.
	// A blocked finding (or blocking gate) the baseline blocked too, which
	// the gate does not fail on (new_findings_only, --fail-on new-blocked),
	// is a warning: what JUnit shows as passing with its reason.
	known, blocking := knownBlocks(r, o)
	gated := map[string][]string{}
	gatedLevel := map[string]string{} // the highest level of the gates counting a finding
	var notes []sarifNotification
	for _, g := range r.Gates {
		if g.Outcome == engine.GatePass {
			continue
		}
		lvl := gateLevel(g.Outcome)
		if r.Shadow || !blocking(g.Name) {
			lvl = "warning" // a shadow run's gate never fails, nor one the baseline blocked on too
		}
		for _, id := range g.Findings {
			gated[id] = append(gated[id], g.Name+": "+g.Outcome)
			if levelRank[lvl] > levelRank[gatedLevel[id]] {
				gatedLevel[id] = lvl
			}
		}
		if len(g.Findings) == 0 {
			notes = append(notes, sarifNotification{Level: lvl, Message: sarifText{Text: "gate " + g.Name + " " + g.Outcome + ": " + g.Message}})
		}
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		msg := f.AdvisoryID + " in " + pkgText(f) + ": " + f.Verdict
		if f.Rule != "" {
			msg += " by rule " + f.Rule
		}
		msg += " (severity " + f.Severity.Band
		if f.Severity.Score != nil {
			msg += " " + f.Severity.Score.String()
		}
		msg += ", VEX " + f.VEXStatus + ")"
		if len(f.FixedIn) > 0 {
			msg += "; fixed in " + strings.Join(f.FixedIn, ", ")
		}
		level := sarifLevel(f.Verdict)
		if by := known(f); by != "" {
			msg += "; the baseline blocked it too (" + by + "): it does not fail the run"
			level = "warning"
		}
		if gs := gated[f.FindingID]; len(gs) > 0 {
			msg += "; counted by gate " + strings.Join(gs, ", ")
			if l := gatedLevel[f.FindingID]; levelRank[l] > levelRank[level] {
				level = l
			}
		}
		if !f.Enforced {
			// Shadow (or an auditing member of a set): recorded, not
			// enforced, so never an error a code-scanning check fails on.
			msg += "; shadow: not enforced"
			if levelRank[level] > levelRank["warning"] {
				level = "warning"
			}
		}
		uri, line := f.Component.SBOM, 0
		if o.Locate != nil {
			uri, line = o.Locate(f)
		}
		art := sarifArtifact{URI: uri}
		if o.SARIFBase != "" {
			if rel, ok := relativeURI(o.SARIFBase, uri); ok {
				art = sarifArtifact{URI: rel, URIBaseID: sarifBaseID}
				run.OriginalURIBases = map[string]sarifBase{sarifBaseID: {Description: sarifText{Text: "the repository root (--sarif-base)"}}}
			}
		}
		loc := sarifLocation{
			PhysicalLocation: sarifPhysical{ArtifactLocation: art},
			LogicalLocations: []sarifLogical{{Name: pkgText(f), FullyQualifiedName: f.Purl, Kind: "package"}},
		}
		if line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: line}
		}
		res := sarifResult{
			RuleID: f.AdvisoryID, RuleIndex: index[f.AdvisoryID], Level: level,
			Message:             sarifText{Text: msg},
			Locations:           []sarifLocation{loc},
			PartialFingerprints: map[string]string{"stellaFinding/v1": f.FindingID},
			BaselineState:       state[f.FindingID],
			Properties: sarifResultProps{FindingID: f.FindingID, Verdict: f.Verdict, VEXStatus: f.VEXStatus,
				Severity: f.Severity.Band, Rule: f.Rule, ExplainID: f.ExplainID, FixedIn: f.FixedIn, Gates: gated[f.FindingID]},
		}
		if f.Verdict == engine.VerdictQuieted || f.Verdict == engine.VerdictIgnored {
			why := "quieted by policy"
			if f.Exception != nil {
				why = "exception " + f.Exception.ID + " (" + f.Exception.Effect + ") until " + f.Exception.Expires
			} else if f.Rule != "" {
				why = "rule " + f.Rule
			}
			res.Suppressions = []sarifSuppress{{Kind: "external", Status: "accepted", Justification: why}}
		}
		run.Results = append(run.Results, res)
	}
	if ws := resultWarnings(r); len(ws)+len(notes) > 0 {
		inv := sarifInvocation{ExecutionSuccessful: true, Notifications: notes}
		for _, wn := range ws {
			inv.Notifications = append(inv.Notifications, sarifNotification{Level: "warning", Message: sarifText{Text: wn}})
		}
		run.Invocations = []sarifInvocation{inv}
	}
	log.Runs = []sarifRun{run}
	return JSON(w, log)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// relativeURI is path as a URI reference relative to base (both file
// paths), when path lies inside base.
func relativeURI(base, path string) (string, bool) {
	ab, err1 := filepath.Abs(base)
	ap, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return "", false
	}
	rel, err := filepath.Rel(ab, ap)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return (&url.URL{Path: filepath.ToSlash(rel)}).String(), true
}
