package snapshot

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/stella-policy/stella/internal/canon"
)

// decodeIndex decodes an advisory index file. Every run from a snapshot or
// from the frozen-advisory cache reads one (0.65 MB for the shared OSV
// set), so the canonical form stella writes — keys in order, no
// whitespace, no escapes — is decoded in one pass; anything else goes to
// encoding/json, the reference, which FuzzDecodeIndex holds the one pass
// to (docs/performance.md, "The advisory store").
func decodeIndex(b []byte, doc *IndexDoc) error {
	if d, ok := scanIndex(b); ok {
		*doc = d
		return nil
	}
	*doc = IndexDoc{}
	return json.Unmarshal(b, doc)
}

// scanIndex is decodeIndex's one pass; ok is false for any text not in
// the canonical form, for which nothing is decoded.
func scanIndex(b []byte) (doc IndexDoc, ok bool) {
	s := &indexScan{b: b, ok: true, names: map[string]string{}}
	s.lit(`{"advisories":[`)
	// A version 3 index gives each record's digest (counted here to size
	// the lists); they are gathered into one string that each record's
	// digest is a part of: one allocation, not one a record.
	n := bytes.Count(b, []byte(`{"digest":"`+canon.Prefix))
	doc.Advisories = make([]Record, 0, n)
	spans := make([][2]int, 0, n)
	var digests strings.Builder
	digests.Grow(n * (len(canon.Prefix) + 2*sha256.Size))
	for s.ok && !s.peek(']') {
		if len(doc.Advisories) > 0 {
			s.lit(",")
		}
		var r Record
		var span [2]int
		if s.ok && bytes.HasPrefix(s.b[s.i:], []byte(`{"digest":`)) { // version 3
			s.i += len(`{"digest":`)
			raw := s.raw()
			span = [2]int{digests.Len(), digests.Len() + len(raw)}
			digests.Write(raw)
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
		spans = append(spans, span)
	}
	if digests.Len() > 0 {
		all := digests.String()
		for i, sp := range spans {
			doc.Advisories[i].Digest = all[sp[0]:sp[1]]
		}
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
		p.Advisories = s.ints()
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
		doc.Select.Always = s.ints()
		s.lit(`,"group":`)
		doc.Select.Group = s.ints()
		s.lit("}")
	}
	s.lit("}")
	return doc, s.ok && s.i == len(b)
}

// indexScan reads the canonical text of an index; ok turns false at the
// first byte it does not expect, after which nothing more is read.
type indexScan struct {
	b     []byte
	i     int
	ok    bool
	names map[string]string // repeated strings (ecosystems), shared
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
// allocated once.
func (s *indexScan) str(shared bool) string {
	raw := s.raw()
	if !s.ok {
		return ""
	}
	if !shared {
		return string(raw)
	}
	if v, ok := s.names[string(raw)]; ok {
		return v
	}
	v := string(raw)
	s.names[v] = v
	return v
}

// raw reads a string as str does and returns its bytes (nil when it is
// not in the canonical form).
func (s *indexScan) raw() []byte {
	if !s.ok || !s.peek('"') {
		s.ok = false
		return nil
	}
	start := s.i + 1
	end := start
	for end < len(s.b) && s.b[end] != '"' {
		if c := s.b[end]; c == '\\' || c < 0x20 {
			s.ok = false
			return nil
		}
		end++
	}
	if end == len(s.b) || !utf8.Valid(s.b[start:end]) {
		s.ok = false
		return nil
	}
	s.i = end + 1
	return s.b[start:end]
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

// ints reads an array of integers.
func (s *indexScan) ints() []int {
	s.lit("[")
	out := []int{}
	for s.ok && !s.peek(']') {
		if len(out) > 0 {
			s.lit(",")
		}
		out = append(out, int(s.int()))
	}
	s.lit("]")
	return out
}
