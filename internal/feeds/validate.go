package feeds

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
)

// Checked is what validating a download found.
type Checked struct {
	Records   int
	Newest    string // the newest record's modified time, RFC 3339 UTC ("" when none says)
	MediaType string
	Warnings  []string
}

// Validate checks that the file at p is a well-formed feed of kind k, within
// lim: an OSV archive is a zip whose members are all OSV records (names,
// sizes and compression ratios checked before anything is decompressed —
// docs/inputs.md, "Bad input"), KEV and EPSS parse as what they claim, an NVD
// feed is a (gzipped) NVD CVE 2.0 document; each must hold at least one
// record. name replaces p in messages. A failure has kind fail.Integrity.
func Validate(k Kind, p, name string, lim inputs.Limits) (*Checked, error) {
	c, err := validate(k, p, lim)
	if err != nil {
		var ie *inputs.Error
		if errors.As(err, &ie) {
			err = &inputs.Error{Problems: ie.Problems} // its hint is about command-line inputs
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%w (truncated?)", err)
		}
		msg := strings.ReplaceAll(err.Error(), p, name)
		return nil, fail.New(fail.Integrity, "%s", msg)
	}
	if c.Records == 0 {
		return nil, fail.New(fail.Integrity, "%s: holds no records", name)
	}
	return c, nil
}

func validate(k Kind, p string, lim inputs.Limits) (*Checked, error) {
	switch k {
	case OSV:
		if !hasMagic(p, "PK\x03\x04") {
			return nil, fmt.Errorf("%s: not a zip archive", p)
		}
		in, err := inputs.Read(p, inputs.Options{Kind: inputs.KindAdvisories, Limits: lim})
		if err != nil {
			return nil, err
		}
		c := &Checked{Records: len(in.Advisories), MediaType: "application/zip", Warnings: problems(in)}
		for i := range in.Advisories {
			c.Newest = newer(c.Newest, in.Advisories[i].Modified)
		}
		return c, nil
	case KEV:
		in, err := inputs.Read(p, inputs.Options{Kind: inputs.KindKEV, Limits: lim})
		if err != nil {
			return nil, err
		}
		c := &Checked{Records: len(in.KEV.Entries), MediaType: in.MediaType, Newest: newer("", in.KEV.DateReleased), Warnings: problems(in)}
		for _, e := range in.KEV.Entries {
			c.Newest = newer(c.Newest, e.DateAdded)
		}
		return c, nil
	case EPSS:
		in, err := inputs.Read(p, inputs.Options{Kind: inputs.KindEPSS, Limits: lim})
		if err != nil {
			return nil, err
		}
		return &Checked{Records: len(in.EPSS.Scores), MediaType: in.MediaType, Newest: newer("", in.EPSS.ScoreDate), Warnings: problems(in)}, nil
	case NVD:
		return validateNVD(p, lim)
	}
	return nil, fmt.Errorf("unknown feed kind %q", k)
}

func problems(in *inputs.Input) []string {
	var out []string
	for _, w := range in.Warnings {
		out = append(out, w.String())
	}
	return out
}

func hasMagic(p, magic string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, len(magic))
	_, err = io.ReadFull(f, b)
	return err == nil && string(b) == magic
}

// newer returns the later of two times (RFC 3339, or a bare date), as RFC
// 3339 UTC; an unparseable b is ignored.
func newer(a, b string) string {
	tb, ok := parseTime(b)
	if !ok {
		return a
	}
	if ta, ok := parseTime(a); ok && !tb.After(ta) {
		return a
	}
	return tb.UTC().Format(time.RFC3339Nano)
}

func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// validateNVD checks an NVD CVE 2.0 feed structurally, streaming it: a JSON
// object with format NVD_CVE, version 2.0 and a vulnerabilities array whose
// every element has a cve.id; totalResults, when given, must match. Memory
// stays bounded whatever the size of the feed. (The NVD reader that turns
// the feed into severities belongs to internal/inputs.)
func validateNVD(p string, lim inputs.Limits) (*Checked, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	c := &Checked{MediaType: "application/json"}
	br := bufio.NewReaderSize(f, 64<<10)
	var r io.Reader = br
	if m, _ := br.Peek(2); bytes.Equal(m, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: invalid gzip data: %v", p, err)
		}
		zr.Multistream(false)
		c.MediaType = "application/gzip"
		// A ratio limit like the readers' (docs/inputs.md), on the stream.
		most := max(fi.Size()*lim.MaxRatio, 1<<20)
		r = &capReader{r: zr, left: most, what: fmt.Sprintf("%s: expands more than %d:1; refusing a likely decompression bomb", p, lim.MaxRatio)}
	}
	dec := json.NewDecoder(r)
	at := func(what string, err error) error {
		return fmt.Errorf("%s: byte %d: %s%w", p, dec.InputOffset(), what, err)
	}
	if t, err := dec.Token(); err != nil {
		return nil, at("not an NVD CVE 2.0 feed: ", err)
	} else if t != json.Delim('{') {
		return nil, fmt.Errorf("%s: not an NVD CVE 2.0 feed (want a JSON object)", p)
	}
	var format, version string
	total := -1
	seen := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, at("invalid JSON: ", err)
		}
		switch t {
		case "format":
			err = dec.Decode(&format)
		case "version":
			err = dec.Decode(&version)
		case "totalResults":
			err = dec.Decode(&total)
		case "vulnerabilities":
			seen = true
			err = nvdVulns(dec, c)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return nil, at(fmt.Sprintf("/%s: ", t), err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, at("invalid JSON: ", err)
	}
	if format != "NVD_CVE" || version != "2.0" || !seen {
		return nil, fmt.Errorf("%s: not an NVD CVE 2.0 feed (format %q, version %q, vulnerabilities present: %v)", p, format, version, seen)
	}
	if total >= 0 && total != c.Records {
		return nil, fmt.Errorf("%s: totalResults is %d but the feed holds %d vulnerabilities (truncated?)", p, total, c.Records)
	}
	return c, nil
}

func nvdVulns(dec *json.Decoder, c *Checked) error {
	if t, err := dec.Token(); err != nil {
		return err
	} else if t != json.Delim('[') {
		return errors.New("expected an array")
	}
	for dec.More() {
		var v struct {
			CVE struct {
				ID           string `json:"id"`
				LastModified string `json:"lastModified"`
			} `json:"cve"`
		}
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("element %d: %v", c.Records, err)
		}
		if v.CVE.ID == "" {
			return fmt.Errorf("element %d: no cve.id", c.Records)
		}
		c.Records++
		c.Newest = newer(c.Newest, v.CVE.LastModified)
	}
	_, err := dec.Token()
	return err
}

// capReader fails once more than left bytes have been read through it.
type capReader struct {
	r    io.Reader
	left int64
	what string
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, fmt.Errorf("%s", c.what)
	}
	return n, err
}
