package snapshot

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/purl"
)

// IndexSchema names the advisory index format a snapshot is written with.
// Version 3 gives each record the digest of its bytes, so that a run from
// a snapshot directory checks the records it reads rather than hashing
// all of advisories.json; version 2 added the selection data (select).
// Indexes of versions 1 and 2, which older snapshots hold, still open: a
// run from them hashes the whole data file, and a version 1 index's
// selection is worked out from the records' heads (docs/inputs.md,
// "Advisory index").
const IndexSchema = "stella.advisory-index/v3"

// The older index versions: v2 without record digests, v1 also without
// selection data.
const (
	indexSchemaV2 = "stella.advisory-index/v2"
	indexSchemaV1 = "stella.advisory-index/v1"
)

// IndexDoc is the advisory index file (docs/inputs.md, "Advisory index"):
// where each advisory's canonical JSON lies in advisories.json, and which
// advisories name each (ecosystem, package).
type IndexDoc struct {
	Schema     string    `json:"schema"`
	Data       string    `json:"data"`       // the file the records point into
	Advisories []Record  `json:"advisories"` // in file order, which is id order
	Packages   []Package `json:"packages"`   // sorted by base ecosystem, name, ecosystem
	// Select is what Index.Select needs of every record besides the
	// packages (version 2; nil in version 1).
	Select *selection `json:"select,omitempty"`
	// dropped: the records' digests were left out when it was decoded
	// (decodeIndex).
	dropped bool
}

// Record locates one advisory in the data file.
type Record struct {
	ID     string `json:"id"`
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
	// Digest is the sha256 of the record's bytes (version 3; "" before).
	Digest string `json:"digest,omitempty"`
}

// Package lists the advisories with an affected entry for one package.
type Package struct {
	Ecosystem  string `json:"ecosystem"`  // as the advisory writes it ("Go", "Debian:12")
	Name       string `json:"name"`       // purl.NormalizeName of the affected package name
	Advisories []int  `json:"advisories"` // positions in IndexDoc.Advisories, ascending
}

// buildIndex indexes advisories (sorted by id) whose records are recs in
// data, with their selection.
func buildIndex(advs []model.Advisory, recs []Record, data []byte) *IndexDoc {
	return newIndexDoc(recs, packagesOf(len(advs), func(i int, add func(eco, name string)) {
		for _, af := range advs[i].Affected {
			add(af.Ecosystem, af.Name)
		}
	}), selectionOf(headsOf(advs), data, recs))
}

// newIndexDoc is the index of records recs with their packages and selection.
func newIndexDoc(recs []Record, pkgs []Package, sel *selection) *IndexDoc {
	doc := &IndexDoc{Schema: IndexSchema, Data: AdvisoriesFile, Advisories: recs, Packages: pkgs, Select: sel}
	if doc.Advisories == nil {
		doc.Advisories = []Record{}
	}
	return doc
}

// packagesOf lists the packages named by n records, in index order: each
// calls add with the ecosystem and name of every affected entry of record
// i (those without either are left out).
func packagesOf(n int, each func(i int, add func(eco, name string))) []Package {
	type key struct{ base, name, eco string }
	byKey := map[key][]int{}
	for i := range n {
		each(i, func(eco, name string) {
			if eco == "" || name == "" {
				return
			}
			k := key{purl.Base(eco), purl.NormalizeName(eco, name), eco}
			if l := byKey[k]; len(l) == 0 || l[len(l)-1] != i {
				byKey[k] = append(l, i)
			}
		})
	}
	pkgs := make([]Package, 0, len(byKey))
	for k, l := range byKey {
		pkgs = append(pkgs, Package{Ecosystem: k.eco, Name: k.name, Advisories: l})
	}
	slices.SortFunc(pkgs, comparePackages)
	return pkgs
}

func comparePackages(a, b Package) int {
	return cmp.Or(strings.Compare(purl.Base(a.Ecosystem), purl.Base(b.Ecosystem)), strings.Compare(a.Name, b.Name), strings.Compare(a.Ecosystem, b.Ecosystem))
}

