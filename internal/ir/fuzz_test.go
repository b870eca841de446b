package ir

import (
	"bytes"
	"testing"
)

// FuzzDecodeIR checks that Decode never panics and that whatever it accepts
// re-encodes to a fixed point: Encode(Decode(b)) decodes again and encodes
// to the same bytes (and, for canonical b, to b itself). Seeds (compiled test
// policies) are in testdata/fuzz/FuzzDecodeIR.
func FuzzDecodeIR(f *testing.F) {
	b, err := Encode(sample())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Decode(b)
		if err != nil {
			return
		}
		b1, err := Encode(p)
		if err != nil {
			t.Fatalf("decoded policy does not encode: %v", err)
		}
		p2, err := Decode(b1)
		if err != nil {
			t.Fatalf("re-encoded IR does not decode: %v\n%s", err, b1)
		}
		b2, err := Encode(p2)
		if err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("encoding is not stable:\n%s\n%s", b1, b2)
		}
		if canon, _ := Encode(p); bytes.Equal(canon, b) && !bytes.Equal(b1, b) {
			t.Fatalf("canonical input re-encodes differently")
		}
		for _, r := range p.Rules {
			_ = FormatExpr(r.When) // must not panic on any decodable expression
		}
	})
}
