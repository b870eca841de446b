package inputs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/stella-policy/stella/internal/fail"
)

// Read reads and normalizes one input: a file of any supported format, or
// an OSV directory tree or zip. The format is detected from the content
// unless opt.Format forces it; a document of another kind than opt.Kind is an
// error. Every error has kind fail.Invalid and names the file and place.
func Read(p string, opt Options) (*Input, error) {
	lim := opt.Limits.withDefaults()
	fi, err := os.Stat(p)
	if err != nil {
		return nil, invalid("", Problem{File: p, Msg: unwrapPathError(err).Error()})
	}
	if fi.IsDir() && opt.Kind == KindNVD {
		return readNVDDir(p, lim, opt.NotAfter)
	}
	if fi.IsDir() || fi.Mode().IsRegular() && isZip(p) {
		if !accepts(opt, OSV) {
			what := "a directory"
			if !fi.IsDir() {
				what = "a zip"
			}
			return nil, invalid("", Problem{File: p, Msg: fmt.Sprintf("is %s; only OSV advisories are read from directories and zips (expected %s)", what, expected(opt.Kind))})
		}
		return readOSVSet(p, fi.IsDir(), opt, lim)
	}
	size := fi.Size()
	if !fi.Mode().IsRegular() {
		size = -1 // a pipe or device: its size says nothing
	} else if size >= streamFrom && size <= lim.MaxFileBytes && (accepts(opt, CycloneDX) || accepts(opt, SPDX)) {
		if in, ok := readOnePass(p, opt, lim); ok {
			return in, nil
		}
	}
	d, raw, err := readDoc(fileMember(p, size), lim, true)
	if err != nil {
		return nil, err
	}
	return readParsed(d, raw, opt, lim)
}

// ReadBytes reads one input held in memory, named name in messages, exactly
// as Read reads a file (gzip included); directories and zips are files only.
func ReadBytes(name string, data []byte, opt Options) (*Input, error) {
	lim := opt.Limits.withDefaults()
	m := member{name: name, size: int64(len(data)), csize: -1, open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}}
	d, raw, err := readDoc(m, lim, true)
	if err != nil {
		return nil, err
	}
	return readParsed(d, raw, opt, lim)
}

// readParsed detects (unless forced) and reads the format of a document.
func readParsed(d *doc, raw string, opt Options, lim Limits) (*Input, error) {
	if c := d.data[0]; c == '{' || c == '[' {
		if err := d.checkText(lim.MaxDepth); err != nil {
			return nil, err
		}
	}
	in := &Input{Path: d.name, RawDigest: raw, Files: 1, Kind: opt.Kind, Format: opt.Format}
	var err error
	if in.Format == "" {
		if in.Format, in.Kind, err = detect(d, opt.Kind); err != nil {
			return nil, err
		}
	} else if in.Kind == "" {
		in.Kind = formatKinds[in.Format][0]
	}
	if err := safely(d.name, func() error { return parse(d, in, opt) }); err != nil {
		return nil, err
	}
	if in.MediaType == "" {
		in.MediaType = mediaOf(in.Format)
	}
	if d.gz {
		in.MediaType = mediaGzip
	}
	return in, nil
}

// parse runs the reader of in.Format over d.
func parse(d *doc, in *Input, opt Options) error {
	switch in.Format {
	case CycloneDX:
		return readCycloneDX(d, in)
	case SPDX:
		return readSPDX(d, in)
	case OSV:
		return readOSVFile(d, in, opt)
	case OpenVEX:
		return readOpenVEX(d, in)
	case CSAF:
		return readCSAF(d, in)
	case NVDJSON:
		return readNVD(d, in, opt.NotAfter)
	case EPSSCSV:
		return readEPSS(d, in)
	case KEVJSON:
		return readKEV(d, in)
	case KEVCSV:
		return readKEVCSV(d, in)
	case Reach:
		return readReach(d, in)
	case Exceptions:
		return readExceptions(d, in)
	}
	return invalid("", Problem{File: d.name, Msg: "unknown format " + quote(string(in.Format))})
}

// recoverPanics is cleared by the fuzz tests, so that a panic in a reader
// fails the fuzzer instead of becoming an input error.
var recoverPanics = true

// safely runs a reader, turning a panic in it or in a library it calls into
// an input error: a hostile file must never crash stella.
func safely(name string, f func() error) (err error) {
	defer func() {
		if !recoverPanics {
			return
		}
		if r := recover(); r != nil {
			err = fail.Wrap(fail.Invalid, &Error{Problems: []Problem{{File: name, Msg: fmt.Sprintf("cannot read this input (reader failed: %v)", r)}}})
		}
	}()
	return f()
}

// decodeJSON unmarshals d into v, reporting errors with position.
func decodeJSON(d *doc, v any) error {
	if err := json.Unmarshal(d.data, v); err != nil {
		return invalid("", d.jsonProblem(err))
	}
	return nil
}

func mediaOf(f Format) string {
	switch f {
	case CycloneDX:
		return mediaCycloneDX
	case SPDX:
		return mediaSPDX
	case OSV:
		return mediaOSV
	case OpenVEX:
		return mediaOpenVEX
	case CSAF:
		return mediaCSAF
	case NVDJSON:
		return mediaNVD
	case EPSSCSV, KEVCSV:
		return mediaCSV
	case Reach:
		return mediaReach
	case Exceptions:
		return mediaExceptions
	}
	return mediaJSON
}
