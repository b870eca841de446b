package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
)

// Compressions.
const (
	Zstd = "zstd"
	Gzip = "gzip"
)

var (
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	gzipMagic = []byte{0x1f, 0x8b}
)

// file is one archive member.
type file struct {
	path string
	data []byte
}

// writeArchive writes files as a deterministic tar, sorted by path,
// compressed with c. The same files always give the same bytes: every
// header has mtime 0, uid/gid 0, empty user and group names and mode 0644,
// and the USTAR format is used unless a path needs a PAX record (longer
// than the USTAR fields hold), whose content is then the path alone.
func writeArchive(w io.Writer, c string, files []file) error {
	sorted := append([]file(nil), files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].path < sorted[j].path })
	var cw io.WriteCloser
	switch c {
	case Zstd, "":
		zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedBetterCompression), zstd.WithEncoderConcurrency(1))
		if err != nil {
			return err
		}
		cw = zw
	case Gzip:
		gw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
		if err != nil {
			return err
		}
		gw.ModTime = time.Time{} // no timestamp in the gzip header
		cw = gw
	default:
		return fail.New(fail.Invalid, "unknown compression %q (want zstd or gzip)", c)
	}
	entries := make([]canon.TarEntry, len(sorted))
	for i, f := range sorted {
		if i > 0 && sorted[i-1].path == f.path {
			return fail.New(fail.Internal, "bundle: duplicate entry %s", f.path)
		}
		entries[i] = canon.TarEntry{Name: f.path, Data: f.data}
	}
	if err := canon.WriteTar(cw, entries); err != nil {
		return err
	}
	return cw.Close()
}

// Limits bound what Read accepts, against decompression bombs. Zero fields
// take the defaults.
type Limits struct {
	MaxEntries   int   // number of files; default 100000
	MaxEntrySize int64 // bytes of one file; default 1 GiB
	MaxTotalSize int64 // bytes of all files together; default 2 GiB
}

// Default limits.
const (
	DefaultMaxEntries   = 100000
	DefaultMaxEntrySize = 1 << 30
	DefaultMaxTotalSize = 2 << 30
)

func (l Limits) withDefaults() Limits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxEntrySize <= 0 {
		l.MaxEntrySize = DefaultMaxEntrySize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = DefaultMaxTotalSize
	}
	if l.MaxEntrySize > l.MaxTotalSize {
		l.MaxEntrySize = l.MaxTotalSize
	}
	return l
}

// maxTrailer bounds the zero padding accepted after the end of the tar.
const maxTrailer = 1 << 20

// errTooBig is returned by capReader past its limit.
var errTooBig = errors.New("decompressed data exceeds the size limit")

// capReader fails once more than n bytes have been read through it, so a
// decompression bomb is stopped after n bytes whatever the tar says.
type capReader struct {
	r io.Reader
	n int64
}

func (c *capReader) Read(p []byte) (int, error) {
	// Read at most one byte more than allowed, to tell "exactly at the
	// limit" from "over".
	if int64(len(p)) > c.n+1 {
		p = p[:c.n+1]
	}
	n, err := c.r.Read(p)
	if c.n -= int64(n); c.n < 0 {
		return n, errTooBig
	}
	return n, err
}

// maxZstdWindow bounds the zstd window a bundle may use, which is what the
// decoder holds in memory (Export uses 8 MiB).
const maxZstdWindow = 16 << 20

// maxManifestSize bounds manifest.json and manifest.dsse.json, the only
// entries Read keeps in memory (a manifest of DefaultMaxEntries entries is
// about 20 MB).
const maxManifestSize = 32 << 20

// part is one archive member as read: its size and digest, and its bytes
// either in memory (the manifest files) or at off in the bundle's spool.
type part struct {
	size   int64
	digest string
	data   []byte
	off    int64
}

