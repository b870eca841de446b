package snapshot

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/model"
)

// The first run over a new OSV directory or zip (docs/performance.md, "The
// first run over a new zip"): instead of holding every record — decoded,
// then encoded — until the set is frozen, stream freezes it straight into
// a new cache entry. Each member's records are encoded as they are read
// and appended to a spool file beside the entry, and only what the index,
// the selection and the statistics need of each record is kept; then the
// records are sorted by id, merged as inputs.Merge merges them,
// and copied from the spool into advisories.json in id order. The run then
// reads the entry like any later run. The entry is the one put would have
// written from the records held in memory (TestStream).

// spooled is what stream keeps of one record: where it is, and its head,
// source and packages packed into one string (a fraction of the memory of
// the values themselves: 200,000 records are held until they are sorted).
type spooled struct {
	off         int64 // in the spool
	n           int32
	member, pos int32             // where it was read: ties between records of one id keep this order
	always      bool              // mayBePurlOnly
	id          string            // the head of text, for sorting
	text        string            // packed: id, modified, published, withdrawn, source, aliases, (ecosystem, name) of each affected entry
	data        []byte            // the record, when it is not in the spool (a merge's choice)
	sum         [sha256.Size]byte // of the record: its digest in the index
}

// spooledOf is what stream keeps of advisory a, whose canonical JSON is rec.
func spooledOf(a *model.Advisory, rec []byte) spooled {
	var b []byte
	for _, f := range []string{a.ID, a.Modified, a.Published, a.Withdrawn, a.Source} {
		b = appendPacked(b, f)
	}
	b = binary.AppendUvarint(b, uint64(len(a.Aliases)))
	for _, f := range a.Aliases {
		b = appendPacked(b, f)
	}
	b = binary.AppendUvarint(b, uint64(len(a.Affected)))
	for _, af := range a.Affected {
		b = appendPacked(appendPacked(b, af.Ecosystem), af.Name)
	}
	text := string(b)
	_, k := binary.Uvarint(b)
	return spooled{n: int32(len(rec)), always: mayBePurlOnly(rec), id: text[k : k+len(a.ID)], text: text, sum: sha256.Sum256(rec)}
}

