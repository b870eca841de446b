package bundle

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
)

func TestParseValidity(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		{"30d", 30 * 24 * time.Hour}, {"1d", 24 * time.Hour}, {"72h", 72 * time.Hour}, {"90m", 90 * time.Minute},
		{"01d", 24 * time.Hour}, {"+5d", 5 * 24 * time.Hour}, {"36500d", 36500 * 24 * time.Hour}, // as text.ParseAge reads ages
		{"0d", 0}, {"-1d", 0}, {"d", 0}, {"1.5d", 0}, {"-1h", 0}, {"0s", 0}, {"soon", 0}, {"", 0},
		{"36501d", 0}, {"300000d", 0}, // beyond 100 years (300000d overflowed to 237 years before)
	} {
		got, err := parseValidity(c.in)
		if c.want == 0 {
			if !fail.Is(err, fail.Invalid) {
				t.Errorf("parseValidity(%q) = %v, %v; want an error", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("parseValidity(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"512", 512}, {"4K", 4 << 10}, {"4KiB", 4 << 10}, {"512MiB", 512 << 20}, {"2G", 2 << 30}, {" 3 MiB", 3 << 20},
		{"0", 0}, {"-1", 0}, {"MiB", 0}, {"1TiB", 0}, {"99999999999G", 0}, {"", 0},
	} {
		got, err := parseSize(c.in)
		if c.want == 0 {
			if !fail.Is(err, fail.Invalid) {
				t.Errorf("parseSize(%q) = %d, %v; want an error", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}

func TestCompressionFor(t *testing.T) {
	for name, want := range map[string]string{"kit.tar.zst": Zstd, "kit.tar.gz": Gzip, "kit.tgz": Gzip, "kit": Zstd, "kit.gz.zst": Zstd} {
		if got := compressionFor(name); got != want {
			t.Errorf("compressionFor(%q) = %s, want %s", name, got, want)
		}
	}
}

func TestSummaryInspect(t *testing.T) {
	s := newSite(t, nil)
	ex := exportSite(t, s, ExportOptions{})
	sum := ex.Summary("kit.tar.zst", Zstd, s.key.ID)
	m := ex.Manifest
	if sum.FileDigest != canon.Digest(ex.Data) || sum.Bytes != len(ex.Data) || sum.BundleID != m.BundleID || sum.Entries != len(m.Entries) ||
		strings.Join(sum.Policies, ",") != "P-1@1" || strings.Join(sum.Snapshots, ",") != s.snapshot || len(sum.Runs) != 1 || sum.Signer != s.key.ID {
		t.Errorf("summary %+v", sum)
	}
	dir := t.TempDir()
	// The same entries with one of them changed.
	b, err := Read(bytes.NewReader(ex.Data), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var files []file
	changed := ""
	for _, f := range b.Files() {
		data, _ := b.File(f.Path)
		if changed == "" && f.Path != ManifestPath && f.Path != SignaturePath {
			data = bytes.Clone(data)
			changed, data[len(data)-1] = f.Path, data[len(data)-1]^1
		}
		files = append(files, file{f.Path, data})
	}
	var extra bytes.Buffer
	if err := writeArchive(&extra, Zstd, files); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		data  []byte
		lim   Limits
		kinds map[string]int // manifest states
		err   fail.Kind
	}{
		{"as exported", ex.Data, Limits{}, map[string]int{"matches": len(m.Entries), "manifest": 2}, 0},
		{"a file changed", extra.Bytes(), Limits{}, map[string]int{"matches": len(m.Entries) - 1, "differs": 1, "manifest": 2}, 0},
		{"over the size limit", ex.Data, Limits{MaxTotalSize: 16}, nil, fail.Integrity},
	} {
		t.Run(c.name, func(t *testing.T) {
			in, err := Inspect(writeFile(t, dir, c.name+".tar.zst", c.data), c.lim)
			if c.err != 0 {
				if !fail.Is(err, c.err) {
					t.Fatalf("err %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for _, f := range in.Files {
				got[f.Manifest]++
			}
			if in.Verified || in.Notice != UnverifiedNotice || in.Manifest == nil || in.Manifest.BundleID != m.BundleID || len(got) != len(c.kinds) {
				t.Errorf("inspection %+v", in)
			}
			for k, n := range c.kinds {
				if got[k] != n {
					t.Errorf("%d files %s, want %d", got[k], k, n)
				}
			}
		})
	}
	if _, err := Inspect(filepath.Join(dir, "none.tar.zst"), Limits{}); !fail.Is(err, fail.NotFound) {
		t.Errorf("a missing bundle: %v", err)
	}
}

func TestSnapshotRef(t *testing.T) {
	s := newSite(t, nil)
	for _, ref := range []string{s.snapshot, "sha256:0123", "not-a-dir"} {
		if got, err := snapshotIDOf(ref); err != nil || got != ref {
			t.Errorf("snapshotIDOf(%q) = %q, %v", ref, got, err)
		}
	}
	if _, err := snapshotIDOf(t.TempDir()); err == nil {
		t.Error("an empty directory named a snapshot")
	}
}
