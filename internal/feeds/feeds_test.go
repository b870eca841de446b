package feeds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/fail"
)

var fixedNow = func() time.Time { return time.Date(2024, 7, 2, 0, 0, 0, 0, time.UTC) }

func testClient() *Client {
	return &Client{Backoff: time.Millisecond, Timeout: 2 * time.Second, Now: fixedNow}
}

type fixture struct {
	srv   *feedServer
	cache *Cache
	srcs  []Source
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := newFeedServer(t)
	srv.set("/osv/PyPI/all.zip", pypiZip(t, 4))
	srv.set("/kev.json", []byte(kevJSON))
	srv.set("/epss.csv.gz", epssGz(t))
	srv.set("/nvd/nvdcve-2.0-2024.json.gz", nvdGz(t))
	osv, err := OSVSource(srv.URL+"/osv", "PyPI")
	if err != nil {
		t.Fatal(err)
	}
	nvd, err := NVDSource(srv.URL+"/nvd/", "2024")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, cache: Open(filepath.Join(t.TempDir(), "feeds")), srcs: []Source{
		osv, {Name: "kev", Kind: KEV, URL: srv.URL + "/kev.json"}, {Name: "epss", Kind: EPSS, URL: srv.URL + "/epss.csv.gz"}, nvd}}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func outcomes(rs []Result) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.Name+"="+string(r.Outcome))
	}
	return strings.Join(s, " ")
}

func TestPullValidatesAndInstalls(t *testing.T) {
	f := newFixture(t)
	rs, err := f.cache.Pull(context.Background(), testClient(), f.srcs)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(rs); got != "osv/PyPI=downloaded kev=downloaded epss=downloaded nvd/2024=downloaded" {
		t.Fatal(got)
	}
	want := map[string]struct {
		records int
		newest  string
		data    []byte
	}{
		"osv/PyPI": {4, "2024-03-04T00:00:00Z", f.srv.files["/osv/PyPI/all.zip"]},
		"kev":      {2, "2024-07-01T12:00:00Z", []byte(kevJSON)},
		"epss":     {2, "2024-07-01T00:00:00Z", f.srv.files["/epss.csv.gz"]},
		"nvd/2024": {2, "2024-06-01T10:00:00Z", f.srv.files["/nvd/nvdcve-2.0-2024.json.gz"]},
	}
	list, err := f.cache.List()
	if err != nil || len(list) != 4 {
		t.Fatalf("List: %v %v", list, err)
	}
	for _, m := range list {
		w := want[m.Name]
		if m.Records != w.records || m.Newest != w.newest || m.Digest != sha(w.data) || m.Size != int64(len(w.data)) ||
			m.FetchedAt != "2024-07-02T00:00:00Z" || m.ETag == "" {
			t.Errorf("%s: %+v", m.Name, m)
		}
		got, err := os.ReadFile(m.Path(f.cache.Root))
		if err != nil || string(got) != string(w.data) {
			t.Errorf("%s: blob differs from what was served (%v)", m.Name, err)
		}
		if err := f.cache.Verify(&m); err != nil {
			t.Error(err)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(f.cache.Root, "tmp")); len(ents) != 0 {
		t.Errorf("temporary files left: %v", ents)
	}
}

func TestConditionalSecondPull(t *testing.T) {
	for _, noETag := range []bool{false, true} {
		f := newFixture(t)
		f.srv.noETag = noETag
		if _, err := f.cache.Pull(context.Background(), testClient(), f.srcs); err != nil {
			t.Fatal(err)
		}
		before, _ := f.cache.List()
		cl := testClient()
		cl.Now = func() time.Time { return fixedNow().Add(time.Hour) }
		rs, err := f.cache.Pull(context.Background(), cl, f.srcs)
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(rs); got != "osv/PyPI=not-modified kev=not-modified epss=not-modified nvd/2024=not-modified" {
			t.Fatalf("noETag=%v: %s", noETag, got)
		}
		if n := f.srv.count(" 200 "); n != 4 {
			t.Errorf("noETag=%v: %d bodies served, want only the first 4: %v", noETag, n, f.srv.requests())
		}
		after, _ := f.cache.List()
		for i := range after {
			if after[i].Digest != before[i].Digest || after[i].FetchedAt != before[i].FetchedAt || after[i].CheckedAt != "2024-07-02T01:00:00Z" {
				t.Errorf("%+v", after[i])
			}
		}
	}
}

// pullOne pulls the fixture's OSV feed.
func (f *fixture) pullOne(t *testing.T, cl *Client) (Result, error) {
	t.Helper()
	rs, err := f.cache.Pull(context.Background(), cl, f.srcs[:1])
	return rs[0], err
}

func TestFailedDownloadKeepsCopyInForce(t *testing.T) {
	cases := []struct {
		name  string
		setup func(f *fixture)
		kind  fail.Kind
		msg   string
	}{
		{"corrupt zip", func(f *fixture) { f.srv.set("/osv/PyPI/all.zip", append([]byte("PK\x03\x04"), make([]byte, 100)...)) }, fail.Integrity, "invalid zip"},
		{"not a zip", func(f *fixture) { f.srv.set("/osv/PyPI/all.zip", []byte("<html>maintenance</html>")) }, fail.Integrity, "not a zip archive"},
		{"member not OSV", func(f *fixture) {
			f.srv.set("/osv/PyPI/all.zip", zipOf(t, map[string]string{"a.json": `{"id": 3}`}))
		}, fail.Integrity, "all.zip"},
		{"unsafe member", func(f *fixture) {
			f.srv.set("/osv/PyPI/all.zip", zipOf(t, map[string]string{"../a.json": osvRecord("A-1", "PyPI", "x", "2024-01-01T00:00:00Z")}))
		}, fail.Integrity, "unsafe member path"},
		{"empty", func(f *fixture) { f.srv.set("/osv/PyPI/all.zip", zipOf(t, map[string]string{"README": "x"})) }, fail.Integrity, "no *.json files"},
		{"shrink", func(f *fixture) { f.srv.set("/osv/PyPI/all.zip", pypiZip(t, 1)) }, fail.Integrity, "refusing to lose more than half"},
		{"truncated", func(f *fixture) {
			f.srv.set("/osv/PyPI/all.zip", pypiZip(t, 5))
			f.srv.truncate["/osv/PyPI/all.zip"] = true
		}, fail.Transient, "truncated"},
		{"500", func(f *fixture) {
			f.srv.set("/osv/PyPI/all.zip", pypiZip(t, 5))
			f.srv.fail500["/osv/PyPI/all.zip"] = 100
		}, fail.Transient, "after 4 attempts"},
		{"404", func(f *fixture) { delete(f.srv.files, "/osv/PyPI/all.zip") }, fail.NotFound, "404"},
		{"too big", func(f *fixture) { f.srv.set("/osv/PyPI/all.zip", pypiZip(t, 50)) }, fail.Integrity, "more than the limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			if _, err := f.pullOne(t, testClient()); err != nil {
				t.Fatal(err)
			}
			before, _ := f.cache.Get("osv/PyPI")
			c.setup(f)
			cl := testClient()
			if c.name == "too big" {
				cl.MaxSize = before.Size + 10
			}
			r, err := f.pullOne(t, cl)
			if !fail.Is(err, c.kind) || !strings.Contains(err.Error(), "feed osv/PyPI") || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err = %v (kind %d), want kind %d naming the feed and %q", err, fail.KindOf(err), c.kind, c.msg)
			}
			if strings.Contains(err.Error(), "download-") {
				t.Errorf("the message names the temporary file: %v", err)
			}
			after, _ := f.cache.Get("osv/PyPI")
			if r.Outcome != Failed || *after != *before || f.cache.Verify(after) != nil {
				t.Errorf("the copy in force changed: %+v → %+v", before, after)
			}
			if ents, _ := os.ReadDir(filepath.Join(f.cache.Root, "tmp")); len(ents) != 0 {
				t.Errorf("temporary files left: %v", ents)
			}
		})
	}
}

