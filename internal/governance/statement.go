package governance

import (
	"context"
	"encoding/json"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/model"
)

// PredicateType is the in-toto predicate type of the governance statements
// stella signs. Version 2 adds submission rounds (docs/governance.md
// "Submission rounds"): a policy.approved or
// policy.review.changes_requested statement names, in Predicate.Submission,
// the policy.submitted statement it acts on.
const PredicateType = "https://stella.dev/attestations/governance@2"

// PredicateTypeV1 is the predicate type of statements signed before
// submission rounds. They are still read: they name no submission, and an
// approval of this type counts only as docs/governance.md "Submission
// rounds" says.
const PredicateTypeV1 = "https://stella.dev/attestations/governance@1"

// Actions: the audit event types of the signed transitions. Each is also
// the action of its statement.
const (
	ActionDrafted          = "policy.drafted"
	ActionSubmitted        = "policy.submitted"
	ActionReviewRequested  = "policy.review.requested" // unsigned companion of policy.submitted
	ActionCommented        = "policy.review.commented"
	ActionChangesRequested = "policy.review.changes_requested"
	ActionApproved         = "policy.approved"
	ActionActivated        = "policy.activated"
	ActionArchived         = "policy.archived"
	ActionRollback         = "policy.rollback"
	ActionImported         = "policy.imported" // evidence verified at a bundle import (unsigned)
	ActionExcRequested     = "exception.requested"
	ActionExcApproved      = "exception.approved"
	ActionExcRevoked       = "exception.revoked"
	ActionExcExpired       = "exception.expired" // recorded by stella when it notices (unsigned)
	ActionAuditExported    = "audit.exported"
	ActionTrustAdded       = "trust.added"   // a trust config version (trustlog.go): signed once a trust admin exists
	ActionTrustRemoved     = "trust.removed" // likewise
)

// ActorRef names who signed a statement.
type ActorRef struct {
	KeyID     string `json:"keyId"`
	Principal string `json:"principal"`
}

// PolicyRef names a policy version and its content.
type PolicyRef struct {
	ID           string `json:"id"`
	Version      int    `json:"version"`
	Name         string `json:"name,omitempty"`
	IRDigest     string `json:"irDigest"`
	SourceDigest string `json:"sourceDigest,omitempty"`
}

// Attachment is a file attached to an approval, by digest.
type Attachment struct {
	Name   string `json:"name"`
	Digest string `json:"digest"`
	Size   int    `json:"size"`
}

// LintSummary counts a version's diagnostics at submission.
type LintSummary struct {
	Errors   int `json:"errors"`
	Blocking int `json:"blocking"`
	Warnings int `json:"warnings"`
}

// Predicate is what a governance statement says. Fields beyond the common
// ones are set by the actions they belong to.
type Predicate struct {
	Action string   `json:"action"`
	Tenant string   `json:"tenant"`
	Seq    int64    `json:"seq"` // the audit event that records it, in the signing site's chain
	At     string   `json:"at"`  // wall clock of the action, RFC 3339 UTC
	Actor  ActorRef `json:"actor"`

	Policy      *PolicyRef       `json:"policy,omitempty"`
	ExceptionID string           `json:"exceptionId,omitempty"` // every exception action
	Exception   *model.Exception `json:"exception,omitempty"`   // the terms, on request
	ForPolicy   string           `json:"forPolicy,omitempty"`   // exception request: the one policy it waives for

	Reviewers      []string     `json:"reviewers,omitempty"`      // submitted
	Lint           *LintSummary `json:"lint,omitempty"`           // submitted
	SimulationRun  string       `json:"simulationRun,omitempty"`  // submitted, approved
	Submission     string       `json:"submission,omitempty"`     // approved, changes_requested (governance@2): the digest of the policy.submitted envelope of the round
	Comment        string       `json:"comment,omitempty"`        // review
	Note           string       `json:"note,omitempty"`           // approved
	Attachments    []Attachment `json:"attachments,omitempty"`    // approved
	AckSimulation  bool         `json:"ackSimulation,omitempty"`  // approved
	AckDeterminism bool         `json:"ackDeterminism,omitempty"` // approved
	EvidenceRun    string       `json:"evidenceRun,omitempty"`    // activated: the run that satisfied the guard
	ShadowEvidence bool         `json:"shadowEvidence,omitempty"` // activated on a shadow run
	Superseded     *PolicyRef   `json:"superseded,omitempty"`     // activated, rollback: the version it replaced
	Reason         string       `json:"reason,omitempty"`         // archived, revoked
	Incident       string       `json:"incident,omitempty"`       // rollback
	TermsDigest    string       `json:"termsDigest,omitempty"`    // exception approve/revoke: what was approved
	Export         *ExportRange `json:"export,omitempty"`         // audit.exported
	Trust          *TrustState  `json:"trust,omitempty"`          // trust.*: the config in force afterwards (trustlog.go)
}

// Signed is a signed statement with the signer's public key, the unit that
// is stored, exported in bundles and verified.
type Signed struct {
	Envelope  json.RawMessage `json:"envelope"`  // DSSE envelope JSON
	PublicKey string          `json:"publicKey"` // the signer's PEM; it hashes to the signature's keyid
	// own: read from this store, recorded by this site's own transition
	// (not imported from a bundle), so its place in the audit chain is the
	// order it was signed in (rounds.problem).
	own bool
}

