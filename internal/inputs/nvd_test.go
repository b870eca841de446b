package inputs

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stella-policy/stella/internal/testenv"
)

func nvdDocument(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "testdata", "inputs", "nvd.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadNVD(t *testing.T) {
	raw := nvdDocument(t)
	for _, tt := range []struct {
		name string
		data []byte
	}{{"nvd.json", raw}, {"nvd.json.gz", gz(t, raw)}} {
		t.Run(tt.name, func(t *testing.T) {
			in, err := ReadBytes(tt.name, tt.data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if in.Kind != KindNVD || in.Format != NVDJSON || len(in.NVD) != 2 {
				t.Fatalf("read %s %s with %d records", in.Kind, in.Format, len(in.NVD))
			}
			c := in.NVD[0]
			if c.ID != "CVE-2026-1001" || c.Published != "2026-03-01T10:15:00Z" || c.Status != "Analyzed" {
				t.Errorf("record %+v", c)
			}
			// Primary before Secondary, then the most specific version.
			var order []string
			for _, m := range c.Metrics {
				order = append(order, m.Type+" "+m.Version)
			}
			if want := []string{"Primary 3.1", "Primary 2.0", "Secondary 4.0"}; !equal(order, want) {
				t.Errorf("metrics %v, want %v", order, want)
			}
			if want := []string{"CWE-122", "CWE-787"}; !equal(c.CWEs, want) {
				t.Errorf("cwes %v, want %v", c.CWEs, want)
			}
			if c.Metrics[1].BaseSeverity != "MEDIUM" {
				t.Errorf("v2 baseSeverity %q, want MEDIUM (beside cvssData)", c.Metrics[1].BaseSeverity)
			}
		})
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReadNVDDir(t *testing.T) {
	dir := t.TempDir()
	raw := nvdDocument(t)
	writeFile(t, dir, "nvdcve-2.0-2026.json.gz", gz(t, raw))
	// The modified feed overrides the yearly one.
	newer := bytes.Replace(raw, []byte(`"lastModified": "2026-04-02T00:00:00.000"`), []byte(`"lastModified": "2026-05-02T00:00:00.000"`), 1)
	newer = bytes.Replace(newer, []byte(`"Awaiting Analysis"`), []byte(`"Rejected"`), 1)
	writeFile(t, dir, "nvdcve-2.0-modified.json", newer)
	writeFile(t, dir, "README.txt", []byte("not read"))
	in, err := Read(dir, Options{Kind: KindNVD})
	if err != nil {
		t.Fatal(err)
	}
	if in.Files != 2 || len(in.NVD) != 2 {
		t.Fatalf("%d files, %d records", in.Files, len(in.NVD))
	}
	if got := in.NVD[1]; got.Status != "Rejected" || got.LastModified != "2026-05-02T00:00:00Z" {
		t.Errorf("kept %+v, want the modified feed's record", got)
	}
	if len(in.Warnings) != 1 {
		t.Errorf("warnings %v, want one about the duplicates", in.Warnings)
	}
	if _, err := Read(t.TempDir(), Options{Kind: KindNVD}); err == nil {
		t.Error("an empty directory was read")
	}
}

func TestReadNVDErrors(t *testing.T) {
	for _, tt := range []struct{ doc, want string }{
		{`{"format": "NVD_CVE", "vulnerabilities": [{"cve": {"id": "CVE-1"}}]}`,
			`^bad.json:1:58: /vulnerabilities/0/cve/id: invalid CVE id "CVE-1"`},
		{`{"format": "NVD_CVE", "vulnerabilities": [{"cve": {"id": "CVE-2026-0001", "metrics": {"cvssMetricV31": [{"type": "Primary", "cvssData": {"version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "baseScore": "high"}}]}}}]}`,
			`/vulnerabilities/0/cve/metrics/cvssMetricV31/0/cvssData/baseScore: baseScore must be a number`},
		{`{"format": "NVD_CVE", "vulnerabilities": [{"cve": {"id": "CVE-2026-0001", "metrics": {"cvssMetricV31": [{"type": "Primary", "cvssData": {"version": "3.0"}}]}}}]}`,
			`/vulnerabilities/0/cve/metrics/cvssMetricV31/0/cvssData/version: CVSS version is "3.0", want "3.1"`},
		{`{"format": "NVD_CVE", "vulnerabilities": [{"cve": {"id": "CVE-2026-0001", "published": "yesterday"}}]}`,
			`/vulnerabilities/0/cve/published: invalid timestamp`},
		{`{"format": "NVD_CVE", "vulnerabilities": [{"cve": {"id": 7}}]}`,
			`/vulnerabilities/0/cve/id: expected string`},
		{`{"format": "NVD_CVE", "vulnerabilities": [{}]}`,
			`/vulnerabilities/0/cve: vulnerability without a cve object`},
		{`{"format": "NVD_CVE", "version": "1.1", "vulnerabilities": []}`, `/version: version is "1.1"`},
		{`{"format": "NVD_CVE", "vulnerabilities": [`, `unexpected end of input`},
	} {
		readErr(t, "bad.json", tt.doc, Options{Kind: KindNVD}, tt.want)
	}
	// A metric whose vector does not score is left out with a warning.
	in := read(t, "w.json", `{"format": "NVD_CVE", "vulnerabilities": [{"cve": {"id": "CVE-2026-0001", "metrics": {"cvssMetricV31": [{"type": "Primary", "cvssData": {"version": "3.1", "vectorString": "CVSS:3.1/AV:X", "baseScore": 1}}]}}}]}`, Options{})
	if len(in.NVD) != 1 || len(in.NVD[0].Metrics) != 0 || len(in.Warnings) != 1 {
		t.Errorf("records %+v, warnings %v", in.NVD, in.Warnings)
	}
}

func FuzzNVD(f *testing.F) {
	testInput(f, "nvd.json")
	fuzzRead(f, NVDJSON)
}
