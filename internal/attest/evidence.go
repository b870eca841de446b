package attest

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
)

// Evidence is an auditor's copy of one run (`stella policy export`): a
// deterministic tar that verifies, replays and explains with no database
// (docs/attestation.md). Paths in the tar:
//
//	manifest.json          every other entry with its digest and size
//	manifest.dsse.json     the exporter's DSSE signature over manifest.json, when signed
//	run.json               the run record (canonical JSON)
//	findings.json          the findings without traces (canonical array)
//	explains.json          the explain traces in finding order (canonical array)
//	policy/ir.json         the policy IR (canonical JSON)
//	policy/sourcemap.json  the policy's source map, when recorded
//	policy/policy.stella   the policy source, when the run evaluated a registered version
//	inputs/manifest.json   the snapshot manifest, when the run used one
//	inputs/<path>          the snapshot's normalized input files, as its manifest lists them
//	attestation.dsse.json  the signed policy.run@1 envelope, when signed
//	keys/<hex>.pub         public keys of the signers known to the exporter
type Evidence struct {
	Record        []byte
	Findings      []byte
	Explains      []byte
	IR            []byte
	SourceMap     []byte            // optional
	Source        []byte            // optional
	InputManifest []byte            // optional
	Inputs        map[string][]byte // optional: path inside the snapshot → bytes, without its manifest
	Envelope      []byte            // optional
	Keys          map[string][]byte // key id → public PEM
	// Signature is manifest.dsse.json (optional); Manifest the bytes of
	// manifest.json it signs, as read.
	Signature []byte
	Manifest  []byte
}

// Fixed paths and the payload type of the evidence manifest signature.
const (
	EvidenceManifest      = "manifest.json"
	EvidenceSignature     = "manifest.dsse.json"
	EvidencePayloadType   = "application/vnd.stella.evidence.manifest+json"
	evidenceInputsDir     = "inputs/"
	evidenceInputManifest = evidenceInputsDir + "manifest.json"
)

// EvidenceSchema names the evidence manifest format.
const EvidenceSchema = "stella.evidence@1"

// Evidence limits: a bigger entry or archive is refused as hostile.
const (
	maxEvidenceEntry = 512 << 20
	maxEvidenceTotal = 2 << 30
)

type evidenceManifest struct {
	SchemaVersion string          `json:"schemaVersion"`
	RunID         string          `json:"runId"`
	Entries       []evidenceEntry `json:"entries"` // sorted by path
}

type evidenceEntry struct {
	Path   string `json:"path"`
	Digest string `json:"digest"`
	Size   int    `json:"size"`
}

func (ev *Evidence) files() map[string][]byte {
	m := map[string][]byte{
		"run.json":       ev.Record,
		"findings.json":  ev.Findings,
		"explains.json":  ev.Explains,
		"policy/ir.json": ev.IR,
	}
	if ev.SourceMap != nil {
		m["policy/sourcemap.json"] = ev.SourceMap
	}
	if ev.Source != nil {
		m["policy/policy.stella"] = ev.Source
	}
	if ev.InputManifest != nil {
		m[evidenceInputManifest] = ev.InputManifest
	}
	for p, data := range ev.Inputs {
		m[evidenceInputsDir+p] = data
	}
	if ev.Envelope != nil {
		m["attestation.dsse.json"] = ev.Envelope
	}
	for id, pem := range ev.Keys {
		m["keys/"+strings.TrimPrefix(id, canon.Prefix)+".pub"] = pem
	}
	return m
}

// WriteEvidence writes ev unsigned (WriteSignedEvidence).
func WriteEvidence(w io.Writer, runID string, ev *Evidence) error {
	return WriteSignedEvidence(context.Background(), w, runID, ev, nil)
}

// WriteSignedEvidence writes ev as a deterministic tar: manifest.json
// first, then manifest.dsse.json — key's DSSE signature over
// manifest.json, when key is not nil — then the entries sorted by path;
// mtime 0, uid/gid 0, mode 0644, no user names.
func WriteSignedEvidence(ctx context.Context, w io.Writer, runID string, ev *Evidence, key *Key) error {
	files := ev.files()
	for p := range files {
		if p == EvidenceManifest || p == EvidenceSignature || !fs.ValidPath(p) {
			return fail.New(fail.Invalid, "evidence entry %q: not a valid path", p)
		}
	}
	man := evidenceManifest{SchemaVersion: EvidenceSchema, RunID: runID, Entries: []evidenceEntry{}}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		man.Entries = append(man.Entries, evidenceEntry{Path: p, Digest: canon.Digest(files[p]), Size: len(files[p])})
	}
	mb, err := canon.Marshal(man)
	if err != nil {
		return err
	}
	var sig []byte
	if key != nil {
		env, err := Sign(ctx, EvidencePayloadType, mb, key)
		if err != nil {
			return err
		}
		if sig, err = MarshalEnvelope(env); err != nil {
			return err
		}
	}
	return canon.WriteTar(w, evidenceEntries(mb, sig, files))
}

