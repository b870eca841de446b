package snapshot

import (
	"strings"
	"unicode/utf8"

	"github.com/stella-policy/stella/internal/model"
)

// appendAdvisory appends the canonical JSON (RFC 8785) of a to b without the
// generic marshal-then-canonicalize round trip of canon.Marshal, which costs
// most of the time of freezing a large advisory database. It writes exactly
// what canon.Marshal(a) writes — keys in sorted order, the model's
// omitempty rules, JCS string escaping — and TestAdvisoryJSON holds it to
// that over every real advisory and the model's field list.
func appendAdvisory(b []byte, a *model.Advisory) []byte {
	b = append(b, `{"affected":`...)
	if a.Affected == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range a.Affected {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendAffected(b, &a.Affected[i])
		}
		b = append(b, ']')
	}
	b = appendStrings(b, `,"aliases":`, a.Aliases)
	b = appendStrings(b, `,"cwes":`, a.CWEs)
	b = appendField(b, `,"databaseSeverity":`, a.DBSeverity)
	b = appendField(b, `,"file":`, a.File)
	b = append(b, `,"id":`...)
	b = appendString(b, a.ID)
	b = appendField(b, `,"modified":`, a.Modified)
	b = appendField(b, `,"published":`, a.Published)
	if len(a.References) > 0 {
		b = append(b, `,"references":[`...)
		for i, r := range a.References {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"type":`...)
			b = appendString(b, r.Type)
			b = append(b, `,"url":`...)
			b = appendString(b, r.URL)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendStrings(b, `,"related":`, a.Related)
	if len(a.Severity) > 0 {
		b = append(b, `,"severity":[`...)
		for i, s := range a.Severity {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"score":`...)
			b = appendString(b, s.Score)
			b = append(b, `,"type":`...)
			b = appendString(b, s.Type)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"source":`...)
	b = appendString(b, a.Source)
	b = appendField(b, `,"summary":`, a.Summary)
	b = appendStrings(b, `,"tags":`, a.Tags)
	b = appendField(b, `,"withdrawn":`, a.Withdrawn)
	return append(b, '}')
}

func appendAffected(b []byte, af *model.Affected) []byte {
	b = append(b, '{')
	if len(af.DatabaseSpecific) > 0 {
		b = append(b, `"databaseSpecific":`...)
		b = append(b, af.DatabaseSpecific...) // canonical already
		b = append(b, ',')
	}
	b = append(b, `"ecosystem":`...)
	b = appendString(b, af.Ecosystem)
	if len(af.EcosystemSpecific) > 0 {
		b = append(b, `,"ecosystemSpecific":`...)
		b = append(b, af.EcosystemSpecific...)
	}
	b = append(b, `,"name":`...)
	b = appendString(b, af.Name)
	b = appendField(b, `,"purl":`, af.Purl)
	if len(af.Ranges) > 0 {
		b = append(b, `,"ranges":[`...)
		for i := range af.Ranges {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendRange(b, &af.Ranges[i])
		}
		b = append(b, ']')
	}
	b = appendStrings(b, `,"versions":`, af.Versions)
	return append(b, '}')
}

func appendRange(b []byte, r *model.Range) []byte {
	b = append(b, `{"events":`...)
	if r.Events == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, e := range r.Events {
			if i > 0 {
				b = append(b, ',')
			}
			n := len(b)
			b = append(b, '{')
			b = appendField(b, `,"fixed":`, e.Fixed)
			b = appendField(b, `,"introduced":`, e.Introduced)
			b = appendField(b, `,"last_affected":`, e.LastAffected)
			b = appendField(b, `,"limit":`, e.Limit)
			if len(b) > n+1 {
				b = append(b[:n+1], b[n+2:]...) // drop the first field's comma
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendField(b, `,"repo":`, r.Repo)
	b = append(b, `,"type":`...)
	b = appendString(b, r.Type)
	return append(b, '}')
}

// appendField appends key and s unless s is empty (omitempty).
func appendField(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, key...), s)
}

// appendStrings appends key and ss unless ss is empty (omitempty).
func appendStrings(b []byte, key string, ss []string) []byte {
	if len(ss) == 0 {
		return b
	}
	b = append(b, key...)
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendString appends s as a JCS string: only '"', '\' and control
// characters are escaped, with the short escapes where JSON has them.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	if !utf8.ValidString(s) {
		s = strings.Map(func(r rune) rune { return r }, s) // U+FFFD per bad byte, as encoding/json does
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\t':
			b = append(b, '\\', 't')
		case '\n':
			b = append(b, '\\', 'n')
		case '\f':
			b = append(b, '\\', 'f')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