// subjectName names the statement's subject: P-n@v or the exception id.
func (p *Predicate) subjectName() string {
	switch {
	case p.Policy != nil:
		return policyString(p.Policy.ID, p.Policy.Version)
	case p.ExceptionID != "":
		return p.ExceptionID
	case p.Trust != nil:
		return trustSubject(p.Trust.Version)
	}
	return p.Tenant
}

// sign signs p with key as an in-toto statement whose subject is the
// policy IR (or the exception terms, or the export) and returns the
// envelope JSON.
func sign(ctx context.Context, key *attest.Key, p *Predicate, subjectDigest string) (Signed, error) {
	payload, err := attest.NewStatement(PredicateType, []attest.Subject{attest.SubjectOf(p.subjectName(), subjectDigest)}, p)
	if err != nil {
		return Signed{}, err
	}
	env, err := attest.Sign(ctx, attest.PayloadType, payload, key)
	if err != nil {
		return Signed{}, err
	}
	b, err := attest.MarshalEnvelope(env)
	if err != nil {
		return Signed{}, err
	}
	pub, err := key.PublicPEM()
	if err != nil {
		return Signed{}, err
	}
	return Signed{Envelope: trimNL(b), PublicKey: string(pub)}, nil
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	return b
}

// Verified is a statement whose signature verified.
type Verified struct {
	Predicate     Predicate
	Subject       string // the subject's name
	SubjectDigest string
	KeyID         string // the signer
	Key           *attest.Key
	Digest        string // sha256 of the envelope bytes
	Format        int    // the predicate's version: 1 (PredicateTypeV1) or 2 (PredicateType)
}

// Verify checks that s is a governance statement signed by the key whose
// PEM it carries and returns what it says. Whether that key is trusted is
// the caller's question. Failures are fail.Integrity.
func (s Signed) Verify(ctx context.Context) (*Verified, error) {
	key, err := attest.ParsePEM("statement public key", []byte(s.PublicKey))
	if err != nil {
		return nil, fail.Wrap(fail.Integrity, err)
	}
	env, err := attest.ParseEnvelope("statement", s.Envelope)
	if err != nil {
		return nil, err
	}
	if env.PayloadType != attest.PayloadType {
		return nil, fail.New(fail.Integrity, "statement payloadType %q is not %q", env.PayloadType, attest.PayloadType)
	}
	payload, signers, err := attest.Verify(ctx, env, []*attest.Key{key})
	if err != nil {
		return nil, err
	}
	st, err := attest.ParseStatement(payload, "")
	if err != nil {
		return nil, err
	}
	format := 2
	switch st.PredicateType {
	case PredicateType:
	case PredicateTypeV1:
		format = 1
	default:
		return nil, fail.New(fail.Integrity, "predicateType %q is not %q (or %q)", st.PredicateType, PredicateType, PredicateTypeV1)
	}
	if len(st.Subject) != 1 {
		return nil, fail.New(fail.Integrity, "governance statement with %d subjects (want 1)", len(st.Subject))
	}
	v := &Verified{Subject: st.Subject[0].Name, SubjectDigest: st.Subject[0].Digest256(), KeyID: signers[0], Key: key,
		Digest: canon.Digest(s.Envelope), Format: format}
	if err := json.Unmarshal(st.Predicate, &v.Predicate); err != nil {
		return nil, fail.New(fail.Integrity, "governance predicate does not decode: %v", err)
	}
	p := &v.Predicate
	if p.Actor.KeyID != v.KeyID {
		return nil, fail.New(fail.Integrity, "statement names actor key %s but is signed by %s", p.Actor.KeyID, v.KeyID)
	}
	if p.subjectName() != v.Subject {
		return nil, fail.New(fail.Integrity, "statement subject %q disagrees with its predicate (%q)", v.Subject, p.subjectName())
	}
	if p.Trust != nil && p.Trust.Digest != v.SubjectDigest {
		return nil, fail.New(fail.Integrity, "statement subject digest %s is not the trust config's digest %s", v.SubjectDigest, p.Trust.Digest)
	}
	if p.Policy != nil && p.Policy.IRDigest != v.SubjectDigest {
		return nil, fail.New(fail.Integrity, "statement subject digest %s is not the policy's IR digest %s", v.SubjectDigest, p.Policy.IRDigest)
	}
	if err := checkSubmission(v); err != nil {
		return nil, err
	}
	return v, nil
}

// checkSubmission applies the rule of submission rounds: under
// governance@2 an approval and a request for changes name the submission
// they act on, and nothing else names one; governance@1 has no such field.
func checkSubmission(v *Verified) error {
	p := &v.Predicate
	names := p.Action == ActionApproved || p.Action == ActionChangesRequested
	switch {
	case v.Format == 1 && p.Submission != "":
		return fail.New(fail.Integrity, "%s statement names a submission round, which %s statements do not have", p.Action, PredicateTypeV1)
	case v.Format == 2 && names && !canon.ValidDigest(p.Submission):
		return fail.New(fail.Integrity, "%s statement names no valid submission (%q): under %s it must name the policy.submitted statement it acts on", p.Action, p.Submission, PredicateType)
	case v.Format == 2 && !names && p.Submission != "":
		return fail.New(fail.Integrity, "%s statement names a submission; only approvals and requests for changes do", p.Action)
	}
	return nil
}
