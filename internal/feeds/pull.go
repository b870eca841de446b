package feeds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
)

// Client downloads feeds. The zero value works: every field has a default.
type Client struct {
	HTTP        *http.Client
	Retries     int           // attempts after the first on a transient failure (default 3; negative: none)
	Backoff     time.Duration // the first wait between attempts, doubled each time up to 30s (default 1s)
	Timeout     time.Duration // no response, or no body bytes, for this long is a transient failure (default 60s)
	MaxSize     int64         // the largest download accepted, in bytes (default 4 GiB)
	AllowShrink bool          // accept a download with less than half the records of the copy in force
	Limits      inputs.Limits // for validation
	Progress    inputs.Progress
	Now         func() time.Time
	UserAgent   string
}

// Outcome says what pulling one feed did.
type Outcome string

// The outcomes.
const (
	Downloaded  Outcome = "downloaded"   // new content, validated and installed
	NotModified Outcome = "not-modified" // the source answered 304 to the conditional request
	Unchanged   Outcome = "unchanged"    // downloaded again, same bytes as the copy in force
	Failed      Outcome = "failed"       // the copy in force (if any) stays
)

// Result is the outcome of pulling one feed.
type Result struct {
	Name     string   `json:"name"`
	URL      string   `json:"url"`
	Outcome  Outcome  `json:"outcome"`
	Attempts int      `json:"attempts"`
	Meta     *Meta    `json:"feed,omitempty"` // the copy in force afterwards
	Warnings []string `json:"warnings,omitempty"`
	Error    string   `json:"error,omitempty"`
	err      error
}

// Pulled is the output of `stella feeds pull`.
type Pulled struct {
	CacheDir string   `json:"cacheDir"`
	Feeds    []Result `json:"feeds"`
}

const maxBackoff = 30 * time.Second

func (cl *Client) defaults() *Client {
	c := *cl
	if c.HTTP == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		c.HTTP = &http.Client{Transport: tr, CheckRedirect: noDowngrade}
	}
	if c.Retries == 0 {
		c.Retries = 3
	} else if c.Retries < 0 {
		c.Retries = 0
	}
	if c.Backoff <= 0 {
		c.Backoff = time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 60 * time.Second
	}
	if c.MaxSize <= 0 {
		c.MaxSize = 4 << 30
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.UserAgent == "" {
		c.UserAgent = "stella"
	}
	return &c
}

var errDowngrade = errors.New("refusing a redirect from https to")

// noDowngrade refuses a redirect from https to plain http.
func noDowngrade(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("%w %s", errDowngrade, req.URL.Redacted())
	}
	return nil
}

// Pull downloads each source into the cache. Every source is tried; a
// failed one leaves its copy in force. The error names the failed feeds and
// the failure whose kind it has: fail.Transient when every failure was
// transient (a retry may succeed; the message then says where else
// advisories come from, docs/feeds.md "Mirrors", docs/ci.md "Advisory
// data"), else the first other failure's.
func (c *Cache) Pull(ctx context.Context, cl *Client, srcs []Source) ([]Result, error) {
	cl = cl.defaults()
	c.sweep(cl.Now())
	var out []Result
	var failed []string
	var first, decisive error // the first failure; the first not transient
	for _, s := range srcs {
		r := c.pull(ctx, cl, s)
		if r.err != nil {
			failed = append(failed, r.Name)
			if first == nil {
				first = r.err
			}
			if decisive == nil && !fail.Is(r.err, fail.Transient) {
				decisive = r.err
			}
		}
		out = append(out, r)
	}
	if first == nil {
		return out, nil
	}
	named, which := first, "the first"
	if decisive != nil && decisive != first {
		named, which = decisive, "the first not transient"
	}
	msg := named.Error()
	if len(failed) > 1 {
		msg = fmt.Sprintf("%d feeds failed (%s); %s: %s", len(failed), strings.Join(failed, ", "), which, msg)
	}
	if decisive == nil {
		msg += "; retry later, or without this network: pull from a mirror (--osv-url, --kev-url, --epss-url, --nvd-url; docs/feeds.md \"Mirrors\"), or gate on advisory files (--advisories) or a snapshot carried in (docs/ci.md)"
	}
	return out, fail.New(fail.KindOf(named), "%s", msg)
}