func appendPacked(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// unpacked is a spooled record's text, unpacked.
type unpacked struct {
	head   inputs.AdvisoryHead
	source string
	pkgs   [][2]string // ecosystem and name
}

func (r *spooled) unpack() unpacked {
	t := r.text
	next := func() string {
		n, k := binary.Uvarint([]byte(t[:min(len(t), binary.MaxVarintLen64)]))
		s := t[k : k+int(n)]
		t = t[k+int(n):]
		return s
	}
	count := func() int {
		n, k := binary.Uvarint([]byte(t[:min(len(t), binary.MaxVarintLen64)]))
		t = t[k:]
		return int(n)
	}
	var u unpacked
	u.head.ID, u.head.Modified, u.head.Published, u.head.Withdrawn, u.source = next(), next(), next(), next(), next()
	if n := count(); n > 0 {
		u.head.Aliases = make([]string, n)
		for i := range n {
			u.head.Aliases[i] = next()
		}
	}
	u.pkgs = make([][2]string, count())
	for i := range u.pkgs {
		u.pkgs[i] = [2]string{next(), next()}
	}
	return u
}

// spool collects the records of one input as its members are read.
type spool struct {
	mu   sync.Mutex
	f    *os.File
	w    *bufio.Writer
	off  int64
	recs []spooled
	// names are the members', by position (Merge's warnings name them).
	names []string
	err   error
}

// add encodes and spools the records of one member (inputs.Options.Each).
func (s *spool) add(member int, name string, advs []model.Advisory) {
	var buf []byte
	recs := make([]spooled, len(advs))
	ends := make([]int, len(advs))
	for i := range advs {
		n := len(buf)
		buf = appendAdvisory(buf, &advs[i])
		recs[i] = spooledOf(&advs[i], buf[n:])
		recs[i].member, recs[i].pos = int32(member), int32(i)
		ends[i] = len(buf)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if member >= len(s.names) {
		s.names = append(s.names, make([]string, member+1-len(s.names))...)
	}
	s.names[member] = name
	start := 0
	for i := range recs {
		recs[i].off = s.off + int64(start)
		start = ends[i]
	}
	if _, err := s.w.Write(buf); err != nil && s.err == nil {
		s.err = err
	}
	s.off += int64(len(buf))
	s.recs = append(s.recs, recs...)
}

// stream freezes the one advisory input at p, read with opt, into a new
// cache entry and returns the set as read back from it. It returns the
// input itself instead when p is a single file (read whole, as before), an
// error when reading p fails, and neither when the entry could not be
// written or would not be kept (put's rules): the caller then reads p the
// old way.
func (c *advCache) stream(p string, opt inputs.Options) (*frozenSet, *inputs.Input, error) {
	tmp := c.tmp()
	if tmp == "" {
		return nil, nil, nil
	}
	defer os.RemoveAll(tmp)
	// put would not keep an entry of inputs changed this recently.
	if fi, err := os.Stat(tmp); err != nil || !c.settled(fi.ModTime()) {
		return nil, nil, nil
	}
	f, err := os.OpenFile(filepath.Join(tmp, "spool"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, nil, nil
	}
	defer f.Close()
	sp := &spool{f: f, w: bufio.NewWriterSize(f, 1<<20)}
	opt.Each = sp.add
	in, err := inputs.Read(p, opt)
	switch {
	case err != nil:
		return nil, nil, err
	case in.Advisories != nil:
		return nil, in, nil
	}
	if sp.err != nil || sp.w.Flush() != nil {
		return nil, nil, nil
	}
	set, err := sp.freeze(in, tmp, opt.NotAfter)
	if f.Close() != nil || os.Remove(f.Name()) != nil || err != nil || !c.commit(tmp, set) {
		return nil, nil, nil
	}
	return c.get(), nil, nil
}

// errLimited is spool.freeze's when merging copies of a record depended on
// the time the records are read for: the entry would not be kept
// (frozenSet.limited).
var errLimited = errors.New("the merge depends on the time the advisories are read for")

// freeze writes advisories.json and its index into dir from the spooled
// records of in, merged as known at notAfter, and returns the frozen set
// they make.
func (s *spool) freeze(in *inputs.Input, dir string, notAfter time.Time) (*frozenSet, error) {
	recs := s.recs
	slices.SortFunc(recs, func(a, b spooled) int {
		return cmp.Or(strings.Compare(a.id, b.id), cmp.Compare(a.member, b.member), cmp.Compare(a.pos, b.pos))
	})
	rd := &spoolReader{f: s.f}
	// Records of one id are merged as inputs.Merge merges them.
	m := inputs.Merge{Where: in.Path, NotAfter: notAfter, Warnings: in.Warnings}
	out := recs[:0]
	for i := 0; i < len(recs); {
		j := i + 1
		for j < len(recs) && recs[j].id == recs[i].id {
			j++
		}
		if j-i == 1 {
			out = append(out, recs[i])
			i = j
			continue
		}
		group := make([]model.Advisory, j-i)
		m.From = make([]string, j-i)
		for k := range group {
			m.From[k] = s.names[recs[i+k].member]
			b, err := rd.read(recs[i+k].off, int(recs[i+k].n))
			if err != nil {
				return nil, err
			}
			if err := inputs.DecodeAdvisory(b, &group[k]); err != nil {
				return nil, err
			}
		}
		kept := m.Records(group)
		data := appendAdvisory(nil, &kept[0])
		r := spooledOf(&kept[0], data)
		r.data = data
		out = append(out, r)
		i = j
	}
	recs = out
	if m.Limited() {
		return nil, errLimited
	}
	in.Warnings = m.Warnings

	// advisories.json is written while the index is built from what was
	// kept: the records' places follow from their lengths.
	index := make([]Record, len(recs))
	at := int64(1)
	for i, r := range recs {
		if i > 0 {
			at++
		}
		index[i] = Record{ID: r.id, Offset: at, Length: int64(r.n), Digest: canon.Prefix + hex.EncodeToString(r.sum[:])}
		at += int64(r.n)
	}
	var text []byte
	var c advCounter
	var indexErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		heads := make([]inputs.AdvisoryHead, len(recs))
		always := make([]bool, len(recs))
		pkgs := make([][][2]string, len(recs))
		for i := range recs {
			u := recs[i].unpack()
			heads[i], always[i], pkgs[i] = u.head, recs[i].always, u.pkgs
			c.add(u.head.Withdrawn != "", u.source, func(add func(string)) {
				for _, p := range u.pkgs {
					add(p[0])
				}
			})
		}
		doc := newIndexDoc(index, packagesOf(len(recs), func(i int, add func(eco, name string)) {
			for _, p := range pkgs[i] {
				add(p[0], p[1])
			}
		}), selectionFrom(heads, always))
		text = canonText(doc)
		indexErr = os.WriteFile(filepath.Join(dir, IndexFile), text, 0o600)
	})
	dataDigest, err := writeRecords(filepath.Join(dir, AdvisoriesFile), recs, rd)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if indexErr != nil {
		return nil, indexErr
	}
	counts := in.Counts()
	counts.Advisories, counts.Withdrawn = len(recs), c.st.Withdrawn
	return &frozenSet{Inputs: []frozenInput{{Read: *in, Digest: dataDigest, Counts: counts}}, Stats: c.stats(), DupNewest: m.Newest,
		index: text, size: at + 1, dataDigest: dataDigest, indexDigest: canon.Digest(text)}, nil
}

// writeRecords writes the canonical JSON array of recs to p, reading them
// from the spool, and returns its digest.
func writeRecords(p string, recs []spooled, rd *spoolReader) (string, error) {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	w.WriteByte('[')
	for i, r := range recs {
		if i > 0 {
			w.WriteByte(',')
		}
		b := r.data
		if b == nil {
			if b, err = rd.read(r.off, int(r.n)); err != nil {
				return "", err
			}
		}
		w.Write(b)
	}
	w.WriteByte(']')
	if err := w.Flush(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return canon.Prefix + hex.EncodeToString(h.Sum(nil)), nil
}

// spoolReader reads records back from the spool. The spool holds them in
// the order the members were read (the archive's); where that is roughly
// id order it reads ahead a window at a time, and a record outside the
// window and not just after it is read alone.
type spoolReader struct {
	f      *os.File
	window []byte
	start  int64 // of the window in the spool
}

const spoolWindow = 1 << 20

func (r *spoolReader) read(off int64, n int) ([]byte, error) {
	if off >= r.start && off+int64(n) <= r.start+int64(len(r.window)) {
		return r.window[off-r.start : off-r.start+int64(n)], nil
	}
	if end := r.start + int64(len(r.window)); n > spoolWindow/2 || r.window != nil && (off < end || off > end+spoolWindow) {
		b := make([]byte, n)
		_, err := r.f.ReadAt(b, off)
		return b, err
	}
	if r.window == nil {
		r.window = make([]byte, spoolWindow)
	}
	k, err := r.f.ReadAt(r.window[:cap(r.window)], off)
	if k < n {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	r.window, r.start = r.window[:k], off
	return r.window[:n], nil
}
