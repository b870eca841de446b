// Package canon owns stella's canonical JSON form and digests.
//
// Canonical bytes are RFC 8785 (JSON Canonicalization Scheme): object keys
// sorted by UTF-16 code units, no insignificant whitespace, ECMAScript number
// formatting, minimal string escaping. Every digest in the product is
// "sha256:" followed by the lowercase hex SHA-256 of canonical bytes (or of raw
// bytes, for input files).
package canon

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gowebpki/jcs"
)

// Prefix is the algorithm prefix of every digest.
const Prefix = "sha256:"

// Marshal encodes v as JSON and returns its canonical bytes.
// Integers above 2^53 lose precision in JCS: store them as strings.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return Transform(buf.Bytes())
}

// Transform canonicalizes JSON text. Duplicate keys and invalid UTF-16
// surrogates are errors. Well-formed text takes a one-pass path
// (transform.go); anything else goes to jcs.Transform, the reference, for
// its error.
func Transform(b []byte) ([]byte, error) {
	if out, ok := canonicalize(b); ok {
		return out, nil
	}
	out, err := jcs.Transform(b)
	if err != nil {
		return nil, fmt.Errorf("canonical json: %w", err)
	}
	return out, nil
}

// Digest returns the digest of b.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return Prefix + hex.EncodeToString(sum[:])
}

// SelfDigest is the content address of a JSON object that carries its own
// id in field: the digest of its canonical form with that field set to ""
// (an explain trace's explainId, docs/output.md); "" when data is not a
// JSON object.
func SelfDigest(data []byte, field string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return ""
	}
	m[field] = json.RawMessage(`""`)
	b, err := Marshal(m)
	if err != nil {
		return ""
	}
	return Digest(b)
}

// DigestOf returns the canonical bytes of v and their digest.
func DigestOf(v any) ([]byte, string, error) {
	b, err := Marshal(v)
	if err != nil {
		return nil, "", err
	}
	return b, Digest(b), nil
}

// ValidDigest reports whether s has the form sha256:<64 lowercase hex>.
func ValidDigest(s string) bool {
	h, ok := strings.CutPrefix(s, Prefix)
	if !ok || len(h) != 64 {
		return false
	}
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Short returns the first n hex characters of a digest, without the prefix.
func Short(d string, n int) string {
	h := strings.TrimPrefix(d, Prefix)
	if len(h) > n {
		return h[:n]
	}
	return h
}