// Index answers advisory lookups for a snapshot by reading only the
// advisories asked for. It is safe for concurrent use.
type Index struct {
	doc  *IndexDoc
	data []byte // advisories.json, when it is in memory
	// path is advisories.json on disk when data is nil (a frozen set read
	// from the cache): records are read from it at their offsets, the file
	// opened for each batch of reads (open) and checked to be the one that
	// was verified, whose metadata is print (inputs.FilePrint).
	path, print string
	// indexPath is the index file when its text is not kept (a frozen set
	// read from the cache).
	indexPath string
	// dir is the snapshot directory the index was opened in, if any: an
	// error of reading a record after the snapshot was loaded names it
	// (Pending, Modified), as Load's errors do.
	dir string

	mu    sync.Mutex
	cache map[int]*model.Advisory

	headsOnce sync.Once
	headsList []inputs.AdvisoryHead
	headsErr  error

	selOnce sync.Once
	sel     *selection
	selErr  error
}

// openIndex checks an index against its data and returns it ready for
// lookups. The checks need no decoding: the records must tile data exactly
// ("[" + records joined by "," + "]", in id order), and every package must
// point at records that exist, in order. Verify checks the rest.
func openIndex(data []byte, doc *IndexDoc) (*Index, error) {
	if err := checkSchema(doc); err != nil {
		return nil, err
	}
	for i, r := range doc.Advisories {
		if i > 0 && doc.Advisories[i-1].ID >= r.ID {
			return nil, fail.New(fail.Integrity, "advisory index: record %d (%s) is out of id order", i, r.ID)
		}
	}
	if at := tiles(data, doc.Advisories); at >= 0 {
		return nil, fail.New(fail.Integrity, "advisory index does not cover %s exactly: %s", AdvisoriesFile, tileProblem(data, doc.Advisories, at))
	}
	for i, p := range doc.Packages {
		if i > 0 && comparePackages(doc.Packages[i-1], p) >= 0 {
			return nil, fail.New(fail.Integrity, "advisory index: package %s %s is out of order or repeated", p.Ecosystem, p.Name)
		}
		for k, j := range p.Advisories {
			if j < 0 || j >= len(doc.Advisories) || k > 0 && p.Advisories[k-1] >= j {
				return nil, fail.New(fail.Integrity, "advisory index: package %s %s points at record %d of %d, or out of order", p.Ecosystem, p.Name, j, len(doc.Advisories))
			}
		}
	}
	if err := checkSelect(doc); err != nil {
		return nil, err
	}
	return &Index{doc: doc, data: data, cache: map[int]*model.Advisory{}, sel: doc.Select}, nil
}

// checkSchema checks an index's schema — this one, version 2 without
// record digests or version 1 also without selection data — and that
// every record has a digest exactly when the schema gives one.
func checkSchema(doc *IndexDoc) error {
	switch {
	case doc.Data != AdvisoriesFile || doc.Schema != IndexSchema && doc.Schema != indexSchemaV2 && doc.Schema != indexSchemaV1:
		return fail.New(fail.Integrity, "advisory index: schema %q over %q, want %q over %q", doc.Schema, doc.Data, IndexSchema, AdvisoriesFile)
	case doc.Schema == indexSchemaV1 && doc.Select != nil:
		return fail.New(fail.Integrity, "advisory index: %s has no select member", indexSchemaV1)
	}
	digests := doc.digests()
	for i, r := range doc.Advisories {
		switch {
		case digests && (len(r.Digest) != len(canon.Prefix)+2*sha256.Size || !strings.HasPrefix(r.Digest, canon.Prefix)):
			return fail.New(fail.Integrity, "advisory index: record %d (%s) has no valid digest (%q)", i, r.ID, r.Digest)
		case !digests && r.Digest != "":
			return fail.New(fail.Integrity, "advisory index: record %d (%s) has a digest, which %s does not give", i, r.ID, doc.Schema)
		}
	}
	return nil
}

// digests reports whether the index gives each record's digest (version 3,
// unless they were dropped).
func (doc *IndexDoc) digests() bool { return doc.Schema == IndexSchema && !doc.dropped }

// dropDigests leaves out the records' digests.
func (doc *IndexDoc) dropDigests() {
	for i := range doc.Advisories {
		doc.Advisories[i].Digest = ""
	}
	doc.dropped = true
}

