package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
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

// readArchive reads a compressed tar defensively and returns its files in
// archive order. Anything but a well-formed archive of uniquely and safely
// named regular files within the limits is an Integrity error naming the
// member; nothing is written anywhere.
func readArchive(r io.Reader, lim Limits) (files []file, compression string, err error) {
	lim = lim.withDefaults()
	br := bufio.NewReader(r)
	head, err := br.Peek(4)
	if err != nil && err != io.EOF {
		return nil, "", fail.New(fail.Invalid, "read: %v", unwrapPath(err))
	}
	var dr io.Reader
	switch {
	case bytes.HasPrefix(head, zstdMagic):
		compression = Zstd
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(256<<20))
		if err != nil {
			return nil, "", fail.New(fail.Integrity, "zstd: %v", err)
		}
		defer zr.Close()
		dr = zr
	case bytes.HasPrefix(head, gzipMagic):
		compression = Gzip
		gr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "", fail.New(fail.Integrity, "gzip: %v", err)
		}
		gr.Multistream(false)
		dr = gr
	case len(head) == 0:
		return nil, "", fail.New(fail.Integrity, "empty file")
	default:
		return nil, "", fail.New(fail.Integrity, "not a bundle: neither zstd nor gzip compressed")
	}
	// Headers and padding cost at most 3 blocks per member (PAX header,
	// header, padding) beyond the data itself.
	cr := &capReader{r: dr, n: lim.MaxTotalSize + int64(lim.MaxEntries+2)*3*512 + maxTrailer}
	th := canon.NewTarHash()
	tr := tar.NewReader(th.Reader(cr))
	seen := map[string]bool{}
	var total int64
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, "", archiveErr(err, len(files))
		}
		where := fmt.Sprintf("entry %d %q", len(files)+1, hdr.Name)
		switch hdr.Typeflag {
		case tar.TypeReg:
		case tar.TypeSymlink, tar.TypeLink:
			return nil, "", fail.New(fail.Integrity, "%s: links are not allowed in a bundle (link to %q)", where, hdr.Linkname)
		default:
			return nil, "", fail.New(fail.Integrity, "%s: only regular files are allowed in a bundle (type %q)", where, hdr.Typeflag)
		}
		if err := checkPath(hdr.Name); err != nil {
			return nil, "", fail.New(fail.Integrity, "entry %d: %v", len(files)+1, err)
		}
		if seen[hdr.Name] {
			return nil, "", fail.New(fail.Integrity, "%s: duplicate path", where)
		}
		seen[hdr.Name] = true
		if len(files) == lim.MaxEntries {
			return nil, "", fail.New(fail.Integrity, "more than %d entries (limit)", lim.MaxEntries)
		}
		if hdr.Size < 0 || hdr.Size > lim.MaxEntrySize {
			return nil, "", fail.New(fail.Integrity, "%s: %d bytes exceeds the entry size limit of %d", where, hdr.Size, lim.MaxEntrySize)
		}
		if total += hdr.Size; total > lim.MaxTotalSize {
			return nil, "", fail.New(fail.Integrity, "%s: the entries exceed the total size limit of %d bytes", where, lim.MaxTotalSize)
		}
		// Grow the buffer as data arrives: a header claiming a large size
		// over a truncated stream allocates only what is really there.
		var buf bytes.Buffer
		buf.Grow(int(min(hdr.Size, 1<<20)))
		if _, err := buf.ReadFrom(tr); err != nil {
			return nil, "", archiveErr(fmt.Errorf("%s: %w", where, err), len(files))
		}
		if int64(buf.Len()) != hdr.Size {
			return nil, "", fail.New(fail.Integrity, "%s: truncated (%d of %d bytes)", where, buf.Len(), hdr.Size)
		}
		files = append(files, file{path: hdr.Name, data: buf.Bytes()})
	}
	// The tar must be the canonical encoding of its entries (docs/bundle.md):
	// no header field or padding may carry anything else. (Entries that are
	// out of order or not listed are refused by the manifest check.)
	canonical := make([]canon.TarEntry, len(files))
	for i, f := range files {
		canonical[i] = canon.TarEntry{Name: f.path, Data: f.data}
	}
	if err := th.Check("tar", canonical); err != nil {
		return nil, "", fail.Wrap(fail.Integrity, err)
	}
	// Read to the end of the compressed stream: its checksum is checked
	// there, and only zero padding may follow the tar.
	n, err := io.Copy(zeroCheck{}, io.LimitReader(cr, maxTrailer+1))
	switch {
	case errors.Is(err, errNonZero):
		return nil, "", fail.New(fail.Integrity, "data after the end of the tar archive")
	case err != nil:
		return nil, "", archiveErr(err, len(files))
	case n > maxTrailer:
		return nil, "", fail.New(fail.Integrity, "more than %d bytes of padding after the end of the tar archive", maxTrailer)
	}
	// The zstd decoder reads every frame to the end of the file; the gzip
	// reader stops after one member, so check that nothing follows it.
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, "", fail.New(fail.Integrity, "data after the end of the compressed stream")
	}
	return files, compression, nil
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
