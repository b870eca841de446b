package inputs

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/testenv"
)

// Fuzz targets, one per reader plus detection. Seeds: the corpus checked in
// under testdata/fuzz/<target>/, the shared test inputs of
// testdata/inputs, and the hostile snippets below. Properties: no panic (the
// readers' panic recovery is off while fuzzing), every error is an input
// error naming the file, and a successful read is deterministic.

var fuzzLimits = Limits{MaxFileBytes: 1 << 20, MaxDepth: 64}

var hostileSeeds = []string{
	"", " ", "{", "[", "}", "null", `"x"`, "[[[[[[[[", `{"a":`, "\xff\xfe", "\xef\xbb\xbf{}",
	`{"bomFormat":"CycloneDX","specVersion":"1.4","components":[{"purl":"pkg:"}]}`,
	`{"bomFormat":"CycloneDX","specVersion":"1.4","components":[{"bom-ref":"x","name":"a","components":[{"bom-ref":"x","name":"b"}]},{"bom-ref":"x","purl":"pkg:npm/a@1"}],"dependencies":[{"ref":"x"}]}`,
	`{"id":"X-1","affected":[{"package":{"ecosystem":" NPM ","name":"a"}},{"package":{"ecosystem":"debian:11","name":"b"}},{"package":{"ecosystem":"\u00a0","name":"c"}}]}`,
}

func testInput(f *testing.F, names ...string) {
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "testdata", "inputs", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func fuzzRead(f *testing.F, format Format) {
	for _, s := range hostileSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		recoverPanics = false
		defer func() { recoverPanics = true }()
		opt := Options{Format: format, Limits: fuzzLimits}
		in, err := ReadBytes("fuzz.in", data, opt)
		if err != nil {
			if !fail.Is(err, fail.Invalid) || !strings.HasPrefix(err.Error(), "fuzz.in") {
				t.Fatalf("error of kind %d not naming the file: %v", fail.KindOf(err), err)
			}
			return
		}
		again, err := ReadBytes("fuzz.in", data, opt)
		if err != nil {
			t.Fatalf("second read failed: %v", err)
		}
		if contentID(contentOf(in)) != contentID(contentOf(again)) {
			t.Fatal("two reads of the same bytes differ")
		}
	})
}

// contentOf is everything a read produced, for comparing reads.
func contentOf(in *Input) any {
	return []any{in.Kind, in.Format, in.SpecVersion, in.SBOM, in.Advisories, in.VEX, in.NVD, in.EPSS, in.KEV, in.Reach, in.Exceptions, in.Warnings, in.Skipped}
}

func FuzzDetect(f *testing.F) {
	testInput(f, "shop.cdx.json", "api.spdx.json", "shop.openvex.json", "epss.csv", "kev.json", "reach.json", "exceptions.yaml", "osv/GO-2022-0001.json")
	fuzzRead(f, "")
}

func FuzzCycloneDX(f *testing.F) {
	testInput(f, "shop.cdx.json")
	f.Add([]byte(cdxSBOM))
	fuzzRead(f, CycloneDX)
}

func FuzzSPDX(f *testing.F) {
	testInput(f, "api.spdx.json")
	fuzzRead(f, SPDX)
}

func FuzzOSV(f *testing.F) {
	testInput(f, "osv/GHSA-35jh-r3h4-6jhm.json", "osv/PYSEC-2021-98.json", "osv/GO-2022-0001.json")
	f.Add([]byte(`[` + okRecord + `,` + okRecord + `]`))
	fuzzRead(f, OSV)
}

func FuzzOpenVEX(f *testing.F) {
	testInput(f, "shop.openvex.json")
	fuzzRead(f, OpenVEX)
}

func FuzzCSAF(f *testing.F) {
	f.Add([]byte(`{"document": {"csaf_version": "2.0", "tracking": {"id": "X"}}, "product_tree": {"branches": [{"category": "product_version", "name": "1", "product": {"product_id": "P", "product_identification_helper": {"purl": "pkg:npm/a@1"}}}]}, "vulnerabilities": [{"cve": "CVE-2024-1", "product_status": {"known_not_affected": ["P"]}, "flags": [{"label": "component_not_present", "product_ids": ["P"]}]}]}`))
	fuzzRead(f, CSAF)
}

func FuzzEPSS(f *testing.F) {
	testInput(f, "epss.csv")
	fuzzRead(f, EPSSCSV)
}

func FuzzKEV(f *testing.F) {
	testInput(f, "kev.json")
	fuzzRead(f, KEVJSON)
}

func FuzzReach(f *testing.F) {
	testInput(f, "reach.json")
	fuzzRead(f, Reach)
}

func FuzzExceptions(f *testing.F) {
	testInput(f, "exceptions.yaml")
	fuzzRead(f, Exceptions)
}

func FuzzKEVCSV(f *testing.F) {
	f.Add([]byte("cveID,vendorProject,product,dateAdded,dueDate\nCVE-2024-0001,a,\"b, c\",2024-01-01,2024-01-22\n"))
	fuzzRead(f, KEVCSV)
}

// FuzzOSVZip reads arbitrary bytes as an OSV zip (the shape of osv.dev's
// all.zip): member names, sizes and compression come from the archive, so
// the zip container is hostile input too. Properties as for the readers.
func FuzzOSVZip(f *testing.F) {
	f.Add(zipOf(f, zip.Deflate, map[string]string{"a.json": okRecord, "dir/b.json": `[` + okRecord + `]`, "README.md": "x"}))
	f.Add(zipOf(f, zip.Store, map[string]string{"a.json": okRecord}))
	f.Add(zipOf(f, zip.Deflate, map[string]string{"../evil.json": okRecord}))
	f.Add(zipOf(f, zip.Deflate, map[string]string{"a.json": okRecord, "dup/../a.json": okRecord}))
	f.Add(zipOf(f, zip.Deflate, map[string]string{"big.json": `{"id": "B-1", "summary": "` + strings.Repeat("a", 1<<20) + `"}`}))
	f.Add([]byte("PK\x03\x04"))
	p := filepath.Join(f.TempDir(), "fuzz.zip") // one per fuzzing process
	f.Fuzz(func(t *testing.T, data []byte) {
		recoverPanics = false
		defer func() { recoverPanics = true }()
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		opt := Options{Kind: KindAdvisories, Limits: fuzzLimits}
		in, err := Read(p, opt)
		if err != nil {
			if !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), "fuzz.zip") {
				t.Fatalf("error of kind %d not naming the file: %v", fail.KindOf(err), err)
			}
			return
		}
		again, err := Read(p, opt)
		if err != nil {
			t.Fatalf("second read failed: %v", err)
		}
		if contentID(contentOf(in)) != contentID(contentOf(again)) {
			t.Fatal("two reads of the same bytes differ")
		}
	})
}
