package bundle

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// TestExportRequestOptions: what bundle export reads from its flags, and
// the first flag in error wins (docs/bundle.md "stella bundle export").
func TestExportRequestOptions(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name string
		req  ExportRequest
		want ExportOptions // Compression, ValidFor and the times
		err  string
	}{
		{"defaults", ExportRequest{Out: "kit.tar.zst", Times: ExportTimes{ValidFor: "30d"}},
			ExportOptions{Compression: Zstd, ValidFor: 30 * 24 * time.Hour, TimeAnchor: now}, ""},
		{"gzip by name", ExportRequest{Out: "kit.tgz", Times: ExportTimes{ValidFor: "72h"}},
			ExportOptions{Compression: Gzip, ValidFor: 72 * time.Hour, TimeAnchor: now}, ""},
		{"compression given", ExportRequest{ExportOptions: ExportOptions{Compression: Zstd}, Out: "kit.gz", Times: ExportTimes{ValidFor: "1d"}},
			ExportOptions{Compression: Zstd, ValidFor: 24 * time.Hour, TimeAnchor: now}, ""},
		{"times given", ExportRequest{Out: "k", Times: ExportTimes{ValidFor: "30d", ValidUntil: "2026-03-31T00:00:00Z", CreatedAt: "2026-03-01T00:00:00Z", TimeAnchor: "2026-03-02T00:00:00Z"}},
			ExportOptions{Compression: Zstd, ValidFor: 30 * 24 * time.Hour, ValidUntil: day(31), CreatedAt: day(1), TimeAnchor: day(2)}, ""},
		{"options' times kept", ExportRequest{ExportOptions: ExportOptions{CreatedAt: day(1), TimeAnchor: day(3)}, Out: "k", Times: ExportTimes{ValidFor: "30d"}},
			ExportOptions{Compression: Zstd, ValidFor: 30 * 24 * time.Hour, CreatedAt: day(1), TimeAnchor: day(3)}, ""},
		{"bad validity", ExportRequest{Out: "k", Times: ExportTimes{ValidFor: "0d", ValidUntil: "soon"}}, ExportOptions{}, `--valid-for "0d"`},
		{"empty validity", ExportRequest{Out: "k"}, ExportOptions{}, `--valid-for ""`},
		{"bad until", ExportRequest{Out: "k", Times: ExportTimes{ValidFor: "30d", ValidUntil: "soon", CreatedAt: "x"}}, ExportOptions{},
			`--valid-until "soon": want an RFC 3339 time like 2026-03-01T00:00:00Z`},
		{"bad created", ExportRequest{Out: "k", Times: ExportTimes{ValidFor: "30d", CreatedAt: "2026-03-01", TimeAnchor: "x"}}, ExportOptions{}, `--created-at "2026-03-01"`},
		{"bad anchor", ExportRequest{Out: "k", Times: ExportTimes{ValidFor: "30d", TimeAnchor: "now"}}, ExportOptions{}, `--time-anchor "now"`},
		{"bad snapshot dir", ExportRequest{ExportOptions: ExportOptions{Snapshots: []string{t.TempDir()}}, Out: "k", Times: ExportTimes{ValidFor: "bad"}}, ExportOptions{}, "snapshot"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := tc.req.Options(now)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || tc.name != "bad snapshot dir" && !fail.Is(err, fail.Invalid) {
					t.Fatalf("err %v, want %q (invalid)", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Compression != tc.want.Compression || o.ValidFor != tc.want.ValidFor || !o.ValidUntil.Equal(tc.want.ValidUntil) ||
				!o.CreatedAt.Equal(tc.want.CreatedAt) || !o.TimeAnchor.Equal(tc.want.TimeAnchor) {
				t.Fatalf("options %+v, want %+v", o, tc.want)
			}
		})
	}
}

// TestExportRequestSnapshots: a snapshot directory is named by its id,
// anything else is passed on as an id or prefix; the request is unchanged.
func TestExportRequestSnapshots(t *testing.T) {
	s := newSite(t, nil)
	r := ExportRequest{ExportOptions: ExportOptions{Snapshots: []string{"sha256:ab", s.snapshot[:20]}}, Out: "k", Times: ExportTimes{ValidFor: "30d"}}
	o, err := r.Options(anchor)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.Snapshots, " ") != "sha256:ab "+s.snapshot[:20] || r.Snapshots[1] != s.snapshot[:20] {
		t.Fatalf("snapshots %v (request %v)", o.Snapshots, r.Snapshots)
	}
}

