package canon

import (
	"archive/tar"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"time"
)

// Canonical tar (docs/bundle.md "Archive format"): bundles and evidence
// archives are tars of regular files with mode 0644, uid and gid 0, empty
// user and group names, mtime 0, PAX format (a long name in a PAX record),
// zero padding and the two zero end blocks, so an archive's bytes are a
// function of its entries. TarHash lets a reader check that an archive is
// exactly that encoding of what it read.

// TarEntry is one file of a canonical tar.
type TarEntry struct {
	Name string
	Data []byte
}

// WriteTar writes entries, in the order given, as a canonical tar.
func WriteTar(w io.Writer, entries []TarEntry) error {
	tw := tar.NewWriter(w)
	for _, e := range entries {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: e.Name, Mode: 0o644, Size: int64(len(e.Data)),
			ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(e.Data); err != nil {
			return err
		}
	}
	return tw.Close()
}

// TarHash hashes the tar bytes a reader consumes (wrap the reader given to
// tar.NewReader with Reader) for Check.
type TarHash struct{ h hash.Hash }

// NewTarHash returns an empty TarHash.
func NewTarHash() *TarHash { return &TarHash{h: sha256.New()} }

// Reader returns r with every byte read from it hashed.
func (t *TarHash) Reader(r io.Reader) io.Reader { return io.TeeReader(r, t.h) }

// Check compares the hashed bytes with the canonical tar of entries; a
// difference is an error naming what it means (callers report it as an
// integrity failure).
func (t *TarHash) Check(name string, entries []TarEntry) error {
	c := sha256.New()
	if err := WriteTar(c, entries); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	if string(c.Sum(nil)) != string(t.h.Sum(nil)) {
		return fmt.Errorf("%s: the tar is not in canonical form (entries sorted, mode 0644, uid/gid 0, empty user/group names, mtime 0, no extra header records, zero padding): its metadata was changed", name)
	}
	return nil
}
