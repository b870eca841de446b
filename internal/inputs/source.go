package inputs

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
)

// member is one file to read: a plain file, or a member of a directory or zip.
type member struct {
	name  string // for messages: the input path, plus "/member" inside a directory or zip
	rel   string // path inside the directory or zip ("" for a plain file)
	open  func() (io.ReadCloser, error)
	size  int64       // declared size, or -1
	csize int64       // compressed size of a zip member, or -1
	stat  fs.FileInfo // a directory member's lstat (Fingerprint)
	// seq is a zip member's place in the archive: members read in that
	// order read the zip front to back (zipFile). Its digest is not taken:
	// the zip's own covers it.
	seq int
}

// readDoc reads a member into memory within the limits: leading whitespace
// (and a UTF-8 byte order mark) is streamed past without being buffered, a
// gzip file is decompressed when gunzip is set, and the raw bytes are hashed
// as they go by. It returns the document and the sha256 of the raw bytes.
func readDoc(m member, lim Limits, gunzip bool) (*doc, string, error) {
	rc, err := m.open()
	if err != nil {
		return nil, "", invalid("", Problem{File: m.name, Msg: unwrapPathError(err).Error()})
	}
	defer rc.Close()
	if m.size >= 0 && m.size <= smallFile && m.size <= lim.MaxFileBytes {
		if d, digest, ok, err := readSmall(rc, m, gunzip); ok || err != nil {
			return d, digest, err
		}
		// Gzip-compressed, or grown since it was measured: stream it instead.
		rc.Close()
		if rc, err = m.open(); err != nil {
			return nil, "", invalid("", Problem{File: m.name, Msg: unwrapPathError(err).Error()})
		}
		defer rc.Close()
	}
	h := sha256.New()
	raw := &countingReader{r: io.TeeReader(rc, h)}
	br := bufio.NewReaderSize(raw, 32<<10)
	var src io.Reader = br
	if magic, _ := br.Peek(2); gunzip && len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "", invalid("", Problem{File: m.name, Msg: "invalid gzip data: " + err.Error()})
		}
		zr.Multistream(false)
		src = &ratioReader{r: zr, raw: raw, name: m.name, lim: lim}
	} else if m.size > lim.MaxFileBytes {
		return nil, "", tooBig(m.name, m.size, lim)
	}
	// Whitespace counts against the limit too, but is never held in memory.
	cr := &countingReader{r: io.LimitReader(src, lim.MaxFileBytes+1)}
	body := bufio.NewReaderSize(cr, 32<<10)
	d := &doc{name: m.name, gz: src != io.Reader(br)}
	if err := skipSpace(body, d); err != nil {
		return nil, "", wrapReadErr(m.name, err)
	}
	hint := int64(-1) // a file of known size is read into one allocation
	if !d.gz && m.size <= lim.MaxFileBytes {
		hint = m.size
	}
	data, err := readAll(body, hint)
	if err != nil {
		return nil, "", wrapReadErr(m.name, err)
	}
	if cr.n > lim.MaxFileBytes {
		return nil, "", tooBig(m.name, -1, lim)
	}
	if len(data) == 0 {
		return nil, "", invalid("", Problem{File: m.name, Msg: "empty input (no content, only whitespace)"})
	}
	// Hash whatever a decompressor left unread, so the digest covers the file.
	if _, err := io.Copy(io.Discard, br); err != nil {
		return nil, "", wrapReadErr(m.name, err)
	}
	d.data = data
	return d, canon.Prefix + hex.EncodeToString(h.Sum(nil)), nil
}

