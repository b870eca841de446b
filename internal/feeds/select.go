package feeds

import (
	"cmp"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/snapshot"
)

// Request names the feeds `stella feeds pull` downloads (docs/feeds.md).
type Request struct {
	OSV   []string // ecosystems as osv.dev names them, or just "auto" with SBOMs
	SBOMs []string // with OSV "auto": the SBOMs whose purls name the ecosystems
	NVD   []string // NVD CVE 2.0 feeds: years, recent, modified
	KEV   bool
	EPSS  bool
	URLs  URLs // the locations set by flag or configuration; "" where none is
}

// Plan is what a Request resolves to.
type Plan struct {
	Sources []Source
	Auto    []string // the ecosystems OSV "auto" found in the SBOMs
}

// Plan resolves r against the cache: the named feeds at the locations set,
// else the defaults; with nothing named, every cached feed again, from where
// it came unless a location for its kind is set now. The Plan is returned
// with Auto filled even when a later step fails.
func (c *Cache) Plan(r Request) (*Plan, error) {
	urls := Defaults()
	urls.OSV, urls.KEV, urls.EPSS, urls.NVD = cmp.Or(r.URLs.OSV, urls.OSV), cmp.Or(r.URLs.KEV, urls.KEV), cmp.Or(r.URLs.EPSS, urls.EPSS), cmp.Or(r.URLs.NVD, urls.NVD)
	p := &Plan{}
	osv := r.OSV
	if slices.Contains(osv, "auto") {
		if len(osv) > 1 {
			return nil, fail.New(fail.Invalid, "--osv auto takes the ecosystems from --sbom; do not name others beside it")
		}
		if len(r.SBOMs) == 0 {
			return nil, fail.New(fail.Invalid, "--osv auto needs --sbom FILE…")
		}
		ecos, err := SBOMEcosystems(r.SBOMs, inputs.Limits{})
		if err != nil {
			return nil, err
		}
		p.Auto, osv = ecos, ecos
	} else if len(r.SBOMs) > 0 {
		return nil, fail.New(fail.Invalid, "--sbom is only for --osv auto")
	}
	for _, e := range osv {
		s, err := OSVSource(urls.OSV, e)
		if err != nil {
			return p, err
		}
		p.Sources = append(p.Sources, s)
	}
	if r.KEV {
		p.Sources = append(p.Sources, Source{Name: "kev", Kind: KEV, URL: urls.KEV})
	}
	if r.EPSS {
		p.Sources = append(p.Sources, Source{Name: "epss", Kind: EPSS, URL: urls.EPSS})
	}
	for _, n := range r.NVD {
		s, err := NVDSource(urls.NVD, n)
		if err != nil {
			return p, err
		}
		p.Sources = append(p.Sources, s)
	}
	if p.Sources != nil {
		return p, nil
	}
	cached, err := c.List()
	if err != nil {
		return p, err
	}
	if len(cached) == 0 {
		return p, fail.New(fail.Invalid, "the feed cache %s is empty: name feeds to pull (--osv ECOSYSTEM…|--osv auto --sbom FILE…, --kev, --epss, --nvd YEAR…)", c.Root)
	}
	for _, m := range cached {
		s := Source{Name: m.Name, Kind: m.Kind, URL: m.URL}
		if r.URLs.Of(m.Kind) != "" {
			if s, err = SourceOf(m.Name, r.URLs); err != nil {
				return p, err
			}
		}
		p.Sources = append(p.Sources, s)
	}
	return p, nil
}

// The selections of cached feeds that name no feed: --feeds alone selects
// every cached feed; Auto is policy simulate's "every cached feed, if any".
const (
	All  = "all"
	Auto = "auto"
)

