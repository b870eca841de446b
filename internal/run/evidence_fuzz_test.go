package run

import (
	"bytes"
	"context"
	"testing"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// FuzzRead feeds arbitrary bytes to the evidence reader and, when they
// read, to verification, the snapshot and the findings: every failure is
// a clear Integrity or Invalid error, never a panic.
func FuzzReadArchive(f *testing.F) {
	k, err := attest.Generate(attest.Ed25519)
	if err != nil {
		f.Fatal(err)
	}
	ev := &attest.Evidence{Record: []byte(`{"runId":"run:x"}`), Findings: []byte(`[]`), Explains: []byte(`[]`), IR: []byte(`{}`),
		Source: []byte(`policy "x" syntax "stella-dsl@1" {}`), InputManifest: []byte(`{"id":"sha256:00","content":{"files":[]}}`),
		Inputs: map[string][]byte{"sboms/a.json": []byte(`{}`)}, Keys: map[string][]byte{}}
	var buf bytes.Buffer
	if err := attest.WriteSignedEvidence(context.Background(), &buf, "run:x", ev, k); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ReadArchive("fuzz.tar", b)
		if err != nil {
			if !fail.Is(err, fail.Integrity) {
				t.Fatalf("read: %v is not an integrity error", err)
			}
			return
		}
		ok := func(err error) bool { return err == nil || fail.Is(err, fail.Integrity) || fail.Is(err, fail.Invalid) }
		if _, err := a.Verify(context.Background(), []*attest.Key{k}); !ok(err) {
			t.Fatalf("verify: %v", err)
		}
		if _, err := a.Snapshot(); !ok(err) {
			t.Fatalf("snapshot: %v", err)
		}
		if _, err := a.Findings(store.FindingFilter{}); !ok(err) {
			t.Fatalf("findings: %v", err)
		}
	})
}
