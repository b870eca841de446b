package cli

import (
	"archive/zip"
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// feedSite serves files (path → bytes) on loopback; a path not listed is a
// 404, one listed with nil bytes a 503.
func feedSite(t *testing.T, files map[string][]byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, ok := files[r.URL.Path]
		switch {
		case !ok:
			http.NotFound(w, r)
		case data == nil:
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		default:
			w.Write(data)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// osvArchive is an osv.dev all.zip of the demo advisories in dir.
func osvArchive(t *testing.T, dir string) []byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestMatchCachedFeedsReadsOnlyOSV: match without --advisories re-hashes
// only the OSV archives it reads; a damaged EPSS blob in the same cache
// does not stop it (policy simulate, which would read it, refuses it).
func TestMatchCachedFeedsReadsOnlyOSV(t *testing.T) {
	sim := filepath.Join("..", "..", "testdata", "simulate")
	epss, err := os.ReadFile(filepath.Join(sim, "epss.csv"))
	if err != nil {
		t.Fatal(err)
	}
	url := feedSite(t, map[string][]byte{"/osv/PyPI/all.zip": osvArchive(t, filepath.Join(sim, "osv")), "/epss.csv": epss})
	cache := filepath.Join(t.TempDir(), "feeds")
	mustStella(t, "feeds", "pull", "--cache-dir", cache, "--osv", "PyPI", "--osv-url", url+"/osv", "--epss", "--epss-url", url+"/epss.csv")
	blobs, err := filepath.Glob(filepath.Join(cache, "blobs", "sha256", "*"))
	if err != nil || len(blobs) != 2 {
		t.Fatalf("blobs %v, %v", blobs, err)
	}
	for _, b := range blobs { // damage the EPSS blob, not the archive
		if data, _ := os.ReadFile(b); !bytes.HasPrefix(data, []byte("PK")) {
			os.Chmod(b, 0o644)
			if err := os.WriteFile(b, []byte("cve,epss\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	code, out, errs := stella(t, "match", "--sbom", filepath.Join(sim, "app.cdx.json"), "--cache-dir", cache, "--format", "json")
	if code != 0 || !strings.Contains(out, `"advisoryId"`) || !strings.Contains(errs, "using the cached feeds in "+cache+": osv/PyPI (") || strings.Contains(errs, "epss") {
		t.Errorf("match: exit %d\n%s%s", code, out, errs)
	}
	code, _, errs = stella(t, "policy", "simulate", filepath.Join(sim, "policy.stella"), "--sbom", filepath.Join(sim, "app.cdx.json"),
		"--cache-dir", cache, "--as-of", "2024-07-02T00:00:00Z")
	if code != 6 || !strings.Contains(errs, "feed epss:") {
		t.Errorf("simulate reading the damaged EPSS blob: exit %d\n%s", code, errs)
	}
}
