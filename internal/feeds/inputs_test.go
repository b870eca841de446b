package feeds

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/snapshot"
)

func TestRoots(t *testing.T) {
	env := func(vars ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(vars); i += 2 {
				if vars[i] == k {
					return vars[i+1]
				}
			}
			return ""
		}
	}
	xdg := env("XDG_CACHE_HOME", "/c", "HOME", "/h")
	for _, c := range []struct{ got, want string }{
		{Root("flag", "conf", xdg), "flag"},
		{Root("", "conf", xdg), "conf"},
		{Root("", "", xdg), filepath.Join("/c", "stella", "feeds")},
		{Root("", "", env("HOME", "/h")), filepath.Join("/h", ".cache", "stella", "feeds")},
		{FrozenRoot("", xdg), filepath.Join("/c", "stella", "frozen")},
		{FrozenRoot("off", xdg), ""},
		{FrozenRoot("/f", xdg), "/f"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestCreateChecks: what snapshot create refuses before a file is read,
// and the approved exceptions read through the hook first.
func TestCreateChecks(t *testing.T) {
	empty := t.TempDir()
	sbom := filepath.Join("..", "..", "testdata", "simulate", "app.cdx.json")
	req := func(sboms ...string) snapshot.Request {
		return snapshot.Request{SBOMs: sboms, MaxInputSize: snapshot.DefaultMaxInputSize}
	}
	for _, c := range []struct {
		name string
		err  func() error
		want string
	}{
		{"create without --sbom", func() error { _, err := Inputs{Request: req()}.Create("", empty, time.Now(), nil); return err }, "snapshot create needs at least one --sbom"},
		{"create: approved read", func() error {
			_, err := Inputs{Request: snapshot.Request{SBOMs: []string{sbom}, Exceptions: []string{"approved"}}}.Create("", empty, time.Now(),
				func() ([]byte, error) { return nil, fail.New(fail.NotFound, "no database") })
			return err
		}, "no database"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.err()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err %v, want %q", err, c.want)
			}
		})
	}
}

func TestNotice(t *testing.T) {
	f := pulled(t)
	r, err := Inputs{Request: snapshot.Request{MaxInputSize: 1}, Feeds: []string{"osv/PyPI"}, CacheDir: f.cache.Root}.Spec()
	if err != nil {
		t.Fatal(err)
	}
	want := "stella: no --advisories: using the cached feeds in " + f.cache.Root + ": osv/PyPI (4 records, age 1h0m)"
	if got := r.Notice(fixedNow().Add(time.Hour)); got != want {
		t.Errorf("notice %q, want %q", got, want)
	}
	// With --advisories given, the cached feeds read are named without
	// "no --advisories".
	r, err = Inputs{Request: snapshot.Request{Advisories: []string{"osv"}, MaxInputSize: 1}, Feeds: []string{"osv/PyPI"}, CacheDir: f.cache.Root}.Spec()
	if err != nil {
		t.Fatal(err)
	}
	want = "stella: using the cached feeds in " + f.cache.Root + ": osv/PyPI (4 records, age 1h0m)"
	if got := r.Notice(fixedNow().Add(time.Hour)); got != want {
		t.Errorf("with --advisories: notice %q, want %q", got, want)
	}
	if got := (&Read{}).Notice(fixedNow()); got != "" {
		t.Errorf("no feeds read: %q", got)
	}
}
