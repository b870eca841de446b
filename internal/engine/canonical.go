package engine

import (
	"bytes"

	"github.com/stella-policy/stella/internal/canon"
)

// The canonical bytes of a result's findings and traces are encoded once,
// by the engine, when it computes their ids and digests (docs/output.md
// "Digests"); Finding.Canonical and Explain.Canonical hand the same bytes
// to whoever stores or exports them (internal/store), which writes them as
// they are. A result evaluated without Request.Keep, and findings and traces
// decoded from JSON, have none kept and are encoded on demand.

// explainIDKey is the explainId member with an empty value, as the id is
// computed over it. Canonical JSON escapes every quote inside a string, so
// in a canonical trace these bytes can only be the member itself.
var explainIDKey = []byte(`"explainId":""`)

// seal computes the trace's id, the digest of its canonical JSON with the
// id empty, and, when keep is set, keeps its canonical bytes with the id in
// place. buf is scratch space, returned for reuse.
func (x *Explain) seal(buf []byte, keep bool) ([]byte, error) {
	x.ExplainID = ""
	buf, err := canon.Append(buf[:0], x)
	if err != nil {
		return buf, err
	}
	x.ExplainID = canon.Digest(buf)
	i := bytes.Index(buf, explainIDKey)
	if !keep || i < 0 {
		x.canonical = nil
		return buf, nil
	}
	at := i + len(explainIDKey) - 1 // the closing quote of the empty value
	c := make([]byte, 0, len(buf)+len(x.ExplainID))
	c = append(c, buf[:at]...)
	c = append(c, x.ExplainID...)
	x.canonical = append(c, buf[at:]...)
	return buf, nil
}

// Canonical returns the trace's canonical JSON (its id included): the bytes
// the engine encoded when it computed the id, or, for a trace decoded from
// JSON, its encoding now.
func (x *Explain) Canonical() ([]byte, error) {
	if x.canonical != nil {
		return x.canonical, nil
	}
	return canon.Append(nil, x)
}

// Canonical returns the finding's canonical JSON without its explain trace,
// the bytes the findings digest covers: as the engine encoded them when it
// sealed the result, or, for a finding decoded from JSON, its encoding now.
func (f *Finding) Canonical() ([]byte, error) {
	if f.canonical != nil {
		return f.canonical, nil
	}
	bare := *f
	bare.Explain = nil
	return canon.Append(nil, &bare)
}
