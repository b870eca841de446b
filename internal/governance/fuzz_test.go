package governance

import (
	"bytes"
	"context"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
)

// FuzzParseTrust: a trust config never panics the parser; what parses is
// re-encoded to a config that parses to the same entries and settings.
func FuzzParseTrust(f *testing.F) {
	f.Add([]byte("trust:\n  - principal: a\n    key: sha256:00\n    scopes: [policy:read]\n    public_key: x\n"))
	f.Add([]byte("governance:\n  quorum: 3\n  exception_max_age: 30d\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := ParseTrust("fuzz.yaml", b)
		if err != nil {
			if k := fail.KindOf(err); k != fail.Invalid {
				t.Fatalf("error of kind %d: %v", k, err)
			}
			return
		}
		out, err := tr.Bytes()
		if err != nil {
			return // yaml.v3 cannot always re-encode what it decoded (e.g. odd anchors)
		}
		back, err := ParseTrust("again.yaml", out)
		if err != nil {
			t.Fatalf("re-encoded config does not parse: %v\n%s", err, out)
		}
		if len(back.Entries) != len(tr.Entries) || back.Settings != tr.Settings {
			t.Fatalf("round trip changed the config: %d/%d entries, %+v/%+v", len(tr.Entries), len(back.Entries), tr.Settings, back.Settings)
		}
		for i := range tr.Entries {
			if tr.Entries[i].KeyID != back.Entries[i].KeyID || tr.Entries[i].Principal != back.Entries[i].Principal {
				t.Fatalf("entry %d changed", i)
			}
		}
	})
}

// FuzzVerifyExport: an audit export from anywhere never panics the
// verifier, and anything but a valid export is an integrity failure.
func FuzzVerifyExport(f *testing.F) {
	f.Add([]byte(`{"envelope":{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"k","sig":"AA=="}]},"publicKey":"x"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := VerifyExport(context.Background(), "fuzz.json", b, nil)
		if err != nil && fail.KindOf(err) != fail.Integrity {
			t.Fatalf("error of kind %d: %v", fail.KindOf(err), err)
		}
		if err == nil && !bytes.Contains(b, []byte("envelope")) {
			t.Fatal("accepted an export without an envelope")
		}
	})
}
