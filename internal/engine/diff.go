package engine

import (
	"cmp"
	"slices"
	"strings"
)

// DiffSchemaVersion names the JSON shape of a Diff (docs/output.md).
const DiffSchemaVersion = "stella.diff@1"

// Change kinds.
const (
	ChangeAdded   = "added"   // only the candidate has the finding
	ChangeRemoved = "removed" // only the baseline has it
	ChangeChanged = "changed" // both have it with another verdict, VEX status or severity band
)

// Diff compares the results of two policies (a baseline and a candidate),
// normally over the same inputs.
type Diff struct {
	SchemaVersion string       `json:"schemaVersion"`
	Baseline      DiffSide     `json:"baseline"`
	Candidate     DiffSide     `json:"candidate"`
	SameInputs    bool         `json:"sameInputs"`
	Summary       DiffSummary  `json:"summary"`
	Changes       []Change     `json:"changes"` // sorted by findingId
	Rules         []RuleImpact `json:"rules"`   // sorted by rule name
}

// DiffSide identifies one of the compared results.
type DiffSide struct {
	Policy     PolicyRef     `json:"policy"`
	InputsHash string        `json:"inputsHash"`
	Verdict    string        `json:"verdict"`
	ByVerdict  VerdictCounts `json:"byVerdict"`
	Digest     string        `json:"resultDigest"`
}

