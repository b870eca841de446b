package match

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/purl"
	"github.com/stella-policy/stella/internal/text"
	"github.com/stella-policy/stella/internal/version"
)

// Options tunes a join.
type Options struct {
	// MaxProblems caps how many advisory ranges that could not be evaluated
	// are listed one by one in Result.Warnings; the rest are counted.
	// 0 means 20; a negative value lists none.
	MaxProblems int
	// At is the evaluation time: a withdrawal dated more than
	// model.FutureSkew after it has not happened yet, so the record still
	// matches (and a warning says so). Zero: every withdrawal counts.
	At time.Time
}

// entry locates one affected entry: Inputs.Advisories[adv].Affected[aff].
type entry struct{ adv, aff int }

// joiner holds the state of one join.
type joiner struct {
	in       *model.Inputs
	opts     Options
	index    map[key][]entry
	fold     map[string][]entry // Go entries by lowercased module path (CaseInsensitive)
	byID     map[string]int     // advisory id → index, withdrawn ones left out
	groups   *groups
	git      map[entry]int // GIT ranges per evaluated affected entry
	problems map[string]bool
	noVer    map[string]bool // components without a version that advisories name
	badVer   map[string]bool // components with an invalid version in no range
	versions *version.Cache
}

// Join matches every component of in's SBOMs with the advisories that affect
// it and attaches the VEX statements. The rules (docs/conformance.md):
//
//   - an advisory affects a component when one of its affected entries names
//     the component's OSV ecosystem (purl.EcosystemCovers) and package
//     (purl.NormalizeName) and includes its version (version.Evaluate:
//     SEMVER/ECOSYSTEM ranges and versions lists; GIT ranges are counted and
//     ignored); withdrawn advisories are skipped and counted;
//   - components without an ecosystem or package get them from their purl
//     (the Pair then points at a filled copy, never at the input);
//   - a Go module path that is all lowercase may have been lowercased by
//     the SBOM generator (Go paths are case-sensitive; the SBOM readers
//     already take the original case from the package name when the SBOM
//     gives it): it also matches entries whose path differs only in case,
//     and a Pair found only that way is marked CaseInsensitive;
//   - advisories that share an id or alias are one vulnerability: a
//     component gets one Pair per such group, whose primary record is the
//     matched record with a CVSS vector, else any matched record, the
//     smallest id first; Aliases lists every other id of the group;
//   - VEX statements attach per attachVEX; those that attach to nothing are
//     reported in Result.Unmatched with the reason.
//
// Pairs are sorted by component purl, advisory id, component ref and SBOM;
// Unmatched by statement id; Warnings alphabetically. in is not modified.
func Join(in *model.Inputs, opts Options) (*Result, error) {
	if in == nil {
		return nil, fmt.Errorf("match: no inputs")
	}
	if opts.MaxProblems == 0 {
		opts.MaxProblems = 20
	}
	j := &joiner{
		in:       in,
		opts:     opts,
		index:    make(map[key][]entry, len(in.Advisories)),
		fold:     map[string][]entry{},
		byID:     make(map[string]int, len(in.Advisories)),
		git:      map[entry]int{},
		problems: map[string]bool{},
		noVer:    map[string]bool{},
		badVer:   map[string]bool{},
		versions: version.NewCache(),
	}
	withdrawn, notYet, err := j.build()
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for s := range in.SBOMs {
		sb := &in.SBOMs[s]
		for c := range sb.Components {
			res.Pairs = j.matchComponent(&sb.Components[c], res.Pairs)
		}
	}
	slices.SortFunc(res.Pairs, comparePairs)
	res.Unmatched = attachVEX(in, res.Pairs)
	res.Notices = otherBOMWarnings(res.Unmatched)
	res.Warnings = append(j.warnings(withdrawn, notYet), res.Notices...)
	slices.Sort(res.Warnings)
	res.NoVersion, res.InvalidVersion = j.noVer, j.badVer
	return res, nil
}

func comparePairs(a, b Pair) int {
	return cmp.Or(
		strings.Compare(a.Component.Purl, b.Component.Purl),
		strings.Compare(a.Advisory.ID, b.Advisory.ID),
		strings.Compare(a.Component.Ref, b.Component.Ref),
		strings.Compare(a.Component.SBOM, b.Component.SBOM),
	)
}

// key is the (base ecosystem, normalized package name) an affected entry is
// indexed under and a component is looked up by.
type key struct{ ecosystem, name string }

func indexKey(ecosystem, name string) key {
	return key{purl.Base(ecosystem), purl.NormalizeName(ecosystem, name)}
}

