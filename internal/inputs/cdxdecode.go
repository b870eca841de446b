package inputs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/model"
)

// The members of a CycloneDX component and dependency that stella reads.
// The reference decode (encoding/json into cdxDoc) and the one-pass reader
// (cdxReader.read) fill the same structs; members not named here are not
// decoded by either, so their values are not checked (docs/inputs.md
// "SBOMs").
type cdxComponent struct {
	BOMRef     string              `json:"bom-ref"`
	Name       string              `json:"name"`
	Group      string              `json:"group"`
	Version    string              `json:"version"`
	Scope      string              `json:"scope"`
	PackageURL string              `json:"purl"`
	CPE        string              `json:"cpe"`
	Licenses   *[]cdxLicenseChoice `json:"licenses"`
	Properties *[]cdx.Property     `json:"properties"`
	Tags       *[]string           `json:"tags"`
	Components *[]cdxComponent     `json:"components"`
}

type cdxLicenseChoice struct {
	License    *cdxLicense `json:"license"`
	Expression string      `json:"expression"`
}

type cdxLicense struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type cdxDependency struct {
	Ref       string    `json:"ref"`
	DependsOn *[]string `json:"dependsOn"`
}

// cdxDoc is the reference decode of a whole document: cyclonedx-go's BOM
// for the document's other members (metadata, vulnerabilities), the
// components and dependencies as stella reads them (the outer fields hide
// the BOM's own).
type cdxDoc struct {
	cdx.BOM
	Components   *[]cdxComponent  `json:"components"`
	Dependencies *[]cdxDependency `json:"dependencies"`
}

// fromCDX is a cyclonedx-go component (the metadata component) as the
// reader's struct.
func fromCDX(comp *cdx.Component) cdxComponent {
	c := cdxComponent{BOMRef: comp.BOMRef, Name: comp.Name, Group: comp.Group, Version: comp.Version, Scope: string(comp.Scope),
		PackageURL: comp.PackageURL, CPE: comp.CPE, Properties: comp.Properties, Tags: comp.Tags}
	if comp.Licenses != nil {
		ls := make([]cdxLicenseChoice, len(*comp.Licenses))
		for i, l := range *comp.Licenses {
			ls[i].Expression = l.Expression
			if l.License != nil {
				ls[i].License = &cdxLicense{ID: l.License.ID, Name: l.License.Name}
			}
		}
		c.Licenses = &ls
	}
	if comp.Components != nil {
		cs := make([]cdxComponent, len(*comp.Components))
		for i := range *comp.Components {
			cs[i] = fromCDX(&(*comp.Components)[i])
		}
		c.Components = &cs
	}
	return c
}