// readArchive reads a compressed tar defensively into b, streaming
// (docs/bundle.md "Reading a bundle"): each member's header is checked
// before its data is read — a regular file with a safe, unique name, in
// path order, within the limits, in canonical form and, once manifest.json
// has been read (it sorts before every content entry), listed there with
// that size — so an unlisted or oversized entry is refused before a byte of
// its body is decompressed. Bodies go to a spool file (unlinked at once),
// hashed on the way; only the manifest files stay in memory. Anything but
// a well-formed archive is an Integrity error naming the member.
func readArchive(r io.Reader, lim Limits, b *Bundle) (err error) {
	lim = lim.withDefaults()
	br := bufio.NewReader(r)
	head, err := br.Peek(4)
	if err != nil && err != io.EOF {
		return fail.New(fail.Invalid, "read: %v", unwrapPath(err))
	}
	var dr io.Reader
	switch {
	case bytes.HasPrefix(head, zstdMagic):
		b.Compression = Zstd
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxZstdWindow), zstd.WithDecoderLowmem(true))
		if err != nil {
			return fail.New(fail.Integrity, "zstd: %v", err)
		}
		defer zr.Close()
		dr = zr
	case bytes.HasPrefix(head, gzipMagic):
		b.Compression = Gzip
		gr, err := gzip.NewReader(br)
		if err != nil {
			return fail.New(fail.Integrity, "gzip: %v", err)
		}
		gr.Multistream(false)
		dr = gr
	case len(head) == 0:
		return fail.New(fail.Integrity, "empty file")
	default:
		return fail.New(fail.Integrity, "not a bundle: neither zstd nor gzip compressed")
	}
	// Headers and padding cost at most 3 blocks per member (PAX header,
	// header, padding) beyond the data itself.
	cr := &capReader{r: dr, n: lim.MaxTotalSize + int64(lim.MaxEntries+2)*3*512 + maxTrailer}
	tc := canon.NewTarCheck(cr, "tar")
	tr := tar.NewReader(tc)
	var listed map[string]Entry // from manifest.json, once read and decoded
	var total int64
	prev := ""
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			if err := tc.End(); err != nil {
				return fail.Wrap(fail.Integrity, err)
			}
			break
		}
		if err != nil {
			return archiveErr(err, len(b.order))
		}
		where := fmt.Sprintf("entry %d %q", len(b.order)+1, hdr.Name)
		switch hdr.Typeflag {
		case tar.TypeReg:
		case tar.TypeSymlink, tar.TypeLink:
			return fail.New(fail.Integrity, "%s: links are not allowed in a bundle (link to %q)", where, hdr.Linkname)
		default:
			return fail.New(fail.Integrity, "%s: only regular files are allowed in a bundle (type %q)", where, hdr.Typeflag)
		}
		if err := checkPath(hdr.Name); err != nil {
			return fail.New(fail.Integrity, "entry %d: %v", len(b.order)+1, err)
		}
		if _, dup := b.files[hdr.Name]; dup {
			return fail.New(fail.Integrity, "%s: duplicate path", where)
		}
		if len(b.order) == lim.MaxEntries {
			return fail.New(fail.Integrity, "more than %d entries (limit)", lim.MaxEntries)
		}
		manifestFile := hdr.Name == ManifestPath || hdr.Name == SignaturePath
		switch {
		case hdr.Size < 0 || hdr.Size > lim.MaxEntrySize:
			return fail.New(fail.Integrity, "%s: %d bytes exceeds the entry size limit of %d", where, hdr.Size, lim.MaxEntrySize)
		case manifestFile && hdr.Size > maxManifestSize:
			return fail.New(fail.Integrity, "%s: %d bytes exceeds the manifest size limit of %d", where, hdr.Size, maxManifestSize)
		}
		if total += hdr.Size; total > lim.MaxTotalSize {
			return fail.New(fail.Integrity, "%s: the entries exceed the total size limit of %d bytes", where, lim.MaxTotalSize)
		}
		if e, ok := listed[hdr.Name]; listed != nil && !manifestFile && (!ok || e.Size != hdr.Size) {
			if !ok {
				return fail.New(fail.Integrity, "%s: not listed in %s: refused before reading it", where, ManifestPath)
			}
			return fail.New(fail.Integrity, "%s: size %d, %s lists %d: refused before reading it", where, hdr.Size, ManifestPath, e.Size)
		}
		if hdr.Name <= prev {
			return fail.New(fail.Integrity, "%s: not in path order (after %q): the tar is not in canonical form", where, prev)
		}
		prev = hdr.Name
		if err := tc.Entry(hdr.Name, hdr.Size); err != nil {
			return fail.Wrap(fail.Integrity, err)
		}
		m := &part{size: hdr.Size}
		h := sha256.New()
		var n int64
		if manifestFile {
			var buf bytes.Buffer
			n, err = io.Copy(&buf, io.TeeReader(tr, h))
			m.data = buf.Bytes()
		} else {
			if m.off, err = b.spoolEnd(); err != nil {
				return err
			}
			n, err = io.Copy(io.MultiWriter(b.spool, h), tr)
		}
		if err != nil {
			return archiveErr(fmt.Errorf("%s: %w", where, err), len(b.order))
		}
		if n != hdr.Size {
			return fail.New(fail.Integrity, "%s: truncated (%d of %d bytes)", where, n, hdr.Size)
		}
		m.digest = canon.Prefix + hex.EncodeToString(h.Sum(nil))
		b.files[hdr.Name] = m
		b.order = append(b.order, hdr.Name)
		if hdr.Name == ManifestPath {
			if b.Manifest, b.ManifestErr = decodeManifest(m.data); b.ManifestErr == nil {
				listed = make(map[string]Entry, len(b.Manifest.Entries))
				for _, e := range b.Manifest.Entries {
					listed[e.Path] = e
				}
			}
		}
	}
	// Read to the end of the compressed stream: its checksum is checked
	// there, and only zero padding may follow the tar.
	n, err := io.Copy(zeroCheck{}, io.LimitReader(cr, maxTrailer+1))
	switch {
	case errors.Is(err, errNonZero):
		return fail.New(fail.Integrity, "data after the end of the tar archive")
	case err != nil:
		return archiveErr(err, len(b.order))
	case n > maxTrailer:
		return fail.New(fail.Integrity, "more than %d bytes of padding after the end of the tar archive", maxTrailer)
	}
	// The zstd decoder reads every frame to the end of the file; the gzip
	// reader stops after one member, so check that nothing follows it.
	if _, err := br.ReadByte(); err != io.EOF {
		return fail.New(fail.Integrity, "data after the end of the compressed stream")
	}
	return nil
}

