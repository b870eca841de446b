package inputs

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/model"
)

// OSV records are read with plain structs and encoding/json (not the
// protobuf bindings): unknown fields are tolerated and bulk databases parse
// several times faster.

type osvRecord struct {
	ID               string          `json:"id"`
	Modified         string          `json:"modified"`
	Published        string          `json:"published"`
	Withdrawn        string          `json:"withdrawn"`
	Aliases          []string        `json:"aliases"`
	Related          []string        `json:"related"`
	Summary          string          `json:"summary"`
	Severity         []osvSeverity   `json:"severity"`
	Affected         []osvAffected   `json:"affected"`
	References       []osvReference  `json:"references"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

type osvSeverity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

type osvAffected struct {
	Package *struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
		Purl      string `json:"purl"`
	} `json:"package"`
	Severity          []osvSeverity   `json:"severity"`
	Ranges            []osvRange      `json:"ranges"`
	Versions          []string        `json:"versions"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific"`
	DatabaseSpecific  json.RawMessage `json:"database_specific"`
}

type osvRange struct {
	Type   string     `json:"type"`
	Repo   string     `json:"repo"`
	Events []osvEvent `json:"events"`
}

type osvEvent struct {
	Introduced   *string `json:"introduced"`
	Fixed        *string `json:"fixed"`
	LastAffected *string `json:"last_affected"`
	Limit        *string `json:"limit"`
}

type osvReference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// readOSVFile reads one OSV file: a record, or an array of records.
func readOSVFile(d *doc, in *Input, opt Options) error {
	advs, probs, warns := parseOSV(d)
	in.Warnings = append(in.Warnings, warns...)
	if len(probs) > 0 {
		if !opt.SkipInvalid {
			return invalid(skipHint, probs...)
		}
		in.Skipped = append(in.Skipped, probs...)
	}
	m := Merge{Where: d.name, NotAfter: opt.NotAfter, Warnings: in.Warnings}
	in.Advisories = m.Records(advs)
	in.Warnings, in.DupNewest = m.Warnings, m.Newest
	return nil
}

const skipHint = "malformed OSV records; fix them or pass --skip-invalid to leave them out"

// parseOSV decodes and normalizes the records of one OSV document. A
// malformed record yields problems and is left out.
func parseOSV(d *doc) (advs []model.Advisory, probs, warns []Problem) {
	if d.data[0] == '[' {
		var raws []json.RawMessage
		if err := json.Unmarshal(d.data, &raws); err != nil {
			return nil, []Problem{d.jsonProblem(err)}, nil
		}
		for i, raw := range raws {
			var rec osvRecord
			if err := unmarshalOSV(raw, &rec); err != nil {
				p := d.jsonProblem(err)
				if p.Pointer == "" {
					p.Pointer = ptr(i)
				}
				probs = append(probs, p)
				continue
			}
			a, ps, ws := normalizeOSV(d, &rec, ptr(i))
			probs, warns = append(probs, ps...), append(warns, ws...)
			if len(ps) == 0 {
				advs = append(advs, a)
			}
		}
		return advs, probs, warns
	}
	if d.data[0] != '{' {
		return nil, []Problem{d.at(0, "expected an OSV record (a JSON object) or an array of them")}, nil
	}
	var rec osvRecord
	if err := unmarshalOSV(d.data, &rec); err != nil {
		return nil, []Problem{d.jsonProblem(err)}, nil
	}
	a, ps, ws := normalizeOSV(d, &rec, "")
	if len(ps) > 0 {
		return nil, ps, ws
	}
	return []model.Advisory{a}, nil, ws
}

