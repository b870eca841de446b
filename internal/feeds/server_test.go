package feeds

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fixtures: small, deterministic feeds built by the tests themselves.

func osvRecord(id, eco, pkg, modified string) string {
	return fmt.Sprintf(`{"id":%q,"modified":%q,"affected":[{"package":{"ecosystem":%q,"name":%q},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}]}`, id, modified, eco, pkg)
}

// zipOf builds a zip of the named members, in name order, with fixed times.
func zipOf(t testing.TB, members map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(members))
	for n := range members {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(members[n]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pypiZip(t testing.TB, n int) []byte {
	m := map[string]string{}
	for i := range n {
		id := fmt.Sprintf("PYSEC-2024-%d", i+1)
		m[id+".json"] = osvRecord(id, "PyPI", fmt.Sprintf("pkg%d", i), fmt.Sprintf("2024-03-%02dT00:00:00Z", i+1))
	}
	return zipOf(t, m)
}

const kevJSON = `{"catalogVersion":"2024.07.01","dateReleased":"2024-07-01T12:00:00.000Z","count":2,"vulnerabilities":[
{"cveID":"CVE-2021-44228","vendorProject":"Apache","product":"Log4j2","dateAdded":"2021-12-10","dueDate":"2021-12-24","knownRansomwareCampaignUse":"Known"},
{"cveID":"CVE-2023-1234","vendorProject":"X","product":"Y","dateAdded":"2024-06-30","dueDate":"2024-07-21","knownRansomwareCampaignUse":"Unknown"}]}`

func gz(t testing.TB, s string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(s))
	zw.Close()
	return buf.Bytes()
}

func epssGz(t testing.TB) []byte {
	return gz(t, "#model_version:v2023.03.01,score_date:2024-07-01T00:00:00+0000\ncve,epss,percentile\nCVE-2021-44228,0.97565,0.99996\nCVE-2023-1234,0.00420,0.71000\n")
}

func nvdGz(t testing.TB) []byte {
	return gz(t, `{"resultsPerPage":2,"startIndex":0,"totalResults":2,"format":"NVD_CVE","version":"2.0","timestamp":"2024-07-01T00:00:00.000",
"vulnerabilities":[{"cve":{"id":"CVE-2024-0001","lastModified":"2024-05-01T10:00:00.000"}},{"cve":{"id":"CVE-2024-0002","lastModified":"2024-06-01T10:00:00.000"}}]}`)
}

// feedServer is a real HTTP server on loopback serving fixtures with ETags
// and Last-Modified, answering conditional requests with 304, and
// misbehaving on request.
type feedServer struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string][]byte
	// per path: fail the next n requests with 500; truncate bodies; sleep
	// before answering; stall halfway through the body.
	fail500  map[string]int
	truncate map[string]bool
	sleep    map[string]time.Duration
	stall    map[string]time.Duration
	noETag   bool
	log      []string // "METHOD path status cond"
}

func newFeedServer(t testing.TB) *feedServer {
	s := &feedServer{files: map[string][]byte{}, fail500: map[string]int{}, truncate: map[string]bool{},
		sleep: map[string]time.Duration{}, stall: map[string]time.Duration{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *feedServer) set(path string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = data
}

func (s *feedServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

func (s *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	data, ok := s.files[r.URL.Path]
	fail := s.fail500[r.URL.Path]
	if fail > 0 {
		s.fail500[r.URL.Path]--
	}
	trunc, sleep, stall, noETag := s.truncate[r.URL.Path], s.sleep[r.URL.Path], s.stall[r.URL.Path], s.noETag
	s.mu.Unlock()
	status := 200
	defer func() {
		s.mu.Lock()
		cond := r.Header.Get("If-None-Match") + "|" + r.Header.Get("If-Modified-Since")
		s.log = append(s.log, fmt.Sprintf("%s %s %d %s", r.Method, r.URL.Path, status, cond))
		s.mu.Unlock()
	}()
	if sleep > 0 {
		time.Sleep(sleep)
	}
	switch {
	case !ok:
		status = 404
		http.NotFound(w, r)
		return
	case fail > 0:
		status = 500
		http.Error(w, "try again", 500)
		return
	}
	sum := sha256.Sum256(data)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	lastMod := "Mon, 01 Jul 2024 00:00:00 GMT"
	if !noETag {
		w.Header().Set("ETag", etag)
	}
	w.Header().Set("Last-Modified", lastMod)
	if !noETag && r.Header.Get("If-None-Match") == etag || noETag && r.Header.Get("If-Modified-Since") == lastMod {
		status = 304
		w.WriteHeader(304)
		return
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(data)))
	w.WriteHeader(200)
	switch {
	case trunc:
		w.Write(data[:len(data)/2]) // the connection closes short of Content-Length
	case stall > 0:
		w.Write(data[:len(data)/2])
		w.(http.Flusher).Flush()
		time.Sleep(stall)
		w.Write(data[len(data)/2:])
	default:
		w.Write(data)
	}
}

func (s *feedServer) count(substr string) int {
	n := 0
	for _, l := range s.requests() {
		if strings.Contains(l, substr) {
			n++
		}
	}
	return n
}