// readAll is io.ReadAll starting from size bytes (when size ≥ 0), so that a
// large file costs its size once, not the garbage of doubling a buffer up to
// it (docs/performance.md "Bounds").
func readAll(r io.Reader, size int64) ([]byte, error) {
	if size < 0 {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, size+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// smallFile is the size up to which a file of known size is read in one
// piece (most OSV records are a few kilobytes).
const smallFile = 1 << 20

// readSmall reads a small file of known size in one allocation. ok is false
// when the file turns out to be gzip-compressed, or longer than its size
// said, and must be streamed.
func readSmall(r io.Reader, m member, gunzip bool) (d *doc, digest string, ok bool, err error) {
	buf := make([]byte, 0, m.size+1)
	for len(buf) < cap(buf) {
		n, rerr := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return nil, "", false, wrapReadErr(m.name, rerr)
		}
	}
	if int64(len(buf)) > m.size { // the file grew while being read
		return nil, "", false, nil
	}
	if gunzip && len(buf) >= 2 && buf[0] == 0x1f && buf[1] == 0x8b {
		return nil, "", false, nil
	}
	if m.csize < 0 { // a zip member's digest is not taken (member.seq)
		sum := sha256.Sum256(buf)
		digest = canon.Prefix + hex.EncodeToString(sum[:])
	}
	d = &doc{name: m.name}
	buf = bytes.TrimPrefix(buf, []byte("\xEF\xBB\xBF"))
	i := 0
	for ; i < len(buf); i++ {
		switch buf[i] {
		case '\n':
			d.skipLines++
			d.skipCol = 0
		case ' ', '\t', '\r':
			d.skipCol++
		default:
			d.data = buf[i:]
			return d, digest, true, nil
		}
	}
	return nil, "", false, invalid("", Problem{File: m.name, Msg: "empty input (no content, only whitespace)"})
}

// skipSpace advances r past a UTF-8 byte order mark and JSON whitespace,
// counting lines and columns into d, one buffer-full at a time.
func skipSpace(r *bufio.Reader, d *doc) error {
	if bom, _ := r.Peek(3); len(bom) == 3 && bom[0] == 0xEF && bom[1] == 0xBB && bom[2] == 0xBF {
		r.Discard(3)
	}
	for {
		chunk, err := r.Peek(r.Size())
		for i, c := range chunk {
			switch c {
			case '\n':
				d.skipLines++
				d.skipCol = 0
			case ' ', '\t', '\r':
				d.skipCol++
			default:
				r.Discard(i)
				return nil // a read error after this byte surfaces on the next read
			}
		}
		r.Discard(len(chunk))
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func tooBig(name string, size int64, lim Limits) error {
	if size > 0 {
		return invalid("", Problem{File: name, Msg: fmt.Sprintf("input is %d bytes, more than the limit of %d bytes (--max-input-size)", size, lim.MaxFileBytes)})
	}
	return invalid("", Problem{File: name, Msg: fmt.Sprintf("input is larger than the limit of %d bytes (--max-input-size)", lim.MaxFileBytes)})
}

func wrapReadErr(name string, err error) error {
	var fe *fail.Error
	if errors.As(err, &fe) {
		return err
	}
	return invalid("", Problem{File: name, Msg: "read: " + unwrapPathError(err).Error()})
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ratioReader fails when the bytes it decompresses grow past the file limit,
// or past MaxRatio times the compressed bytes read so far (a bomb).
type ratioReader struct {
	r    io.Reader
	raw  *countingReader
	name string
	lim  Limits
	n    int64
}

func (z *ratioReader) Read(p []byte) (int, error) {
	n, err := z.r.Read(p)
	z.n += int64(n)
	if z.n > z.lim.MaxFileBytes {
		return n, tooBig(z.name, -1, z.lim)
	}
	if z.n > 1<<20 && z.raw.n > 0 && z.n/z.raw.n > z.lim.MaxRatio {
		return n, invalid("", Problem{File: z.name, Msg: fmt.Sprintf("compression ratio above %d:1; refusing a likely decompression bomb", z.lim.MaxRatio)})
	}
	return n, err
}

// fileMember is a plain file.
func fileMember(p string, size int64) member {
	return member{name: p, size: size, csize: -1, open: func() (io.ReadCloser, error) { return os.Open(p) }}
}

// dirMembers lists the *.json files under dir, sorted by slash path,
// skipping hidden directories and anything that is not a regular file.
func dirMembers(dir string, lim Limits) ([]member, error) {
	return walkMembers(dir, lim, func(name string) bool { return strings.EqualFold(path.Ext(name), ".json") })
}

// walkMembers lists the regular files under dir whose names want accepts,
// sorted by slash path, skipping hidden directories. Their sizes are read
// (lstat) on GOMAXPROCS goroutines once the walk has listed them.
func walkMembers(dir string, lim Limits, want func(name string) bool) ([]member, error) {
	var ms []member
	var ents []fs.DirEntry
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := e.Name()
		if e.IsDir() {
			if p != dir && strings.HasPrefix(name, ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() || !want(name) {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if len(ms) == lim.MaxFiles {
			return invalid("", Problem{File: dir, Msg: fmt.Sprintf("more than %d files", lim.MaxFiles)})
		}
		ms = append(ms, member{
			name: p, rel: filepath.ToSlash(rel), csize: -1,
			open: func() (io.ReadCloser, error) { return os.Open(p) },
		})
		ents = append(ents, e)
		return nil
	})
	if err == nil {
		errs := make([]error, len(ms))
		eachMember(len(ms), func(i int) {
			fi, err := ents[i].Info()
			if err == nil {
				ms[i].size, ms[i].stat = fi.Size(), fi
			}
			errs[i] = err
		})
		for _, e := range errs {
			if e != nil {
				err = e
				break
			}
		}
	}
	if err != nil {
		var fe *fail.Error
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, invalid("", Problem{File: dir, Msg: unwrapPathError(err).Error()})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].rel < ms[j].rel })
	return ms, nil
}

// zipMembers lists the *.json members of a zip, sorted by name, refusing
// unsafe names, oversized members and suspicious compression ratios before
// anything is decompressed. The zip is closed by the returned closer.
func zipMembers(p string, lim Limits) ([]member, io.Closer, error) {
	zf, err := openZipFile(p)
	if err != nil {
		return nil, nil, invalid("", Problem{File: p, Msg: unwrapPathError(err).Error()})
	}
	zr, err := zip.NewReader(zf, zf.size)
	if err != nil {
		zf.Close()
		return nil, nil, invalid("", Problem{File: p, Msg: "invalid zip: " + err.Error()})
	}
	var ms []member
	var total uint64
	seen := map[string]bool{}
	for seq, f := range zr.File {
		name := f.Name
		bad := func(msg string) ([]member, io.Closer, error) {
			zf.Close()
			return nil, nil, invalid("", Problem{File: p + "/" + name, Msg: msg})
		}
		if strings.Contains(name, `\`) || !filepath.IsLocal(filepath.FromSlash(name)) || path.Clean(name) != strings.TrimSuffix(name, "/") {
			return bad("unsafe member path (absolute, \"..\" or not clean); refusing the zip")
		}
		if f.FileInfo().IsDir() || !strings.EqualFold(path.Ext(name), ".json") {
			continue
		}
		if !f.Mode().IsRegular() {
			return bad("member is not a regular file")
		}
		if seen[name] {
			return bad("duplicate member")
		}
		seen[name] = true
		if f.UncompressedSize64 > uint64(lim.MaxFileBytes) {
			return bad(fmt.Sprintf("member is %d bytes uncompressed, more than the limit of %d bytes", f.UncompressedSize64, lim.MaxFileBytes))
		}
		if f.UncompressedSize64 > 1<<20 && f.CompressedSize64 > 0 && f.UncompressedSize64/f.CompressedSize64 > uint64(lim.MaxRatio) ||
			f.UncompressedSize64 > 1<<20 && f.CompressedSize64 == 0 {
			return bad(fmt.Sprintf("compression ratio above %d:1; refusing a likely decompression bomb", lim.MaxRatio))
		}
		total += f.UncompressedSize64
		if total > uint64(lim.MaxArchiveBytes) {
			return bad(fmt.Sprintf("zip holds more than %d bytes uncompressed", lim.MaxArchiveBytes))
		}
		if len(ms) == lim.MaxFiles {
			return bad(fmt.Sprintf("zip holds more than %d files", lim.MaxFiles))
		}
		f := f
		ms = append(ms, member{
			name: p + "/" + name, rel: name, size: int64(f.UncompressedSize64), csize: int64(f.CompressedSize64), seq: seq,
			open: func() (io.ReadCloser, error) {
				rc, err := f.Open()
				if err != nil {
					return nil, err
				}
				// The header may lie; never decompress past what it declared.
				return struct {
					io.Reader
					io.Closer
				}{io.LimitReader(rc, int64(f.UncompressedSize64)), rc}, nil
			},
		})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].rel < ms[j].rel })
	return ms, zf, nil
}

// zipFile reads a zip for its members. Reading a member takes a few small
// reads (its local header, then the compressed data a few kilobytes at a
// time), a system call each; members read in archive order (member.seq)
// make them sequential, so zipFile reads ahead a window at a time and
// serves them from memory. A read that starts a little past the previous
// one or a window moves the older window there; any other (the central
// directory's end, a zip out of order) is read from the file as asked
// (docs/performance.md, "The first run over a new zip").
type zipFile struct {
	f    *os.File
	size int64
	mu   sync.Mutex
	win  [2]zipWindow
	last int   // the window read last
	prev int64 // where the previous read ended
}

type zipWindow struct {
	off int64
	b   []byte
}

const zipWindowSize = 256 << 10

func openZipFile(p string) (*zipFile, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &zipFile{f: f, size: fi.Size()}, nil
}

func (z *zipFile) Close() error { return z.f.Close() }

func (z *zipFile) ReadAt(p []byte, off int64) (int, error) {
	if len(p) > zipWindowSize/4 || off < 0 {
		return z.f.ReadAt(p, off)
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	near := func(end int64) bool { return off >= end && off <= end+zipWindowSize }
	ahead := near(z.prev)
	z.prev = off + int64(len(p))
	for i := range z.win {
		w := &z.win[i]
		end := w.off + int64(len(w.b))
		if off >= w.off && off+int64(len(p)) <= end {
			z.last = i
			return copy(p, w.b[off-w.off:]), nil
		}
		ahead = ahead || w.b != nil && off >= w.off && near(end)
	}
	if !ahead {
		return z.f.ReadAt(p, off)
	}
	i := 1 - z.last
	w := &z.win[i]
	if w.b == nil {
		w.b = make([]byte, zipWindowSize)
	}
	n, err := z.f.ReadAt(w.b[:zipWindowSize], off)
	w.off, w.b, z.last = off, w.b[:n], i
	if n >= len(p) {
		return copy(p, w.b), nil
	}
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return copy(p, w.b), err
}

// listingDigest is the raw digest of a directory: the digest of the
// canonical JSON list of its members' paths and raw digests.
func listingDigest(rels, digests []string) string {
	type entry struct {
		Path   string `json:"path"`
		Digest string `json:"digest"`
	}
	es := make([]entry, len(rels))
	for i := range rels {
		es[i] = entry{rels[i], digests[i]}
	}
	_, d, err := canon.DigestOf(es)
	if err != nil {
		panic(err) // paths and digests always encode
	}
	return d
}

// fileDigest hashes a whole file by streaming it.
func fileDigest(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var h hash.Hash = sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return canon.Prefix + hex.EncodeToString(h.Sum(nil)), nil
}