// parseCheckedOSV is parseOSV of a single record for text the fast decoder
// takes within maxDepth: such text is valid JSON, UTF-8 throughout (strings
// are validated, and nothing but ASCII is accepted outside them) and nested
// no deeper than maxDepth, so checkText has nothing to find. ok is false
// when the caller must check the text and take the reference path.
func parseCheckedOSV(d *doc, maxDepth int) (advs []model.Advisory, probs, warns []Problem, ok bool) {
	if d.data[0] != '{' {
		return nil, nil, nil, false
	}
	var rec osvRecord
	p := &osvParser{b: d.data, max: maxDepth}
	if !p.record(&rec) {
		return nil, nil, nil, false
	}
	if p.space(); p.i != len(p.b) {
		return nil, nil, nil, false
	}
	a, ps, ws := normalizeOSV(d, &rec, "")
	if len(ps) > 0 {
		return nil, ps, ws, true
	}
	return []model.Advisory{a}, nil, ws, true
}

// unmarshalOSV decodes one record: on the fast path when it can, else with
// encoding/json (the reference, and the source of error positions).
func unmarshalOSV(data []byte, rec *osvRecord) error {
	if decodeOSV(data, rec) {
		return nil
	}
	*rec = osvRecord{}
	return json.Unmarshal(data, rec)
}

// normalizeOSV checks one record and converts it to the model. at is the
// pointer of the record in its document.
func normalizeOSV(d *doc, r *osvRecord, at string) (model.Advisory, []Problem, []Problem) {
	var probs, warns []Problem
	bad := func(p, format string, args ...any) {
		probs = append(probs, d.atPointer(at+p, format, args...))
	}
	if strings.TrimSpace(r.ID) == "" {
		bad("", "OSV record without an id")
		return model.Advisory{}, probs, nil
	}
	a := model.Advisory{
		ID:      r.ID,
		Source:  SourceOf(r.ID),
		Summary: r.Summary,
		Related: sortedSet(r.Related),
	}
	for _, al := range sortedSet(r.Aliases) {
		if al != r.ID {
			a.Aliases = append(a.Aliases, al)
		}
	}
	for _, t := range []struct {
		name string
		in   string
		out  *string
	}{{"modified", r.Modified, &a.Modified}, {"published", r.Published, &a.Published}, {"withdrawn", r.Withdrawn, &a.Withdrawn}} {
		v, err := normTime(t.in)
		if err != nil {
			bad("/"+t.name, "%v", err)
		}
		*t.out = v
	}
	sev := append([]osvSeverity(nil), r.Severity...)
	for i, s := range r.Severity {
		if s.Type == "" || s.Score == "" {
			bad(ptr("severity", i), "severity needs a type and a score")
		}
	}
	if len(r.DatabaseSpecific) > 0 {
		var ds struct {
			Severity any `json:"severity"`
			CWEs     any `json:"cwe_ids"`
		}
		if json.Unmarshal(r.DatabaseSpecific, &ds) == nil {
			if s, ok := ds.Severity.(string); ok {
				a.DBSeverity = s
			}
			if l, ok := ds.CWEs.([]any); ok {
				var cwes []string
				for _, c := range l {
					if s, ok := c.(string); ok && strings.HasPrefix(s, "CWE-") {
						cwes = append(cwes, s)
					}
				}
				a.CWEs = slices.Compact(sortedSet(cwes))
			}
		}
	}
	a.Affected = make([]model.Affected, 0, len(r.Affected))
	for i, af := range r.Affected {
		ap := ptr("affected", i)
		m := model.Affected{Versions: af.Versions}
		gitOnly := len(af.Ranges) > 0
		for _, rg := range af.Ranges {
			gitOnly = gitOnly && rg.Type == "GIT"
		}
		switch {
		case af.Package != nil:
			m.Ecosystem, m.Name = af.Package.Ecosystem, af.Package.Name
			if msg := osvEcosystem(&m.Ecosystem); msg != "" {
				warns = append(warns, d.atPointer(at+ap+"/package/ecosystem", "%s: %s", r.ID, msg))
			}
			if m.Ecosystem == "" || m.Name == "" {
				bad(ap+"/package", "package needs an ecosystem and a name")
			}
			if af.Package.Purl != "" {
				if c, _, err := canonPurl(af.Package.Purl); err != nil {
					warns = append(warns, Problem{File: d.name, Pointer: at + ap + "/package/purl", Msg: err.Error() + "; ignored"})
				} else {
					m.Purl = c
				}
			}
		case !gitOnly:
			bad(ap, "affected entry without a package")
		}
		for j, rg := range af.Ranges {
			rp := fmt.Sprintf("%s/ranges/%d", ap, j)
			switch rg.Type {
			case "SEMVER", "ECOSYSTEM":
			case "GIT":
				if rg.Repo == "" {
					bad(rp, "GIT range without a repo")
				}
			default:
				bad(rp+"/type", "unknown range type %q (want SEMVER, ECOSYSTEM or GIT)", rg.Type)
			}
			if len(rg.Events) == 0 {
				bad(rp+"/events", "range without events")
			}
			mr := model.Range{Type: rg.Type, Repo: rg.Repo, Events: make([]model.Event, 0, len(rg.Events))}
			for k, e := range rg.Events {
				ev, ok := osvEventOf(e)
				if !ok {
					bad(fmt.Sprintf("%s/events/%d", rp, k), "an event needs exactly one of introduced, fixed, last_affected or limit, with a version")
				}
				mr.Events = append(mr.Events, ev)
			}
			m.Ranges = append(m.Ranges, mr)
		}
		var err error
		if m.EcosystemSpecific, err = canonRaw(af.EcosystemSpecific); err != nil {
			bad(ap+"/ecosystem_specific", "%v", err)
		}
		if m.DatabaseSpecific, err = canonRaw(af.DatabaseSpecific); err != nil {
			bad(ap+"/database_specific", "%v", err)
		}
		sev = append(sev, af.Severity...)
		a.Affected = append(a.Affected, m)
	}
	for _, s := range sev {
		a.Severity = append(a.Severity, model.Severity{Type: s.Type, Score: s.Score})
	}
	slices.SortFunc(a.Severity, func(x, y model.Severity) int {
		return cmp.Or(strings.Compare(x.Type, y.Type), strings.Compare(x.Score, y.Score))
	})
	a.Severity = slices.Compact(a.Severity)
	for _, ref := range r.References {
		a.References = append(a.References, model.Reference{Type: ref.Type, URL: ref.URL})
	}
	return a, probs, warns
}