// sweep removes downloads an interrupted pull left in tmp/ (older than a
// day, so that a concurrent pull's file is never touched).
func (c *Cache) sweep(now time.Time) {
	dir := filepath.Join(c.Root, "tmp")
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && now.Sub(fi.ModTime()) > 24*time.Hour {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

func (c *Cache) pull(ctx context.Context, cl *Client, s Source) Result {
	r := Result{Name: s.Name, URL: s.URL}
	failed := func(err error) Result {
		r.Outcome, r.err = Failed, fmt.Errorf("feed %s (%s): %w", s.Name, s.URL, err)
		r.Error = r.err.Error()
		return r
	}
	prev, err := c.Get(s.Name)
	if err != nil {
		// A damaged metadata file is replaced by a fresh download.
		r.Warnings = append(r.Warnings, err.Error()+"; downloading the feed again")
		prev = nil
	}
	r.Meta = prev
	cond := prev
	if cond != nil && (cond.URL != s.URL || c.Verify(cond) != nil) {
		cond = nil // another source, or a damaged copy: no conditional request
	}
	var d *download
	wait := cl.Backoff
	for {
		r.Attempts++
		d, err = c.fetch(ctx, cl, s, cond)
		if err == nil || !fail.Is(err, fail.Transient) || r.Attempts > cl.Retries {
			break
		}
		if d != nil && d.retryAfter > wait {
			wait = min(d.retryAfter, maxBackoff)
		}
		select {
		case <-ctx.Done():
			return failed(fail.Wrap(fail.Transient, ctx.Err()))
		case <-time.After(wait):
		}
		wait = min(2*wait, maxBackoff)
	}
	if err != nil {
		if fail.Is(err, fail.Transient) && r.Attempts > 1 {
			err = fail.New(fail.Transient, "%v (after %d attempts)", err, r.Attempts)
		}
		return failed(err)
	}
	now := cl.Now().UTC().Format(time.RFC3339)
	if d.notModified {
		m := *cond
		m.CheckedAt = now
		m.ETag = cmpOr(d.etag, m.ETag)
		m.LastModified = cmpOr(d.lastModified, m.LastModified)
		if err := c.writeMeta(&m); err != nil {
			return failed(err)
		}
		r.Outcome, r.Meta = NotModified, &m
		return r
	}
	defer os.Remove(d.tmp) // a no-op once installed
	if cond != nil && d.digest == cond.Digest {
		m := *cond
		m.CheckedAt, m.ETag, m.LastModified = now, d.etag, d.lastModified
		if err := c.writeMeta(&m); err != nil {
			return failed(err)
		}
		r.Outcome, r.Meta = Unchanged, &m
		return r
	}
	chk, err := Validate(s.Kind, d.tmp, path.Base(s.URL), cl.Limits)
	if err != nil {
		return failed(err)
	}
	r.Warnings = append(r.Warnings, chk.Warnings...)
	if prev != nil && !cl.AllowShrink && chk.Records*2 < prev.Records {
		return failed(fail.New(fail.Integrity, "the download holds %d records, the copy in force %d: refusing to lose more than half (a truncated mirror?); --allow-shrink accepts it", chk.Records, prev.Records))
	}
	m := &Meta{Schema: MetaSchema, Name: s.Name, Kind: s.Kind, URL: s.URL, Blob: blobDir + "/" + strings.TrimPrefix(d.digest, canon.Prefix),
		Digest: d.digest, Size: d.size, MediaType: chk.MediaType, Records: chk.Records, Newest: chk.Newest,
		ETag: d.etag, LastModified: d.lastModified, FetchedAt: now, CheckedAt: now}
	if err := c.install(d.tmp, m, prev); err != nil {
		return failed(err)
	}
	r.Outcome, r.Meta = Downloaded, m
	return r
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// download is one HTTP exchange's outcome.
type download struct {
	notModified        bool
	tmp                string
	digest             string
	size               int64
	etag, lastModified string
	retryAfter         time.Duration
}

var errStalled = errors.New("stalled")

// fetch makes one conditional GET and, on 200, streams the body to a
// temporary file in the cache, hashing it. Failures a retry may cure
// (network errors, timeouts, truncated bodies, 5xx, 429, 408) have kind
// fail.Transient.
func (c *Cache) fetch(ctx context.Context, cl *Client, s Source, cond *Meta) (*download, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := time.AfterFunc(cl.Timeout, func() { cancel(errStalled) })
	defer timer.Stop()
	stalled := func(err error) error {
		if errors.Is(context.Cause(ctx), errStalled) {
			return fail.New(fail.Transient, "no data for %s (timeout)", cl.Timeout)
		}
		return fail.Wrap(fail.Transient, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return nil, fail.New(fail.Invalid, "bad URL: %v", err)
	}
	if req.URL.Scheme != "https" && req.URL.Scheme != "http" {
		return nil, fail.New(fail.Invalid, "bad URL: want http or https")
	}
	req.Header.Set("User-Agent", cl.UserAgent)
	if cond != nil {
		if cond.ETag != "" {
			req.Header.Set("If-None-Match", cond.ETag)
		}
		if cond.LastModified != "" {
			req.Header.Set("If-Modified-Since", cond.LastModified)
		}
	}
	resp, err := cl.HTTP.Do(req)
	if err != nil {
		if errors.Is(err, errDowngrade) {
			return nil, fail.Wrap(fail.Invalid, err)
		}
		return nil, stalled(err)
	}
	defer resp.Body.Close()
	d := &download{etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified")}
	switch {
	case resp.StatusCode == http.StatusNotModified && cond != nil:
		d.notModified = true
		return d, nil
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			d.retryAfter = time.Duration(s) * time.Second
		}
		return d, fail.New(fail.Transient, "HTTP %s", resp.Status)
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, fail.New(fail.NotFound, "HTTP %s (no such feed at this location)", resp.Status)
	default:
		return nil, fail.New(fail.Invalid, "HTTP %s", resp.Status)
	}
	if resp.ContentLength > cl.MaxSize {
		return nil, fail.New(fail.Integrity, "the download is %d bytes, more than the limit of %d", resp.ContentLength, cl.MaxSize)
	}
	tmpDir := filepath.Join(c.Root, "tmp")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return nil, fail.New(fail.Internal, "feed cache: %v", err)
	}
	f, err := os.CreateTemp(tmpDir, "download-*")
	if err != nil {
		return nil, fail.New(fail.Internal, "feed cache: %v", err)
	}
	d.tmp = f.Name()
	h := sha256.New()
	body := &stallReader{r: resp.Body, timer: timer, timeout: cl.Timeout}
	var w io.Writer = io.MultiWriter(diskWriter{f}, h)
	if cl.Progress != nil {
		total := int(resp.ContentLength)
		if resp.ContentLength < 0 {
			total = -1
		}
		cl.Progress.Start(s.Name, total)
		w = io.MultiWriter(w, progressWriter{cl.Progress})
	}
	n, err := io.Copy(w, io.LimitReader(body, cl.MaxSize+1))
	if cl.Progress != nil {
		cl.Progress.Finish()
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = diskError{cerr}
	}
	var de diskError
	switch {
	case errors.As(err, &de):
		err = fail.New(fail.Internal, "feed cache: %v", de.error)
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = fail.New(fail.Transient, "the body ended after %d of %d bytes (truncated)", n, resp.ContentLength)
	case err != nil:
		err = stalled(err)
	case n > cl.MaxSize:
		err = fail.New(fail.Integrity, "the download is more than the limit of %d bytes", cl.MaxSize)
	case resp.ContentLength >= 0 && n != resp.ContentLength:
		err = fail.New(fail.Transient, "the body ended after %d of %d bytes (truncated)", n, resp.ContentLength)
	}
	if err != nil {
		os.Remove(d.tmp)
		return nil, err
	}
	d.size, d.digest = n, canon.Prefix+hex.EncodeToString(h.Sum(nil))
	return d, nil
}

// stallReader restarts the stall timer whenever bytes arrive.
type stallReader struct {
	r       io.Reader
	timer   *time.Timer
	timeout time.Duration
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.timer.Reset(s.timeout)
	}
	return n, err
}

type progressWriter struct{ p inputs.Progress }

func (w progressWriter) Write(b []byte) (int, error) {
	w.p.Add(len(b))
	return len(b), nil
}

// fileSHA256 hashes a file.
func fileSHA256(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return canon.Prefix + hex.EncodeToString(h.Sum(nil)), n, nil
}

// diskWriter marks write errors as the cache's, not the network's.
type diskWriter struct{ f *os.File }

type diskError struct{ error }

func (w diskWriter) Write(b []byte) (int, error) {
	n, err := w.f.Write(b)
	if err != nil {
		err = diskError{err}
	}
	return n, err
}
