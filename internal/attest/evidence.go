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
// deterministic tar that verifies with no database. Paths in the tar:
//
//	manifest.json          every other entry with its digest and size
//	run.json               the run record (canonical JSON)
//	findings.json          the findings without traces (canonical array)
//	explains.json          the explain traces in finding order (canonical array)
//	policy/ir.json         the policy IR (canonical JSON)
//	policy/sourcemap.json  the policy's source map, when recorded
//	inputs/manifest.json   the snapshot manifest, when the run used one
//	attestation.dsse.json  the signed policy.run@1 envelope, when signed
//	keys/<hex>.pub         public keys of the signers known to the exporter
type Evidence struct {
	Record        []byte
	Findings      []byte
	Explains      []byte
	IR            []byte
	SourceMap     []byte            // optional
	InputManifest []byte            // optional
	Envelope      []byte            // optional
	Keys          map[string][]byte // key id → public PEM
}

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
	if ev.InputManifest != nil {
		m["inputs/manifest.json"] = ev.InputManifest
	}
	if ev.Envelope != nil {
		m["attestation.dsse.json"] = ev.Envelope
	}
	for id, pem := range ev.Keys {
		m["keys/"+strings.TrimPrefix(id, canon.Prefix)+".pub"] = pem
	}
	return m
}

// WriteEvidence writes ev as a deterministic tar: entries sorted by path,
// manifest.json first, mtime 0, uid/gid 0, mode 0644, no user names.
func WriteEvidence(w io.Writer, runID string, ev *Evidence) error {
	files := ev.files()
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
	return canon.WriteTar(w, evidenceEntries(mb, files))
}

// evidenceEntries orders an evidence archive: manifest.json, then the
// files by path.
func evidenceEntries(manifest []byte, files map[string][]byte) []canon.TarEntry {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	out := []canon.TarEntry{{Name: "manifest.json", Data: manifest}}
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
		// manifest.json first, then the files by path (evidenceEntries).
		switch first := len(files) == 0; {
		case first && hdr.Name != "manifest.json":
			return nil, "", bad("no manifest.json first (not a stella evidence archive)")
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
	mb, ok := files["manifest.json"]
	if !ok {
		return nil, "", bad("no manifest.json (not a stella evidence archive)")
	}
	delete(files, "manifest.json")
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
		SourceMap: files["policy/sourcemap.json"], InputManifest: files["inputs/manifest.json"], Envelope: files["attestation.dsse.json"], Keys: map[string][]byte{}}
	for p, data := range files {
		if h, ok := strings.CutPrefix(p, "keys/"); ok {
			ev.Keys[canon.Prefix+strings.TrimSuffix(h, ".pub")] = data
		}
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
	}
	rep.RunID, rep.Signers, rep.Findings, rep.IRDigest = v.RunID, v.Signers, n, v.IRDigest()
	return rep, nil
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
