package run

// The auditor's evidence archive of one run as a whole (docs/attestation.md,
// "Evidence"): building it from the store for `policy export --run`, and
// opening it with no database — checked against its manifest, verified
// against trusted keys, its policy source compiled back to the attested IR —
// so that `policy replay` and `policy explain` work on the archive alone.
// The archive format itself is internal/attest's (attest.Evidence).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/store"
)

// buildEvidence gathers the evidence of the succeeded run id from the store: its
// record, outputs, IR and source map, the source of its policy version,
// the snapshot's manifest and normalized input files, the signed run
// manifest and the public keys of its signers that the store knows.
func buildEvidence(ctx context.Context, tx *store.Tx, id string) (*attest.Evidence, *store.Run, error) {
	r, err := tx.Run(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if r.Status != store.StatusSucceeded {
		return nil, nil, fail.New(fail.Invalid, "run %s %s; only succeeded runs have evidence to export", r.RunID, r.Status)
	}
	ev := &attest.Evidence{Record: r.Record, Keys: map[string][]byte{}, Inputs: map[string][]byte{}}
	out, err := tx.VerifiedOutputs(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	ev.Findings, ev.Explains = out.Findings, out.Explains
	if ev.IR, err = tx.RunIR(ctx, r); err != nil {
		return nil, nil, err
	}
	if ev.SourceMap, err = tx.RunSourceMap(ctx, r); err != nil {
		return nil, nil, err
	}
	if r.PolicyVersion > 0 {
		pv, err := tx.PolicyVersion(ctx, r.PolicyID, r.PolicyVersion)
		if err != nil {
			return nil, nil, err
		}
		if pv.SourceDigest != "" && pv.IRDigest == r.IRDigest {
			if ev.Source, err = tx.Blob(ctx, pv.SourceDigest); err != nil {
				return nil, nil, err
			}
		}
	}
	if r.SnapshotID != "" {
		sn, err := tx.Snapshot(ctx, r.SnapshotID)
		if err != nil {
			return nil, nil, err
		}
		for _, f := range sn.Files {
			data, err := tx.Blob(ctx, f.Digest)
			if err != nil {
				return nil, nil, err
			}
			if f.Path == snapshot.ManifestFile {
				ev.InputManifest = data
			} else {
				ev.Inputs[f.Path] = data
			}
		}
	}
	if r.Attestation != nil {
		ev.Envelope = r.Attestation
		env, err := attest.ParseEnvelope("stored attestation", r.Attestation)
		if err != nil {
			return nil, nil, err
		}
		for _, sig := range env.Signatures {
			if k, err := tx.Key(ctx, sig.KeyID); err == nil {
				ev.Keys[k.KeyID] = []byte(k.PublicPEM)
			}
		}
	}
	return ev, r, nil
}

// Archive is an evidence archive read from a file.
type Archive struct {
	Name     string // the file, for messages
	RunID    string
	Evidence *attest.Evidence
	Record   store.RunRecord
}

// IsArchive reports whether ref names an evidence archive file rather than
// a stored run: an existing regular file.
func IsArchive(ref string) bool {
	fi, err := os.Stat(ref)
	return err == nil && fi.Mode().IsRegular()
}

// OpenArchive reads the evidence archive at path: every entry checked against
// its manifest (attest.ReadEvidence) and the run record decoded. Errors
// are fail.Integrity and name the file; nothing is verified against a key
// yet (Verify).
func OpenArchive(path string) (*Archive, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fail.New(fail.Invalid, "evidence %s: %v", path, err)
	}
	return ReadArchive(path, data)
}

// ReadArchive reads an evidence archive held in memory (OpenArchive); name is for
// messages.
func ReadArchive(path string, data []byte) (*Archive, error) {
	ev, runID, err := attest.ReadEvidence(path, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	a := &Archive{Name: path, RunID: runID, Evidence: ev}
	dec := json.NewDecoder(bytes.NewReader(ev.Record))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a.Record); err != nil {
		return nil, fail.New(fail.Integrity, "%s: json: %v", path, err)
	}
	if a.Record.RunID != runID {
		return nil, fail.New(fail.Integrity, "%s: json is run %s, the manifest says %s", path, a.Record.RunID, runID)
	}
	return a, nil
}

// Verify verifies the archive against trusted keys (attest.VerifyEvidence:
// the signed run manifest, the record, outputs, IR and inputs, and the
// signed archive manifest when there is one) and that the policy source,
// when the archive has it, compiles to the attested IR. Errors do not name
// the file: the caller says which archive failed.
func (a *Archive) Verify(ctx context.Context, trusted []*attest.Key) (*attest.EvidenceReport, error) {
	rep, err := attest.VerifyEvidence(ctx, a.Evidence, trusted)
	if err != nil {
		return nil, err
	}
	if err := a.checkSource(); err != nil {
		return nil, err
	}
	return rep, nil
}

// checkSource compiles policy/policy.stella and compares its IR digest
// with the record's: the source is what was evaluated.
func (a *Archive) checkSource() error {
	src := a.Evidence.Source
	if src == nil {
		return nil
	}
	res := dsl.CompileResult("policy/policy.stella", src)
	if res.Policy == nil {
		return fail.New(fail.Integrity, "policy/policy.stella does not compile: %v", res.Diagnostics)
	}
	if res.Digest != a.Record.Policy.IRDigest {
		return fail.New(fail.Integrity, "policy/policy.stella compiles to IR %s, the run evaluated %s", res.Digest, a.Record.Policy.IRDigest)
	}
	return nil
}

// Policy returns the evaluated policy: the archive's IR and source map,
// after checking the IR digest is the record's.
func (a *Archive) Policy() (*Policy, error) {
	p, err := DecodePolicy(a.Name, a.Evidence.IR, a.Evidence.SourceMap)
	if err != nil {
		return nil, err
	}
	if p.Digest != a.Record.Policy.IRDigest {
		return nil, fail.New(fail.Integrity, "%s: policy/ir.json hashes to %s, the run evaluated %s", a.Name, p.Digest, a.Record.Policy.IRDigest)
	}
	p.ID, p.Version, p.Source = a.Record.Policy.PolicyID, a.Record.Policy.Version, a.Evidence.Source
	return p, nil
}

// Snapshot opens the run's snapshot from the archive's normalized inputs
// (snapshot.LoadFS checks every file against the manifest) and checks it
// is the snapshot the run used.
func (a *Archive) Snapshot() (*snapshot.Snapshot, error) {
	ev := a.Evidence
	if ev.InputManifest == nil || len(ev.Inputs) == 0 {
		return nil, fail.New(fail.Invalid, "%s holds no input files (exported before evidence carried them, or the run used loose files); it cannot be replayed", a.Name)
	}
	files := snapshot.MemFS{snapshot.ManifestFile: ev.InputManifest}
	for p, d := range ev.Inputs {
		files[p] = d
	}
	s, err := snapshot.LoadFS(files)
	if err != nil {
		return nil, fail.Wrap(fail.Integrity, fmt.Errorf("%s: inputs: %w", a.Name, err))
	}
	if s.ID() != a.Record.Inputs.SnapshotID {
		return nil, fail.New(fail.Integrity, "%s: inputs are snapshot %s, the run used %s", a.Name, s.ID(), a.Record.Inputs.SnapshotID)
	}
	return s, nil
}

// Replay evaluates the archive's policy on its inputs with the recorded
// environment, evaluation time and shadow flag, through internal/run, and
// compares the outputs with the recorded findings and digests
// (Compare).
//
// A policy with settings new_findings_only compared its blocked findings
// with a baseline the archive does not hold (docs/runs.md "Replay"). The
// verdict depends on that baseline only through the new-findings gate:
// a baseline that blocked every blocked finding makes it warn, any other
// leaves a blocked finding new and it blocks as with no baseline. So when
// the evaluation with no baseline does not give the recorded verdict, the
// replay evaluates again under a baseline that blocked every blocked
// finding and keeps that one if it reproduces the recorded result digest
// (gates and verdict); it always compares the verdict.
func (a *Archive) Replay(ctx context.Context) (*ReplayReport, error) {
	p, err := a.Policy()
	if err != nil {
		return nil, err
	}
	ev, err := a.evaluate(ctx, p, nil)
	if err != nil {
		return nil, err
	}
	rec := a.Record
	recorded := ReplayDigests{Findings: rec.Stats.Findings, FindingsDigest: rec.Outputs.Findings, ExplainsDigest: rec.Outputs.Explains}
	unchecked := ""
	if rec.Stats.Unchecked == nil {
		// An older record's budget is not in the archive.
		unchecked = "the record predates recorded unchecked budgets, so the unchecked-budget gate was not re-checked"
	} else if newFindingsOnly(p) && ev.Result.Verdict != rec.Verdict {
		// The baseline only decides whether the gate blocks or warns when
		// it blocked every blocked finding: keep that replay when it
		// reproduces the recorded result; otherwise the baseline left a
		// blocked finding new, and the gate blocks as with no baseline (ev).
		again, err := a.evaluate(ctx, p, &Against{base: allBlocked(ev.Result), c: &Compared{}})
		if err != nil {
			return nil, err
		}
		if again.Result.Digests.Result == rec.Outputs.Result {
			ev = again
		}
	}
	if unchecked == "" {
		// Recorded with all the verdict depends on, so the verdict replays too.
		recorded.Verdict = rec.Verdict
	}
	rep, err := Compare(a.RunID, recorded, a.Evidence.Findings, ev.Result)
	if err != nil {
		return nil, fail.New(fail.Integrity, "%s: findings.json: %v", a.Name, err)
	}
	rep.Evidence, rep.VerdictUnchecked = a.Name, unchecked
	return &rep, nil
}

// allBlocked is, as an archive's new_findings_only gate sees it, a
// baseline that blocked every finding res blocks (a baseline that blocked
// none gives the verdict of no baseline).
func allBlocked(res *engine.Result) *engine.Result {
	all := &engine.Result{}
	for _, f := range res.Findings {
		if f.Verdict == engine.VerdictBlocked {
			all.Findings = append(all.Findings, f)
		}
	}
	return all
}

func (a *Archive) evaluate(ctx context.Context, p *Policy, against *Against) (*Outcome, error) {
	s, err := a.Snapshot()
	if err != nil {
		return nil, err
	}
	at, err := time.Parse(time.RFC3339Nano, a.Record.Inputs.EvaluationTime)
	if err != nil {
		return nil, fail.New(fail.Integrity, "%s: json: evaluation time %q: %v", a.Name, a.Record.Inputs.EvaluationTime, err)
	}
	return Evaluate(ctx, Spec{Policy: p, Snapshot: s, Env: a.Record.Inputs.Env, At: at, Shadow: a.Record.Shadow,
		UncheckedBudget: RecordedBudget(&a.Record, nil), Against: against})
}

// Findings returns the recorded findings with their explain traces, in
// finding id order, filtered as store.Tx.Findings filters.
func (a *Archive) Findings(f store.FindingFilter) ([]engine.Finding, error) {
	var fs []engine.Finding
	var ex []*engine.Explain
	if err := json.Unmarshal(a.Evidence.Findings, &fs); err != nil {
		return nil, fail.New(fail.Integrity, "%s: findings.json: %v", a.Name, err)
	}
	if err := json.Unmarshal(a.Evidence.Explains, &ex); err != nil || len(ex) != len(fs) {
		return nil, fail.New(fail.Integrity, "%s: explains.json: not one trace per finding", a.Name)
	}
	out := []engine.Finding{}
	for i, fd := range fs {
		if !f.Match(fd) {
			continue
		}
		fd.Explain = ex[i]
		out = append(out, fd)
	}
	return out, nil
}
