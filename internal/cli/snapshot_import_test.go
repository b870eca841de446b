package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/testenv"
)

// TestSnapshotImportIndexCoverage: `snapshot import` refuses (exit 6) a
// snapshot whose advisory index does not cover advisories.json exactly,
// even when the attacker rewrote the manifest's digests and id to match —
// such a snapshot would otherwise be stored and fail (or, read through the
// index, mislead) every later run.
func TestSnapshotImportIndexCoverage(t *testing.T) {
	in := filepath.Join(testenv.RepoRoot(), "testdata", "inputs")
	for _, tt := range []struct {
		name   string
		change func(doc *snapshot.IndexDoc)
		want   string
	}{
		{"untouched", func(*snapshot.IndexDoc) {}, ""},
		{"offsets shifted", func(doc *snapshot.IndexDoc) {
			doc.Advisories[1].Offset++
			doc.Advisories[1].Length--
		}, "advisory index does not cover advisories.json exactly: record 1 (GO-2022-0001) at offset 648, length 381 is not where the previous record ends"},
		{"record dropped", func(doc *snapshot.IndexDoc) {
			doc.Advisories = doc.Advisories[:len(doc.Advisories)-1]
		}, "advisory index does not cover advisories.json exactly: its 2 records end at byte"},
		{"package dropped", func(doc *snapshot.IndexDoc) {
			doc.Packages = doc.Packages[1:]
		}, "is missing"},
		{"package pointed elsewhere", func(doc *snapshot.IndexDoc) {
			doc.Packages[0].Advisories = []int{(doc.Packages[0].Advisories[0] + 1) % len(doc.Advisories)}
		}, "lists the wrong advisories"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			snap := filepath.Join(dir, "snap")
			runStella(t, nil, "snapshot", "create", "--sbom", filepath.Join(in, "shop.cdx.json"), "--advisories", filepath.Join(in, "osv"),
				"-o", snap, "-q")
			rewriteIndex(t, snap, tt.change)
			var out, errb bytes.Buffer
			code := Main([]string{"snapshot", "import", snap, "--db", filepath.Join(dir, "stella.db")}, strings.NewReader(""), &out, &errb)
			if tt.want == "" {
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errb.String())
				}
				return
			}
			if code != int(fail.Integrity) || !strings.Contains(errb.String(), tt.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s", code, fail.Integrity, tt.want, errb.String())
			}
		})
	}
}

// rewriteIndex edits the advisory index of the snapshot in dir and, as an
// attacker would, re-records its digest and size and recomputes the id.
func rewriteIndex(t *testing.T, dir string, change func(*snapshot.IndexDoc)) {
	t.Helper()
	ip := filepath.Join(dir, snapshot.IndexFile)
	var doc snapshot.IndexDoc
	data, err := os.ReadFile(ip)
	if err == nil {
		err = json.Unmarshal(data, &doc)
	}
	if err != nil {
		t.Fatal(err)
	}
	change(&doc)
	if data, err = canon.Marshal(&doc); err != nil {
		t.Fatal(err)
	}
	mp := filepath.Join(dir, snapshot.ManifestFile)
	var m snapshot.Manifest
	mdata, err := os.ReadFile(mp)
	if err == nil {
		err = json.Unmarshal(mdata, &m)
	}
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range m.Content.Files {
		if f.Path == snapshot.IndexFile {
			m.Content.Files[i].Digest, m.Content.Files[i].Size = canon.Digest(data), int64(len(data))
		}
	}
	c, err := canon.Marshal(&m.Content)
	if err != nil {
		t.Fatal(err)
	}
	m.ID = canon.Digest(c)
	if mdata, err = json.MarshalIndent(&m, "", "  "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ip, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mp, mdata, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestInputFlagsMatchReaders: the input flags' help and default say what the
// readers do (the cli names them without importing inputs).
func TestInputFlagsMatchReaders(t *testing.T) {
	var f inputFlags
	fs := pflag.NewFlagSet("inputs", pflag.ContinueOnError)
	f.AddFlags(fs)
	if u := fs.Lookup("reachability").Usage; !strings.Contains(u, inputs.ReachSchema+" JSON") {
		t.Errorf("--reachability help %q does not name %s", u, inputs.ReachSchema)
	}
	if d := fs.Lookup("max-input-size").DefValue; d != fmt.Sprint(inputs.DefaultLimits.MaxFileBytes) {
		t.Errorf("--max-input-size default %s, the readers' %d", d, inputs.DefaultLimits.MaxFileBytes)
	}
}
