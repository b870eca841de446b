package run

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// VerifyReport is the outcome of `policy verify` (docs/attestation.md,
// "Evidence"): of a signed run manifest or of an evidence archive.
type VerifyReport struct {
	File        string   `json:"file"`
	Kind        string   `json:"kind"` // envelope or evidence
	RunID       string   `json:"runId"`
	Verified    bool     `json:"verified"`
	Signers     []string `json:"signers"`
	EmbeddedKey bool     `json:"embeddedKey,omitempty"`
	Findings    int      `json:"findings"`
	StoredRun   string   `json:"storedRun"` // checked, absent, or no database
	// Evidence only: the keys that signed the archive's manifest, the
	// number of input files checked, whether it holds the policy source.
	ManifestSigners []string `json:"manifestSigners,omitempty"`
	Inputs          int      `json:"inputs,omitempty"`
	Source          bool     `json:"source,omitempty"`
	Warnings        []string `json:"warnings,omitempty"`
	// Policy and IRDigest are what the attested record says ran; Set its
	// members, for a policy set run (envelopes only).
	Policy   string           `json:"policy,omitempty"`
	IRDigest string           `json:"irDigest,omitempty"`
	Set      *store.RecordSet `json:"set,omitempty"`
	// Mode is the attested record's mode (run or simulate): which scope a
	// signer trusted through the trust config needs (governance.CheckRunSigners).
	Mode string `json:"-"`
}

// IsEnvelope reports whether data is a DSSE envelope (JSON) rather than
// an evidence archive.
func IsEnvelope(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n")
	return len(t) > 0 && t[0] == '{'
}

// Verify verifies data, read from path (`policy verify`): a policy.run@1
// envelope (VerifyEnvelope; open gives the database holding its run, or a
// nil store when there is none) or an evidence archive (VerifyArchive;
// embedded: with the keys it ships when no key is trusted). An envelope
// without a trusted key fails. Every verification failure is
// fail.Integrity naming path; the report is non-nil without an error.
func Verify(ctx context.Context, path string, data []byte, trusted []*attest.Key, embedded bool, open func() (*store.Store, error)) (*VerifyReport, error) {
	var rep *VerifyReport
	var err error
	if IsEnvelope(data) {
		if embedded {
			return nil, fail.New(fail.Invalid, "--insecure-embedded-key: %s is an envelope, which carries no key; give --key PUB", path)
		}
		if len(trusted) == 0 {
			return nil, fail.New(fail.Integrity, "%s: verification failed: no trusted key given: pass --key PUB or --trust-root PUB, or keep the signer in the trust config", path)
		}
		var st *store.Store
		if st, err = open(); err != nil {
			return nil, err
		}
		if st != nil {
			defer st.Close()
		}
		rep, err = VerifyEnvelope(ctx, st, path, data, trusted)
	} else {
		rep, err = VerifyArchive(ctx, path, trusted, embedded)
	}
	if fail.Is(err, fail.Integrity) {
		hint := ""
		if len(trusted) == 0 && !rep.EmbeddedKey {
			hint = "; pass --key PUB or --trust-root PUB (or --insecure-embedded-key to check only that the archive is intact)"
		}
		return nil, fail.New(fail.Integrity, "%s: verification failed: %v%s", path, err, hint)
	}
	if err != nil {
		return nil, err
	}
	rep.Verified = true
	return rep, nil
}

