package inputs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/model"
)

// DigestSBOM returns the digest and length of s's canonical JSON without
// holding the text: "components" is the first member in key order, so the
// text is `{"components":[`, each component's canonical JSON joined by
// ",", and the rest of s's object, hashed as they are encoded one
// component at a time. An SBOM of 600,000 components would otherwise hold
// a canonical copy about its file's size (docs/performance.md "Bounds").
func DigestSBOM(s *model.SBOM) (string, int64) {
	const head = `{"components":[`
	shell := *s
	shell.Components = []model.Component{}
	rest, err := canon.Append(nil, &shell)
	if s.Components == nil || err != nil || !bytes.HasPrefix(rest, []byte(head+"]")) {
		b := canonical(s)
		return canon.Digest(b), int64(len(b))
	}
	h := sha256.New()
	h.Write([]byte(head))
	n := int64(len(head))
	var buf []byte
	for i := range s.Components {
		buf = buf[:0]
		if i > 0 {
			buf = append(buf, ',')
		}
		if buf, err = canon.Append(buf, &s.Components[i]); err != nil {
			b := canonical(s)
			return canon.Digest(b), int64(len(b))
		}
		h.Write(buf)
		n += int64(len(buf))
	}
	h.Write(rest[len(head):])
	n += int64(len(rest) - len(head))
	return canon.Prefix + hex.EncodeToString(h.Sum(nil)), n
}
