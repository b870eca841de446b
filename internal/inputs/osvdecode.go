package inputs

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/model"
)

// decodeOSV is the fast path of OSV decoding: one pass over the text, no
// reflection, filling rec exactly as json.Unmarshal would. It handles the
// shape real databases publish; anything else — malformed text, a key that
// differs from a field's name only in case (encoding/json matches those),
// a duplicate key, a null, a value of the wrong type, a surrogate escape —
// makes it return false, and the caller decodes with json.Unmarshal, whose
// result and errors are the reference. FuzzDecodeOSV holds the two to the
// same records.
func decodeOSV(data []byte, rec *osvRecord) bool {
	p := &osvParser{b: data}
	if !p.record(rec) {
		return false
	}
	p.space()
	return p.i == len(p.b)
}

type osvParser struct {
	b     []byte
	i     int
	depth int // open arrays and objects
	max   int // nesting allowed; 0: encoding/json's 10,000
	// keep, when set, holds the decoded strings in a few blocks (strs)
	// rather than a string each.
	keep *strs
}

// strs keeps the strings decoded from a large document in blocks of
// strsBlock bytes, each string a part of one: a string each costs an
// allocation each, and parts of one copy of the whole input would keep
// all of it alive — keys, punctuation, repeated values — as long as any
// one string is used (BenchmarkDecodeSBOM reports what a decoded SBOM
// keeps).
type strs struct{ b strings.Builder }

const strsBlock = 32 << 10

// add returns s as a string: a part of the current block, or its own copy
// when s is long or a is nil.
func (a *strs) add(s []byte) string {
	if a == nil || len(s) > strsBlock/4 {
		return string(s)
	}
	if a.b.Cap()-a.b.Len() < len(s) {
		a.b = strings.Builder{} // the full block stays with its strings
		a.b.Grow(strsBlock)
	}
	n := a.b.Len()
	a.b.Write(s)
	return a.b.String()[n:]
}

// enter opens an array or object.
func (p *osvParser) enter() bool {
	p.depth++
	return p.max == 0 && p.depth <= 10000 || p.depth <= p.max
}