func osvEventOf(e osvEvent) (model.Event, bool) {
	var ev model.Event
	n := 0
	for _, f := range []struct {
		in  *string
		out *string
	}{{e.Introduced, &ev.Introduced}, {e.Fixed, &ev.Fixed}, {e.LastAffected, &ev.LastAffected}, {e.Limit, &ev.Limit}} {
		if f.in != nil {
			n++
			*f.out = *f.in
			if *f.in == "" {
				return ev, false
			}
		}
	}
	return ev, n == 1
}

// canonRaw returns the canonical JSON of an opaque member, or nil when it is
// absent or null.
func canonRaw(b json.RawMessage) (json.RawMessage, error) {
	if len(b) == 0 || string(b) == "null" {
		return nil, nil
	}
	c, err := canon.Transform(b)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// SourceOf derives an advisory's source from its id: the prefix before the
// first "-" in upper case when it is alphanumeric ("GHSA", "GO", "PYSEC",
// "RUSTSEC", "MAL", "CVE"), else "OSV" (docs/inputs.md).
func SourceOf(id string) string {
	prefix, _, ok := strings.Cut(id, "-")
	if !ok || prefix == "" {
		return "OSV"
	}
	for _, c := range prefix {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return "OSV"
		}
	}
	return strings.ToUpper(prefix)
}

// eachMember runs f(0) … f(n-1) on GOMAXPROCS workers, each taking the
// next index, and returns when all are done.
func eachMember(n int, f func(i int)) {
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}

