package cli

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// feedserverCmd is the script command `feedserver DIR`: it starts a real
// HTTP server on loopback serving the files under DIR (read at each
// request, so a script can change them), with an ETag (the file's sha256)
// and a fixed Last-Modified, answering conditional requests with 304. It
// sets $FEEDS to its URL and appends one line per request to
// $WORK/feedserver.log: "GET /path STATUS conditional|plain".
func feedserverCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: feedserver DIR")
	}
	root := ts.MkAbs(args[0])
	logPath := ts.MkAbs("feedserver.log")
	var mu sync.Mutex
	logf := func(r *http.Request, status int) {
		mu.Lock()
		defer mu.Unlock()
		kind := "plain"
		if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" {
			kind = "conditional"
		}
		f, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintf(f, "%s %s %d %s\n", r.Method, r.URL.Path, status, kind)
			f.Close()
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(path.Clean("/"+r.URL.Path))))
		if err != nil {
			logf(r, 404)
			http.NotFound(w, r)
			return
		}
		sum := sha256.Sum256(data)
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
		// ServeContent answers If-None-Match and If-Modified-Since.
		rec := &statusWriter{ResponseWriter: w, status: 200}
		http.ServeContent(rec, r, "", time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), bytes.NewReader(data))
		logf(r, rec.status)
	}))
	ts.Defer(srv.Close)
	ts.Setenv("FEEDS", srv.URL)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// osvzipCmd is the script command `osvzip ZIP FILE…`: a deterministic zip
// of the files, each stored under its base name (an osv.dev all.zip).
func osvzipCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: osvzip ZIP FILE…")
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, a := range args[1:] {
		data, err := os.ReadFile(ts.MkAbs(a))
		ts.Check(err)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: filepath.Base(a), Method: zip.Deflate, Modified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
		ts.Check(err)
		_, err = w.Write(data)
		ts.Check(err)
	}
	ts.Check(zw.Close())
	dst := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(filepath.Dir(dst), 0o755))
	ts.Check(os.WriteFile(dst, buf.Bytes(), 0o644))
}
