package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFeedsPullFailure: when feeds fail, the error names the failed feeds
// and the failure whose kind is the exit code — a 404 after a transient
// failure exits 4 and names the 404; transient failures alone exit 10 and
// say where else advisories come from.
func TestFeedsPullFailure(t *testing.T) {
	kev, err := os.ReadFile(filepath.Join("..", "..", "testdata", "simulate", "kev.json"))
	if err != nil {
		t.Fatal(err)
	}
	url := feedSite(t, map[string][]byte{"/osv/Go/all.zip": nil, "/osv/npm/all.zip": nil, "/kev.json": kev})
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"not found after transient", []string{"--osv", "Go", "--kev", "--kev-url", url + "/nokev.json"}, 4,
			"stella: 2 feeds failed (osv/Go, kev); the first not transient: feed kev (" + url + "/nokev.json): "},
		{"not found alone", []string{"--kev", "--kev-url", url + "/nokev.json"}, 4, "stella: feed kev (" + url + "/nokev.json): "},
		{"transient", []string{"--osv", "Go", "--osv", "npm", "--kev", "--kev-url", url + "/kev.json"}, 10,
			"stella: 2 feeds failed (osv/Go, osv/npm); the first: feed osv/Go (" + url + "/osv/Go/all.zip): "},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"feeds", "pull", "--cache-dir", filepath.Join(t.TempDir(), "feeds"), "--osv-url", url + "/osv", "--retries", "0"}, c.args...)
			code, _, errs := stella(t, args...)
			if code != c.code || !strings.HasPrefix(errs, c.want) || strings.Contains(errs, "retry later") != (c.code == 10) {
				t.Errorf("exit %d, want %d; stderr\n%s\nwant it to start %q", code, c.code, errs, c.want)
			}
		})
	}
}