// A Merge keeps one record per advisory id (docs/inputs.md "Advisories"):
// of the copies of an id, the one modified last, or on a tie the one with
// the smaller content digest — but a copy modified more than
// model.FutureSkew after NotAfter is not yet known then and wins only when
// every copy is: one copy dated 2099 must not replace the record in force.
// Dropped copies that differ from the kept one are warned about.
type Merge struct {
	Where string // names the input in warnings
	// From, when set, names the input of each record given to Records (in
	// the order given) instead of Where: merging several inputs.
	From     []string
	NotAfter time.Time // the time the records are read for; zero: no limit
	Warnings []Problem // appended to
	// Newest is the newest modified time of a copy that differs from
	// another copy of its id, over every Records call: for any NotAfter
	// from Newest-FutureSkew on, the merge keeps the same records (a
	// frozen-advisory cache entry can be reused).
	Newest time.Time
}

// Limited reports whether the merge kept a record it would not have kept
// without NotAfter.
func (m *Merge) Limited() bool { return model.Future(m.Newest, m.NotAfter) }

// Records sorts advs by id and merges the copies of each id.
func (m *Merge) Records(advs []model.Advisory) []model.Advisory {
	from := m.From
	sortByID(advs, from)
	out := advs[:0]
	for i := 0; i < len(advs); {
		j := i + 1
		for j < len(advs) && advs[j].ID == advs[i].ID {
			j++
		}
		if j-i == 1 {
			out = append(out, advs[i])
		} else {
			var f []string
			if from != nil {
				f = from[i:j]
			}
			out = append(out, m.group(advs[i:j], f))
		}
		i = j
	}
	if out == nil {
		out = []model.Advisory{}
	}
	return out
}

// sortByID sorts records by id, keeping the given order among equal ids,
// and from (when not nil) with them. It sorts small (id, position) keys and
// then moves each record once, along the permutation's cycles: a stable sort
// of the records themselves moved each ~300-byte record O(log² n) times
// (seconds for 200,000 records).
func sortByID(advs []model.Advisory, from []string) {
	keys := make([]idKey, len(advs))
	sorted := true
	for i := range advs {
		keys[i] = idKey{advs[i].ID, int32(i)}
		sorted = sorted && (i == 0 || advs[i-1].ID <= advs[i].ID)
	}
	if sorted {
		return
	}
	slices.SortFunc(keys, func(a, b idKey) int { return cmp.Or(strings.Compare(a.id, b.id), cmp.Compare(a.at, b.at)) })
	for i := range keys {
		if keys[i].at < 0 || int(keys[i].at) == i {
			continue
		}
		adv := advs[i]
		var f string
		if from != nil {
			f = from[i]
		}
		for j := i; ; {
			k := int(keys[j].at)
			keys[j].at = -1
			if k == i {
				advs[j] = adv
				if from != nil {
					from[j] = f
				}
				break
			}
			advs[j] = advs[k]
			if from != nil {
				from[j] = from[k]
			}
			j = k
		}
	}
}

// idKey is a record's id and its position before sortByID.
type idKey struct {
	id string
	at int32
}

// group merges the copies of one id, read from from (nil: m.Where).
func (m *Merge) group(group []model.Advisory, from []string) model.Advisory {
	digests := make([]string, len(group))
	future := make([]bool, len(group))
	for k := range group {
		digests[k] = contentID(group[k])
		future[k] = model.FutureString(group[k].Modified, m.NotAfter)
	}
	best := 0
	for k := 1; k < len(group); k++ {
		if c := cmp.Or(compareBool(future[best], future[k]), strings.Compare(group[k].Modified, group[best].Modified),
			strings.Compare(digests[best], digests[k])); c > 0 {
			best = k
		}
	}
	for k := range group {
		if digests[k] == digests[best] {
			continue
		}
		for _, c := range []int{k, best} {
			if t, ok := model.ParseTime(group[c].Modified); ok && t.After(m.Newest) {
				m.Newest = t
			}
		}
		msg := fmt.Sprintf("duplicate advisory %s: kept the record modified %s, dropped one modified %s", group[best].ID, orNone(group[best].Modified), orNone(group[k].Modified))
		where := m.Where
		if from != nil {
			where = from[k]
			if from[best] != from[k] {
				msg += " (the kept one is from " + from[best] + ")"
			}
		}
		if future[k] && !future[best] {
			msg += fmt.Sprintf(", more than a day after %s: not yet known then", m.NotAfter.UTC().Format(time.RFC3339))
		}
		m.Warnings = append(m.Warnings, Problem{File: where, Msg: msg})
	}
	return group[best]
}

