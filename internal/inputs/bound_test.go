//go:build linux

package inputs_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/synth"
)

// TestSBOMMemoryBound (issue 20 row 8): reading a CycloneDX SBOM of
// 600,000 components — 235 MB, under the 256 MiB input limit — or an SPDX
// SBOM of 450,000 packages (about 240 MB) peaks at no more than 3× its size
// in resident memory (docs/inputs.md "Memory").
// The read runs in a child process (this test binary again), which reports
// its own peak RSS (VmHWM), as /usr/bin/time would. It writes the SBOM and takes a minute or two, so it
// runs only with STELLA_BOUNDS=1 (docs/performance.md "Bounds").
func TestSBOMMemoryBound(t *testing.T) {
	if p := os.Getenv("STELLA_BOUND_READ"); p != "" {
		in, err := inputs.Read(p, inputs.Options{Kind: inputs.KindSBOM})
		if err != nil {
			t.Fatal(err)
		}
		// The peak of this process since it began: rusage would count the
		// parent's pages too (it was forked from the parent).
		status, err := os.ReadFile("/proc/self/status")
		if err != nil {
			t.Fatal(err)
		}
		_, hwm, _ := strings.Cut(string(status), "VmHWM:")
		hwm, _, _ = strings.Cut(hwm, "\n")
		fmt.Printf("components %d\npeak %s\n", len(in.SBOM.Components), strings.Fields(hwm)[0])
		return
	}
	if os.Getenv("STELLA_BOUNDS") == "" {
		t.Skip("writes SBOMs of 230 MB; set STELLA_BOUNDS=1 to run it")
	}
	dir := t.TempDir()
	f, err := synth.Write(dir, synth.Config{Components: 600000}, synth.Zip)
	if err != nil {
		t.Fatal(err)
	}
	spdx := filepath.Join(dir, "sbom.spdx.json")
	writeSPDX(t, f.SBOM, spdx, 450000)
	for _, p := range []string{f.SBOM, spdx} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestSBOMMemoryBound$", "-test.v")
		cmd.Env = append(os.Environ(), "STELLA_BOUND_READ="+p)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		_, peak, _ := strings.Cut(string(out), "peak ")
		peak, _, _ = strings.Cut(peak, "\n")
		kib, err := strconv.ParseInt(peak, 10, 64)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		rss := kib << 10
		ratio := float64(rss) / float64(fi.Size())
		t.Logf("%s: %d bytes, peak RSS of the read %d bytes: %.2f× (%s user)", filepath.Base(p), fi.Size(), rss, ratio, cmd.ProcessState.UserTime())
		if ratio > 3 {
			t.Errorf("%s: peak RSS %.2f× the SBOM's size, over the bound of 3×", filepath.Base(p), ratio)
		}
	}
}

// writeSPDX writes the first n components of the CycloneDX SBOM cdx as an
// SPDX 2.3 document laid out as syft writes one, the root describing the
// direct dependencies.
func writeSPDX(t *testing.T, cdx, path string, n int) {
	in, err := inputs.Read(cdx, inputs.Options{Kind: inputs.KindSBOM})
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(out)
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	fmt.Fprintf(w, "{\n  \"SPDXID\": \"SPDXRef-DOCUMENT\",\n  \"name\": \"synthetic-app\",\n  \"spdxVersion\": \"SPDX-2.3\",\n"+
		"  \"creationInfo\": {\n    \"created\": \"2025-06-01T00:00:00Z\",\n    \"creators\": [\"Tool: stella-test\"]\n  },\n"+
		"  \"dataLicense\": \"CC0-1.0\",\n  \"documentNamespace\": \"https://example.com/synthetic\",\n  \"packages\": [\n"+
		"    {\n      \"SPDXID\": \"SPDXRef-root\",\n      \"name\": \"synthetic-app\",\n      \"versionInfo\": \"1.0.0\"\n    }")
	cs := in.SBOM.Components[:min(n, len(in.SBOM.Components))]
	for i, c := range cs {
		lic := "NOASSERTION"
		if len(c.Licenses) > 0 {
			lic = c.Licenses[0]
		}
		fmt.Fprintf(w, ",\n    {\n      \"SPDXID\": \"SPDXRef-Package-%d\",\n      \"name\": %s,\n      \"versionInfo\": %s,\n"+
			"      \"downloadLocation\": \"NOASSERTION\",\n      \"filesAnalyzed\": false,\n      \"licenseConcluded\": %s,\n"+
			"      \"licenseDeclared\": \"NOASSERTION\",\n      \"copyrightText\": \"NOASSERTION\",\n      \"externalRefs\": [\n"+
			"        {\n          \"referenceCategory\": \"PACKAGE-MANAGER\",\n          \"referenceLocator\": %s,\n"+
			"          \"referenceType\": \"purl\"\n        }\n      ]\n    }", i, q(c.Name), q(c.Version), q(lic), q(c.Purl))
	}
	fmt.Fprintf(w, "\n  ],\n  \"relationships\": [\n    {\"spdxElementId\": \"SPDXRef-DOCUMENT\", \"relationshipType\": \"DESCRIBES\", \"relatedSpdxElement\": \"SPDXRef-root\"}")
	for i, c := range cs {
		if c.Relation == "direct" {
			fmt.Fprintf(w, ",\n    {\"spdxElementId\": \"SPDXRef-root\", \"relationshipType\": \"DEPENDS_ON\", \"relatedSpdxElement\": \"SPDXRef-Package-%d\"}", i)
		}
	}
	fmt.Fprintf(w, "\n  ]\n}\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
