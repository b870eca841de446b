// Package delta owns the comparison of a build against a baseline — an
// earlier run, snapshot or SBOM evaluated by the same policy: which
// components were added, removed or upgraded, and which findings are new,
// fixed, unchanged or changed their verdict, matched by a finding identity
// that survives version bumps (docs/output.md "Delta against a baseline").
//
// A delta is a pure function of the two results and their component
// inventories; nothing here reads the clock or the environment.
package delta

import (
	"cmp"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/model"
)

// SchemaVersion names the JSON shape of a Delta.
const SchemaVersion = "stella.delta@1"

// Finding change kinds.
const (
	New            = "new"             // only the candidate has it
	Fixed          = "fixed"           // only the baseline had it
	Unchanged      = "unchanged"       // both, with the same verdict
	VerdictChanged = "verdict_changed" // both, with another verdict
)

// Component is one package of an inventory: what the SBOMs list, once per
// ecosystem, name and version.
type Component struct {
	Ecosystem string `json:"ecosystem,omitempty"`
	Name      string `json:"name"`
	Version   string `json:"version,omitempty"`
	Purl      string `json:"purl,omitempty"`
}

// Upgrade is a component whose version changed (old → new).
type Upgrade struct {
	Ecosystem string `json:"ecosystem,omitempty"`
	Name      string `json:"name"`
	From      string `json:"from"`
	To        string `json:"to"`
}

// Baseline says what the candidate was compared with.
type Baseline struct {
	Kind       string `json:"kind"` // run, snapshot or sbom
	Ref        string `json:"ref"`  // the run id, snapshot id or SBOM file
	Policy     string `json:"policy"`
	PolicyDig  string `json:"policyDigest"`
	Verdict    string `json:"verdict"`
	InputsHash string `json:"inputsHash"`
	Evaluated  string `json:"evaluationTime"`
}

// Delta is a build compared with its baseline.
type Delta struct {
	SchemaVersion string     `json:"schemaVersion"`
	Baseline      Baseline   `json:"baseline"`
	Summary       Summary    `json:"summary"`
	Components    Components `json:"components"`
	Findings      []Change   `json:"findings"` // by kind (new, verdict_changed, fixed, unchanged), then identity
}

// Summary counts the delta.
type Summary struct {
	ComponentsAdded    int `json:"componentsAdded"`
	ComponentsRemoved  int `json:"componentsRemoved"`
	ComponentsUpgraded int `json:"componentsUpgraded"`
	New                int `json:"new"`
	Fixed              int `json:"fixed"`
	Unchanged          int `json:"unchanged"`
	VerdictChanged     int `json:"verdictChanged"`
	// NewBlocked counts findings blocked now and not blocked in the
	// baseline (new, or changed to blocked): what --fail-on new-blocked
	// fails on. NewWarned likewise for warned.
	NewBlocked int `json:"newBlocked"`
	NewWarned  int `json:"newWarned"`
	// GatesNewlyBlocking names the run-level gates that block now and did
	// not in the baseline (docs/dsl.md "Gates"), in the candidate's gate
	// order: --fail-on new-blocked fails on them as on newly blocked
	// findings. GatesNewlyWarning likewise for gates that warn now and
	// passed (or were absent) in the baseline.
	GatesNewlyBlocking []string `json:"gatesNewlyBlocking,omitempty"`
	GatesNewlyWarning  []string `json:"gatesNewlyWarning,omitempty"`
}

// Components lists the inventory changes, each sorted by ecosystem, name
// and version.
type Components struct {
	Added    []Component `json:"added"`
	Removed  []Component `json:"removed"`
	Upgraded []Upgrade   `json:"upgraded"`
}

// Change is one finding identity in the delta.
type Change struct {
	Kind       string   `json:"kind"`
	Ecosystem  string   `json:"ecosystem,omitempty"`
	Name       string   `json:"name"`
	AdvisoryID string   `json:"advisoryId"`
	Aliases    []string `json:"aliases,omitempty"`
	OldVersion string   `json:"oldVersion,omitempty"`
	NewVersion string   `json:"newVersion,omitempty"`
	OldVerdict string   `json:"oldVerdict,omitempty"`
	NewVerdict string   `json:"newVerdict,omitempty"`
	Severity   string   `json:"severity"` // the candidate's band, else the baseline's
	Rule       string   `json:"rule,omitempty"`
	FixedIn    []string `json:"fixedIn,omitempty"`
	FindingID  string   `json:"findingId,omitempty"`         // the candidate's finding
	BaselineID string   `json:"baselineFindingId,omitempty"` // the baseline's finding
}

// Inventory lists the components of inputs once per ecosystem, name and
// version, sorted.
func Inventory(in *model.Inputs) []Component {
	var out []Component
	for _, s := range in.SBOMs {
		for _, c := range s.Components {
			name := c.Package
			if name == "" {
				name = c.Name
			}
			out = append(out, Component{Ecosystem: c.Ecosystem, Name: name, Version: c.Version, Purl: c.Purl})
		}
	}
	slices.SortFunc(out, compareComponent)
	return slices.CompactFunc(out, func(a, b Component) bool {
		return a.Ecosystem == b.Ecosystem && a.Name == b.Name && a.Version == b.Version
	})
}