// VerifyEnvelope checks the policy.run@1 envelope data (read from path)
// against trusted keys and, when st holds the run (st may be nil: no
// database), the stored record, outputs and IR against it.
func VerifyEnvelope(ctx context.Context, st *store.Store, path string, data []byte, trusted []*attest.Key) (*VerifyReport, error) {
	rep := &VerifyReport{File: path, Kind: "envelope", Signers: []string{}}
	env, err := attest.ParseEnvelope(path, data)
	if err != nil {
		return rep, err
	}
	v, err := attest.VerifyRun(ctx, env, trusted)
	if err != nil {
		return rep, err
	}
	rep.RunID, rep.Signers = v.RunID, v.Signers
	rep.Findings = len(v.Statement.Subject)/2 - 1
	var rec store.RunRecord
	if err := json.Unmarshal(v.Record, &rec); err != nil {
		return rep, fail.New(fail.Integrity, "%s: the attested record does not decode: %v", path, err)
	}
	rep.Policy, rep.IRDigest, rep.Set, rep.Mode = rec.Policy.PolicyID, rec.Policy.IRDigest, rec.Set, rec.Mode
	if rec.Policy.Version > 0 {
		rep.Policy = fmt.Sprintf("%s@%d", rec.Policy.PolicyID, rec.Policy.Version)
	}
	if st == nil {
		rep.StoredRun = "no database"
		return rep, nil
	}
	return rep, st.View(ctx, func(tx *store.Tx) error {
		r, err := tx.Run(ctx, v.RunID)
		if fail.Is(err, fail.NotFound) {
			rep.StoredRun = "not in this database"
			return nil
		}
		if err != nil {
			return err
		}
		if !bytes.Equal(r.Record, v.Record) {
			return fail.New(fail.Integrity, "the stored record of %s differs from the attested one", r.RunID)
		}
		out, err := tx.RunOutputs(ctx, r.RunID)
		if err != nil {
			return err
		}
		if rep.Findings, err = v.CheckOutputs(out.Findings, out.Explains); err != nil {
			return fmt.Errorf("stored run: %w", err)
		}
		ir, err := tx.RunIR(ctx, r)
		if err != nil {
			return err
		}
		if err := v.CheckIR(ir); err != nil {
			return err
		}
		rep.StoredRun = "checked: record, findings, explains and IR match"
		return nil
	})
}

// VerifyArchive verifies the evidence archive at path against trusted
// keys (Archive.Verify); with embedded and no trusted key, against the
// keys it ships, which proves it intact but not who signed it.
func VerifyArchive(ctx context.Context, path string, trusted []*attest.Key, embedded bool) (*VerifyReport, error) {
	rep := &VerifyReport{File: path, Kind: "evidence", Signers: []string{}}
	a, err := OpenArchive(path)
	if err != nil {
		return rep, err
	}
	if len(trusted) == 0 && embedded {
		if trusted, err = attest.EmbeddedKeys(a.Evidence); err != nil {
			return rep, err
		}
		rep.EmbeddedKey = true
	}
	er, err := a.Verify(ctx, trusted)
	if err != nil {
		return rep, err
	}
	rep.RunID, rep.Signers, rep.Findings = er.RunID, er.Signers, er.Findings
	rep.ManifestSigners, rep.Inputs, rep.Source, rep.Warnings = er.ManifestSigners, er.Inputs, a.Evidence.Source != nil, er.Warnings
	rep.StoredRun, rep.Mode = "not needed", a.Record.Mode
	return rep, nil
}

// Exported is a run's evidence archive, built and signed (ExportEvidence).
// Its JSON form is what `policy export` reports.
type Exported struct {
	Data           []byte `json:"-"`     // the archive's bytes
	Bytes          int    `json:"bytes"` // len(Data)
	File           string `json:"file"`  // where the command writes it
	Findings       int    `json:"findings"`
	Inputs         int    `json:"inputs"`         // normalized input files
	ManifestSigned bool   `json:"manifestSigned"` // the archive's manifest is signed
	RunID          string `json:"runId"`
	Signed         bool   `json:"signed"` // the run itself is signed (its policy.run@1 envelope is in the archive)
	Source         bool   `json:"source"` // the archive holds the policy source
}

// ExportEvidence builds the evidence archive of the recorded run ref (buildEvidence) and
// writes it, its manifest signed with key (nil: unsigned), whose public
// key it then ships too (docs/attestation.md, "Evidence"). The same run
// always gives the same bytes with an ed25519 key.
func ExportEvidence(ctx context.Context, st *store.Store, ref string, key *attest.Key) (*Exported, error) {
	var ev *attest.Evidence
	var r *store.Run
	err := st.View(ctx, func(tx *store.Tx) error {
		id, err := tx.ResolveRun(ctx, ref)
		if err != nil {
			return err
		}
		ev, r, err = buildEvidence(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if key != nil {
		if ev.Keys[key.ID], err = key.PublicPEM(); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := attest.WriteSignedEvidence(ctx, &buf, r.RunID, ev, key); err != nil {
		return nil, err
	}
	return &Exported{Data: buf.Bytes(), Bytes: buf.Len(), ManifestSigned: key != nil, RunID: r.RunID, Findings: r.Findings, Inputs: len(ev.Inputs), Signed: ev.Envelope != nil, Source: ev.Source != nil}, nil
}
