package attest

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
)

// sampleRun builds the outputs of a run with n findings, its record and a
// signed statement over them, the way `policy run` does.
func sampleRun(t testing.TB, n int, k *Key) *Evidence {
	t.Helper()
	var fs, es []json.RawMessage
	var rf []RunFinding
	ids := []string{}
	for i := range n {
		ex, _ := canon.Marshal(map[string]any{"explainId": "", "findingId": fmt.Sprint("f", i), "ruleChain": []string{"r"}})
		id := canon.Digest(ex)
		ex, _ = canon.Marshal(map[string]any{"explainId": id, "findingId": fmt.Sprint("f", i), "ruleChain": []string{"r"}})
		f, _ := canon.Marshal(map[string]any{"findingId": fmt.Sprint("f", i), "verdict": "blocked", "explainId": id})
		fs, es = append(fs, f), append(es, ex)
		ids = append(ids, id)
		rf = append(rf, RunFinding{ID: fmt.Sprint("f", i), Digest: canon.Digest(f), ExplainID: id})
	}
	fb, _ := canon.Marshal(fs)
	eb, _ := canon.Marshal(es)
	idb, _ := canon.Marshal(ids)
	ir := []byte(`{"irVersion":1}`)
	rec, _ := canon.Marshal(map[string]any{"runId": "run:p:20260101T000000Z:abc", "status": "succeeded",
		"policy":  map[string]string{"irDigest": canon.Digest(ir)},
		"outputs": map[string]string{"findingsDigest": canon.Digest(fb), "explainsDigest": canon.Digest(idb)}})
	payload, err := RunStatement(rec, RunSubjects(canon.Digest(fb), canon.Digest(idb), rf))
	if err != nil {
		t.Fatal(err)
	}
	env, err := Sign(context.Background(), PayloadType, payload, k)
	if err != nil {
		t.Fatal(err)
	}
	envb, _ := MarshalEnvelope(env)
	pub, _ := k.PublicPEM()
	return &Evidence{Record: rec, Findings: fb, Explains: eb, IR: ir, Envelope: envb, Keys: map[string][]byte{k.ID: pub}}
}

func TestEvidenceRoundTrip(t *testing.T) {
	ctx := context.Background()
	k, _ := Generate(Ed25519)
	pubPEM, _ := k.PublicPEM()
	pub, _ := ParsePEM("pub", pubPEM)
	ev := sampleRun(t, 3, k)
	var a, b bytes.Buffer
	if err := WriteEvidence(&a, "run:p:20260101T000000Z:abc", ev); err != nil {
		t.Fatal(err)
	}
	WriteEvidence(&b, "run:p:20260101T000000Z:abc", ev)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("evidence tar is not deterministic")
	}
	got, runID, err := ReadEvidence("e.tar", bytes.NewReader(a.Bytes()))
	if err != nil || runID != "run:p:20260101T000000Z:abc" {
		t.Fatal(err, runID)
	}
	rep, err := VerifyEvidence(ctx, got, []*Key{pub})
	if err != nil || rep.Findings != 3 || rep.Signers[0] != k.ID {
		t.Fatalf("%+v %v", rep, err)
	}
	if _, err := VerifyEvidence(ctx, got, nil); !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "no trusted key given") {
		t.Fatalf("no key: %v", err)
	}
	embedded, err := EmbeddedKeys(got)
	if err != nil || len(embedded) != 1 || embedded[0].ID != k.ID {
		t.Fatalf("embedded keys: %v %v", embedded, err)
	}
	if _, err := VerifyEvidence(ctx, got, embedded); err != nil {
		t.Fatalf("embedded: %v", err)
	}
	other, _ := Generate(Ed25519)
	if _, err := VerifyEvidence(ctx, got, []*Key{other}); !fail.Is(err, fail.Integrity) {
		t.Fatalf("wrong key: %v", err)
	}
}

// rewrite returns the tar with one entry's bytes changed by edit; with
// fixManifest the manifest is updated to match, so only the deeper checks
// can catch the change.
func rewrite(t *testing.T, in []byte, path string, edit func([]byte) []byte, fixManifest bool) []byte {
	t.Helper()
	ev, runID, err := ReadEvidence("in", bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	files := ev.files()
	files[path] = edit(files[path])
	var out bytes.Buffer
	if fixManifest {
		ev2 := &Evidence{Record: files["run.json"], Findings: files["findings.json"], Explains: files["explains.json"], IR: files["policy/ir.json"], Envelope: files["attestation.dsse.json"], Keys: ev.Keys}
		WriteEvidence(&out, runID, ev2)
		return out.Bytes()
	}
	tr := tar.NewReader(bytes.NewReader(in))
	tw := tar.NewWriter(&out)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		data, _ := io.ReadAll(tr)
		if hdr.Name == path {
			data = edit(data)
			hdr.Size = int64(len(data))
		}
		tw.WriteHeader(hdr)
		tw.Write(data)
	}
	tw.Close()
	return out.Bytes()
}