// read is the fast path of reading CycloneDX JSON: one pass over the text
// from s, the components and dependencies decoded element by element with
// the OSV decoder's one-pass parser into the reader's model, the other
// top-level members kept as text for the reference decode (they are small:
// metadata, vulnerabilities). Nothing but the current element is held, so a
// document read from its file never costs its size in memory
// (docs/performance.md "Bounds"). It returns the other members as a JSON
// object, whether the components array was non-empty, and false for
// anything it does not take as encoding/json would — malformed or invalid
// UTF-8 text, nesting deeper than maxDepth, a key matching "components" or
// "dependencies" but for case or given twice, a null, a value of the wrong
// type; the caller then decodes the whole text with encoding/json, whose
// result and errors are the reference (FuzzDecodeCycloneDX holds the two
// to the same inputs). With cdxOnly, a document that does not begin by
// naming itself CycloneDX ("bomFormat", after "$schema" at most) is given
// up at its first other member.
func (c *cdxReader) read(s *jsonStream, maxDepth int, cdxOnly bool) (rest []byte, comps, ok bool) {
	rest = append(rest, '{')
	var compsSeen, depsSeen, isCDX bool
	ok = s.object(maxDepth, func(key string) bool {
		if cdxOnly && !isCDX && key != "bomFormat" && key != "$schema" {
			return false
		}
		switch {
		case key == "components":
			if compsSeen {
				return false
			}
			compsSeen = true
			if c.hint > 1024 {
				c.comps, c.given, c.parents = make([]model.Component, 0, c.hint), make([]string, 0, c.hint), make([]int, 0, c.hint)
			}
			n := 0
			ok := s.elements(maxDepth, func(p *osvParser) bool {
				var comp cdxComponent
				if !p.cdxComponent(&comp) {
					return false
				}
				c.add(&comp, cdxAt{"/components", n}, -1)
				n++
				return true
			})
			comps = n > 0
			return ok
		case key == "dependencies":
			if depsSeen {
				return false
			}
			depsSeen = true
			c.deps = map[string][]string{}
			return s.elements(maxDepth, func(p *osvParser) bool {
				var d cdxDependency
				if !p.cdxDependency(&d) {
					return false
				}
				c.depend(d)
				return true
			})
		case strings.EqualFold(key, "components"), strings.EqualFold(key, "dependencies"):
			return false
		}
		v, ok := s.value(nil, 1, maxDepth)
		if !ok || !utf8.Valid(v) {
			return false
		}
		if key == "bomFormat" && string(v) == `"`+cdx.BOMFormat+`"` {
			isCDX = true
		}
		if len(rest) > 1 {
			rest = append(rest, ',')
		}
		k, _ := json.Marshal(key)
		rest = append(append(append(rest, k...), ':'), v...)
		return true
	})
	if !ok {
		return nil, false, false
	}
	return append(rest, '}'), comps, true
}

// object consumes an object whose keys have no escapes, then the end of the
// text; member consumes the value of each member.
func (s *jsonStream) object(maxDepth int, member func(key string) bool) bool {
	if b, ok := s.byte(); !ok || b != '{' || maxDepth < 3 {
		return false
	}
	s.i++
	for first := true; ; first = false {
		b, ok := s.byte()
		if !ok {
			return false
		}
		if b == '}' { // after '{' or a member: a ',' goes on to a key
			s.i++
			return s.end()
		}
		if !first {
			if b != ',' {
				return false
			}
			s.i++
		}
		raw, ok := s.value(nil, 1, maxDepth)
		if !ok || len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' || bytes.IndexByte(raw, '\\') >= 0 || !utf8.Valid(raw) ||
			bytes.ContainsFunc(raw, func(r rune) bool { return r < 0x20 }) {
			return false
		}
		key := string(raw[1 : len(raw)-1])
		if b, ok := s.byte(); !ok || b != ':' {
			return false
		}
		s.i++
		if !member(key) {
			return false
		}
	}
}

// decode consumes a value, which f must decode whole.
func (s *jsonStream) decode(maxDepth int, f func(*osvParser) bool) bool {
	v, ok := s.value(nil, 1, maxDepth)
	if !ok {
		return false
	}
	p := osvParser{b: v, max: maxDepth - 1}
	if !f(&p) {
		return false
	}
	p.space()
	return p.i == len(p.b)
}

// The JSON names of the reader's CycloneDX structs (osvParser.unknown).
var (
	cdxComponentNames  = []string{"bom-ref", "name", "group", "version", "scope", "purl", "cpe", "licenses", "properties", "tags", "components"}
	cdxLicenseChNames  = []string{"license", "expression"}
	cdxLicenseNames    = []string{"id", "name"}
	cdxPropertyNames   = []string{"name", "value"}
	cdxDependencyNames = []string{"ref", "dependsOn"}
)

