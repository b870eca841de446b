package inputs

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// TestZipFile: zipFile reads what the file holds wherever a read falls —
// in order (served from its windows), just past a window, backwards,
// anywhere (read as asked), across the end of the file — and says so at
// the end as os.File does.
func TestZipFile(t *testing.T) {
	data := make([]byte, 3*zipWindowSize+12345)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	p := filepath.Join(t.TempDir(), "f.zip")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	z, err := openZipFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	check := func(what string, off int64, n int) {
		t.Helper()
		buf := make([]byte, n)
		got, err := z.ReadAt(buf, off)
		want := max(0, min(int64(n), int64(len(data))-off))
		if int64(got) != want || !bytes.Equal(buf[:got], data[off:off+int64(got)]) {
			t.Fatalf("%s: ReadAt(%d bytes at %d) = %d bytes (%v), want %d of the file's", what, n, off, got, err, want)
		}
		if (int64(n) > want) != (err != nil) {
			t.Fatalf("%s: ReadAt(%d bytes at %d) error %v", what, n, off, err)
		}
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// In order, as members read in archive order do: a header, then the
	// data a few kilobytes at a time.
	for off := int64(0); off < int64(len(data)); off += 4096 + 30 {
		check("in order", off, 30)
		check("in order", off+30, 4096)
	}
	for range 2000 {
		off := r.Int64N(int64(len(data)))
		check("anywhere", off, 1+r.IntN(8192))
	}
	check("across the end", int64(len(data))-100, 4096)
	check("at the end", int64(len(data)), 10)
	check("large", 10, zipWindowSize)
}
