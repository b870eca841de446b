package snapshot

import (
	"bytes"
	"math/bits"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/purl"
)

// Select returns the advisories, in id order, that an evaluation of sboms
// needs — decoding only those (docs/performance.md, "The advisory store"):
//
//   - every record the index lists for a component's (ecosystem, package),
//     and for an all-lowercase Go path also those of the paths that differ
//     only in case (match.CaseInsensitive),
//     and every record that may name a package by purl alone (an affected
//     entry with an empty ecosystem or name), so match.Join finds the same
//     candidates as over all records;
//   - every record of the alias group of any of those (records sharing an id
//     or alias, withdrawn ones aside, as match.Join folds them), so a pair's
//     aliases, its primary record and severity resolution across the group
//     are the same;
//   - every withdrawn record, so the join counts them;
//   - the records with the newest modified and published times, so the
//     default evaluation time is the same.
//
// Only the records' heads (ids, aliases, withdrawn, timestamps) are decoded
// to choose; they are read once per index. The join, the engine and the
// result are then byte-identical to evaluating every advisory
// (TestConformanceSharedPins); counts and digests of the whole set come from
// the manifest. A call costs two binary searches per base ecosystem and one
// per component, and one pass over the records' group numbers — no pass
// over the packages, no map lookup per record (BenchmarkSelect: a
// 40-component SBOM against 200,000 advisories).
func (x *Index) Select(sboms []model.SBOM) ([]model.Advisory, error) {
	sel, err := x.selection()
	if err != nil {
		return nil, err
	}
	want := make([]bool, len(x.doc.Advisories))
	ps := x.doc.Packages
	runs := map[string][2]int{} // of the base ecosystems asked for
	var fold map[string][]int   // Go packages with capitals, by lowercased path
	for i := range sboms {
		for c := range sboms[i].Components {
			eco, name := match.Target(&sboms[i].Components[c])
			if eco == "" || name == "" {
				continue
			}
			base, norm := purl.Base(eco), purl.NormalizeName(eco, name)
			run, ok := runs[base]
			if !ok {
				run = baseRun(ps, base)
				runs[base] = run
			}
			k := run[0] + sort.Search(run[1]-run[0], func(k int) bool { return ps[run[0]+k].Name >= norm })
			for ; k < run[1] && ps[k].Name == norm; k++ {
				for _, j := range ps[k].Advisories {
					want[j] = true
				}
			}
			if match.CaseInsensitive(eco, norm) {
				if fold == nil {
					fold = foldedGo(ps, baseRun(ps, purl.Go))
				}
				for _, k := range fold[norm] {
					for _, j := range ps[k].Advisories {
						want[j] = true
					}
				}
			}
		}
	}
	for _, j := range sel.Always {
		want[j] = true
	}
	// The alias groups of the records wanted, and every record of them.
	// groups holds the few a call asks for; marks, indexed by a group's
	// low bits, lets the pass over every record skip the map for all but
	// about one record in len(marks)/len(groups).
	groups := map[int]bool{}
	marks := make([]bool, max(1, 1<<bits.Len(uint(len(sel.Group)))))
	mask := len(marks) - 1
	for j, g := range sel.Group {
		if want[j] && g >= 0 {
			groups[g] = true
			marks[g&mask] = true
		}
	}
	var pick []int
	for j, g := range sel.Group {
		if want[j] || g >= 0 && marks[g&mask] && groups[g] {
			pick = append(pick, j)
		}
	}
	return x.decode(pick)
}

// baseRun is where the packages of base ecosystem base lie in ps, which
// is sorted by base first (comparePackages): two binary searches, so a
// Select costs what its SBOMs ask for, not a pass over every package.
func baseRun(ps []Package, base string) [2]int {
	lo := sort.Search(len(ps), func(k int) bool { return purl.Base(ps[k].Ecosystem) >= base })
	hi := lo + sort.Search(len(ps)-lo, func(k int) bool { return purl.Base(ps[lo+k].Ecosystem) > base })
	return [2]int{lo, hi}
}