// build indexes the affected entries of the advisories that are not
// withdrawn and groups advisories by shared ids; it returns how many
// advisories were withdrawn, and the ids of those whose withdrawal is dated
// after the evaluation time (Options.At), which are not withdrawn yet. A
// withdrawal that is not a timestamp is an error (docs/inputs.md
// "Advisories (OSV)"): stella's readers refuse it, so only a snapshot
// written by another tool holds one, and neither reading — withdrawn (a
// vulnerability hidden) nor not — is safe to guess.
func (j *joiner) build() (withdrawn int, notYet []string, err error) {
	j.groups = newGroups(2 * len(j.in.Advisories))
	var bad []string
	for a := range j.in.Advisories {
		adv := &j.in.Advisories[a]
		if adv.Withdrawn != "" {
			t, ok := model.ParseTime(adv.Withdrawn)
			switch {
			case !ok:
				bad = append(bad, fmt.Sprintf("%s (withdrawn %q)", adv.ID, adv.Withdrawn))
				continue
			case !model.Future(t, j.opts.At):
				withdrawn++
				continue
			}
			notYet = append(notYet, adv.ID)
		}
		j.groups.add(adv.ID, adv.Aliases)
		j.byID[adv.ID] = a
		for f := range adv.Affected {
			aff := &adv.Affected[f]
			eco, name := aff.Ecosystem, aff.Name
			if (eco == "" || name == "") && aff.Purl != "" {
				if p, err := purl.Parse(aff.Purl); err == nil {
					eco, name, _ = purl.OSV(p)
				}
			}
			if eco == "" || name == "" {
				continue
			}
			k := indexKey(eco, name)
			j.index[k] = append(j.index[k], entry{a, f})
			if k.ecosystem == purl.Go && k.name != strings.ToLower(k.name) {
				l := strings.ToLower(k.name)
				j.fold[l] = append(j.fold[l], entry{a, f})
			}
		}
	}
	if len(bad) > 0 {
		return 0, nil, fail.New(fail.Invalid, "advisories: a withdrawal that is not a timestamp (RFC 3339): %s — was the snapshot written by another tool? fix the records or freeze them anew with stella",
			strings.Join(text.First(bad, 10), ", "))
	}
	return withdrawn, notYet, nil
}

// Target returns the OSV ecosystem and package name a component is matched
// under: its own, or those of its purl when it lacks them ("" when it has
// neither). An advisory store uses it to read only the records a join can
// match.
func Target(c *model.Component) (ecosystem, name string) {
	_, ecosystem, name, _ = identity(c)
	return ecosystem, name
}

// CaseInsensitive reports whether a component of this OSV ecosystem and
// package is also matched against advisory entries whose package differs
// only in case: a Go module path that is all lowercase, as some SBOM
// generators write every purl (docs/conformance.md "Go module paths").
// An advisory store uses it to read the same candidates as Join.
func CaseInsensitive(ecosystem, name string) bool {
	return purl.Base(ecosystem) == purl.Go && name == strings.ToLower(name)
}

// identity returns the component to report, its OSV ecosystem and package
// and the version to compare, filling what is missing from the purl.
func identity(c *model.Component) (*model.Component, string, string, string) {
	if (c.Ecosystem == "" || c.Package == "" || c.Version == "") && c.Purl != "" {
		if p, err := purl.Parse(c.Purl); err == nil {
			filled := *c
			if eco, name, ok := purl.OSV(p); ok && (c.Ecosystem == "" || c.Package == "") {
				filled.Ecosystem, filled.Package = eco, name
			}
			if filled.Version == "" {
				filled.Version = purl.Version(p)
			}
			c = &filled
		}
	}
	ver := c.Version
	// The Go toolchain's own versions are "go1.21.3" in SBOMs, "1.21.3" in OSV.
	if purl.Base(c.Ecosystem) == purl.Go && (c.Package == "stdlib" || c.Package == "toolchain") {
		ver = strings.TrimPrefix(ver, "go")
	}
	return c, c.Ecosystem, c.Package, ver
}

// hit is one matched advisory record of a component.
type hit struct {
	adv  int
	rng  string
	fold bool // matched only through a path that differs in case
}

func (j *joiner) matchComponent(orig *model.Component, pairs []Pair) []Pair {
	c, eco, pkg, ver := identity(orig)
	if eco == "" || pkg == "" {
		return pairs
	}
	cands := j.index[indexKey(eco, pkg)]
	exact := len(cands)
	if CaseInsensitive(eco, pkg) {
		if more := j.fold[pkg]; len(more) > 0 {
			cands = append(slices.Clip(cands), more...)
		}
	}
	if len(cands) == 0 {
		return pairs
	}
	if ver == "" {
		// Advisories name the package but there is no version to compare:
		// say so rather than pass it silently (docs/conformance.md).
		j.noVer[NoVersionKey(orig)] = true
		return pairs
	}
	var hits []hit
	for i, e := range cands {
		if slices.ContainsFunc(hits, func(h hit) bool { return h.adv == e.adv }) {
			continue // this record already matched through an earlier entry
		}
		adv := &j.in.Advisories[e.adv]
		aff := &adv.Affected[e.aff]
		if !purl.EcosystemCovers(aff.Ecosystem, eco) && aff.Ecosystem != "" {
			continue
		}
		out := j.versions.Evaluate(eco, ver, aff)
		if out.GitRanges > 0 {
			j.git[e] = out.GitRanges
		}
		for _, p := range out.Problems {
			j.problems[fmt.Sprintf("%s affected[%d] %s", adv.ID, e.aff, p)] = true
		}
		if out.Affected {
			hits = append(hits, hit{e.adv, out.Range, i >= exact})
		}
	}
	if len(hits) == 0 {
		if version.Check(eco, ver) != nil {
			// Not a version of its ecosystem (^1.2.5, ${x.version}) and in
			// no range: not compared, like a missing version.
			j.badVer[NoVersionKey(orig)] = true
		}
		return pairs
	}
	// One Pair per group of records that share ids, in group order.
	slices.SortStableFunc(hits, func(a, b hit) int {
		return cmp.Compare(j.groups.of(j.in.Advisories[a.adv].ID), j.groups.of(j.in.Advisories[b.adv].ID))
	})
	for start := 0; start < len(hits); {
		g := j.groups.of(j.in.Advisories[hits[start].adv].ID)
		end := start + 1
		for end < len(hits) && j.groups.of(j.in.Advisories[hits[end].adv].ID) == g {
			end++
		}
		pairs = append(pairs, j.pair(c, hits[start:end]))
		start = end
	}
	return pairs
}

