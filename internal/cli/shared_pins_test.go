package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/testenv"
)

var updatePins = flag.Bool("update-pins", false, "rewrite testdata/shared-pins.json from the shared data")

// pin is what TestConformanceSharedPins fixes for one shared SBOM evaluated
// against every shared OSV record: the result's digests and input cursors,
// from loose files and from a snapshot of them, and the snapshot's id.
type pin struct {
	SBOM       string `json:"sbom"`
	Components int    `json:"components"`
	Findings   int    `json:"findings"`
	Verdict    string `json:"verdict"`
	Advisories string `json:"advisories"` // inputs.advisories: the digest of every advisory, decoded or not
	InputsHash string `json:"inputsHash"`
	Digests    struct {
		Findings string `json:"findings"`
		Explains string `json:"explains"`
		Result   string `json:"result"`
	} `json:"digests"`
	Snapshot       string `json:"snapshot"`       // the snapshot id of the same inputs
	SnapshotResult string `json:"snapshotResult"` // digests.result of simulate --snapshot (it names the snapshot)
}

// TestConformanceSharedPins evaluates the published baseline policy on every
// shared SBOM against the whole shared OSV set, from loose files and from a
// snapshot, and compares findings, digests and snapshot ids with
// testdata/shared-pins.json. Reading advisories through an index, or any
// other change of how inputs are read, must leave them byte-identical
// (docs/performance.md); a change of meaning rewrites the file with
// -update-pins and shows in review. Loose files are evaluated with the
// frozen-advisory cache off and on (the first SBOM fills it, the others read
// it); both outputs must be byte-identical.
func TestConformanceSharedPins(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the shared OSV set twice per SBOM")
	}
	data := testenv.RequireData(t)
	var sboms []string
	for _, dir := range []string{"cyclonedx", "spdx"} {
		ents, err := os.ReadDir(filepath.Join(data, "sbom", dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".json") {
				sboms = append(sboms, dir+"/"+e.Name())
			}
		}
	}
	policy := filepath.Join(data, "policies", "baseline.stella")
	osv := filepath.Join(data, "osv")
	tmp := t.TempDir()
	cache := filepath.Join(tmp, "cache")
	var got []pin
	for i, name := range sboms {
		sbom := filepath.Join(data, "sbom", filepath.FromSlash(name))
		common := []string{"policy", "simulate", policy, "--as-of", "2026-01-01T00:00:00Z", "--env", "exposure=internet",
			"--format", "json", "--fail-on", "never", "-q"}
		loose := append(common, "--sbom", sbom, "--advisories", osv)
		t.Setenv("STELLA_INPUTS_CACHE_DIR", "off")
		fresh := runStella(t, nil, loose...)
		t.Setenv("STELLA_INPUTS_CACHE_DIR", cache)
		if cached := runStella(t, nil, loose...); cached != fresh {
			t.Errorf("%s: loose files through the frozen-advisory cache (run %d) give another result than without it", name, i+1)
		}
		var res simulateResult
		if err := json.Unmarshal([]byte(fresh), &res); err != nil {
			t.Fatal(err)
		}
		p := pin{SBOM: name, Findings: len(res.Findings), Verdict: res.Verdict, Advisories: res.Inputs.Advisories, InputsHash: res.Inputs.InputsHash}
		p.Components = res.Inputs.Counts.Components
		p.Digests = res.Digests
		snap := filepath.Join(tmp, "snap", strings.Repeat("x", i+1))
		var created struct {
			ID string `json:"id"`
		}
		out := runStella(t, nil, "snapshot", "create", "--sbom", sbom, "--advisories", osv, "-o", snap, "--format", "json", "-q")
		if err := json.Unmarshal([]byte(out), &created); err != nil {
			t.Fatal(err, out)
		}
		p.Snapshot = created.ID
		sres := simulateJSON(t, append(common, "--snapshot", snap))
		if sres.Digests.Findings != p.Digests.Findings || sres.Digests.Explains != p.Digests.Explains || sres.Inputs.Advisories != p.Advisories {
			t.Errorf("%s: simulate --snapshot gives findings %s, explains %s, advisories %s; from loose files %s, %s, %s", name,
				sres.Digests.Findings, sres.Digests.Explains, sres.Inputs.Advisories, p.Digests.Findings, p.Digests.Explains, p.Advisories)
		}
		p.SnapshotResult = sres.Digests.Result
		got = append(got, p)
		// Each snapshot holds ~12 MB of advisories; keep one at a time so the
		// test's disk use does not grow with the number of shared SBOMs.
		if err := os.RemoveAll(snap); err != nil {
			t.Fatal(err)
		}
	}
	golden := filepath.Join("testdata", "shared-pins.json")
	enc, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	enc = append(enc, '\n')
	if *updatePins {
		if err := os.WriteFile(golden, enc, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update-pins to create it)", err)
	}
	if bytes.Equal(want, enc) {
		return
	}
	var wantPins []pin
	if err := json.Unmarshal(want, &wantPins); err != nil {
		t.Fatalf("%s: %v", golden, err)
	}
	for _, g := range got {
		i := slices.IndexFunc(wantPins, func(w pin) bool { return w.SBOM == g.SBOM })
		if i < 0 {
			t.Errorf("%s: not pinned", g.SBOM)
			continue
		}
		if w := wantPins[i]; w != g {
			gj, _ := json.Marshal(g)
			wj, _ := json.Marshal(w)
			t.Errorf("%s changed:\n got %s\nwant %s", g.SBOM, gj, wj)
		}
	}
	if len(wantPins) != len(got) {
		t.Errorf("%d SBOMs pinned, %d evaluated", len(wantPins), len(got))
	}
}

// simulateResult is the part of a simulate JSON result the pins compare.
type simulateResult struct {
	Verdict string `json:"verdict"`
	Inputs  struct {
		Advisories string `json:"advisories"`
		InputsHash string `json:"inputsHash"`
		Counts     struct {
			Components int `json:"components"`
		} `json:"counts"`
	} `json:"inputs"`
	Findings []json.RawMessage `json:"findings"`
	Digests  struct {
		Findings string `json:"findings"`
		Explains string `json:"explains"`
		Result   string `json:"result"`
	} `json:"digests"`
}

func simulateJSON(t *testing.T, args []string) simulateResult {
	t.Helper()
	var r simulateResult
	out := runStella(t, nil, args...)
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("stella %s: %v", strings.Join(args, " "), err)
	}
	return r
}
