package report

import (
	"bytes"
	"io"
	"testing"

	"github.com/stella-policy/stella/internal/feeds"
)

// inspectCases are the tables of the inspection commands (feeds, snapshots,
// bundles), each rendered plain and boxed (stdout a terminal).
var inspectCases = []struct {
	name   string
	render func(w io.Writer, o Options) error
}{
	{"feeds-status", func(w io.Writer, o Options) error {
		kev := feeds.Meta{Name: "kev", Kind: feeds.KEV, URL: "https://example.test/kev.json", FetchedAt: "2026-03-01T00:00:00Z",
			Digest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Size: 1536, Records: 1200, Newest: "2026-02-28T00:00:00Z"}
		pypi := feeds.Meta{Name: "osv/PyPI", Kind: feeds.OSV, URL: "https://example.test/PyPI/all.zip", FetchedAt: "2026-02-01T00:00:00Z",
			Digest: "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210", Size: 52 << 20, Records: 17000}
		return FeedsStatus(w, &feeds.StatusReport{CacheDir: "/cache", Feeds: []feeds.Status{
			{Meta: kev, Age: "3h0m"}, {Meta: pypi, Age: "28d0h", Stale: true, Problem: "feed osv/PyPI: blob does not match"}}}, o)
	}},
	{"feeds-status-empty", func(w io.Writer, o Options) error {
		return FeedsStatus(w, &feeds.StatusReport{CacheDir: "/cache", Feeds: []feeds.Status{}}, o)
	}},
	{"feeds-pull", func(w io.Writer, o Options) error {
		return FeedsPull(w, []feeds.Result{
			{Name: "kev", Outcome: feeds.Downloaded, Meta: &feeds.Meta{Records: 1200, Size: 900, Digest: "sha256:0123456789abcdef"}},
			{Name: "osv/npm", Outcome: feeds.Failed},
		}, o)
	}},
}

func TestInspectTables(t *testing.T) {
	for _, c := range inspectCases {
		for _, tty := range []bool{false, true} {
			var buf bytes.Buffer
			if err := c.render(&buf, Options{TTY: tty}); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			name := "golden." + c.name + ".table"
			if tty {
				name += "-tty"
			}
			checkGolden(t, name, buf.Bytes())
		}
	}
}