func (p *osvParser) cdxComponent(c *cdxComponent) bool {
	var m members
	if !p.begin(&m, cdxComponentNames) {
		return false
	}
	for p.next(&m) {
		ok := true
		switch string(m.key) {
		case "bom-ref":
			ok = p.string(&c.BOMRef)
		case "name":
			ok = p.string(&c.Name)
		case "group":
			ok = p.string(&c.Group)
		case "version":
			ok = p.string(&c.Version)
		case "scope":
			ok = p.string(&c.Scope)
		case "purl":
			ok = p.string(&c.PackageURL)
		case "cpe":
			ok = p.string(&c.CPE)
		case "licenses":
			c.Licenses = new([]cdxLicenseChoice)
			ok = spdxList(p, c.Licenses, cdxLicenseChNames, func(l *cdxLicenseChoice, key string) bool {
				if key == "expression" {
					return p.string(&l.Expression)
				}
				l.License = &cdxLicense{}
				var m members
				if !p.begin(&m, cdxLicenseNames) {
					return false
				}
				for p.next(&m) {
					ok := true
					switch string(m.key) {
					case "id":
						ok = p.string(&l.License.ID)
					case "name":
						ok = p.string(&l.License.Name)
					default:
						ok = p.unknown(&m)
					}
					if !ok {
						return false
					}
				}
				return m.ok
			})
		case "properties":
			c.Properties = new([]cdx.Property)
			ok = spdxList(p, c.Properties, cdxPropertyNames, func(pr *cdx.Property, key string) bool {
				if key == "name" {
					return p.string(&pr.Name)
				}
				return p.string(&pr.Value)
			})
		case "tags":
			c.Tags = new([]string)
			ok = p.strings(c.Tags)
		case "components":
			c.Components = new([]cdxComponent)
			var e elements
			if !p.beginArray(&e) {
				return false
			}
			for p.nextElem(&e) {
				var n cdxComponent
				if !p.cdxComponent(&n) {
					return false
				}
				*c.Components = append(*c.Components, n)
			}
			if !e.ok {
				return false
			}
			if *c.Components == nil {
				*c.Components = []cdxComponent{}
			}
		default:
			ok = p.unknown(&m)
		}
		if !ok {
			return false
		}
	}
	return m.ok
}

func (p *osvParser) cdxDependency(d *cdxDependency) bool {
	var m members
	if !p.begin(&m, cdxDependencyNames) {
		return false
	}
	for p.next(&m) {
		ok := true
		switch string(m.key) {
		case "ref":
			ok = p.string(&d.Ref)
		case "dependsOn":
			d.DependsOn = new([]string)
			ok = p.strings(d.DependsOn)
		default:
			ok = p.unknown(&m)
		}
		if !ok {
			return false
		}
	}
	return m.ok
}

// jsonStream is JSON text read from r through a fixed buffer (or, with no
// reader, text held whole in b), one top-level value at a time.
type jsonStream struct {
	r   io.Reader
	b   []byte // b[i:] is read but not consumed
	i   int
	eof bool
	err error
}

// streamBuffer is the buffer of a jsonStream reading a file.
const streamBuffer = 256 << 10

// newStream reads from r through a buffer of size bytes, or, with no
// reader, the text.
func newStream(r io.Reader, text []byte, size int) *jsonStream {
	if r == nil {
		return &jsonStream{b: text, eof: true}
	}
	return &jsonStream{r: r, b: make([]byte, 0, size)}
}

// fill reads more text after the unconsumed rest; false at the end.
func (s *jsonStream) fill() bool {
	if s.eof {
		return false
	}
	n := copy(s.b[:cap(s.b)], s.b[s.i:])
	s.b, s.i = s.b[:n], 0
	for len(s.b) < cap(s.b) {
		m, err := s.r.Read(s.b[len(s.b):cap(s.b)])
		s.b = s.b[:len(s.b)+m]
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.err = err
			}
			break
		}
		if m > 0 {
			break
		}
	}
	return len(s.b) > n
}

// byte skips whitespace and returns the next byte without consuming it.
func (s *jsonStream) byte() (byte, bool) {
	for {
		for ; s.i < len(s.b); s.i++ {
			switch c := s.b[s.i]; c {
			case ' ', '\t', '\n', '\r':
			default:
				return c, true
			}
		}
		if !s.fill() {
			return 0, false
		}
	}
}

// end reports whether only whitespace is left.
func (s *jsonStream) end() bool {
	_, more := s.byte()
	return !more && s.err == nil
}

