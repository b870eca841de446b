package feeds

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
)

// zerosZip is a zip with one member holding size bytes of zeros, built
// without ever holding them: deflate blocks of one MiB of zeros, each
// compressed alone and flushed to a byte boundary, are concatenated (no
// back-reference crosses a block), then closed by a final empty block.
// declared is the uncompressed size the headers state.
func zerosZip(t testing.TB, size, declared uint64) []byte {
	const chunk = 1 << 20
	var block bytes.Buffer
	fw, _ := flate.NewWriter(&block, flate.BestCompression)
	fw.Write(make([]byte, chunk))
	fw.Flush()
	var final bytes.Buffer
	fw, _ = flate.NewWriter(&final, flate.BestCompression)
	fw.Close()
	var body bytes.Buffer
	crc := uint32(0)
	zeros := make([]byte, chunk)
	for range size / chunk {
		body.Write(block.Bytes())
		crc = crc32.Update(crc, crc32.IEEETable, zeros)
	}
	body.Write(final.Bytes())
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "ZERO-1.json", Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(body.Len()), UncompressedSize64: declared})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(body.Bytes())
	zw.Close()
	return out.Bytes()
}

// TestZerosZipMemoryBounded serves a zip holding 2 GiB of zeros (2 MiB on
// the wire), once with honest headers (refused as a bomb before anything is
// decompressed) and once with headers that claim a small member (never
// decompressed past the claim): each download is refused, and what the
// process allocates meanwhile stays far below the archive's size.
func TestZerosZipMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 2 GiB archive (-short)")
	}
	const size = 2 << 30
	for _, c := range []struct {
		name     string
		declared uint64
		msg      string
	}{
		{"honest headers", size, "all.zip/ZERO-1.json: member is 2147483648 bytes uncompressed, more than the limit"},
		{"honest headers, higher size limit", size, "all.zip/ZERO-1.json: compression ratio above 200:1"},
		{"lying headers", 100, "all.zip/ZERO-1.json:1:1: expected an OSV record"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.srv.set("/osv/PyPI/all.zip", zerosZip(t, size, c.declared))
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			cl := testClient()
			if strings.Contains(c.name, "higher") {
				cl.Limits.MaxFileBytes = 4 << 30
			}
			_, err := f.pullOne(t, cl)
			runtime.ReadMemStats(&after)
			if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err = %v", err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("allocated %d MiB validating a 2 GiB archive", alloc>>20)
			}
		})
	}
}

// FuzzValidate feeds arbitrary bytes to the validation of every feed kind:
// it must return a result or an error, never panic, hang or blow up.
func FuzzValidate(f *testing.F) {
	f.Add(pypiZip(f, 2))
	f.Add([]byte(kevJSON))
	f.Add(epssGz(f))
	f.Add(nvdGz(f))
	f.Add(zipOf(f, map[string]string{"../x.json": "{}"}))
	f.Add([]byte("PK\x03\x04garbage"))
	f.Add(gz(f, `{"format":"NVD_CVE","version":"2.0","vulnerabilities":[{"cve":{}}]}`))
	dir := f.TempDir()
	lim := inputs.Limits{MaxFileBytes: 1 << 20, MaxArchiveBytes: 4 << 20, MaxFiles: 100}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "feed")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, k := range Kinds {
			c, err := Validate(k, p, "feed", lim)
			if err == nil && c.Records == 0 {
				t.Fatalf("%s: valid with no records", k)
			}
			if err != nil && !fail.Is(err, fail.Integrity) {
				t.Fatalf("%s: error of kind %d: %v", k, fail.KindOf(err), err)
			}
		}
		if _, err := Validate(OSV, p, "feed", lim); err == nil && !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
			t.Fatal("an OSV feed that is not a zip was accepted")
		}
	})
}

func TestNVDValidation(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, doc, msg string }{
		{"wrong format", `{"format":"X","version":"2.0","vulnerabilities":[{"cve":{"id":"CVE-2024-0001"}}]}`, "nvd/2024:1:1: unrecognized input format"},
		{"missing id", `{"format":"NVD_CVE","version":"2.0","vulnerabilities":[{"cve":{}}]}`, `/vulnerabilities/0/cve/id: invalid CVE id ""`},
		{"truncated", `{"format":"NVD_CVE","version":"2.0","vulnerabilities":[{"cve":{"id":"CVE-2024-0001"}}`, "truncated"},
		{"empty", `{"format":"NVD_CVE","version":"2.0","vulnerabilities":[]}`, "holds no records"},
		{"array", `[]`, "unrecognized input format"},
	} {
		p := filepath.Join(dir, c.name)
		os.WriteFile(p, gz(t, c.doc), 0o644)
		if _, err := Validate(NVD, p, "nvd/2024", inputs.Limits{}); !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