func compareComponent(a, b Component) int {
	return cmp.Or(strings.Compare(a.Ecosystem, b.Ecosystem), strings.Compare(a.Name, b.Name),
		strings.Compare(a.Version, b.Version), strings.Compare(a.Purl, b.Purl))
}

// Compare computes the delta of cand against base. Inventories may be nil
// when unknown (a run recorded before inventories were kept): the
// component lists are then empty.
func Compare(bl Baseline, base, cand *engine.Result, baseInv, candInv []Component) *Delta {
	d := &Delta{SchemaVersion: SchemaVersion, Baseline: bl, Findings: []Change{}}
	d.Baseline.Policy, d.Baseline.PolicyDig = base.Policy.ID, base.Policy.Digest
	d.Baseline.Verdict, d.Baseline.InputsHash, d.Baseline.Evaluated = base.Verdict, base.Inputs.InputsHash, base.EvaluationTime
	d.Components = compareInventories(baseInv, candInv)
	d.Summary.ComponentsAdded = len(d.Components.Added)
	d.Summary.ComponentsRemoved = len(d.Components.Removed)
	d.Summary.ComponentsUpgraded = len(d.Components.Upgraded)
	pairs := pair(base, cand)
	d.Summary.GatesNewlyBlocking, d.Summary.GatesNewlyWarning = newGates(base, cand, pairs)
	used := make([]bool, len(base.Findings))
	for _, i := range pairs {
		if i >= 0 {
			used[i] = true
		}
	}
	for j := range cand.Findings {
		c := &cand.Findings[j]
		ch := Change{Ecosystem: c.Ecosystem, Name: c.Name, AdvisoryID: c.AdvisoryID, Aliases: c.Aliases, NewVersion: c.Version,
			NewVerdict: c.Verdict, Severity: c.Severity.Band, Rule: c.Rule, FixedIn: c.FixedIn, FindingID: c.FindingID}
		if pairs[j] < 0 {
			ch.Kind = New
			d.Summary.New++
			d.countNew(c.Verdict, "")
		} else {
			b := &base.Findings[pairs[j]]
			ch.OldVersion, ch.OldVerdict, ch.BaselineID = b.Version, b.Verdict, b.FindingID
			if b.Verdict == c.Verdict {
				ch.Kind = Unchanged
				d.Summary.Unchanged++
			} else {
				ch.Kind = VerdictChanged
				d.Summary.VerdictChanged++
				d.countNew(c.Verdict, b.Verdict)
			}
		}
		d.Findings = append(d.Findings, ch)
	}
	for i := range base.Findings {
		if used[i] {
			continue
		}
		b := &base.Findings[i]
		d.Summary.Fixed++
		d.Findings = append(d.Findings, Change{Kind: Fixed, Ecosystem: b.Ecosystem, Name: b.Name, AdvisoryID: b.AdvisoryID,
			Aliases: b.Aliases, OldVersion: b.Version, NewVersion: currentVersion(candInv, b), OldVerdict: b.Verdict,
			Severity: b.Severity.Band, Rule: b.Rule, FixedIn: b.FixedIn, BaselineID: b.FindingID})
	}
	slices.SortStableFunc(d.Findings, func(a, b Change) int {
		return cmp.Or(cmp.Compare(kindRank[a.Kind], kindRank[b.Kind]), strings.Compare(a.Ecosystem, b.Ecosystem),
			strings.Compare(a.Name, b.Name), strings.Compare(a.AdvisoryID, b.AdvisoryID),
			strings.Compare(a.NewVersion, b.NewVersion), strings.Compare(a.OldVersion, b.OldVersion),
			strings.Compare(a.FindingID, b.FindingID), strings.Compare(a.BaselineID, b.BaselineID))
	})
	return d
}

var kindRank = map[string]int{New: 0, VerdictChanged: 1, Fixed: 2, Unchanged: 3}

// pair matches each finding of cand with a finding of base by identity
// (package and any id of the alias group), an exact purl first so that two
// instances of one package at two versions pair with their own: the index
// into base.Findings, or -1 when the finding is new.
func pair(base, cand *engine.Result) []int {
	// Baseline findings by identity key: one entry per id of the alias
	// group, so any shared id matches.
	used := make([]bool, len(base.Findings))
	byID := map[string][]int{}
	for i := range base.Findings {
		f := &base.Findings[i]
		for _, id := range group(f) {
			k := pkgKey(f) + "\x00" + id
			byID[k] = append(byID[k], i)
		}
	}
	match := func(f *engine.Finding, samePurl bool) int {
		for _, id := range group(f) {
			for _, i := range byID[pkgKey(f)+"\x00"+id] {
				if !used[i] && (!samePurl || base.Findings[i].Purl == f.Purl) {
					return i
				}
			}
		}
		return -1
	}
	pairs := make([]int, len(cand.Findings))
	for j := range cand.Findings {
		if pairs[j] = match(&cand.Findings[j], true); pairs[j] >= 0 {
			used[pairs[j]] = true
		}
	}
	for j := range cand.Findings {
		if pairs[j] < 0 {
			if pairs[j] = match(&cand.Findings[j], false); pairs[j] >= 0 {
				used[pairs[j]] = true
			}
		}
	}
	return pairs
}

