package attest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
)

// A policy.run@1 statement attests one run: its predicate is the run record
// (store.RunRecord) and its subjects are the run's outputs — first the
// findings and explains aggregates ("findings", "explains", whose digests are
// the record's findingsDigest and explainsDigest), then one "finding/<id>"
// subject per finding (the digest of its canonical JSON without trace) and
// one "explain/<id>" per finding (its explain id), in finding order.

// RunFinding is what a statement says about one finding.
type RunFinding struct {
	ID        string // findingId
	Digest    string // digest of the finding's canonical JSON without its trace
	ExplainID string // content address of its explain trace
}

// RunSubjects lists the subjects of a policy.run@1 statement.
func RunSubjects(findingsDigest, explainsDigest string, findings []RunFinding) []Subject {
	subs := make([]Subject, 0, 2+2*len(findings))
	subs = append(subs, SubjectOf("findings", findingsDigest), SubjectOf("explains", explainsDigest))
	for _, f := range findings {
		subs = append(subs, SubjectOf("finding/"+f.ID, f.Digest))
	}
	for _, f := range findings {
		subs = append(subs, SubjectOf("explain/"+f.ID, f.ExplainID))
	}
	return subs
}

// RunStatement returns the canonical payload of a policy.run@1 statement.
func RunStatement(record json.RawMessage, subjects []Subject) ([]byte, error) {
	return NewStatement(RunPredicateType, subjects, record)
}

// runRecord is the part of a run record the verifier reads.
type runRecord struct {
	RunID  string `json:"runId"`
	Policy struct {
		IRDigest string `json:"irDigest"`
	} `json:"policy"`
	Inputs struct {
		SnapshotID string `json:"snapshotId"`
	} `json:"inputs"`
	Status  string `json:"status"`
	Outputs struct {
		Findings string `json:"findingsDigest"`
		Explains string `json:"explainsDigest"`
	} `json:"outputs"`
}

// VerifiedRun is a policy.run@1 envelope whose signature verified.
type VerifiedRun struct {
	Statement *Statement
	Record    []byte   // the predicate, canonical
	RunID     string   // from the record
	Signers   []string // ids of the trusted keys whose signatures verified
	rec       runRecord
}

// FindingsDigest and ExplainsDigest are the record's output digests.
func (v *VerifiedRun) FindingsDigest() string { return v.rec.Outputs.Findings }
func (v *VerifiedRun) ExplainsDigest() string { return v.rec.Outputs.Explains }

// IRDigest is the record's policy IR digest.
func (v *VerifiedRun) IRDigest() string { return v.rec.Policy.IRDigest }

// VerifyRun checks a policy.run@1 envelope: a signature by a trusted key,
// the statement's type and predicate type, and that its aggregate subjects
// agree with the record. Every failure is fail.Integrity.
func VerifyRun(ctx context.Context, env *Envelope, trusted []*Key) (*VerifiedRun, error) {
	if env.PayloadType != PayloadType {
		return nil, fail.New(fail.Integrity, "payloadType %q is not %q", env.PayloadType, PayloadType)
	}
	payload, signers, err := Verify(ctx, env, trusted)
	if err != nil {
		return nil, err
	}
	st, err := ParseStatement(payload, RunPredicateType)
	if err != nil {
		return nil, err
	}
	rec, err := canon.Transform(st.Predicate)
	if err != nil {
		return nil, fail.New(fail.Integrity, "predicate: %v", err)
	}
	v := &VerifiedRun{Statement: st, Record: rec, Signers: signers}
	dec := json.NewDecoder(bytes.NewReader(rec))
	if err := dec.Decode(&v.rec); err != nil || v.rec.RunID == "" {
		return nil, fail.New(fail.Integrity, "predicate is not a policy.run@1 run record")
	}
	v.RunID = v.rec.RunID
	if len(st.Subject) < 2 || st.Subject[0].Name != "findings" || st.Subject[1].Name != "explains" {
		return nil, fail.New(fail.Integrity, "statement subjects do not start with the findings and explains aggregates")
	}
	if st.Subject[0].Digest256() != v.rec.Outputs.Findings || st.Subject[1].Digest256() != v.rec.Outputs.Explains {
		return nil, fail.New(fail.Integrity, "statement subjects disagree with the record's output digests")
	}
	return v, nil
}

// CheckOutputs checks findings and explains — the canonical JSON arrays of
// the findings without traces and of their traces, in finding order —
// against the statement: the findings digest (over the findings array), the
// explains digest (over the array of the findings' explain ids), each
// finding's subject, and each trace's content address. It returns the
// number of findings.
func (v *VerifiedRun) CheckOutputs(findings, explains []byte) (int, error) {
	if d := canon.Digest(findings); d != v.rec.Outputs.Findings {
		return 0, fail.New(fail.Integrity, "findings hash to %s, the attestation says %s", d, v.rec.Outputs.Findings)
	}
	var fs, es []json.RawMessage
	if err := json.Unmarshal(findings, &fs); err != nil {
		return 0, fail.New(fail.Integrity, "findings: %v", err)
	}
	if err := json.Unmarshal(explains, &es); err != nil {
		return 0, fail.New(fail.Integrity, "explains: %v", err)
	}
	if len(fs) != len(es) {
		return 0, fail.New(fail.Integrity, "%d findings but %d explain traces", len(fs), len(es))
	}
	want := map[string]string{}
	for _, s := range v.Statement.Subject[2:] {
		want[s.Name] = s.Digest256()
	}
	if len(want) != 2*len(fs) {
		return 0, fail.New(fail.Integrity, "the statement names %d subjects for %d findings", len(want), len(fs))
	}
	ids := make([]string, len(fs))
	for i := range fs {
		var f struct {
			ID        string `json:"findingId"`
			ExplainID string `json:"explainId"`
		}
		if err := json.Unmarshal(fs[i], &f); err != nil {
			return 0, fail.New(fail.Integrity, "findings[%d]: %v", i, err)
		}
		if d := canon.Digest(fs[i]); want["finding/"+f.ID] != d {
			return 0, fail.New(fail.Integrity, "finding %s hashes to %s, the attestation says %q", f.ID, d, want["finding/"+f.ID])
		}
		if want["explain/"+f.ID] != f.ExplainID {
			return 0, fail.New(fail.Integrity, "finding %s: explain id %s is not the attested %q", f.ID, f.ExplainID, want["explain/"+f.ID])
		}
		if id := canon.SelfDigest(es[i], "explainId"); id != f.ExplainID {
			return 0, fail.New(fail.Integrity, "explain trace of finding %s hashes to %s, not its id %s", f.ID, id, f.ExplainID)
		}
		ids[i] = f.ExplainID
	}
	idList, _ := canon.Marshal(ids)
	if d := canon.Digest(idList); d != v.rec.Outputs.Explains {
		return 0, fail.New(fail.Integrity, "explain ids hash to %s, the attestation says %s", d, v.rec.Outputs.Explains)
	}
	return len(fs), nil
}

// CheckIR checks the policy IR bytes against the attested IR digest.
func (v *VerifiedRun) CheckIR(ir []byte) error {
	if d := canon.Digest(ir); d != v.rec.Policy.IRDigest {
		return fail.New(fail.Integrity, "policy IR hashes to %s, the attestation says %s", d, v.rec.Policy.IRDigest)
	}
	return nil
}

// String summarises the run for messages.
func (v *VerifiedRun) String() string {
	return fmt.Sprintf("%s (%s)", v.RunID, v.rec.Status)
}