func (p *osvParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *osvParser) peek() byte {
	p.space()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// members iterates over an object's members: after begin, each next
// positions the parser at a member's value and sets key; the caller decodes
// the value or calls unknown. When next returns false, ok tells whether the
// object was well formed. A duplicate key gives up.
type members struct {
	key   []byte
	names []string // the struct's field names, for unknown
	seen  [12][]byte
	n     int
	more  [][]byte
	ok    bool
	first bool
}

func (p *osvParser) begin(m *members, names []string) bool {
	m.names, m.first = names, true
	if p.peek() != '{' {
		return false
	}
	p.i++
	return p.enter()
}

func (p *osvParser) next(m *members) bool {
	c := p.peek()
	if c == '}' {
		p.i++
		p.depth--
		m.ok = true
		return false
	}
	if !m.first {
		if c != ',' {
			return false
		}
		p.i++
		c = p.peek()
	}
	if c != '"' {
		return false
	}
	m.first = false
	p.i++
	key, ok := p.str()
	if !ok || p.peek() != ':' {
		return false
	}
	p.i++
	for _, s := range m.seen[:m.n] {
		if bytes.Equal(s, key) {
			return false
		}
	}
	for _, s := range m.more {
		if bytes.Equal(s, key) {
			return false
		}
	}
	if m.n < len(m.seen) {
		m.seen[m.n] = key
		m.n++
	} else {
		m.more = append(m.more, key)
	}
	m.key = key
	return true
}

// unknown skips the value of a member the struct has no field for, unless
// its name matches a field's in another case (encoding/json would decode it).
func (p *osvParser) unknown(m *members) bool {
	for _, n := range m.names {
		if bytes.EqualFold(m.key, []byte(n)) {
			return false
		}
	}
	return p.skip()
}

// elements iterates over an array's elements like members over an object.
type elements struct {
	ok    bool
	first bool
}

func (p *osvParser) beginArray(e *elements) bool {
	e.first = true
	if p.peek() != '[' {
		return false
	}
	p.i++
	return p.enter()
}

func (p *osvParser) nextElem(e *elements) bool {
	c := p.peek()
	if c == ']' {
		p.i++
		p.depth--
		e.ok = true
		return false
	}
	if !e.first {
		if c != ',' {
			return false
		}
		p.i++
	}
	e.first = false
	return true
}

// The JSON names of each struct's fields: encoding/json would also match a
// member whose name equals one of them but for case.
var (
	recordNames    = []string{"id", "modified", "published", "withdrawn", "aliases", "related", "summary", "severity", "affected", "references", "database_specific"}
	severityNames  = []string{"type", "score"}
	referenceNames = []string{"type", "url"}
	affectedNames  = []string{"package", "severity", "ranges", "versions", "ecosystem_specific", "database_specific"}
	packageNames   = []string{"ecosystem", "name", "purl"}
	rangeNames     = []string{"type", "repo", "events"}
	eventNames     = []string{"introduced", "fixed", "last_affected", "limit"}
)

func (p *osvParser) record(r *osvRecord) bool {
	var m members
	if !p.begin(&m, recordNames) {
		return false
	}
	for p.next(&m) {
		ok := true
		switch string(m.key) {
		case "id":
			ok = p.string(&r.ID)
		case "modified":
			ok = p.string(&r.Modified)
		case "published":
			ok = p.string(&r.Published)
		case "withdrawn":
			ok = p.string(&r.Withdrawn)
		case "aliases":
			ok = p.strings(&r.Aliases)
		case "related":
			ok = p.strings(&r.Related)
		case "summary":
			ok = p.string(&r.Summary)
		case "severity":
			ok = p.severities(&r.Severity)
		case "affected":
			ok = p.affecteds(&r.Affected)
		case "references":
			ok = p.references(&r.References)
		case "database_specific":
			ok = p.raw(&r.DatabaseSpecific)
		default:
			ok = p.unknown(&m)
		}
		if !ok {
			return false
		}
	}
	return m.ok
}

func (p *osvParser) references(out *[]osvReference) bool {
	var e elements
	if !p.beginArray(&e) {
		return false
	}
	for p.nextElem(&e) {
		*out = append(*out, osvReference{})
		ref := &(*out)[len(*out)-1]
		var m members
		if !p.begin(&m, referenceNames) {
			return false
		}
		for p.next(&m) {
			ok := true
			switch string(m.key) {
			case "type":
				ok = p.string(&ref.Type)
			case "url":
				ok = p.string(&ref.URL)
			default:
				ok = p.unknown(&m)
			}
			if !ok {
				return false
			}
		}
		if !m.ok {
			return false
		}
	}
	if e.ok && *out == nil {
		*out = []osvReference{}
	}
	return e.ok
}

func (p *osvParser) severities(out *[]osvSeverity) bool {
	var e elements
	if !p.beginArray(&e) {
		return false
	}
	for p.nextElem(&e) {
		*out = append(*out, osvSeverity{})
		s := &(*out)[len(*out)-1]
		var m members
		if !p.begin(&m, severityNames) {
			return false
		}
		for p.next(&m) {
			ok := true
			switch string(m.key) {
			case "type":
				ok = p.string(&s.Type)
			case "score":
				ok = p.string(&s.Score)
			default:
				ok = p.unknown(&m)
			}
			if !ok {
				return false
			}
		}
		if !m.ok {
			return false
		}
	}
	if e.ok && *out == nil {
		*out = []osvSeverity{}
	}
	return e.ok
}

func (p *osvParser) affecteds(out *[]osvAffected) bool {
	var e elements
	if !p.beginArray(&e) {
		return false
	}
	for p.nextElem(&e) {
		*out = append(*out, osvAffected{})
		if !p.affected(&(*out)[len(*out)-1]) {
			return false
		}
	}
	if e.ok && *out == nil {
		*out = []osvAffected{}
	}
	return e.ok
}

func (p *osvParser) affected(a *osvAffected) bool {
	var m members
	if !p.begin(&m, affectedNames) {
		return false
	}
	for p.next(&m) {
		ok := true
		switch string(m.key) {
		case "package":
			a.Package = &struct {
				Ecosystem string `json:"ecosystem"`
				Name      string `json:"name"`
				Purl      string `json:"purl"`
			}{}
			ok = p.pkg(&a.Package.Ecosystem, &a.Package.Name, &a.Package.Purl)
		case "severity":
			ok = p.severities(&a.Severity)
		case "ranges":
			ok = p.ranges(&a.Ranges)
		case "versions":
			ok = p.strings(&a.Versions)
		case "ecosystem_specific":
			ok = p.raw(&a.EcosystemSpecific)
		case "database_specific":
			ok = p.raw(&a.DatabaseSpecific)
		default:
			ok = p.unknown(&m)
		}
		if !ok {
			return false
		}
	}
	return m.ok
}

func (p *osvParser) pkg(eco, name, purl *string) bool {
	var m members
	if !p.begin(&m, packageNames) {
		return false
	}
	for p.next(&m) {
		ok := true
		switch string(m.key) {
		case "ecosystem":
			ok = p.string(eco)
		case "name":
			ok = p.string(name)
		case "purl":
			ok = p.string(purl)
		default:
			ok = p.unknown(&m)
		}
		if !ok {
			return false
		}
	}
	return m.ok
}

func (p *osvParser) ranges(out *[]osvRange) bool {
	var e elements
	if !p.beginArray(&e) {
		return false
	}
	for p.nextElem(&e) {
		*out = append(*out, osvRange{})
		r := &(*out)[len(*out)-1]
		var m members
		if !p.begin(&m, rangeNames) {
			return false
		}
		for p.next(&m) {
			ok := true
			switch string(m.key) {
			case "type":
				ok = p.string(&r.Type)
			case "repo":
				ok = p.string(&r.Repo)
			case "events":
				ok = p.events(&r.Events)
			default:
				ok = p.unknown(&m)
			}
			if !ok {
				return false
			}
		}
		if !m.ok {
			return false
		}
	}
	if e.ok && *out == nil {
		*out = []osvRange{}
	}
	return e.ok
}

func (p *osvParser) events(out *[]osvEvent) bool {
	var e elements
	if !p.beginArray(&e) {
		return false
	}
	for p.nextElem(&e) {
		*out = append(*out, osvEvent{})
		ev := &(*out)[len(*out)-1]
		var m members
		if !p.begin(&m, eventNames) {
			return false
		}
		for p.next(&m) {
			var dst **string
			switch string(m.key) {
			case "introduced":
				dst = &ev.Introduced
			case "fixed":
				dst = &ev.Fixed
			case "last_affected":
				dst = &ev.LastAffected
			case "limit":
				dst = &ev.Limit
			default:
				if !p.unknown(&m) {
					return false
				}
				continue
			}
			s := new(string)
			if !p.string(s) {
				return false
			}
			*dst = s
		}
		if !m.ok {
			return false
		}
	}
	if e.ok && *out == nil {
		*out = []osvEvent{}
	}
	return e.ok
}

func (p *osvParser) strings(out *[]string) bool {
	var e elements
	if !p.beginArray(&e) {
		return false
	}
	for p.nextElem(&e) {
		var s string
		if !p.string(&s) {
			return false
		}
		*out = append(*out, s)
	}
	if e.ok && *out == nil {
		*out = []string{}
	}
	return e.ok
}

func (p *osvParser) string(out *string) bool {
	if p.peek() != '"' {
		return false
	}
	p.i++
	s, ok := p.str()
	*out = p.keep.add(s)
	return ok
}

// str reads a string after its opening quote and returns its text: a slice
// of the input when it has no escapes.
func (p *osvParser) str() ([]byte, bool) {
	start := p.i
	// The common case first: printable ASCII without a quote or a
	// backslash, crossed at once.
	p.i = canon.PlainRun(p.b, p.i)
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			return s, true
		case c == '\\':
			return p.escaped(start)
		case c < 0x20:
			return nil, false
		case c < utf8.RuneSelf:
			p.i++
		default:
			r, n := utf8.DecodeRune(p.b[p.i:])
			if r == utf8.RuneError && n == 1 {
				return nil, false // encoding/json would replace it
			}
			p.i += n
		}
	}
	return nil, false
}