// NewGates names the gates of cand that block and did not block in base,
// and those that warn and neither warned nor blocked in base, in cand's
// order; nil when there are none. A gate that blocked (warned) in base as
// well is new when what it counts grew: a finding counted against it now
// is new, or its baseline finding was not counted against it; for
// unchecked-budget, which counts components, more are unchecked than
// before (docs/runs.md "Labels and baselines").
func NewGates(base, cand *engine.Result) (block, warn []string) {
	return newGates(base, cand, pair(base, cand))
}

func newGates(base, cand *engine.Result, pairs []int) (block, warn []string) {
	before := map[string]*engine.Gate{}
	for i := range base.Gates {
		before[base.Gates[i].Name] = &base.Gates[i]
	}
	index := map[string]int{}
	for j := range cand.Findings {
		index[cand.Findings[j].FindingID] = j
	}
	grew := func(g *engine.Gate, b *engine.Gate) bool {
		if g.Name == engine.GateUnchecked {
			return g.Observed > b.Observed
		}
		counted := make(map[string]bool, len(b.Findings))
		for _, id := range b.Findings {
			counted[id] = true
		}
		for _, id := range g.Findings {
			j, ok := index[id]
			if !ok || pairs[j] < 0 || !counted[base.Findings[pairs[j]].FindingID] {
				return true
			}
		}
		return false
	}
	for i := range cand.Gates {
		g := &cand.Gates[i]
		b := before[g.Name]
		was := ""
		if b != nil {
			was = b.Outcome
		}
		switch {
		case g.Outcome == engine.GateBlock && (was != engine.GateBlock || grew(g, b)):
			block = append(block, g.Name)
		case g.Outcome == engine.GateWarn && (was != engine.GateWarn && was != engine.GateBlock || grew(g, b)):
			warn = append(warn, g.Name)
		}
	}
	return block, warn
}

func (d *Delta) countNew(now, before string) {
	switch {
	case now == engine.VerdictBlocked && before != engine.VerdictBlocked:
		d.Summary.NewBlocked++
	case now == engine.VerdictWarned && before != engine.VerdictWarned && before != engine.VerdictBlocked:
		d.Summary.NewWarned++
	}
}

// pkgKey is the package half of a finding's identity.
func pkgKey(f *engine.Finding) string { return f.Ecosystem + "\x00" + f.Name }

// group is a finding's advisory alias group: its advisory id and aliases.
func group(f *engine.Finding) []string {
	return append([]string{f.AdvisoryID}, f.Aliases...)
}

// currentVersion is the version of a fixed finding's package in the
// candidate inventory when it is still there (upgraded out of the range),
// else "" (removed).
func currentVersion(inv []Component, f *engine.Finding) string {
	var vs []string
	for _, c := range inv {
		if c.Ecosystem == f.Ecosystem && c.Name == f.Name {
			vs = append(vs, c.Version)
		}
	}
	return strings.Join(vs, ", ")
}

// compareInventories pairs the versions of each package that only one side
// has: as many upgrades (old → new, in version order) as both sides have,
// the rest added or removed.
func compareInventories(base, cand []Component) Components {
	out := Components{Added: []Component{}, Removed: []Component{}, Upgraded: []Upgrade{}}
	if base == nil || cand == nil {
		return out
	}
	type pkg struct{ eco, name string }
	only := func(a, b []Component) map[pkg][]Component {
		in := map[pkg]map[string]bool{}
		for _, c := range b {
			k := pkg{c.Ecosystem, c.Name}
			if in[k] == nil {
				in[k] = map[string]bool{}
			}
			in[k][c.Version] = true
		}
		m := map[pkg][]Component{}
		for _, c := range a {
			if k := (pkg{c.Ecosystem, c.Name}); !in[k][c.Version] {
				m[k] = append(m[k], c)
			}
		}
		return m
	}
	gone, came := only(base, cand), only(cand, base)
	for k, olds := range gone {
		news := came[k]
		n := min(len(olds), len(news))
		for i := range n {
			out.Upgraded = append(out.Upgraded, Upgrade{Ecosystem: k.eco, Name: k.name, From: olds[i].Version, To: news[i].Version})
		}
		out.Removed = append(out.Removed, olds[n:]...)
		came[k] = news[n:]
	}
	for _, news := range came {
		out.Added = append(out.Added, news...)
	}
	slices.SortFunc(out.Added, compareComponent)
	slices.SortFunc(out.Removed, compareComponent)
	slices.SortFunc(out.Upgraded, func(a, b Upgrade) int {
		return cmp.Or(strings.Compare(a.Ecosystem, b.Ecosystem), strings.Compare(a.Name, b.Name), strings.Compare(a.From, b.From))
	})
	return out
}
