package feeds

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/snapshot"
)

// pulled is a cache holding the fixture's four feeds, pulled at fixedNow.
func pulled(t *testing.T) *fixture {
	f := newFixture(t)
	if _, err := f.cache.Pull(context.Background(), testClient(), f.srcs); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestStatus(t *testing.T) {
	f := pulled(t)
	for _, c := range []struct {
		name   string
		at     time.Duration // after the pull
		maxAge time.Duration
		given  string // --max-age as written
		damage bool
		ages   string
		kind   fail.Kind // of Check; 0: none
	}{
		{"fresh", time.Hour, 0, "", false, "1h0m 1h0m 1h0m 1h0m", 0},
		{"old without max age", 72 * time.Hour, 0, "", false, "3d0h 3d0h 3d0h 3d0h", 0},
		{"within max age", 72 * time.Hour, 7 * 24 * time.Hour, "7d", false, "3d0h 3d0h 3d0h 3d0h", 0},
		{"stale", 72 * time.Hour, 36 * time.Hour, "36h", false, "3d0h 3d0h 3d0h 3d0h", fail.Integrity},
		{"damaged", time.Hour, 7 * 24 * time.Hour, "7d", true, "1h0m 1h0m 1h0m 1h0m", fail.Integrity},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.damage {
				m, _ := f.cache.Get("kev")
				if err := os.WriteFile(m.Path(f.cache.Root), []byte("{}"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r, err := f.cache.Status(fixedNow().Add(c.at), c.given)
			if err != nil {
				t.Fatal(err)
			}
			var ages []string
			for _, s := range r.Feeds {
				ages = append(ages, s.Age)
				if s.Stale != (c.maxAge > 0 && c.at > c.maxAge) || (s.Problem != "") != (c.damage && s.Name == "kev") {
					t.Errorf("%s: stale %v, problem %q", s.Name, s.Stale, s.Problem)
				}
			}
			if got := strings.Join(ages, " "); got != c.ages || r.CacheDir != f.cache.Root {
				t.Errorf("ages %q in %s, want %q", got, r.CacheDir, c.ages)
			}
			if err := r.Check(); (c.kind == 0) != (err == nil) || (err != nil && !fail.Is(err, c.kind)) {
				t.Errorf("Check: %v, want kind %v", err, c.kind)
			}
		})
	}
	t.Run("unknown age", func(t *testing.T) {
		m, err := f.cache.Get("epss")
		if err != nil {
			t.Fatal(err)
		}
		m.CheckedAt = "yesterday"
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f.cache.metaPath("epss"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := f.cache.Status(fixedNow(), "7d")
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(r.Feeds, func(s Status) bool { return s.Name == "epss" })
		if i < 0 || r.Feeds[i].Age != "" || !strings.Contains(r.Feeds[i].Problem, "age is unknown") || !fail.Is(r.Check(), fail.Integrity) {
			t.Errorf("a feed of unknown age: %+v, Check %v", r.Feeds, r.Check())
		}
	})
	empty, err := Open(filepath.Join(t.TempDir(), "none")).Status(fixedNow(), "1h")
	if err != nil || len(empty.Feeds) != 0 || !fail.Is(empty.Check(), fail.NotFound) {
		t.Errorf("empty cache: %+v, %v", empty, err)
	}
	if _, err := f.cache.Status(fixedNow(), "0d"); !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), "--max-age 0d: every feed would be stale") {
		t.Errorf("--max-age 0d: %v", err)
	}
	if _, err := f.cache.Status(fixedNow(), "soon"); !fail.Is(err, fail.Invalid) || !strings.HasPrefix(err.Error(), "--max-age ") {
		t.Errorf("--max-age soon: %v", err)
	}
}

func TestPlan(t *testing.T) {
	f := pulled(t)
	sbom := filepath.Join("..", "..", "testdata", "simulate", "app.cdx.json")
	names := func(p *Plan) string {
		var s []string
		for _, src := range p.Sources {
			s = append(s, src.Name+" "+src.URL)
		}
		return strings.Join(s, "; ")
	}
	for _, c := range []struct {
		name  string
		cache *Cache
		req   Request
		want  string // sources, or the error's start
		kind  fail.Kind
	}{
		{"named", f.cache, Request{OSV: []string{"PyPI"}, KEV: true, EPSS: true, NVD: []string{"2024"}},
			"osv/PyPI " + DefaultOSV + "/PyPI/all.zip; kev " + DefaultKEV + "; epss " + DefaultEPSS + "; nvd/2024 " + DefaultNVD + "/nvdcve-2.0-2024.json.gz", 0},
		{"mirror", f.cache, Request{KEV: true, URLs: URLs{KEV: "http://mirror/kev.json"}}, "kev http://mirror/kev.json", 0},
		{"again from where they came", f.cache, Request{}, "", 0},
		{"auto beside others", f.cache, Request{OSV: []string{"auto", "npm"}, SBOMs: []string{sbom}}, "--osv auto takes", fail.Invalid},
		{"auto without sbom", f.cache, Request{OSV: []string{"auto"}}, "--osv auto needs --sbom", fail.Invalid},
		{"sbom without auto", f.cache, Request{OSV: []string{"npm"}, SBOMs: []string{sbom}}, "--sbom is only for --osv auto", fail.Invalid},
		{"empty cache", Open(filepath.Join(t.TempDir(), "none")), Request{}, "the feed cache", fail.Invalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := c.cache.Plan(c.req)
			if c.kind != 0 {
				if !fail.Is(err, c.kind) || !strings.HasPrefix(err.Error(), c.want) {
					t.Fatalf("err %v, want %v %q", err, c.kind, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := c.want
			if want == "" { // every cached feed (in the cache's order), from the fixture's server
				var s []string
				for _, src := range f.srcs {
					s = append(s, src.Name+" "+src.URL)
				}
				want = strings.Join(s, "; ")
			}
			if got := names(p); got != want {
				t.Errorf("sources\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestFreeze(t *testing.T) {
	f := pulled(t)
	kevFile := filepath.Join("..", "..", "testdata", "simulate", "kev.json")
	epssFile := filepath.Join("..", "..", "testdata", "simulate", "epss.csv")
	for _, c := range []struct {
		name     string
		selected []string
		kev      string // already given
		signals  string // a --signals file
		want     string // names frozen
	}{
		{"none", nil, "", "", ""},
		{"all", []string{All}, "", "", "osv/PyPI kev epss nvd/2024"},
		{"auto keeps a given kev", []string{Auto}, "my-kev.json", "", "osv/PyPI epss nvd/2024"},
		{"a given kev wins over all", []string{All}, "my-kev.json", "", "osv/PyPI epss nvd/2024"},
		{"a --signals KEV file wins over auto", []string{Auto}, "", kevFile, "osv/PyPI epss nvd/2024"},
		{"a --signals EPSS file wins over all", []string{All}, "", epssFile, "osv/PyPI kev nvd/2024"},
		// A feed named twice is frozen once; names in any order are frozen
		// in the cache's order: the same snapshot either way.
		{"named twice, out of order", []string{"nvd/2024,kev", "kev", "osv/PyPI,nvd/2024"}, "", "", "osv/PyPI kev nvd/2024"},
	} {
		t.Run(c.name, func(t *testing.T) {
			sp := snapshot.Spec{KEV: c.kev}
			if c.signals != "" {
				sp.Signals = []string{c.signals}
			}
			ms, err := f.cache.Freeze(c.selected, &sp)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.Name)
			}
			if strings.Join(got, " ") != c.want || len(sp.Feeds) != len(ms) {
				t.Errorf("froze %v (%d provenance), want %s", got, len(sp.Feeds), c.want)
			}
		})
	}
	if _, err := f.cache.Freeze([]string{"osv/npm"}, &snapshot.Spec{}); !fail.Is(err, fail.NotFound) {
		t.Errorf("a feed not cached: %v", err)
	}
	// The manifest would name the cached feed while the file given is read.
	sp := snapshot.Spec{KEV: "my-kev.json"}
	if _, err := f.cache.Freeze([]string{"kev,epss"}, &sp); !fail.Is(err, fail.Invalid) || err.Error() != "--kev my-kev.json and --feeds kev both name the kev input: give one" || sp.Feeds != nil {
		t.Errorf("--kev FILE and --feeds kev: %v, %+v", err, sp.Feeds)
	}
	sp = snapshot.Spec{Signals: []string{epssFile, kevFile}}
	if _, err := f.cache.Freeze([]string{"kev"}, &sp); !fail.Is(err, fail.Invalid) || err.Error() != "--signals "+kevFile+" and --feeds kev both name the kev input: give one" || sp.Feeds != nil {
		t.Errorf("--signals KEV and --feeds kev: %v, %+v", err, sp.Feeds)
	}
}

// TestFreezeVerifiesWhatItReads: only the feeds frozen are re-hashed — a
// damaged EPSS blob stops neither a selection that leaves EPSS out (an
// EPSS file given) nor match's OSV archives (Advisories), but one that
// reads it; only their metadata is read.
func TestFreezeVerifiesWhatItReads(t *testing.T) {
	f := pulled(t)
	m, _ := f.cache.Get("epss")
	if err := os.WriteFile(m.Path(f.cache.Root), []byte("cve,epss\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cache.Freeze([]string{Auto}, &snapshot.Spec{EPSS: "my-epss.csv"}); err != nil {
		t.Errorf("EPSS given: %v", err)
	}
	r, err := f.cache.Advisories()
	if err != nil || len(r.Used) != 1 || r.Used[0].Name != "osv/PyPI" || len(r.Advisories) != 1 {
		t.Errorf("Advisories: %+v, %v", r, err)
	}
	for _, sel := range []string{Auto, "epss"} {
		if _, err := f.cache.Freeze([]string{sel}, &snapshot.Spec{}); !fail.Is(err, fail.Integrity) {
			t.Errorf("--feeds %s reads the damaged blob: %v", sel, err)
		}
	}
	// Nor is the metadata of a feed not read: a damaged kev.json stops
	// neither match nor a selection that leaves KEV out, but one that
	// reads it.
	if err := os.WriteFile(f.cache.metaPath("kev"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r, err := f.cache.Advisories(); err != nil || len(r.Used) != 1 {
		t.Errorf("Advisories with a damaged kev metadata file: %+v, %v", r, err)
	}
	if _, err := f.cache.Freeze([]string{"osv/PyPI"}, &snapshot.Spec{}); err != nil {
		t.Errorf("--feeds osv/PyPI with a damaged kev metadata file: %v", err)
	}
	if _, err := f.cache.Freeze([]string{"kev"}, &snapshot.Spec{}); !fail.Is(err, fail.Integrity) {
		t.Errorf("--feeds kev reads the damaged metadata: %v", err)
	}
	if _, err := Open(t.TempDir()).Advisories(); !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), PullHint) {
		t.Errorf("no OSV feed: %v", err)
	}
}