func TestRetryThenSuccess(t *testing.T) {
	f := newFixture(t)
	f.srv.fail500["/osv/PyPI/all.zip"] = 2
	r, err := f.pullOne(t, testClient())
	if err != nil || r.Outcome != Downloaded || r.Attempts != 3 {
		t.Fatalf("%+v %v", r, err)
	}
	// A body cut short once is fetched again.
	f = newFixture(t)
	f.srv.truncate["/osv/PyPI/all.zip"] = true
	go func() {
		for f.srv.count("/osv/PyPI/all.zip") == 0 {
			time.Sleep(time.Millisecond)
		}
		f.srv.mu.Lock()
		f.srv.truncate["/osv/PyPI/all.zip"] = false
		f.srv.mu.Unlock()
	}()
	cl := testClient()
	cl.Backoff = 50 * time.Millisecond
	if r, err := f.pullOne(t, cl); err != nil || r.Outcome != Downloaded || r.Attempts < 2 {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestSlowServerTimesOut(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(f *fixture)
	}{
		{"no response", func(f *fixture) { f.srv.sleep["/osv/PyPI/all.zip"] = time.Second }},
		{"stalled body", func(f *fixture) { f.srv.stall["/osv/PyPI/all.zip"] = time.Second }},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			c.set(f)
			cl := testClient()
			cl.Timeout, cl.Retries = 100*time.Millisecond, -1
			start := time.Now()
			_, err := f.pullOne(t, cl)
			if !fail.Is(err, fail.Transient) || !strings.Contains(err.Error(), "timeout") {
				t.Fatalf("err = %v", err)
			}
			if d := time.Since(start); d > 900*time.Millisecond {
				t.Errorf("took %v; the timeout is 100ms", d)
			}
			if m, _ := f.cache.Get("osv/PyPI"); m != nil {
				t.Errorf("installed %+v", m)
			}
		})
	}
}