// checkSelect checks the shape of a version 2 index's selection: one alias
// group (or -1) per record, and positions of records in order. That the
// selection is the records' own is Verify's to check.
func checkSelect(doc *IndexDoc) error {
	if doc.Schema == indexSchemaV1 {
		return nil
	}
	sel, n := doc.Select, len(doc.Advisories)
	if sel == nil || len(sel.Group) != n {
		return fail.New(fail.Integrity, "advisory index: the select member does not give a group for each of the %d records", n)
	}
	for k, j := range sel.Always {
		if j < 0 || j >= n || k > 0 && sel.Always[k-1] >= j {
			return fail.New(fail.Integrity, "advisory index: select.always names record %d of %d, or out of order", j, n)
		}
	}
	for j, g := range sel.Group {
		if g < -1 {
			return fail.New(fail.Integrity, "advisory index: select.group of record %d is %d", j, g)
		}
	}
	return nil
}

// openIndexFile opens an index over the data file at path, of size bytes
// and metadata print, without reading it: its digest was checked when it
// was written (advCache), so only the offsets are checked to tile it ("["
// + records joined by "," + "]"); a record that does not decode to its id
// is an error when read.
func openIndexFile(path, print string, size int64, doc *IndexDoc) (*Index, error) {
	if err := checkSchema(doc); err != nil {
		return nil, err
	}
	if err := checkSelect(doc); err != nil {
		return nil, err
	}
	at := int64(1)
	for i, r := range doc.Advisories {
		if i > 0 {
			at++
		}
		if r.Offset != at || r.Length <= 0 || i > 0 && doc.Advisories[i-1].ID >= r.ID {
			return nil, fail.New(fail.Integrity, "advisory index: record %d (%s) is out of place", i, r.ID)
		}
		at += r.Length
	}
	if at != size-1 || size < 2 {
		return nil, fail.New(fail.Integrity, "advisory index does not cover %s exactly", AdvisoriesFile)
	}
	return &Index{doc: doc, path: path, print: print, cache: map[int]*model.Advisory{}, sel: doc.Select}, nil
}

// recordReader reads records for one batch of lookups: from the data in
// memory, or from the data file, opened for the batch.
type recordReader struct {
	data []byte
	base int64 // where data starts in the file: a window of it (window)
	f    *os.File
	// check: each record read from f is checked against its digest (a
	// version 3 index over a file that was not hashed whole).
	check bool
}

// open opens the records for a batch of reads; close ends the batch. A data
// file must still be the file the index was opened over (its metadata
// print): one replaced or written since is an error, never read.
func (x *Index) open() (*recordReader, error) {
	if x.path == "" {
		return &recordReader{data: x.data}, nil
	}
	f, err := os.Open(x.path)
	if err != nil {
		return nil, fail.New(fail.Integrity, "%s: %v", AdvisoriesFile, unwrap(err))
	}
	if fi, err := f.Stat(); err != nil || !samePrint(fi, x.print) {
		f.Close()
		return nil, fail.New(fail.Integrity, "%s changed while in use", x.path)
	}
	return &recordReader{f: f, check: x.doc.digests()}, nil
}

// samePrint reports whether fi has the metadata print.
func samePrint(fi os.FileInfo, print string) bool {
	p, ok := inputs.FilePrint(fi)
	return ok && p == print
}

func (r *recordReader) close() {
	if r.f != nil {
		r.f.Close()
	}
}

// bytes returns the text of record rec.
func (r *recordReader) bytes(rec Record) ([]byte, error) {
	var b []byte
	if at := rec.Offset - r.base; r.data != nil && at >= 0 && at+rec.Length <= int64(len(r.data)) {
		b = r.data[at : at+rec.Length]
	} else {
		b = make([]byte, rec.Length)
		if _, err := r.f.ReadAt(b, rec.Offset); err != nil {
			return nil, fail.New(fail.Integrity, "%s: record %s: %v", AdvisoriesFile, rec.ID, err)
		}
	}
	if r.check && canon.Digest(b) != rec.Digest {
		return nil, fail.New(fail.Integrity, "%s: record %s at offset %d does not match its digest in the advisory index: the file was changed", AdvisoriesFile, rec.ID, rec.Offset)
	}
	return b, nil
}

