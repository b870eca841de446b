package feeds

import (
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
// feed is a (gzipped) NVD CVE 2.0 document (internal/inputs reads each);
// each must hold at least one record. name replaces p in messages. A failure has kind fail.Integrity.
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
		in, err := inputs.Read(p, inputs.Options{Kind: inputs.KindNVD, Limits: lim})
		if err != nil {
			return nil, err
		}
		c := &Checked{Records: len(in.NVD), MediaType: in.MediaType, Warnings: problems(in)}
		for i := range in.NVD {
			c.Newest = newer(c.Newest, in.NVD[i].LastModified)
		}
		return c, nil
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