// DiffSummary counts the changes.
type DiffSummary struct {
	Added     int `json:"added"`
	Removed   int `json:"removed"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
	// NewBlocked counts findings the candidate blocks and the baseline did
	// not (absent, or another verdict): what --fail-on new-blocked fails on.
	NewBlocked     int             `json:"newBlocked"`
	Unblocked      int             `json:"unblocked"`
	SeverityShifts []SeverityShift `json:"severityShifts"` // sorted by from, then to
}

// SeverityShift counts findings whose band moved from one band to another.
type SeverityShift struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Count int    `json:"count"`
}

// Change is one finding that differs.
type Change struct {
	FindingID    string `json:"findingId"`
	Kind         string `json:"kind"`
	Purl         string `json:"purl"`
	AdvisoryID   string `json:"advisoryId"`
	OldVerdict   string `json:"oldVerdict,omitempty"`
	NewVerdict   string `json:"newVerdict,omitempty"`
	OldVEXStatus string `json:"oldVexStatus,omitempty"`
	NewVEXStatus string `json:"newVexStatus,omitempty"`
	OldSeverity  string `json:"oldSeverity,omitempty"`
	NewSeverity  string `json:"newSeverity,omitempty"`
	OldRule      string `json:"oldRule,omitempty"`
	NewRule      string `json:"newRule,omitempty"`
}

// RuleImpact says what a rule does in each policy and how the changes
// relate to it: Gained counts changed findings the rule decides in the
// candidate but not in the baseline, Lost the reverse.
type RuleImpact struct {
	Rule             string `json:"rule"`
	BaselineMatched  int    `json:"baselineMatched"`
	BaselineDecided  int    `json:"baselineDecided"`
	CandidateMatched int    `json:"candidateMatched"`
	CandidateDecided int    `json:"candidateDecided"`
	Gained           int    `json:"gained"`
	Lost             int    `json:"lost"`
	InBaseline       bool   `json:"inBaseline"`
	InCandidate      bool   `json:"inCandidate"`
}

// Compare diffs two results finding by finding (by findingId).
func Compare(base, cand *Result) *Diff {
	d := &Diff{SchemaVersion: DiffSchemaVersion, Baseline: side(base), Candidate: side(cand),
		SameInputs: base.Inputs.InputsHash == cand.Inputs.InputsHash, Changes: []Change{}}
	shifts := map[[2]string]int{}
	gained, lost := map[string]int{}, map[string]int{}
	i, j := 0, 0
	for i < len(base.Findings) || j < len(cand.Findings) {
		var b, c *Finding
		switch {
		case j >= len(cand.Findings) || i < len(base.Findings) && base.Findings[i].FindingID < cand.Findings[j].FindingID:
			b = &base.Findings[i]
			i++
		case i >= len(base.Findings) || cand.Findings[j].FindingID < base.Findings[i].FindingID:
			c = &cand.Findings[j]
			j++
		default:
			b, c = &base.Findings[i], &cand.Findings[j]
			i++
			j++
		}
		switch {
		case b == nil:
			d.Summary.Added++
			if c.Verdict == VerdictBlocked {
				d.Summary.NewBlocked++
			}
			d.Changes = append(d.Changes, Change{FindingID: c.FindingID, Kind: ChangeAdded, Purl: c.Purl, AdvisoryID: c.AdvisoryID,
				NewVerdict: c.Verdict, NewVEXStatus: c.VEXStatus, NewSeverity: c.Severity.Band, NewRule: c.Rule})
		case c == nil:
			d.Summary.Removed++
			if b.Verdict == VerdictBlocked {
				d.Summary.Unblocked++
			}
			d.Changes = append(d.Changes, Change{FindingID: b.FindingID, Kind: ChangeRemoved, Purl: b.Purl, AdvisoryID: b.AdvisoryID,
				OldVerdict: b.Verdict, OldVEXStatus: b.VEXStatus, OldSeverity: b.Severity.Band, OldRule: b.Rule})
		case b.Verdict == c.Verdict && b.VEXStatus == c.VEXStatus && b.Severity.Band == c.Severity.Band:
			d.Summary.Unchanged++
		default:
			d.Summary.Changed++
			switch {
			case c.Verdict == VerdictBlocked && b.Verdict != VerdictBlocked:
				d.Summary.NewBlocked++
			case b.Verdict == VerdictBlocked && c.Verdict != VerdictBlocked:
				d.Summary.Unblocked++
			}
			if b.Severity.Band != c.Severity.Band {
				shifts[[2]string{b.Severity.Band, c.Severity.Band}]++
			}
			if b.Rule != c.Rule {
				if c.Rule != "" {
					gained[c.Rule]++
				}
				if b.Rule != "" {
					lost[b.Rule]++
				}
			}
			d.Changes = append(d.Changes, Change{FindingID: c.FindingID, Kind: ChangeChanged, Purl: c.Purl, AdvisoryID: c.AdvisoryID,
				OldVerdict: b.Verdict, NewVerdict: c.Verdict, OldVEXStatus: b.VEXStatus, NewVEXStatus: c.VEXStatus,
				OldSeverity: b.Severity.Band, NewSeverity: c.Severity.Band, OldRule: b.Rule, NewRule: c.Rule})
		}
	}
	d.Summary.SeverityShifts = []SeverityShift{}
	for k, n := range shifts {
		d.Summary.SeverityShifts = append(d.Summary.SeverityShifts, SeverityShift{From: k[0], To: k[1], Count: n})
	}
	slices.SortFunc(d.Summary.SeverityShifts, func(a, b SeverityShift) int {
		return cmp.Or(strings.Compare(a.From, b.From), strings.Compare(a.To, b.To))
	})
	d.Rules = ruleImpact(base, cand, gained, lost)
	return d
}

func side(r *Result) DiffSide {
	return DiffSide{Policy: r.Policy, InputsHash: r.Inputs.InputsHash, Verdict: r.Verdict, ByVerdict: r.Summary.ByVerdict, Digest: r.Digests.Result}
}

func ruleImpact(base, cand *Result, gained, lost map[string]int) []RuleImpact {
	byName := map[string]*RuleImpact{}
	var names []string
	get := func(n string) *RuleImpact {
		if r, ok := byName[n]; ok {
			return r
		}
		r := &RuleImpact{Rule: n}
		byName[n] = r
		names = append(names, n)
		return r
	}
	for _, st := range base.Summary.Rules {
		r := get(st.Rule)
		r.InBaseline, r.BaselineMatched, r.BaselineDecided = true, st.Matched, st.Decided
	}
	for _, st := range cand.Summary.Rules {
		r := get(st.Rule)
		r.InCandidate, r.CandidateMatched, r.CandidateDecided = true, st.Matched, st.Decided
	}
	// Settings (settings.block_kev, …) decide findings too.
	for n := range gained {
		get(n)
	}
	for n := range lost {
		get(n)
	}
	slices.Sort(names)
	out := make([]RuleImpact, len(names))
	for i, n := range names {
		r := byName[n]
		r.Gained, r.Lost = gained[n], lost[n]
		out[i] = *r
	}
	return out
}