// all returns the whole data.
func (r *recordReader) all() ([]byte, error) {
	if r.f == nil {
		return r.data, nil
	}
	fi, err := r.f.Stat()
	if err != nil {
		return nil, fail.New(fail.Integrity, "%s: %v", AdvisoriesFile, err)
	}
	b := make([]byte, fi.Size()) // read at once, not grown
	if _, err := io.ReadFull(io.NewSectionReader(r.f, 0, fi.Size()), b); err != nil {
		return nil, fail.New(fail.Integrity, "%s: %v", AdvisoriesFile, err)
	}
	return b, nil
}

// window reads the bytes of the consecutive records recs from the data
// file at once, for a batch that reads them all: one read instead of one
// per record (the window's buffer is reused by the next). Records read
// from it are still checked against their digests.
func (r *recordReader) window(recs []Record) error {
	if r.f == nil || len(recs) == 0 {
		return nil
	}
	from, to := recs[0].Offset, recs[len(recs)-1].Offset+recs[len(recs)-1].Length
	if int64(cap(r.data)) < to-from {
		r.data = make([]byte, to-from)
	}
	r.data, r.base = r.data[:to-from], from
	if _, err := r.f.ReadAt(r.data, from); err != nil {
		r.data = nil
		return fail.New(fail.Integrity, "%s: %v", AdvisoriesFile, err)
	}
	return nil
}

// Verify checks that the index is exactly the index of the data: every
// record decodes to the advisory its entry names, and the packages are the
// ones those advisories' affected entries name. It decodes every record,
// so it is for import and inspection, not for every run.
func (x *Index) Verify() error {
	advs, err := x.All()
	if err != nil {
		return err
	}
	rd, err := x.open()
	if err != nil {
		return err
	}
	data, err := rd.all()
	rd.close()
	if err != nil {
		return err
	}
	if at := tiles(data, x.doc.Advisories); at >= 0 {
		return fail.New(fail.Integrity, "advisory index does not cover %s exactly: %s", AdvisoriesFile, tileProblem(data, x.doc.Advisories, at))
	}
	if x.doc.digests() {
		for i, r := range x.doc.Advisories {
			if canon.Digest(data[r.Offset:r.Offset+r.Length]) != r.Digest {
				return fail.New(fail.Integrity, "advisory index: the digest of record %d (%s) is not the one of its bytes in %s", i, r.ID, AdvisoriesFile)
			}
		}
	}
	want := buildIndex(advs, x.doc.Advisories, data)
	if slices.EqualFunc(want.Packages, x.doc.Packages, func(a, b Package) bool {
		return a.Ecosystem == b.Ecosystem && a.Name == b.Name && slices.Equal(a.Advisories, b.Advisories)
	}) {
		if s := x.doc.Select; s != nil && (!slices.Equal(s.Always, want.Select.Always) || !slices.Equal(s.Group, want.Select.Group)) {
			return fail.New(fail.Integrity, "advisory index: its selection (select) is not the one of the records in %s", AdvisoriesFile)
		}
		return nil
	}
	for i := 0; ; i++ {
		switch {
		case i == len(want.Packages):
			p := x.doc.Packages[i]
			return fail.New(fail.Integrity, "advisory index lists package %s %s, which no advisory of %s names", p.Ecosystem, p.Name, AdvisoriesFile)
		case i == len(x.doc.Packages) || want.Packages[i].Ecosystem != x.doc.Packages[i].Ecosystem || want.Packages[i].Name != x.doc.Packages[i].Name:
			p := want.Packages[i]
			return fail.New(fail.Integrity, "advisory index does not cover %s: package %s %s (%d advisories) is missing or misplaced", AdvisoriesFile, p.Ecosystem, p.Name, len(p.Advisories))
		case !slices.Equal(want.Packages[i].Advisories, x.doc.Packages[i].Advisories):
			p := want.Packages[i]
			return fail.New(fail.Integrity, "advisory index does not cover %s: package %s %s lists the wrong advisories", AdvisoriesFile, p.Ecosystem, p.Name)
		}
	}
}

// Len is the number of advisories.
func (x *Index) Len() int { return len(x.doc.Advisories) }

// IDs lists the advisory ids, sorted.
func (x *Index) IDs() []string {
	ids := make([]string, len(x.doc.Advisories))
	for i, r := range x.doc.Advisories {
		ids[i] = r.ID
	}
	return ids
}

// Packages lists the indexed packages.
func (x *Index) Packages() []Package { return x.doc.Packages }