// value consumes the next value and returns its text: a slice of the
// buffer, valid until the next call, when the value lies in it, else
// *acc (reused: its backing array is overwritten). It follows only strings and nesting (the value's parser
// checks the rest); depth is the nesting around the value, which may nest
// to maxDepth.
func (s *jsonStream) value(acc *[]byte, depth, maxDepth int) ([]byte, bool) {
	c, ok := s.byte()
	if !ok {
		return nil, false
	}
	start := s.i
	scalar := c != '{' && c != '[' && c != '"'
	inStr, esc, open, spilled := false, false, 0, false
	if acc == nil {
		acc = new([]byte)
	}
	for {
		j := s.i
		for ; j < len(s.b); j++ {
			c := s.b[j]
			switch {
			case scalar:
				if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
					goto done
				}
			case inStr:
				switch {
				case esc:
					esc = false
				case c == '\\':
					esc = true
				case c == '"':
					inStr = false
					if open == 0 {
						j++
						goto done
					}
				}
			case c == '"':
				inStr = true
			case c == '{' || c == '[':
				open++
				if depth+open > maxDepth {
					return nil, false
				}
			case c == '}' || c == ']':
				open--
				if open == 0 {
					j++
					goto done
				}
			}
		}
		// The value goes on past the buffer: keep what is read, read on.
		if !spilled {
			*acc, spilled = (*acc)[:0], true
		}
		*acc = append(*acc, s.b[start:j]...)
		s.i = j
		if !s.fill() {
			if scalar && s.err == nil {
				return *acc, true
			}
			return nil, false
		}
		start = s.i
		continue
	done:
		s.i = j
		if !spilled {
			return s.b[start:j], true
		}
		*acc = append(*acc, s.b[start:j]...)
		return *acc, true
	}
}

// elements consumes an array, passing a parser of each element's text to
// elem, which must decode the element whole.
func (s *jsonStream) elements(maxDepth int, elem func(*osvParser) bool) bool {
	if b, ok := s.byte(); !ok || b != '[' || maxDepth < 2 {
		return false
	}
	s.i++
	var acc []byte
	for first := true; ; first = false {
		b, ok := s.byte()
		if !ok {
			return false
		}
		if b == ']' && first {
			s.i++
			return true
		}
		if !first {
			if b == ']' {
				s.i++
				return true
			}
			if b != ',' {
				return false
			}
			s.i++
		}
		v, ok := s.value(&acc, 2, maxDepth)
		if !ok {
			return false
		}
		p := osvParser{b: v, max: maxDepth - 2}
		if !elem(&p) {
			return false
		}
		if p.space(); p.i != len(p.b) {
			return false
		}
	}
}

// streamFrom is the size from which a file that may be an SBOM is read in
// one pass from disk (readOnePass) rather than into memory first.
var streamFrom int64 = smallFile