// spoolEnd returns the end of the spool file, creating it on first use in
// the temporary directory and unlinking it at once: it goes away with the
// process or Close, whatever happens.
func (b *Bundle) spoolEnd() (int64, error) {
	if b.spool == nil {
		f, err := os.CreateTemp("", "stella-bundle-*.spool")
		if err != nil {
			return 0, fail.New(fail.Internal, "bundle spool: %v", err)
		}
		os.Remove(f.Name())
		b.spool = f
	}
	off, err := b.spool.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, fail.New(fail.Internal, "bundle spool: %v", err)
	}
	return off, nil
}

// archiveErr names a reading failure: truncation, a bomb, or corruption.
func archiveErr(err error, members int) error {
	switch {
	case errors.Is(err, errTooBig):
		return fail.New(fail.Integrity, "decompression stopped after %d entries: %v (a decompression bomb?)", members, err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fail.New(fail.Integrity, "truncated archive after %d entries: %v", members, err)
	}
	return fail.New(fail.Integrity, "corrupt archive after %d entries: %v", members, err)
}

var errNonZero = errors.New("non-zero byte")

// zeroCheck is a writer that accepts only zero bytes.
type zeroCheck struct{}

func (zeroCheck) Write(p []byte) (int, error) {
	for i, b := range p {
		if b != 0 {
			return i, errNonZero
		}
	}
	return len(p), nil
}
