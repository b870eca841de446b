package inputs

import (
	"bytes"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/testenv"
)

var sbomDecodeCases = []string{
	`{"components":[],"digest":"sha256:ab","format":"cyclonedx","name":"x","noPurl":0,"specVersion":"1.5"}`,
	`{"components":[{"ecosystem":"npm","licenses":["MIT"],"name":"a","package":"a","properties":[{"name":"k","value":"v"}],"purl":"pkg:npm/a@1","ref":"r1","relation":"direct","sbom":"sha256:ab","scope":"required","tags":["t"],"type":"npm","version":"1"},{"name":"b","ref":"r2","sbom":"sha256:ab"}],"digest":"sha256:ab","format":"spdx","name":"n","noPurl":1,"root":{"name":"app","ref":"root"},"specVersion":"SPDX-2.3","tags":["runtime:eol"]}`,
	`{"components":null,"noPurl":1.5}`,
	`{"Components":[],"noPurl":-0}`,
	`{"components":[{"name":"a","name":"b"}]}`,
	`{"root":null,"noPurl":99999999999999999999}`,
	`{"components":[{"sbom":"\u0073ha","properties":[]}],"extra":{"a":[1,2]}}`,
}

// TestDecodeSBOMShared: the normalized form of every shared SBOM, as a
// snapshot stores it, decodes on the fast path, to what encoding/json gives.
func TestDecodeSBOMShared(t *testing.T) {
	data := testenv.RequireData(t)
	paths, _ := filepath.Glob(filepath.Join(data, "sbom", "*", "*.json"))
	if len(paths) == 0 {
		t.Fatal("no shared SBOMs")
	}
	for _, p := range paths {
		if !checkDecodeSBOM(t, normalizedSBOM(t, p)) {
			t.Errorf("%s: not decoded on the fast path", filepath.Base(p))
		}
	}
}

func FuzzDecodeSBOM(f *testing.F) {
	for _, c := range sbomDecodeCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkDecodeSBOM(t, b) })
}

// checkDecodeSBOM compares DecodeSBOM with json.Unmarshal on b and reports
// whether the fast path took it.
func checkDecodeSBOM(t *testing.T, b []byte) bool {
	t.Helper()
	_, _, fast := checkDecode(t, b, (*osvParser).sbom, DecodeSBOM)
	return fast
}

// TestDigestSBOM: DigestSBOM, hashing component by component, gives the
// digest and length of the canonical JSON of the whole SBOM.
func TestDigestSBOM(t *testing.T) {
	sboms := []*model.SBOM{
		{Format: "spdx", Name: "empty", Components: []model.Component{}},
		{Format: "spdx", Name: "nil components"},
		{Format: "cyclonedx", Name: "x", Digest: "sha256:ab", Root: &model.Component{Ref: "root", Name: "app"}, Tags: []string{"t"}, NoPurl: 1,
			Components: []model.Component{{Ref: "a", Name: "a", Purl: "pkg:npm/a@1", Licenses: []string{"MIT"}, SBOM: "sha256:ab"}, {Ref: "b", Name: "é\"<"}}},
	}
	if data := testenv.DataDir(); data != "" {
		paths, _ := filepath.Glob(filepath.Join(data, "sbom", "*", "*.json"))
		for _, p := range paths {
			in, err := Read(p, Options{Kind: KindSBOM})
			if err != nil {
				t.Fatal(err)
			}
			sboms = append(sboms, in.SBOM)
		}
	}
	for _, s := range sboms {
		b, err := canon.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if d, n := DigestSBOM(s); d != canon.Digest(b) || n != int64(len(b)) {
			t.Errorf("%s: DigestSBOM = %s, %d; canonical JSON %s, %d", s.Name, d, n, canon.Digest(b), len(b))
		}
	}
}

// BenchmarkDecodeSBOM decodes the normalized newrelic SBOM (3,951
// components, as a snapshot stores it) and reports the heap the decoded
// SBOM keeps alive once the input is dropped (kept-B).
func BenchmarkDecodeSBOM(b *testing.B) {
	text := normalizedSBOM(b, filepath.Join(testenv.RequireData(b), "sbom", "spdx", "trivy-newrelic_synthetics-minion-runner.spdx.json"))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	var s model.SBOM
	if err := DecodeSBOM(bytes.Clone(text), &s); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(s)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		var s model.SBOM
		if err := DecodeSBOM(text, &s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(after.HeapAlloc)-float64(before.HeapAlloc), "kept-B")
	b.ReportMetric(float64(len(text)), "text-B")
}

// normalizedSBOM is the SBOM at path as a snapshot stores it.
func normalizedSBOM(tb testing.TB, path string) []byte {
	in, err := Read(path, Options{Kind: KindSBOM})
	if err != nil {
		tb.Fatal(err)
	}
	text, err := canon.Marshal(in.SBOM)
	if err != nil {
		tb.Fatal(err)
	}
	return text
}