func TestSizeLimit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  bool
	}{{"", 0, false}, {"512MiB", 512 << 20, false}, {"2G", 2 << 30, false}, {"-1", 0, true}, {"lots", 0, true}} {
		lim, err := SizeLimit(tc.in)
		if (err != nil) != tc.err || lim.MaxTotalSize != tc.want {
			t.Errorf("SizeLimit(%q) = %+v, %v", tc.in, lim, err)
		}
		if err != nil && !fail.Is(err, fail.Invalid) {
			t.Errorf("SizeLimit(%q): %v is not invalid usage", tc.in, err)
		}
	}
}

// TestStatusRequest: a bad --time-anchor fails before the store is opened;
// a given one is the time days are counted from, else now.
func TestStatusRequest(t *testing.T) {
	ctx := context.Background()
	opened := errors.New("opened")
	open := func() (*store.Store, error) { return nil, opened }
	if _, err := (StatusRequest{TimeAnchor: "yesterday"}).Status(ctx, anchor, open); !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), `--time-anchor "yesterday"`) {
		t.Fatalf("bad anchor: %v", err)
	}
	if _, err := (StatusRequest{}).Status(ctx, anchor, open); err != opened {
		t.Fatalf("no anchor: %v", err)
	}
	s := newSite(t, nil)
	keep := func() (*store.Store, error) { return openStore(t, filepath.Join(s.dir, "a.db"), ""), nil }
	for _, tc := range []struct {
		req        StatusRequest
		at, source string
	}{{StatusRequest{}, "2026-03-10T00:00:00Z", "system-clock"}, {StatusRequest{TimeAnchor: "2026-03-01T10:00:00+02:00"}, "2026-03-01T08:00:00Z", "time-anchor"}} {
		rep, err := tc.req.Status(ctx, anchor.Add(300*time.Millisecond), keep)
		if err != nil || rep.CheckedAt != tc.at || rep.CheckedAtSource != tc.source {
			t.Fatalf("%+v: %+v, %v", tc.req, rep, err)
		}
	}
}

// TestImportRequest: force and reason reach the import, and a refused
// bundle goes to quarantine/ beside the database unless told otherwise.
func TestImportRequest(t *testing.T) {
	ctx := context.Background()
	a := newSite(t, nil)
	dir := t.TempDir()
	kit := writeFile(t, dir, "kit.tar.zst", exportSite(t, a, ExportOptions{}).Data)
	open := func() (*store.Store, error) { return nil, errors.New("not to be opened") }
	o := ImportOptions{DB: filepath.Join(dir, "site", "b.db")} // no trusted key: refused, not quarantined
	if _, err := (ImportRequest{Force: true}).ImportFile(ctx, kit, Limits{}, open, o); !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), "--force needs --reason") {
		t.Fatalf("force without reason: %v", err)
	}
	o.Verify = VerifyOptions{Trusted: publicOnly(newSite(t, nil).key), TimeAnchor: anchor} // another key: quarantined
	if _, err := (ImportRequest{}).ImportFile(ctx, kit, Limits{}, open, o); !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), filepath.Join(dir, "site", "quarantine")) {
		t.Fatalf("default quarantine: %v", err)
	}
	kit = writeFile(t, dir, "kit.tar.zst", exportSite(t, a, ExportOptions{}).Data)
	q := filepath.Join(dir, "elsewhere")
	if _, err := (ImportRequest{Quarantine: q}).ImportFile(ctx, kit, Limits{}, open, o); !strings.Contains(fmtErr(err), q) {
		t.Fatalf("given quarantine: %v", err)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestExportRequestWrite: the bundle is written to Out whole and the
// summary names it; a file that cannot be written is a usage error naming
// it, and a store that does not open is never exported from.
func TestExportRequestWrite(t *testing.T) {
	ctx := context.Background()
	s := newSite(t, nil)
	open := func() (*store.Store, error) { return openStore(t, filepath.Join(s.dir, "a.db"), ""), nil }
	o := ExportOptions{Key: s.key, Policies: []string{"P-1@latest"}, Compression: Zstd}
	r := ExportRequest{Out: filepath.Join(t.TempDir(), "kit.tar.zst")}
	sum, err := r.Write(ctx, open, o)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(r.Out)
	if err != nil || sum.File != r.Out || sum.Bytes != len(data) || sum.FileDigest != canon.Digest(data) || sum.Signer != s.key.ID {
		t.Fatalf("summary %+v for %d bytes (%v)", sum, len(data), err)
	}
	bad := ExportRequest{Out: filepath.Join(t.TempDir(), "missing", "kit.tar.zst")}
	if _, err := bad.Write(ctx, open, o); !fail.Is(err, fail.Invalid) || !strings.HasPrefix(err.Error(), "write "+bad.Out+": ") {
		t.Fatalf("unwritable: %v", err)
	}
	closed := errors.New("no store")
	if _, err := r.Write(ctx, func() (*store.Store, error) { return nil, closed }, o); err != closed {
		t.Fatalf("no store: %v", err)
	}
}