// Pending adds to advs — records Select chose, in id order — the alias
// partners of those withdrawn only after the evaluation time at
// (model.FutureSkew aside): not withdrawn yet, they join their alias
// groups in match.Join, which the selection, made for any time, leaves
// them out of. Every record's head is read only when advs holds one
// (docs/inputs.md "Advisories (OSV)").
func (x *Index) Pending(advs []model.Advisory, at time.Time) ([]model.Advisory, error) {
	if !slices.ContainsFunc(advs, func(a model.Advisory) bool { return model.FutureString(a.Withdrawn, at) }) {
		return advs, nil
	}
	heads, err := x.heads()
	if err != nil {
		return nil, x.inDir(err)
	}
	// Records in force at at, as match.Join reads withdrawals.
	live := func(withdrawn string) bool { return withdrawn == "" || model.FutureString(withdrawn, at) }
	g := match.NewGroups(2 * len(heads))
	for _, h := range heads {
		if live(h.Withdrawn) {
			g.Add(h.ID, h.Aliases)
		}
	}
	have := make(map[string]bool, len(advs))
	groups := map[int]bool{}
	for _, a := range advs {
		have[a.ID] = true
		if live(a.Withdrawn) {
			groups[g.Of(a.ID)] = true
		}
	}
	var pick []int
	for j, h := range heads {
		if !have[h.ID] && live(h.Withdrawn) && groups[g.Of(h.ID)] {
			pick = append(pick, j)
		}
	}
	if len(pick) == 0 {
		return advs, nil
	}
	more, err := x.decode(pick)
	if err != nil {
		return nil, x.inDir(err)
	}
	all := append(advs[:len(advs):len(advs)], more...)
	slices.SortFunc(all, func(a, b model.Advisory) int { return strings.Compare(a.ID, b.ID) })
	return all, nil
}

// foldedGo indexes the Go packages whose path has capitals by the lowercased
// path: the entries match.Join also tries for an all-lowercase Go path.
// Only the Go packages, run (baseRun), are read.
func foldedGo(ps []Package, run [2]int) map[string][]int {
	m := map[string][]int{}
	for k := run[0]; k < run[1]; k++ {
		if l := strings.ToLower(ps[k].Name); l != ps[k].Name {
			m[l] = append(m[l], k)
		}
	}
	return m
}

// selection is what Select needs of every record besides the index.
type selection struct {
	// Always are the records read whatever the SBOMs: those that may name
	// a package by purl alone, the withdrawn ones, the newest ones.
	Always []int `json:"always"`
	// Group is each record's alias group (match.Groups over the records
	// that are not withdrawn); -1 for a withdrawn record.
	Group []int `json:"group"`
}

// selection returns the index's selection: the one it was given (a cached
// frozen set keeps it), else one worked out from the records' heads.
func (x *Index) selection() (*selection, error) {
	x.selOnce.Do(func() {
		if x.sel != nil {
			return
		}
		var heads []inputs.AdvisoryHead
		if heads, x.selErr = x.heads(); x.selErr != nil {
			return
		}
		data := x.data
		if data == nil {
			var rd *recordReader
			if rd, x.selErr = x.open(); x.selErr != nil {
				return
			}
			data, x.selErr = rd.all()
			if rd.close(); x.selErr != nil {
				return
			}
		}
		x.sel = selectionOf(heads, data, x.doc.Advisories)
	})
	return x.sel, x.selErr
}

// headsOf are the heads of decoded advisories.
func headsOf(advs []model.Advisory) []inputs.AdvisoryHead {
	hs := make([]inputs.AdvisoryHead, len(advs))
	for i, a := range advs {
		hs[i] = inputs.AdvisoryHead{ID: a.ID, Aliases: a.Aliases, Withdrawn: a.Withdrawn, Modified: a.Modified, Published: a.Published}
	}
	return hs
}

// selectionOf works out the selection of the records recs in data, whose
// heads are heads.
func selectionOf(heads []inputs.AdvisoryHead, data []byte, recs []Record) *selection {
	always := make([]bool, len(recs))
	for _, s := range purlOnly {
		for at, rest := 0, data; ; {
			k := bytes.Index(rest, s)
			if k < 0 {
				break
			}
			at += k
			if j := sort.Search(len(recs), func(j int) bool { return recs[j].Offset+recs[j].Length > int64(at) }); j < len(recs) {
				always[j] = true
			}
			at += len(s)
			rest = data[at:]
		}
	}
	return selectionFrom(heads, always)
}

// purlOnly are the texts that mark a record which may name a package by
// purl alone: an affected entry without an ecosystem or a name.
var purlOnly = [][]byte{[]byte(`"ecosystem":""`), []byte(`"name":""`)}

// mayBePurlOnly reports whether the canonical JSON of one record holds a
// purlOnly text, as selectionOf finds them in the whole data.
func mayBePurlOnly(rec []byte) bool {
	return bytes.Contains(rec, purlOnly[0]) || bytes.Contains(rec, purlOnly[1])
}