func TestSourcesAndNames(t *testing.T) {
	s, err := OSVSource("https://mirror.example/osv/", "Red Hat")
	if err != nil || s.URL != "https://mirror.example/osv/Red%20Hat/all.zip" || s.Name != "osv/Red Hat" {
		t.Fatalf("%+v %v", s, err)
	}
	for _, bad := range []string{"", "..", "a/b", `a\b`, " PyPI"} {
		if _, err := OSVSource("x", bad); !fail.Is(err, fail.Invalid) {
			t.Errorf("OSVSource(%q) = %v", bad, err)
		}
	}
	for _, bad := range []string{"1999", "02024", "soon", ""} {
		if _, err := NVDSource("x", bad); !fail.Is(err, fail.Invalid) {
			t.Errorf("NVDSource(%q) = %v", bad, err)
		}
	}
	if got := Ecosystems([]string{"Debian:12", "PyPI", "", "Ubuntu:22.04:LTS", "Debian:11", "npm"}); strings.Join(got, ",") != "Debian,PyPI,Ubuntu,npm" {
		t.Fatal(got)
	}
}

// TestUnchangedWithoutValidators: a source that sends neither ETag nor
// Last-Modified is downloaded again, and the same bytes only refresh
// checkedAt.
func TestUnchangedWithoutValidators(t *testing.T) {
	data := []byte(kevJSON)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" {
			t.Errorf("conditional request without validators: %v", r.Header)
		}
		w.Write(data)
	}))
	defer srv.Close()
	cache := Open(t.TempDir())
	src := []Source{{Name: "kev", Kind: KEV, URL: srv.URL}}
	if rs, err := cache.Pull(context.Background(), testClient(), src); err != nil || rs[0].Outcome != Downloaded {
		t.Fatalf("%+v %v", rs, err)
	}
	cl := testClient()
	cl.Now = func() time.Time { return fixedNow().Add(time.Hour) }
	rs, err := cache.Pull(context.Background(), cl, src)
	if err != nil || rs[0].Outcome != Unchanged || rs[0].Meta.FetchedAt != "2024-07-02T00:00:00Z" || rs[0].Meta.CheckedAt != "2024-07-02T01:00:00Z" {
		t.Fatalf("%+v %v", rs[0].Meta, err)
	}
}

// TestRefusesDowngradeRedirect: an https source redirecting to plain http
// is refused (exit 2), not followed.
func TestRefusesDowngradeRedirect(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(kevJSON)) }))
	defer plain.Close()
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/kev.json", http.StatusFound)
	}))
	defer tls.Close()
	cl := testClient()
	cl.HTTP = tls.Client()
	cl.HTTP.CheckRedirect = noDowngrade
	_, err := Open(t.TempDir()).Pull(context.Background(), cl, []Source{{Name: "kev", Kind: KEV, URL: tls.URL + "/kev.json"}})
	if !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), "refusing a redirect from https") {
		t.Fatalf("err = %v", err)
	}
}

// TestPullError: the error of a pull some feeds failed names them and the
// failure whose kind it carries (the exit code): the first not transient,
// else the first, with where else advisories come from.
func TestPullError(t *testing.T) {
	f := newFixture(t)
	f.srv.fail500["/osv/PyPI/all.zip"] = 100
	f.srv.fail500["/epss.csv.gz"] = 100
	kev := Source{Name: "kev", Kind: KEV, URL: f.srv.URL + "/nokev.json"}
	for _, c := range []struct {
		name string
		srcs []Source
		kind fail.Kind
		want string
	}{
		{"one not found", []Source{kev}, fail.NotFound, "feed kev ("},
		{"not found after transient", []Source{f.srcs[0], kev, f.srcs[2]}, fail.NotFound,
			"3 feeds failed (osv/PyPI, kev, epss); the first not transient: feed kev ("},
		{"transient", []Source{f.srcs[0], f.srcs[2], f.srcs[3]}, fail.Transient, "2 feeds failed (osv/PyPI, epss); the first: feed osv/PyPI ("},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := testClient()
			cl.Retries = -1
			_, err := f.cache.Pull(context.Background(), cl, c.srcs)
			if !fail.Is(err, c.kind) || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "retry later") != (c.kind == fail.Transient) {
				t.Errorf("err %v (kind %v), want %v %q…", err, fail.KindOf(err), c.kind, c.want)
			}
		})
	}
}
