package governance

import (
	"bytes"
	"context"
	"testing"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
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

// FuzzCountApprovals: statements whose payload is arbitrary bytes, signed
// by a trusted approver (so the bytes get past the signature), and an
// arbitrary envelope beside them never panic countApprovals; an approval
// counts only for the exact policy id, version and IR digest asked about,
// and only in an open submission round.
func FuzzCountApprovals(f *testing.F) {
	ctx := context.Background()
	key, _ := attest.Generate(attest.Ed25519)
	pem, _ := key.PublicPEM()
	trust := NewTrust("")
	if _, err := trust.Add("alice", key, []string{"policy:approve"}); err != nil {
		f.Fatal(err)
	}
	ref := &PolicyRef{ID: "P-1", Version: 1, IRDigest: canon.Digest([]byte("ir"))}
	p := &Predicate{Action: ActionApproved, Tenant: "default", Seq: 3, At: "2026-01-01T00:00:00Z",
		Actor: ActorRef{KeyID: key.ID, Principal: "alice"}, Policy: ref, AckSimulation: true, AckDeterminism: true}
	seed, err := attest.NewStatement(PredicateType, []attest.Subject{attest.SubjectOf(p.subjectName(), ref.IRDigest)}, p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed, []byte(`{}`))
	p.Submission = canon.Digest([]byte("submission"))
	seed2, err := attest.NewStatement(PredicateType, []attest.Subject{attest.SubjectOf(p.subjectName(), ref.IRDigest)}, p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed2, []byte(`{}`))
	p.Submission = ""
	seed1, err := attest.NewStatement(PredicateTypeV1, []attest.Subject{attest.SubjectOf(p.subjectName(), ref.IRDigest)}, p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed1, []byte(`{}`))
	f.Add([]byte(`{"predicateType":"`+PredicateType+`","predicate":{"action":"approved","policy":{"id":"P-1","version":2}}}`), []byte(`null`))
	f.Fuzz(func(t *testing.T, payload, raw []byte) {
		env, err := attest.Sign(ctx, attest.PayloadType, payload, key)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := attest.MarshalEnvelope(env)
		stmts := []Signed{{Envelope: b, PublicKey: string(pem)}, {Envelope: raw, PublicKey: string(pem)}}
		rep, err := countUnverified(ctx, trust, 1, ref, stmts)
		if err != nil {
			return
		}
		if rep == nil {
			t.Fatal("no report and no error")
		}
		if !bytes.Contains(payload, []byte(ref.IRDigest)) && len(rep.Approvers) > 0 {
			t.Fatalf("an approval not naming %s counted", ref.IRDigest)
		}
		if len(rep.Approvers) > 0 && rep.Round == "" {
			t.Fatal("an approval counted with no submission round open")
		}
	})
}
