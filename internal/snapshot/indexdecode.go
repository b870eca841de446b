package snapshot

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/stella-policy/stella/internal/canon"
)

// decodeIndex decodes an advisory index file. Every run from a snapshot or
// from the frozen-advisory cache reads one (0.65 MB for the shared OSV
// set), so the canonical form stella writes — keys in order, no
// whitespace, no escapes — is decoded in one pass; anything else goes to
// encoding/json, the reference, which FuzzDecodeIndex holds the one pass
// to (docs/performance.md, "The advisory store").
//
// Without digests the records' digests are left out (a frozen set read
// from the frozen-advisory cache: its data file was hashed when it was
// written and is held to its metadata, so its records are not checked one
// by one, and the 0.5 MB of digest text is not kept).
func decodeIndex(b []byte, doc *IndexDoc, digests bool) error {
	if d, ok := scanIndex(b, digests); ok {
		*doc = d
		return nil
	}
	*doc = IndexDoc{}
	if err := json.Unmarshal(b, doc); err != nil {
		return err
	}
	if !digests {
		doc.dropDigests()
	}
	return nil
}

// scanIndex is decodeIndex's one pass; ok is false for any text not in
// the canonical form, for which nothing is decoded. With the digests
// kept, the strings it decodes (ids, digests, names) are parts of one copy
// of the text rather than a copy each; the packages' positions share one
// array.
func scanIndex(b []byte, digests bool) (doc IndexDoc, ok bool) {
	s := &indexScan{b: b, ok: true, names: map[string]string{}}
	if digests {
		// Without the digests (the frozen-advisory cache, 16 MB of index
		// for 200k records) the text is mostly digests: its strings are
		// copied instead, so the text is not kept.
		s.text = string(b)
	}
	s.lit(`{"advisories":[`)
	// Every record and package is an object: the count of "{" bounds the
	// records (and, with the numbers of the packages, the positions). The
	// two counts run at memory speed and spare the growth of both arrays:
	// BenchmarkDecodeIndex (200k records, 2026-12-06, shared 2-core
	// machine) took 0.55–0.65 s and 98 MB with them against 0.80–0.94 s
	// and 150 MB growing the arrays by append instead; without the digests,
	// 67 MB against 119 MB in the same time. So they stay.
	n := bytes.Count(b, []byte("{"))
	doc.Advisories = make([]Record, 0, n)
	s.ints = make([]int, 0, n+bytes.Count(b, []byte(",")))
	for s.ok && !s.peek(']') {
		if len(doc.Advisories) > 0 {
			s.lit(",")
		}
		var r Record
		if s.ok && bytes.HasPrefix(s.b[s.i:], []byte(`{"digest":`)) { // version 3
			s.i += len(`{"digest":`)
			if digests {
				r.Digest = s.str(false)
			} else {
				s.span() // not kept
			}
			s.lit(`,"id":`)
		} else {
			s.lit(`{"id":`)
		}
		r.ID = s.str(false)
		s.lit(`,"length":`)
		r.Length = s.int()
		s.lit(`,"offset":`)
		r.Offset = s.int()
		s.lit("}")
		doc.Advisories = append(doc.Advisories, r)
	}
	s.lit(`],"data":`)
	doc.Data = s.str(true)
	s.lit(`,"packages":[`)
	doc.Packages = []Package{}
	for s.ok && !s.peek(']') {
		if len(doc.Packages) > 0 {
			s.lit(",")
		}
		var p Package
		s.lit(`{"advisories":`)
		p.Advisories = s.list()
		s.lit(`,"ecosystem":`)
		p.Ecosystem = s.str(true)
		s.lit(`,"name":`)
		p.Name = s.str(false)
		s.lit("}")
		doc.Packages = append(doc.Packages, p)
	}
	s.lit(`],"schema":`)
	doc.Schema = s.str(true)
	if s.ok && s.peek(',') {
		doc.Select = &selection{}
		s.lit(`,"select":{"always":`)
		doc.Select.Always = s.list()
		s.lit(`,"group":`)
		doc.Select.Group = s.list()
		s.lit("}")
	}
	s.lit("}")
	if !digests {
		doc.dropDigests()
	}
	return doc, s.ok && s.i == len(b)
}

// indexScan reads the canonical text of an index; ok turns false at the
// first byte it does not expect, after which nothing more is read.
type indexScan struct {
	b     []byte
	text  string // b as a string, which the decoded strings are parts of, or ""
	i     int
	ok    bool
	names map[string]string // repeated strings (ecosystems), shared
	ints  []int             // the lists' positions, one after another
}

func (s *indexScan) lit(want string) {
	if s.ok && bytes.HasPrefix(s.b[s.i:], []byte(want)) {
		s.i += len(want)
		return
	}
	s.ok = false
}

func (s *indexScan) peek(c byte) bool { return s.i < len(s.b) && s.b[s.i] == c }

// str reads a string without escapes or control characters, in valid
// UTF-8 (any of those goes to encoding/json); shared strings are
// allocated once. Its text is part of s.text when there is one, else a
// copy.
func (s *indexScan) str(shared bool) string {
	start, end := s.span()
	if !s.ok {
		return ""
	}
	var v string
	if s.text != "" {
		v = s.text[start:end]
	} else {
		v = string(s.b[start:end])
	}
	if !shared {
		return v
	}
	if u, ok := s.names[v]; ok {
		return u
	}
	s.names[v] = v
	return v
}

// span reads a string as str does and returns where its text lies in b.
func (s *indexScan) span() (start, end int) {
	if !s.ok || !s.peek('"') {
		s.ok = false
		return 0, 0
	}
	start = s.i + 1
	end = canon.PlainRun(s.b, start)
	if end < len(s.b) && s.b[end] >= utf8.RuneSelf { // not ASCII: checked whole
		for end < len(s.b) && s.b[end] != '"' && s.b[end] != '\\' && s.b[end] >= 0x20 {
			end++
		}
		if !utf8.Valid(s.b[start:end]) {
			s.ok = false
			return 0, 0
		}
	}
	if end == len(s.b) || s.b[end] != '"' {
		s.ok = false
		return 0, 0
	}
	s.i = end + 1
	return start, end
}

// int reads an integer as canonical JSON writes it: 0, or an optional
// minus and digits without a leading zero, within 15 digits (so it is
// exact and fits in an int64 on every platform).
func (s *indexScan) int() int64 {
	if !s.ok {
		return 0
	}
	neg := s.peek('-')
	if neg {
		s.i++
	}
	start := s.i
	var n int64
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		n = n*10 + int64(s.b[s.i]-'0')
		s.i++
	}
	digits := s.i - start
	if digits == 0 || digits > 15 || digits > 1 && s.b[start] == '0' || neg && n == 0 {
		s.ok = false
		return 0
	}
	if s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.ok = false
		return 0
	}
	if neg {
		return -n
	}
	return n
}

// list reads an array of integers into the shared array.
func (s *indexScan) list() []int {
	s.lit("[")
	from := len(s.ints)
	for s.ok && !s.peek(']') {
		if len(s.ints) > from {
			s.lit(",")
		}
		s.ints = append(s.ints, int(s.int()))
	}
	s.lit("]")
	return s.ints[from:len(s.ints):len(s.ints)]
}