// selectionFrom is the selection of records with heads heads, of which
// always are read whatever the SBOMs (besides the withdrawn and newest).
func selectionFrom(heads []inputs.AdvisoryHead, always []bool) *selection {
	var newestMod, newestPub time.Time
	for _, h := range heads {
		newestMod, newestPub = later(newestMod, h.Modified), later(newestPub, h.Published)
	}
	g := match.NewGroups(2 * len(heads))
	for j, h := range heads {
		switch {
		case h.Withdrawn != "":
			always[j] = true
			continue
		case !newestMod.IsZero() && timeOf(h.Modified).Equal(newestMod), !newestPub.IsZero() && timeOf(h.Published).Equal(newestPub):
			always[j] = true
		}
		g.Add(h.ID, h.Aliases)
	}
	sel := &selection{Always: []int{}, Group: make([]int, len(heads))}
	for j, h := range heads {
		if always[j] {
			sel.Always = append(sel.Always, j)
		}
		sel.Group[j] = -1
		if h.Withdrawn == "" {
			sel.Group[j] = g.Of(h.ID)
		}
	}
	return sel
}

// heads decodes the head of every record once, reading the data file a
// window of records at a time.
func (x *Index) heads() ([]inputs.AdvisoryHead, error) {
	x.headsOnce.Do(func() {
		recs := x.doc.Advisories
		hs := make([]inputs.AdvisoryHead, len(recs))
		rd, err := x.open()
		if err != nil {
			x.headsErr = err
			return
		}
		defer rd.close()
		for lo := 0; lo < len(recs); {
			hi := lo + 1
			for hi < len(recs) && recs[hi].Offset+recs[hi].Length-recs[lo].Offset <= headsWindow {
				hi++
			}
			if x.headsErr = rd.window(recs[lo:hi]); x.headsErr != nil {
				return
			}
			x.headsErr = x.parallel(hi-lo, func(k int) error {
				r := recs[lo+k]
				b, err := rd.bytes(r)
				if err != nil {
					return err
				}
				if err := inputs.DecodeAdvisoryHead(b, &hs[lo+k]); err != nil || hs[lo+k].ID != r.ID {
					return fail.New(fail.Integrity, "advisory %s: the index does not match %s", r.ID, AdvisoriesFile)
				}
				return nil
			})
			if x.headsErr != nil {
				return
			}
			lo = hi
		}
		x.headsList = hs
	})
	return x.headsList, x.headsErr
}

// headsWindow is how many bytes of records heads reads at a time.
const headsWindow = 4 << 20

// Modified returns every record's modified time, in index order: what
// freshness counts when the records selected for a run are not enough
// (engine.Request.AllModified).
func (x *Index) Modified() ([]string, error) {
	hs, err := x.heads()
	if err != nil {
		return nil, x.inDir(err)
	}
	out := make([]string, len(hs))
	for i := range hs {
		out[i] = hs[i].Modified
	}
	return out, nil
}

// decode decodes the records at positions pick (ascending), in parallel.
func (x *Index) decode(pick []int) ([]model.Advisory, error) {
	recs := x.doc.Advisories
	advs := make([]model.Advisory, len(pick))
	rd, err := x.open()
	if err != nil {
		return nil, err
	}
	defer rd.close()
	err = x.parallel(len(pick), func(i int) error {
		r := recs[pick[i]]
		b, err := rd.bytes(r)
		if err != nil {
			return err
		}
		if err := inputs.DecodeAdvisory(b, &advs[i]); err != nil {
			return fail.New(fail.Integrity, "%s: record %d (%s): %v", AdvisoriesFile, pick[i], r.ID, err)
		} else if advs[i].ID != r.ID {
			return fail.New(fail.Integrity, "%s: record %d is %s, the index says %s", AdvisoriesFile, pick[i], advs[i].ID, r.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return advs, nil
}

// parallel runs f(0…n-1) on GOMAXPROCS workers and returns the error of the
// smallest i that failed.
func (x *Index) parallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	workers := max(1, min(runtime.GOMAXPROCS(0), n/256))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				errs[i] = f(i)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// timeOf is s's time (model.ParseTime), zero when it has none.
func timeOf(s string) time.Time {
	t, _ := model.ParseTime(s)
	return t
}

func later(t time.Time, s string) time.Time {
	if u := timeOf(s); u.After(t) {
		return u
	}
	return t
}