// compareBool orders false before true.
func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func orNone(s string) string {
	if s == "" {
		return "(no date)"
	}
	return s
}

// memberResult is what reading one member of an OSV directory or zip gave.
type memberResult struct {
	advs   []model.Advisory
	probs  []Problem
	warns  []Problem
	digest string
	fatal  error
}

// readOSVSet reads every *.json member of an OSV directory tree or zip in
// parallel and merges the records in member-name order, so the result does
// not depend on scheduling.
func readOSVSet(p string, isDir bool, opt Options, lim Limits) (*Input, error) {
	in := &Input{Path: p, Kind: KindAdvisories, Format: OSV}
	var ms []member
	var err error
	if isDir {
		in.MediaType = mediaDir
		ms, err = dirMembers(p, lim)
	} else {
		in.MediaType = mediaZip
		var closer io.Closer
		ms, closer, err = zipMembers(p, lim)
		if closer != nil {
			defer closer.Close()
		}
		if err == nil {
			in.RawDigest, err = fileDigest(p)
			if err != nil {
				err = invalid("", Problem{File: p, Msg: unwrapPathError(err).Error()})
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, invalid("", Problem{File: p, Msg: "no *.json files"})
	}
	in.Files = len(ms)
	results := make([]memberResult, len(ms))
	prog := opt.Progress
	if len(ms) <= ProgressThreshold {
		prog = nil
	}
	if prog != nil {
		prog.Start("reading "+p, len(ms))
		defer prog.Finish()
	}
	order := make([]int, len(ms)) // a zip's members in archive order (zipFile)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return cmp.Compare(ms[i].seq, ms[j].seq) })
	eachMember(len(ms), func(k int) {
		i := order[k]
		results[i] = readOSVMember(ms[i], lim)
		if opt.Each != nil && results[i].fatal == nil {
			opt.Each(i, ms[i].name, results[i].advs)
			results[i].advs = nil
		}
		if prog != nil {
			prog.Add(1)
		}
	})

	var advs []model.Advisory
	var from []string // the member of each of advs, for Merge's warnings
	var probs []Problem
	rels := make([]string, len(ms))
	digests := make([]string, len(ms))
	for i, r := range results {
		if r.fatal != nil {
			return nil, r.fatal
		}
		rels[i], digests[i] = ms[i].rel, r.digest
		advs = append(advs, r.advs...)
		for range r.advs {
			from = append(from, ms[i].name)
		}
		probs = append(probs, r.probs...)
		in.Warnings = append(in.Warnings, r.warns...)
	}
	if len(probs) > 0 {
		if !opt.SkipInvalid {
			return nil, invalid(skipHint, probs...)
		}
		in.Skipped = probs
	}
	if isDir {
		in.RawDigest = listingDigest(rels, digests)
	}
	if opt.Each == nil {
		m := Merge{Where: p, From: from, NotAfter: opt.NotAfter, Warnings: in.Warnings}
		in.Advisories = m.Records(advs)
		in.Warnings, in.DupNewest = m.Warnings, m.Newest
	}
	return in, nil
}

// readOSVMember reads one member; anything wrong with it is a problem of
// that record, so --skip-invalid can leave it out.
func readOSVMember(m member, lim Limits) (r memberResult) {
	err := safely(m.name, func() error {
		d, digest, err := readDoc(m, lim, false)
		if err != nil {
			return err
		}
		r.digest = digest
		var ok bool
		if r.advs, r.probs, r.warns, ok = parseCheckedOSV(d, lim.MaxDepth); ok {
			return nil
		}
		if err := d.checkText(lim.MaxDepth); err != nil {
			return err
		}
		r.advs, r.probs, r.warns = parseOSV(d)
		return nil
	})
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			r.fatal = err
			return r
		}
		r.probs = append(r.probs, e.Problems...)
	}
	return r
}
