//go:build linux

package inputs_test

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/synth"
)

// TestSBOMMemoryBound (issue 20 row 8): reading a CycloneDX SBOM of
// 600,000 components — 235 MB, under the 256 MiB input limit — peaks at no
// more than 3× its size in resident memory (docs/inputs.md "Memory").
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
		t.Skip("writes a 235 MB SBOM; set STELLA_BOUNDS=1 to run it")
	}
	f, err := synth.Write(t.TempDir(), synth.Config{Components: 600000}, synth.Zip)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(f.SBOM)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSBOMMemoryBound$", "-test.v")
	cmd.Env = append(os.Environ(), "STELLA_BOUND_READ="+f.SBOM)
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
	t.Logf("SBOM %d bytes, peak RSS of the read %d bytes: %.2f× (%s)", fi.Size(), rss, ratio, cmd.ProcessState.UserTime())
	if ratio > 3 {
		t.Errorf("peak RSS %.2f× the SBOM's size, over the bound of 3×", ratio)
	}
}
