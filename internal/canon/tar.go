package canon

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"time"
)

// Canonical tar (docs/bundle.md "Archive format"): bundles and evidence
// archives are tars of regular files with mode 0644, uid and gid 0, empty
// user and group names, mtime 0, PAX format (a long name in a PAX record),
// zero padding and the two zero end blocks, so an archive's bytes are a
// function of its entries. TarCheck lets a reader check, as it streams an
// archive, that it is exactly that encoding of what it reads.

// TarEntry is one file of a canonical tar.
type TarEntry struct {
	Name string
	Data []byte
}

// WriteTar writes entries, in the order given, as a canonical tar.
func WriteTar(w io.Writer, entries []TarEntry) error {
	tw := tar.NewWriter(w)
	for _, e := range entries {
		if err := tw.WriteHeader(TarHeader(e.Name, int64(len(e.Data)))); err != nil {
			return err
		}
		if _, err := tw.Write(e.Data); err != nil {
			return err
		}
	}
	return tw.Close()
}

// TarCheck checks, while a tar.Reader reads through Reader, that every
// byte outside the entries' data is what WriteTar writes for them: the
// header blocks (a function of the name and size only), the zero padding
// and the two zero end blocks. It holds at most one entry's headers in
// memory, never its data, so a reader can stream the bodies.
type TarCheck struct {
	r    io.Reader
	got  bytes.Buffer // bytes read outside entry data since the last check
	data int64        // data bytes of the current entry still to pass through
	pad  int64        // padding the current entry's data is followed by
	name string       // for messages
}

// NewTarCheck returns a TarCheck reading r.
func NewTarCheck(r io.Reader, name string) *TarCheck { return &TarCheck{r: r, name: name} }

// Read implements io.Reader for tar.NewReader. The tar reader never reads
// across the end of an entry's data, so data and other bytes are told apart
// by counting.
func (t *TarCheck) Read(p []byte) (int, error) {
	if t.data > 0 {
		if int64(len(p)) > t.data {
			p = p[:t.data]
		}
		n, err := t.r.Read(p)
		t.data -= int64(n)
		return n, err
	}
	n, err := t.r.Read(p)
	if t.got.Len()+n > maxTarMeta {
		return n, fmt.Errorf("more than %d bytes of tar headers for one entry", maxTarMeta)
	}
	t.got.Write(p[:n])
	return n, err
}

// maxTarMeta bounds the header bytes kept for one entry (a PAX record of a
// long name is far smaller).
const maxTarMeta = 1 << 20

// Entry checks the bytes read since the previous entry's data — its
// padding, then this entry's headers — against the canonical encoding of an
// entry named name of size bytes. Call it after tar.Reader.Next returns the
// entry, before reading its data.
func (t *TarCheck) Entry(name string, size int64) error {
	var want bytes.Buffer
	want.Write(make([]byte, t.pad))
	tw := tar.NewWriter(&want)
	if err := tw.WriteHeader(TarHeader(name, size)); err != nil {
		return fmt.Errorf("%s: %s: %v", t.name, name, err)
	}
	if err := t.compare(name, want.Bytes()); err != nil {
		return err
	}
	t.data, t.pad = size, padding(size)
	return nil
}

// End checks the bytes read after the last entry's data — its padding and
// the end blocks — once tar.Reader.Next has returned io.EOF.
func (t *TarCheck) End() error {
	return t.compare("the end of the archive", make([]byte, t.pad+2*blockSize))
}

func (t *TarCheck) compare(what string, want []byte) error {
	defer t.got.Reset()
	if !bytes.Equal(t.got.Bytes(), want) {
		return fmt.Errorf("%s: the tar is not in canonical form at %s (entries sorted, mode 0644, uid/gid 0, empty user/group names, mtime 0, no extra header records, zero padding): its metadata was changed", t.name, what)
	}
	return nil
}

const blockSize = 512

func padding(size int64) int64 { return -size & (blockSize - 1) }

// TarHeader is the canonical header of an entry named name of size bytes.
func TarHeader(name string, size int64) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: size, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
}