func (p *osvParser) escaped(start int) ([]byte, bool) {
	buf := append([]byte(nil), p.b[start:p.i]...)
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return buf, true
		case c == '\\':
			var ok bool
			if buf, p.i, _, ok = canon.AppendEscape(buf, p.b, p.i); !ok {
				return nil, false // encoding/json decides what a bad escape means
			}
		case c < 0x20:
			return nil, false
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			p.i++
		default:
			r, n := utf8.DecodeRune(p.b[p.i:])
			if r == utf8.RuneError && n == 1 {
				return nil, false
			}
			buf = append(buf, p.b[p.i:p.i+n]...)
			p.i += n
		}
	}
	return nil, false
}

// raw captures a value's bytes, as json.RawMessage does (null gives up).
func (p *osvParser) raw(out *json.RawMessage) bool {
	p.space()
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == 'n' {
		return false
	}
	if !p.skip() {
		return false
	}
	*out = append(json.RawMessage(nil), p.b[start:p.i]...)
	return true
}

// skip passes over one well-formed value.
func (p *osvParser) skip() bool {
	switch c := p.peek(); {
	case c == '{':
		p.i++
		if !p.enter() {
			return false
		}
		if p.peek() == '}' {
			p.i++
			p.depth--
			return true
		}
		for {
			if p.peek() != '"' {
				return false
			}
			p.i++
			if _, ok := p.str(); !ok || p.peek() != ':' {
				return false
			}
			p.i++
			if !p.skip() {
				return false
			}
			switch p.peek() {
			case ',':
				p.i++
			case '}':
				p.i++
				p.depth--
				return true
			default:
				return false
			}
		}
	case c == '[':
		p.i++
		if !p.enter() {
			return false
		}
		if p.peek() == ']' {
			p.i++
			p.depth--
			return true
		}
		for {
			if !p.skip() {
				return false
			}
			switch p.peek() {
			case ',':
				p.i++
			case ']':
				p.i++
				p.depth--
				return true
			default:
				return false
			}
		}
	case c == '"':
		p.i++
		_, ok := p.str()
		return ok
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	}
	return false
}

