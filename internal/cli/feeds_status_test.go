package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/feeds"
)

// TestFeedsStatusMaxAge: feeds status exits 0 whatever the age, and with
// --max-age exits 6 for a feed checked longer ago than that or whose blob no
// longer matches its digest, 4 for an empty cache.
func TestFeedsStatusMaxAge(t *testing.T) {
	kev, err := os.ReadFile(filepath.Join("..", "..", "testdata", "simulate", "kev.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(kev) }))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "feeds")
	cache := feeds.Open(dir)
	// Pulled (and last confirmed) three days ago.
	old := func() time.Time { return time.Now().Add(-72 * time.Hour) }
	if _, err := cache.Pull(context.Background(), &feeds.Client{Now: old}, []feeds.Source{{Name: "kev", Kind: feeds.KEV, URL: srv.URL}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--format", "table"}, 0, "3d0h"},
		{[]string{"--max-age", "7d"}, 0, `"age": "3d0h"`},
		{[]string{"--max-age", "36h", "--format", "table"}, 6, "3d0h (stale)"},
		{[]string{"--max-age", "soon"}, 2, ""},
	} {
		code, out, errs := stella(t, append([]string{"feeds", "status", "--cache-dir", dir}, c.args...)...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, want %d with %q\n%s%s", c.args, code, c.code, c.want, out, errs)
		}
		if c.code == 6 && !strings.Contains(errs, "feed kev is 3d0h old, more than --max-age 36h") {
			t.Errorf("stderr: %s", errs)
		}
	}
	m, _ := cache.Get("kev")
	if err := os.WriteFile(m.Path(dir), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := stella(t, "feeds", "status", "--cache-dir", dir, "--max-age", "7d", "--format", "table"); code != 6 || !strings.Contains(out, "(damaged)") || !strings.Contains(errs, "feed kev:") {
		t.Errorf("damaged blob: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := stella(t, "feeds", "status", "--cache-dir", filepath.Join(dir, "none"), "--max-age", "7d"); code != 4 || !strings.Contains(errs, "stella feeds pull") {
		t.Errorf("empty cache: exit %d\n%s", code, errs)
	}
}