// evidenceEntries orders an evidence archive: manifest.json, its
// signature when there is one, then the files by path.
func evidenceEntries(manifest, sig []byte, files map[string][]byte) []canon.TarEntry {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	out := []canon.TarEntry{{Name: EvidenceManifest, Data: manifest}}
	if sig != nil {
		out = append(out, canon.TarEntry{Name: EvidenceSignature, Data: sig})
	}
	for _, p := range paths {
		out = append(out, canon.TarEntry{Name: p, Data: files[p]})
	}
	return out
}

// ReadEvidence reads an evidence tar, refusing anything but regular files
// with clean relative paths, duplicates, oversized entries, and entries that
// the manifest does not list or that do not match their listed digest.
// Every refusal is fail.Integrity.
func ReadEvidence(name string, r io.Reader) (*Evidence, string, error) {
	bad := func(format string, args ...any) error {
		return fail.New(fail.Integrity, "%s: %s", name, fmt.Sprintf(format, args...))
	}
	tc := canon.NewTarCheck(r, name)
	tr := tar.NewReader(tc)
	files := map[string][]byte{}
	total := 0
	prev := ""
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if err := tc.End(); err != nil {
				return nil, "", fail.Wrap(fail.Integrity, err)
			}
			break
		}
		if err != nil {
			return nil, "", bad("not a readable tar archive: %v", err)
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil, "", bad("entry %q is not a regular file", hdr.Name)
		}
		if !fs.ValidPath(hdr.Name) || strings.Contains(hdr.Name, `\`) {
			return nil, "", bad("entry %q has an unsafe path", hdr.Name)
		}
		if _, dup := files[hdr.Name]; dup {
			return nil, "", bad("duplicate entry %q", hdr.Name)
		}
		if hdr.Size > maxEvidenceEntry || total+int(hdr.Size) > maxEvidenceTotal {
			return nil, "", bad("entry %q is too large", hdr.Name)
		}
		// manifest.json first, then manifest.dsse.json when signed, then
		// the files by path (evidenceEntries).
		switch first := len(files) == 0; {
		case first && hdr.Name != "manifest.json":
			return nil, "", bad("no manifest.json first (not a stella evidence archive)")
		case hdr.Name == EvidenceSignature && len(files) == 1:
			// its signature right after it, when signed
		case hdr.Name == EvidenceSignature:
			return nil, "", bad("%s must follow manifest.json", EvidenceSignature)
		case !first && hdr.Name <= prev:
			return nil, "", bad("entry %q is out of order (manifest.json first, then the files sorted by path)", hdr.Name)
		case !first:
			prev = hdr.Name
		}
		if err := tc.Entry(hdr.Name, hdr.Size); err != nil {
			return nil, "", fail.Wrap(fail.Integrity, err)
		}
		data, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
		if err != nil || int64(len(data)) != hdr.Size {
			return nil, "", bad("entry %q is truncated", hdr.Name)
		}
		total += len(data)
		files[hdr.Name] = data
	}
	mb, ok := files[EvidenceManifest]
	if !ok {
		return nil, "", bad("no manifest.json (not a stella evidence archive)")
	}
	sig := files[EvidenceSignature]
	delete(files, EvidenceManifest)
	delete(files, EvidenceSignature)
	var man evidenceManifest
	dec := json.NewDecoder(bytes.NewReader(mb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&man); err != nil || man.SchemaVersion != EvidenceSchema {
		return nil, "", bad("manifest.json is not a %s manifest", EvidenceSchema)
	}
	listed := map[string]bool{}
	for _, e := range man.Entries {
		data, ok := files[e.Path]
		if !ok {
			return nil, "", bad("manifest lists %s, which is missing", e.Path)
		}
		if d := canon.Digest(data); d != e.Digest || len(data) != e.Size {
			return nil, "", bad("%s hashes to %s, the manifest says %s", e.Path, d, e.Digest)
		}
		listed[e.Path] = true
	}
	for p := range files {
		if !listed[p] {
			return nil, "", bad("entry %s is not listed in the manifest", p)
		}
	}
	ev := &Evidence{Record: files["run.json"], Findings: files["findings.json"], Explains: files["explains.json"], IR: files["policy/ir.json"],
		SourceMap: files["policy/sourcemap.json"], Source: files["policy/policy.stella"], InputManifest: files[evidenceInputManifest],
		Envelope: files["attestation.dsse.json"], Keys: map[string][]byte{}, Inputs: map[string][]byte{}, Signature: sig, Manifest: mb}
	for p, data := range files {
		if h, ok := strings.CutPrefix(p, "keys/"); ok {
			ev.Keys[canon.Prefix+strings.TrimSuffix(h, ".pub")] = data
		}
		if in, ok := strings.CutPrefix(p, evidenceInputsDir); ok && p != evidenceInputManifest {
			ev.Inputs[in] = data
		}
	}
	if len(ev.Inputs) > 0 && ev.InputManifest == nil {
		return nil, "", bad("inputs/ holds files but no inputs/manifest.json")
	}
	for _, req := range []struct {
		name string
		b    []byte
	}{{"run.json", ev.Record}, {"findings.json", ev.Findings}, {"explains.json", ev.Explains}, {"policy/ir.json", ev.IR}} {
		if req.b == nil {
			return nil, "", bad("missing %s", req.name)
		}
	}
	return ev, man.RunID, nil
}

// EvidenceReport is what VerifyEvidence established.
type EvidenceReport struct {
	RunID      string   `json:"runId"`
	Signers    []string `json:"signers"`
	Findings   int      `json:"findings"`
	IRDigest   string   `json:"irDigest"`
	SnapshotID string   `json:"snapshotId,omitempty"` // the input manifest's, when the evidence has one
	// Inputs is the number of the snapshot's input files the archive
	// holds, each checked against the snapshot manifest.
	Inputs int `json:"inputs"`
	// ManifestSigners are the trusted keys whose signature over
	// manifest.json verified (it covers every entry, the source included);
	// empty for an archive exported unsigned.
	ManifestSigners []string `json:"manifestSigners"`
	Warnings        []string `json:"warnings"`
}

// EmbeddedKeys returns the public keys an evidence archive ships, checked
// against their file names. Verifying with them proves the archive is
// intact, not who signed it.
func EmbeddedKeys(ev *Evidence) ([]*Key, error) {
	ids := make([]string, 0, len(ev.Keys))
	for id := range ev.Keys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var keys []*Key
	for _, id := range ids {
		k, err := ParsePEM("keys/"+id, ev.Keys[id])
		if err != nil {
			return nil, fail.Wrap(fail.Integrity, err)
		}
		if k.ID != id {
			return nil, fail.New(fail.Integrity, "embedded key file for %s holds key %s", id, k.ID)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fail.New(fail.Integrity, "the evidence ships no public key")
	}
	return keys, nil
}

// VerifyEvidence verifies an evidence archive offline: the attestation's
// signature by one of the trusted keys, that the attested record is
// run.json, and every output and the IR against it. With no trusted key it
// fails (fail.Integrity, "no trusted key given"): the keys the archive
// ships prove nothing about who signed it. A caller that wants that weaker
// check anyway passes EmbeddedKeys(ev), and says so.
func VerifyEvidence(ctx context.Context, ev *Evidence, trusted []*Key) (*EvidenceReport, error) {
	if ev.Envelope == nil {
		return nil, fail.New(fail.Integrity, "the evidence has no attestation (the run was not signed)")
	}
	env, err := ParseEnvelope("attestation.dsse.json", ev.Envelope)
	if err != nil {
		return nil, err
	}
	if len(trusted) == 0 {
		return nil, fail.New(fail.Integrity, "no trusted key given: the archive could have been re-signed by anyone")
	}
	rep := &EvidenceReport{}
	v, err := VerifyRun(ctx, env, trusted)
	if err != nil {
		return nil, err
	}
	rec, err := canon.Transform(ev.Record)
	if err != nil || !bytes.Equal(rec, v.Record) || !bytes.Equal(rec, ev.Record) {
		return nil, fail.New(fail.Integrity, "run.json is not the attested run record")
	}
	n, err := v.CheckOutputs(ev.Findings, ev.Explains)
	if err != nil {
		return nil, err
	}
	if err := v.CheckIR(ev.IR); err != nil {
		return nil, err
	}
	if ev.InputManifest != nil {
		if rep.SnapshotID, err = checkInputManifest(ev.InputManifest, v.rec.Inputs.SnapshotID); err != nil {
			return nil, err
		}
		if rep.Inputs, err = checkInputs(ev.InputManifest, ev.Inputs); err != nil {
			return nil, err
		}
	}
	rep.ManifestSigners, rep.Warnings = []string{}, []string{}
	if ev.Signature != nil {
		if rep.ManifestSigners, err = verifyEvidenceManifest(ctx, ev, trusted); err != nil {
			return nil, err
		}
	} else if ev.Source != nil {
		rep.Warnings = append(rep.Warnings, "manifest.json is not signed (exported without --sign-key): policy/policy.stella is not covered by a signature")
	}
	rep.RunID, rep.Signers, rep.Findings, rep.IRDigest = v.RunID, v.Signers, n, v.IRDigest()
	return rep, nil
}

// verifyEvidenceManifest checks manifest.dsse.json: a signature by a
// trusted key over exactly manifest.json.
func verifyEvidenceManifest(ctx context.Context, ev *Evidence, trusted []*Key) ([]string, error) {
	env, err := ParseEnvelope(EvidenceSignature, ev.Signature)
	if err != nil {
		return nil, err
	}
	if env.PayloadType != EvidencePayloadType {
		return nil, fail.New(fail.Integrity, "%s: payload type %q is not %q", EvidenceSignature, env.PayloadType, EvidencePayloadType)
	}
	payload, signers, err := Verify(ctx, env, trusted)
	if err != nil {
		return nil, fail.Wrap(fail.Integrity, fmt.Errorf("%s: %w", EvidenceSignature, err))
	}
	if !bytes.Equal(payload, ev.Manifest) {
		return nil, fail.New(fail.Integrity, "%s: the signature is valid but over a different manifest", EvidenceSignature)
	}
	return signers, nil
}

// checkInputs checks the snapshot's input files the archive holds against
// the snapshot manifest: each listed file present with its digest and
// size, nothing unlisted. An archive without input files (an older
// export) passes with 0.
func checkInputs(manifest []byte, files map[string][]byte) (int, error) {
	if len(files) == 0 {
		return 0, nil
	}
	var m struct {
		Content struct {
			Files []struct {
				Path   string `json:"path"`
				Digest string `json:"digest"`
				Size   int64  `json:"size"`
			} `json:"files"`
		} `json:"content"`
	}
	if err := json.Unmarshal(manifest, &m); err != nil {
		return 0, fail.New(fail.Integrity, "inputs/manifest.json: %v", err)
	}
	listed := map[string]bool{}
	for _, f := range m.Content.Files {
		data, ok := files[f.Path]
		if !ok {
			return 0, fail.New(fail.Integrity, "inputs/%s: listed by the snapshot manifest, missing from the archive", f.Path)
		}
		if canon.Digest(data) != f.Digest || int64(len(data)) != f.Size {
			return 0, fail.New(fail.Integrity, "inputs/%s: hashes to %s, the snapshot manifest says %s", f.Path, canon.Digest(data), f.Digest)
		}
		listed[f.Path] = true
	}
	for p := range files {
		if !listed[p] {
			return 0, fail.New(fail.Integrity, "inputs/%s: not a file of the snapshot", p)
		}
	}
	return len(files), nil
}

// checkInputManifest checks a snapshot manifest: its id must be the digest
// of the canonical JSON of its content, and the snapshot the run used.
func checkInputManifest(b []byte, want string) (string, error) {
	var m struct {
		ID      string          `json:"id"`
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Content == nil {
		return "", fail.New(fail.Integrity, "inputs/manifest.json is not a snapshot manifest")
	}
	c, err := canon.Transform(m.Content)
	if err != nil {
		return "", fail.New(fail.Integrity, "inputs/manifest.json: %v", err)
	}
	if d := canon.Digest(c); d != m.ID {
		return "", fail.New(fail.Integrity, "inputs/manifest.json: content hashes to %s, its id is %s", d, m.ID)
	}
	if want != "" && m.ID != want {
		return "", fail.New(fail.Integrity, "inputs/manifest.json is snapshot %s, the run used %s", m.ID, want)
	}
	return m.ID, nil
}