// pair builds the Pair of one component and the matched records of one
// group.
func (j *joiner) pair(c *model.Component, hits []hit) Pair {
	best := hits[0]
	for _, h := range hits[1:] {
		if j.better(h.adv, best.adv) {
			best = h
		}
	}
	primary := &j.in.Advisories[best.adv]
	records := make([]string, len(hits))
	for i, h := range hits {
		records[i] = j.in.Advisories[h.adv].ID
	}
	slices.Sort(records)
	fold := !slices.ContainsFunc(hits, func(h hit) bool { return !h.fold })
	var aliases []string
	var group []*model.Advisory
	for _, id := range j.groups.membersOf(j.groups.of(primary.ID)) {
		if id != primary.ID {
			aliases = append(aliases, id)
		}
		if a, ok := j.byID[id]; ok {
			group = append(group, &j.in.Advisories[a])
		}
	}
	return Pair{Component: c, Advisory: primary, Aliases: aliases, Records: records, Group: group, Range: best.rng, CaseInsensitive: fold}
}

// better reports whether record a makes a better primary than record b: one
// with a CVSS vector wins (it carries the severity), then the smaller id.
func (j *joiner) better(a, b int) bool {
	ca, cb := hasCVSS(&j.in.Advisories[a]), hasCVSS(&j.in.Advisories[b])
	if ca != cb {
		return ca
	}
	return j.in.Advisories[a].ID < j.in.Advisories[b].ID
}

func hasCVSS(a *model.Advisory) bool {
	for _, s := range a.Severity {
		if strings.HasPrefix(s.Type, "CVSS_") {
			return true
		}
	}
	return false
}

func (j *joiner) warnings(withdrawn int, notYet []string) []string {
	var out []string
	if withdrawn > 0 {
		out = append(out, fmt.Sprintf("%d withdrawn advisories skipped", withdrawn))
	}
	if len(notYet) > 0 {
		slices.Sort(notYet)
		out = append(out, fmt.Sprintf("%d advisories withdrawn only after the evaluation time, so still in force: %s",
			len(notYet), strings.Join(notYet, ", ")))
	}
	if len(j.git) > 0 {
		ranges := 0
		advs := map[int]bool{}
		for e, n := range j.git {
			ranges += n
			advs[e.adv] = true
		}
		out = append(out, fmt.Sprintf("%d GIT ranges ignored in %d advisories (GIT ranges order commits, not versions)", ranges, len(advs)))
	}
	if len(j.noVer) > 0 {
		out = append(out, listed(j.noVer, j.opts.MaxProblems,
			"%d components have no version, so the advisories for their package were not evaluated: %s"))
	}
	if len(j.badVer) > 0 {
		out = append(out, listed(j.badVer, j.opts.MaxProblems,
			"%d components have a version that is no version of their ecosystem and in none of the ranges, so the advisories for their package were not evaluated: %s"))
	}
	probs := make([]string, 0, len(j.problems))
	for p := range j.problems {
		probs = append(probs, p)
	}
	slices.Sort(probs)
	if len(probs) > 0 {
		n := max(0, min(j.opts.MaxProblems, len(probs)))
		for _, p := range probs[:n] {
			out = append(out, "range not evaluated: "+p)
		}
		if rest := len(probs) - n; rest > 0 {
			out = append(out, fmt.Sprintf("%d more ranges not evaluated", rest))
		}
	}
	slices.Sort(out)
	return out
}

// listed formats a warning about the sorted keys of set, naming at most
// limit of them (none when limit < 0) and counting the rest.
func listed(set map[string]bool, limit int, format string) string {
	keys := slices.Sorted(maps.Keys(set))
	n := min(len(keys), max(0, limit))
	names := strings.Join(keys[:n], ", ")
	if rest := len(keys) - n; rest > 0 {
		names = strings.TrimPrefix(fmt.Sprintf("%s, and %d more", names, rest), ", ")
	}
	return fmt.Sprintf(format, len(keys), names)
}