// readOnePass reads a CycloneDX or SPDX file in one pass from disk, never
// holding its text: the raw bytes are hashed, checked (UTF-8, nesting) and
// decoded as they are read, so memory follows the model, not the file
// (docs/inputs.md "Memory"). It gives exactly what Read gives the same
// file; false for anything it does not take that way — another format,
// gzip, text the one-pass readers give up on, any problem to report — and
// the caller reads the file the ordinary way, which positions the problem.
// SPDX is tried when it is asked for or the first member is spdxVersion or
// SPDXID (as syft and trivy write it), CycloneDX otherwise.
func readOnePass(p string, opt Options, lim Limits) (*Input, bool) {
	f, err := os.Open(p)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	h := sha256.New()
	raw := &countingReader{r: io.TeeReader(io.LimitReader(f, lim.MaxFileBytes+1), h)}
	s := newStream(raw, nil, streamBuffer)
	if !s.fill() || s.b[0] == 0x1f {
		return nil, false // empty, or gzip
	}
	if bytes.HasPrefix(s.b, []byte("\xEF\xBB\xBF")) {
		s.i = 3
	}
	first := bytes.TrimLeft(s.b[s.i:], " \t\r\n{")
	spdx := opt.Format == SPDX || opt.Format == "" && accepts(opt, SPDX) &&
		(bytes.HasPrefix(first, []byte(`"spdxVersion"`)) || bytes.HasPrefix(first, []byte(`"SPDXID"`)))
	if spdx && !accepts(opt, SPDX) || !spdx && !accepts(opt, CycloneDX) {
		return nil, false
	}
	key := `"bom-ref"`
	if spdx {
		key = `"SPDXID"`
	}
	hint, err := countKey(p, key)
	if err != nil {
		return nil, false
	}
	hint = min(hint, int(lim.MaxFileBytes/256))
	d := &doc{name: p}
	in := &Input{Path: p, Files: 1, Kind: opt.Kind, Format: opt.Format}
	err = safely(p, func() error {
		var top []byte // what detection reads of the top-level members
		var finish func() error
		if spdx {
			r := newSPDXReader(d)
			r.comps = make([]model.Component, 0, hint)
			var sd spdxDoc
			if !r.read(s, lim.MaxDepth, &sd) || spdxVersion(d, sd.SPDXVersion) != nil {
				return errGiveUp
			}
			v, _ := json.Marshal(sd.SPDXVersion)
			top = append(append([]byte(`{"spdxVersion":`), v...), '}')
			finish = func() error { r.finish(&sd, in); return nil }
		} else {
			c := newCDXReader(d)
			c.hint = hint
			rest, comps, ok := c.read(s, lim.MaxDepth, opt.Format != CycloneDX)
			if !ok || !c.decodeRest(rest) || c.bom.Vulnerabilities != nil && c.bom.SerialNumber == "" {
				return errGiveUp // (the id of the VEX document would be the digest of its text)
			}
			// Of the components, detection reads only whether there are any.
			top = []byte(`{"components":[]`)
			if comps {
				top = []byte(`{"components":[0]`)
			}
			if len(rest) > 2 {
				top = append(append(top, ','), rest[1:]...)
			} else {
				top = append(top, '}')
			}
			finish = func() error { return c.finish(in) }
		}
		if s.err != nil || raw.n > lim.MaxFileBytes {
			return errGiveUp
		}
		in.RawDigest = canon.Prefix + hex.EncodeToString(h.Sum(nil))
		if in.Format == "" {
			f, k, err := detect(&doc{name: p, data: top}, opt.Kind)
			if err != nil {
				return errGiveUp
			}
			in.Format, in.Kind = f, k
		} else if in.Kind == "" {
			in.Kind = formatKinds[in.Format][0]
		}
		if want := CycloneDX; spdx && in.Format != SPDX || !spdx && in.Format != want {
			return errGiveUp
		}
		return finish()
	})
	if err != nil {
		return nil, false
	}
	in.MediaType = mediaOf(in.Format)
	return in, true
}

// errGiveUp: the one-pass reading of a file gave up; it is read again.
var errGiveUp = errors.New("read the file whole")

// countKey counts key in the file p, to size the component slices once.
func countKey(p, key string) (int, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, streamBuffer)
	n, keep := 0, 0
	for {
		m, err := f.Read(buf[keep:])
		text := buf[:keep+m]
		n += bytes.Count(text, []byte(key))
		keep = copy(buf, text[max(len(text)-len(key)+1, 0):])
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// specVersionProblem is the positioned problem with a document's
// specVersion, if it has one: cyclonedx-go refuses a version it does not
// know (or a value that is not a string) with an error encoding/json passes
// on without a place.
func specVersionProblem(d *doc) (Problem, bool) {
	var top struct {
		SpecVersion json.RawMessage `json:"specVersion"`
	}
	if json.Unmarshal(d.data, &top) != nil || top.SpecVersion == nil {
		return Problem{}, false
	}
	var sv cdx.SpecVersion
	if sv.UnmarshalJSON(top.SpecVersion) == nil {
		return Problem{}, false
	}
	return d.atPointer("/specVersion", "specVersion %s is not a CycloneDX version (want a string, %q to %q)",
		top.SpecVersion, cdx.SpecVersion1_0.String(), cdx.SpecVersion1_7.String()), true
}