// Freeze adds the cached feeds selected (flag values: comma-separated feed
// names, All or Auto; empty: none) to sp as inputs, with their provenance,
// and returns them. A file sp already has for KEV or EPSS (--kev, --epss,
// or a --signals file of that kind) wins over the cached feed of its kind,
// which is left out; naming that feed too is an error. Only the feeds frozen are re-hashed against their metadata. A feed
// named twice is frozen once, and the order of the names does not matter:
// the same feeds give the same snapshot id.
func (c *Cache) Freeze(selected []string, sp *snapshot.Spec) ([]Meta, error) {
	if len(selected) == 0 {
		return nil, nil
	}
	var names []string
	for _, n := range selected {
		for _, x := range strings.Split(n, ",") {
			if x != All && x != Auto && x != "" {
				names = append(names, x)
			}
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(kindRank(a), kindRank(b)), strings.Compare(a, b))
	})
	return c.freeze(slices.Compact(names), Kinds, sp)
}

// kindRank orders feed names as List does: by kind (in Kinds order), then
// name; -1 for a name of no kind (not in the cache: named reports it).
func kindRank(name string) int {
	k, _, _ := strings.Cut(name, "/")
	return slices.Index(Kinds, Kind(k))
}

// freeze adds the cached feeds of the given kinds among names (nil: every
// cached feed of those kinds but one sp has a file for) to sp, re-hashing
// each blob it adds first.
func (c *Cache) freeze(names []string, kinds []Kind, sp *snapshot.Spec) ([]Meta, error) {
	if names == nil {
		kinds = slices.DeleteFunc(slices.Clone(kinds), func(k Kind) bool { _, file := given(sp, k); return file != "" })
	}
	ms, err := c.named(names, kinds)
	if err != nil {
		return nil, err
	}
	signals := signalKinds(ms, sp)
	var used []Meta
	for _, m := range ms {
		flag, file := given(sp, m.Kind)
		if file == "" {
			flag, file = "signals", signals[m.Kind]
		}
		switch {
		case !slices.Contains(kinds, m.Kind):
			continue
		case file != "" && names == nil:
			continue // the file given wins over the cached feed of its kind
		case file != "":
			return nil, fail.New(fail.Invalid, "--%s %s and --feeds %s both name the %s input: give one", flag, file, m.Name, m.Kind)
		}
		used = append(used, m)
	}
	if err := c.verify(used); err != nil {
		return nil, err
	}
	for _, m := range used {
		p := m.Path(c.Root)
		switch m.Kind {
		case OSV:
			sp.Advisories = append(sp.Advisories, p)
		case NVD:
			sp.NVD = append(sp.NVD, p)
		case KEV:
			sp.KEV = p
		case EPSS:
			sp.EPSS = p
		}
		sp.Feeds = append(sp.Feeds, m.Provenance())
	}
	return used, nil
}

// given is the file sp already has for kind k by its flag (--kev, --epss),
// "" when none: it wins over the cached feed of its kind.
func given(sp *snapshot.Spec, k Kind) (flag, file string) {
	switch k {
	case KEV:
		return "kev", sp.KEV
	case EPSS:
		return "epss", sp.EPSS
	}
	return "", ""
}

// signalKinds is the first --signals file of sp of each kind, KEV or EPSS:
// such a file wins over the cached feed of its kind as --kev and --epss do.
// The files are detected by content only when one of ms is a KEV or EPSS
// feed (else nil); one that does not read is left for the snapshot to
// report.
func signalKinds(ms []Meta, sp *snapshot.Spec) map[Kind]string {
	if len(sp.Signals) == 0 || !slices.ContainsFunc(ms, func(m Meta) bool { return m.Kind == KEV || m.Kind == EPSS }) {
		return nil
	}
	out := map[Kind]string{}
	for _, p := range sp.Signals {
		in, err := inputs.Read(p, inputs.Options{Limits: sp.Limits})
		if err != nil {
			continue
		}
		switch in.Kind {
		case inputs.KindKEV:
			out[KEV] = cmp.Or(out[KEV], p)
		case inputs.KindEPSS:
			out[EPSS] = cmp.Or(out[EPSS], p)
		}
	}
	return out
}