func (p *osvParser) literal(s string) bool {
	if !bytes.HasPrefix(p.b[p.i:], []byte(s)) {
		return false
	}
	p.i += len(s)
	return true
}

// number passes over a JSON number (RFC 8259 grammar).
func (p *osvParser) number() bool {
	b, i := p.b, p.i
	digits := func() int {
		n := 0
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	p.i = i
	return true
}

// DecodeAdvisory decodes the JSON of a normalized advisory (the form
// snapshots store: canonical model.Advisory) into a, as json.Unmarshal
// does: on a one-pass fast path when the text has the expected shape, else
// with encoding/json, whose result and errors are the reference
// (FuzzDecodeAdvisory holds the two to the same values).
func DecodeAdvisory(data []byte, a *model.Advisory) error {
	p := &osvParser{b: data}
	if p.advisory(a) {
		if p.space(); p.i == len(p.b) {
			return nil
		}
	}
	*a = model.Advisory{}
	return json.Unmarshal(data, a)
}

var (
	advisoryNames = []string{"id", "aliases", "related", "source", "summary", "published", "modified", "withdrawn",
		"severity", "databaseSeverity", "cwes", "affected", "references", "tags", "file"}
	modelAffectedNames = []string{"ecosystem", "name", "purl", "ranges", "versions", "ecosystemSpecific", "databaseSpecific"}
)

func (p *osvParser) advisory(a *model.Advisory) bool {
	var m members
	if !p.begin(&m, advisoryNames) {
		return false
	}
	for p.next(&m) {
		ok := true
		switch string(m.key) {
		case "id":
			ok = p.string(&a.ID)
		case "aliases":
			ok = p.strings(&a.Aliases)
		case "related":
			ok = p.strings(&a.Related)
		case "source":
			ok = p.string(&a.Source)
		case "summary":
			ok = p.string(&a.Summary)
		case "published":
			ok = p.string(&a.Published)
		case "modified":
			ok = p.string(&a.Modified)
		case "withdrawn":
			ok = p.string(&a.Withdrawn)
		case "severity":
			ok = p.modelSeverities(&a.Severity)
		case "databaseSeverity":
			ok = p.string(&a.DBSeverity)
		case "cwes":
			ok = p.strings(&a.CWEs)
		case "affected":
			ok = p.modelAffecteds(&a.Affected)
		case "references":
			ok = p.modelReferences(&a.References)
		case "tags":
			ok = p.strings(&a.Tags)
		case "file":
			ok = p.string(&a.File)
		default:
			ok = p.unknown(&m)
		}
		if !ok {
			return false
		}
	}
	return m.ok
}

func (p *osvParser) modelSeverities(out *[]model.Severity) bool {
	var sev []osvSeverity
	if !p.severities(&sev) {
		return false
	}
	*out = make([]model.Severity, len(sev))
	for i, s := range sev {
		(*out)[i] = model.Severity{Type: s.Type, Score: s.Score}
	}
	return true
}

func (p *osvParser) modelReferences(out *[]model.Reference) bool {
	var refs []osvReference
	if !p.references(&refs) {
		return false
	}
	*out = make([]model.Reference, len(refs))
	for i, r := range refs {
		(*out)[i] = model.Reference{Type: r.Type, URL: r.URL}
	}
	return true
}

func (p *osvParser) modelAffecteds(out *[]model.Affected) bool {
	var e elements
	if !p.beginArray(&e) {
		return false
	}
	for p.nextElem(&e) {
		*out = append(*out, model.Affected{})
		af := &(*out)[len(*out)-1]
		var m members
		if !p.begin(&m, modelAffectedNames) {
			return false
		}
		for p.next(&m) {
			ok := true
			switch string(m.key) {
			case "ecosystem":
				ok = p.string(&af.Ecosystem)
			case "name":
				ok = p.string(&af.Name)
			case "purl":
				ok = p.string(&af.Purl)
			case "ranges":
				ok = p.modelRanges(&af.Ranges)
			case "versions":
				ok = p.strings(&af.Versions)
			case "ecosystemSpecific":
				ok = p.raw(&af.EcosystemSpecific)
			case "databaseSpecific":
				ok = p.raw(&af.DatabaseSpecific)
			default:
				ok = p.unknown(&m)
			}
			if !ok {
				return false
			}
		}
		if !m.ok {
			return false
		}
	}
	if e.ok && *out == nil {
		*out = []model.Affected{}
	}
	return e.ok
}

func (p *osvParser) modelRanges(out *[]model.Range) bool {
	var e elements
	if !p.beginArray(&e) {
		return false
	}
	for p.nextElem(&e) {
		*out = append(*out, model.Range{})
		r := &(*out)[len(*out)-1]
		var m members
		if !p.begin(&m, rangeNames) {
			return false
		}
		for p.next(&m) {
			ok := true
			switch string(m.key) {
			case "type":
				ok = p.string(&r.Type)
			case "repo":
				ok = p.string(&r.Repo)
			case "events":
				ok = p.modelEvents(&r.Events)
			default:
				ok = p.unknown(&m)
			}
			if !ok {
				return false
			}
		}
		if !m.ok {
			return false
		}
	}
	if e.ok && *out == nil {
		*out = []model.Range{}
	}
	return e.ok
}

func (p *osvParser) modelEvents(out *[]model.Event) bool {
	var e elements
	if !p.beginArray(&e) {
		return false
	}
	for p.nextElem(&e) {
		*out = append(*out, model.Event{})
		ev := &(*out)[len(*out)-1]
		var m members
		if !p.begin(&m, eventNames) {
			return false
		}
		for p.next(&m) {
			ok := true
			switch string(m.key) {
			case "introduced":
				ok = p.string(&ev.Introduced)
			case "fixed":
				ok = p.string(&ev.Fixed)
			case "last_affected":
				ok = p.string(&ev.LastAffected)
			case "limit":
				ok = p.string(&ev.Limit)
			default:
				ok = p.unknown(&m)
			}
			if !ok {
				return false
			}
		}
		if !m.ok {
			return false
		}
	}
	if e.ok && *out == nil {
		*out = []model.Event{}
	}
	return e.ok
}

// AdvisoryHead is what an advisory store needs of a normalized advisory
// to choose which records an evaluation reads: its ids, whether it is
// withdrawn and its timestamps — everything but the affected packages,
// which the store's index already holds.
type AdvisoryHead struct {
	ID        string
	Aliases   []string
	Withdrawn string
	Modified  string
	Published string
}

// DecodeAdvisoryHead decodes the head of a normalized advisory (the form
// snapshots store), passing over the other members without building them.
// For every text DecodeAdvisory accepts it gives the same id, aliases,
// withdrawn, modified and published values (FuzzDecodeAdvisory holds it to
// that); text it cannot take on its one-pass path is decoded in full.
func DecodeAdvisoryHead(data []byte, h *AdvisoryHead) error {
	p := &osvParser{b: data}
	if p.advisoryHead(h) {
		if p.space(); p.i == len(p.b) {
			return nil
		}
	}
	var a model.Advisory
	if err := DecodeAdvisory(data, &a); err != nil {
		*h = AdvisoryHead{}
		return err
	}
	*h = AdvisoryHead{ID: a.ID, Aliases: a.Aliases, Withdrawn: a.Withdrawn, Modified: a.Modified, Published: a.Published}
	return nil
}

func (p *osvParser) advisoryHead(h *AdvisoryHead) bool {
	*h = AdvisoryHead{}
	var m members
	if !p.begin(&m, advisoryNames) {
		return false
	}
	for p.next(&m) {
		ok := true
		switch string(m.key) {
		case "id":
			ok = p.string(&h.ID)
		case "aliases":
			ok = p.strings(&h.Aliases)
		case "withdrawn":
			ok = p.string(&h.Withdrawn)
		case "modified":
			ok = p.string(&h.Modified)
		case "published":
			ok = p.string(&h.Published)
		case "related", "source", "summary", "severity", "databaseSeverity", "affected", "references", "tags", "file":
			ok = p.peek() != 'n' && p.pass() // a null would leave the field as it is: decode it in full
		default:
			ok = p.unknown(&m)
		}
		if !ok {
			return false
		}
	}
	return m.ok
}

// pass passes over one value following only strings and nesting, without
// checking the rest: on a well-formed value it stops where skip would, at a
// fraction of the cost (strings are crossed with bytes.IndexByte). The head
// of an advisory uses it for the members it does not keep; a text it passes
// over wrongly is malformed, and then DecodeAdvisory refuses it.
func (p *osvParser) pass() bool {
	c := p.peek()
	if c != '[' && c != '{' && c != '"' {
		return p.skip()
	}
	depth := 0
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case '"':
			for {
				k := bytes.IndexByte(p.b[p.i+1:], '"')
				if k < 0 {
					return false
				}
				p.i += 1 + k
				n := 0
				for j := p.i - 1; p.b[j] == '\\'; j-- {
					n++
				}
				if n%2 == 0 {
					break
				}
			}
			if depth == 0 {
				p.i++
				return true
			}
		case '[', '{':
			depth++
		case ']', '}':
			if depth--; depth == 0 {
				p.i++
				return true
			}
		}
		p.i++
	}
	return false
}