func TestEvidenceTamper(t *testing.T) {
	ctx := context.Background()
	k, _ := Generate(ECDSAP256)
	var buf bytes.Buffer
	WriteEvidence(&buf, "run:x", sampleRun(t, 2, k))
	flip := func(b []byte) []byte {
		c := append([]byte(nil), b...)
		i := bytes.Index(c, []byte("blocked"))
		if i < 0 {
			i = len(c) / 2
		}
		c[i] ^= 0x20
		return c
	}
	tests := []struct {
		name string
		path string
		fix  bool
		msg  string
	}{
		{"finding byte", "findings.json", false, "findings.json hashes to"},
		{"finding byte, manifest fixed", "findings.json", true, "findings hash to"},
		{"envelope byte", "attestation.dsse.json", true, ""},
		{"record", "run.json", true, "run.json is not the attested run record"},
		{"ir", "policy/ir.json", true, "policy IR hashes to"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tampered := rewrite(t, buf.Bytes(), tc.path, flip, tc.fix)
			ev, _, err := ReadEvidence("e.tar", bytes.NewReader(tampered))
			if err == nil {
				var keys []*Key
				if keys, err = EmbeddedKeys(ev); err == nil {
					_, err = VerifyEvidence(ctx, ev, keys)
				}
			}
			if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestReadEvidenceHostile(t *testing.T) {
	mk := func(entries ...*tar.Header) []byte {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		for _, h := range entries {
			h.Mode = 0o644 // canonical, so that the check named fails first
			tw.WriteHeader(h)
			if h.Typeflag == tar.TypeReg {
				tw.Write(bytes.Repeat([]byte("x"), int(h.Size)))
			}
		}
		tw.Close()
		return b.Bytes()
	}
	tests := []struct {
		name string
		in   []byte
		msg  string
	}{
		{"not tar", []byte("hello world, not a tar at all"), "not a readable tar"},
		{"traversal", mk(&tar.Header{Name: "../evil", Typeflag: tar.TypeReg, Size: 1}), "unsafe path"},
		{"symlink", mk(&tar.Header{Name: "a", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}), "not a regular file"},
		{"duplicate", mk(&tar.Header{Name: "manifest.json", Typeflag: tar.TypeReg, Size: 1}, &tar.Header{Name: "manifest.json", Typeflag: tar.TypeReg, Size: 1}), "duplicate"},
		{"out of order", mk(&tar.Header{Name: "manifest.json", Typeflag: tar.TypeReg, Size: 1}, &tar.Header{Name: "b", Typeflag: tar.TypeReg, Size: 1}, &tar.Header{Name: "a", Typeflag: tar.TypeReg, Size: 1}), "out of order"},
		{"no manifest", mk(&tar.Header{Name: "a", Typeflag: tar.TypeReg, Size: 1}), "no manifest.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadEvidence("e.tar", bytes.NewReader(tc.in))
			if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestCheckInputManifest(t *testing.T) {
	content := `{"files":[],"inputs":[]}`
	id := canon.Digest([]byte(content))
	good := []byte(`{"schema":"stella.snapshot/v1","id":"` + id + `","content":{"inputs":[],"files":[]}}`)
	if got, err := checkInputManifest(good, id); err != nil || got != id {
		t.Fatalf("good: %v", err)
	}
	tests := []struct{ name, in, want, msg string }{
		{"other run", string(good), "sha256:" + strings.Repeat("0", 64), "the run used"},
		{"edited content", strings.Replace(string(good), `"files":[]`, `"files":[1]`, 1), id, "content hashes to"},
		{"not a manifest", `[1,2]`, id, "not a snapshot manifest"},
	}
	for _, tc := range tests {
		if _, err := checkInputManifest([]byte(tc.in), tc.want); !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func FuzzReadEvidence(f *testing.F) {
	k, _ := Generate(Ed25519)
	var buf bytes.Buffer
	WriteEvidence(&buf, "run:x", sampleRun(f, 2, k))
	f.Add(buf.Bytes())
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, _, err := ReadEvidence("fuzz.tar", bytes.NewReader(b))
		if err != nil {
			if !fail.Is(err, fail.Integrity) {
				t.Fatalf("kind %v", err)
			}
			return
		}
		if _, err := VerifyEvidence(context.Background(), ev, []*Key{k}); err != nil && !fail.Is(err, fail.Integrity) && !fail.Is(err, fail.Invalid) {
			t.Fatalf("verify kind: %v", err)
		}
	})
}