// Lookup returns the advisories, sorted by id, with an affected entry for
// package name in ecosystem: the name is compared after
// purl.NormalizeName, and an ecosystem with a release ("Debian:12") also
// finds entries that refine it, as purl.EcosystemCovers defines.
func (x *Index) Lookup(ecosystem, name string) ([]*model.Advisory, error) {
	base, norm := purl.Base(ecosystem), purl.NormalizeName(ecosystem, name)
	ps := x.doc.Packages
	i := sort.Search(len(ps), func(i int) bool {
		return comparePackages(ps[i], Package{Ecosystem: base, Name: norm}) >= 0
	})
	var hits []int
	for ; i < len(ps) && purl.Base(ps[i].Ecosystem) == base && ps[i].Name == norm; i++ {
		if purl.EcosystemCovers(ps[i].Ecosystem, ecosystem) {
			hits = append(hits, ps[i].Advisories...)
		}
	}
	slices.Sort(hits)
	hits = slices.Compact(hits)
	out := make([]*model.Advisory, 0, len(hits))
	for _, j := range hits {
		a, err := x.record(j)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Get returns the advisory with this id, or nil.
func (x *Index) Get(id string) (*model.Advisory, error) {
	rs := x.doc.Advisories
	i := sort.Search(len(rs), func(i int) bool { return rs[i].ID >= id })
	if i == len(rs) || rs[i].ID != id {
		return nil, nil
	}
	return x.record(i)
}

// record reads and decodes advisory i once; the result is shared, so
// callers must not modify it.
func (x *Index) record(i int) (*model.Advisory, error) {
	x.mu.Lock()
	a, ok := x.cache[i]
	x.mu.Unlock()
	if ok {
		return a, nil
	}
	r := x.doc.Advisories[i]
	a = new(model.Advisory)
	rd, err := x.open()
	if err != nil {
		return nil, err
	}
	b, err := rd.bytes(r)
	rd.close()
	if err != nil {
		return nil, err
	}
	if err := inputs.DecodeAdvisory(b, a); err != nil || a.ID != r.ID {
		return nil, fail.New(fail.Integrity, "advisory %s: the index does not match %s", r.ID, AdvisoriesFile)
	}
	x.mu.Lock()
	x.cache[i] = a
	x.mu.Unlock()
	return a, nil
}

// All reads every advisory, in id order. The file is the canonical array
// "[" + records joined by "," + "]" at the offsets the index gives (checked
// when the index was opened), so the records are decoded in parallel.
func (x *Index) All() ([]model.Advisory, error) {
	all := make([]int, len(x.doc.Advisories))
	for i := range all {
		all[i] = i
	}
	return x.decode(all)
}

// tiles checks that data is exactly "[" + the records at their offsets
// joined by "," + "]". It returns -1 when it is, else the number of records
// that were in place before the first difference.
func tiles(data []byte, recs []Record) int {
	at := int64(1)
	if len(data) < 2 || data[0] != '[' || data[len(data)-1] != ']' {
		return 0
	}
	for i, r := range recs {
		if i > 0 {
			if at >= int64(len(data)) || data[at] != ',' {
				return i
			}
			at++
		}
		if r.Offset != at || r.Length <= 0 || r.Offset+r.Length > int64(len(data))-1 {
			return i
		}
		at += r.Length
	}
	if at != int64(len(data))-1 {
		return len(recs)
	}
	return -1
}

// tileProblem says where tiles found the first difference.
func tileProblem(data []byte, recs []Record, at int) string {
	switch {
	case len(data) < 2 || data[0] != '[' || data[len(data)-1] != ']':
		return "the data is not a JSON array"
	case at == len(recs):
		return fmt.Sprintf("its %d records end at byte %d, the array at byte %d", len(recs), endOf(recs), len(data)-1)
	}
	r := recs[at]
	return fmt.Sprintf("record %d (%s) at offset %d, length %d is not where the previous record ends", at, r.ID, r.Offset, r.Length)
}

func endOf(recs []Record) int64 {
	if len(recs) == 0 {
		return 1
	}
	r := recs[len(recs)-1]
	return r.Offset + r.Length
}

// inDir names the snapshot directory in err, if the index is one's.
func (x *Index) inDir(err error) error {
	if err == nil || x.dir == "" {
		return err
	}
	return fmt.Errorf("snapshot %s: %w", x.dir, err)
}
