package governance

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// AuditReport is the outcome of VerifyAudit.
type AuditReport struct {
	Tenant       string   `json:"tenant"`
	Events       int      `json:"events"`
	Head         string   `json:"head"`       // the last event's hash (the genesis hash when empty)
	Statements   int      `json:"statements"` // signed governance statements verified
	Attestations int      `json:"attestations"`
	Unverifiable []string `json:"unverifiable"` // run attestations signed by keys this site does not know
	// Checkpoints are the signed audit heads the chain was checked against
	// (audit verify --checkpoint).
	Checkpoints []store.Checkpoint `json:"checkpoints,omitempty"`
	// SignedHead is the signed head beside the database (store.SignHead)
	// that the chain was checked against; nil when there is none or no key
	// known here signed it (SignedHeadSigner then names the signer).
	SignedHead       *store.Checkpoint `json:"signedHead,omitempty"`
	SignedHeadSigner []string          `json:"signedHeadUnknownSigner,omitempty"`
	// TrustWarnings are the trust records accepted only because of
	// AuditOptions.AllowUnsignedTrust (trustlog.go).
	TrustWarnings []string `json:"trustWarnings,omitempty"`
	// Ungoverned are the enforced runs recorded while a trust config was
	// recorded here but that carry no approval set: run without the site's
	// trust config (ungoverned, below).
	Ungoverned []string `json:"ungoverned,omitempty"`
}

// AuditOptions adjust VerifyAuditWith.
type AuditOptions struct {
	// AllowUnsignedTrust accepts trust records that break the rules of
	// signed trust (unsigned or unauthorised changes, re-roots, files used
	// with --allow-unsigned-trust), listing them as warnings. Statements
	// are still checked against the recorded versions only: what a file
	// used against the record allowed never passes.
	AllowUnsignedTrust bool
}

// eventRefs is the part of an audit payload that links a signed statement.
type eventRefs struct {
	Statement string `json:"statement"`
	KeyID     string `json:"keyId"`
	Action    string `json:"action"`   // policy.imported: the imported statement's action
	IRDigest  string `json:"irDigest"` // policy events
}

// broken is an integrity failure at one event of the chain.
func broken(e store.Event, format string, args ...any) error {
	return fail.Wrap(fail.Integrity, &store.ChainError{Seq: e.Seq, Reason: e.Type + " " + e.Subject + ": " + fmt.Sprintf(format, args...)})
}

// checkStatement checks that event e, whose payload references a signed
// statement, and the stored statement agree, and that the statement's
// signature verifies with the public key it was stored with (which must
// hash to the key id the event names).
func checkStatement(ctx context.Context, e store.Event, refs eventRefs, st *store.Statement) error {
	_, err := verifyStatement(ctx, e, refs, st)
	return err
}

// verifyStatement is checkStatement returning the verified statement.
func verifyStatement(ctx context.Context, e store.Event, refs eventRefs, st *store.Statement) (*Verified, error) {
	if st == nil {
		return nil, broken(e, "the signed statement %s it records is missing", refs.Statement)
	}
	if d := canon.Digest(st.Envelope); d != refs.Statement {
		return nil, broken(e, "the signed statement was edited: its envelope hashes to %s, the event recorded %s", d, refs.Statement)
	}
	if st.Seq != e.Seq || st.Subject != e.Subject {
		return nil, broken(e, "statement %s is filed under event %d, subject %s", text.Abbrev(refs.Statement), st.Seq, st.Subject)
	}
	v, err := Signed{Envelope: st.Envelope, PublicKey: st.PublicPEM}.Verify(ctx)
	if err != nil {
		return nil, broken(e, "signature check failed: %v", err)
	}
	if st.Principal != v.Predicate.Actor.Principal || e.Actor != v.Predicate.Actor.Principal {
		return nil, broken(e, "the statement was signed by principal %s, the row names principal %s and the event %s", v.Predicate.Actor.Principal, st.Principal, e.Actor)
	}
	if v.KeyID != refs.KeyID || st.KeyID != refs.KeyID {
		return nil, broken(e, "signed by %s, but the event names key %s", v.KeyID, refs.KeyID)
	}
	want := e.Type
	if e.Type == ActionImported {
		want = refs.Action
	}
	if v.Predicate.Action != want || st.Action != want {
		return nil, broken(e, "the statement says %s", v.Predicate.Action)
	}
	if e.Type != ActionImported && v.Predicate.Seq != e.Seq {
		return nil, broken(e, "the statement was signed for event %d", v.Predicate.Seq)
	}
	if refs.IRDigest != "" && v.SubjectDigest != refs.IRDigest {
		return nil, broken(e, "the statement is about IR %s, the event about %s", v.SubjectDigest, refs.IRDigest)
	}
	return v, nil
}

// VerifyAudit recomputes the tenant's audit chain and checks every signed
// governance statement against the event that recorded it, then every run
// attestation whose signer is known (keys registered in the store or in
// trust). The first broken link is a fail.Integrity error wrapping a
// *store.ChainError that names the event.
func VerifyAudit(ctx context.Context, st *store.Store, trust *Trust) (*AuditReport, error) {
	return VerifyAuditWith(ctx, st, trust, AuditOptions{})
}

// VerifyAuditWith is VerifyAudit with options. Besides the chain it checks
// the trust config's history (ReadTrustHistory) and that every signed
// statement's signer held its action's scope in the trust config in force
// when it was recorded: an approval or activation by a key that only a
// hand-edited trust file granted is broken (docs/governance.md "Signed
// trust").
func VerifyAuditWith(ctx context.Context, st *store.Store, trust *Trust, opts AuditOptions) (*AuditReport, error) {
	rep := &AuditReport{Tenant: st.Tenant(), Head: store.GenesisHash, Unverifiable: []string{}}
	err := st.View(ctx, func(tx *store.Tx) error {
		n, err := tx.VerifyChain(ctx)
		if err != nil {
			return err
		}
		rep.Events = n
		known, err := knownKeys(ctx, tx, trust)
		if err != nil {
			return err
		}
		if err := checkSignedHead(ctx, st, tx, known, rep); err != nil {
			return err
		}
		events, err := tx.Events(ctx, store.EventFilter{})
		if err != nil {
			return err
		}
		stmts, err := tx.Statements(ctx, store.StatementFilter{})
		if err != nil {
			return err
		}
		byDigest := map[string]*store.Statement{}
		for i := range stmts {
			byDigest[stmts[i].Digest] = &stmts[i]
		}
		history, err := ReadTrustHistory(ctx, tx)
		if err != nil {
			return err
		}
		if rep.TrustWarnings, err = trustProblems(history, opts.AllowUnsignedTrust); err != nil {
			return err
		}
		seen := map[string]bool{}
		subs := submissions{}
		for _, e := range events {
			rep.Head = e.EventHash
			var refs eventRefs
			if err := json.Unmarshal(e.Payload, &refs); err != nil || refs.Statement == "" {
				continue // an event that records no statement (runs, trust edits, expiries)
			}
			v, err := verifyStatement(ctx, e, refs, byDigest[refs.Statement])
			if err != nil {
				return err
			}
			if err := subs.check(e, v); err != nil {
				return err
			}
			// Trust changes are judged against the version before by
			// ReadTrustHistory (a root of trust signs the version that
			// names it, so its key is in no version before).
			if e.Type != ActionImported && !slices.Contains(trustChanges, e.Type) {
				if err := checkTrustAt(history, e, e.Type, refs.KeyID, e.Actor); err != nil {
					return err
				}
			}
			seen[refs.Statement] = true
			rep.Statements++
		}
		for _, s := range stmts {
			if !seen[s.Digest] {
				return fail.Wrap(fail.Integrity, &store.ChainError{Seq: s.Seq,
					Reason: fmt.Sprintf("statement %s (%s %s) is recorded by no audit event: it was inserted behind the log's back", s.Digest, s.Action, s.Subject)})
			}
		}
		problems, err := CheckRows(ctx, tx)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return fail.New(fail.Integrity, "%s", problems[0])
		}
		if rep.Ungoverned, err = ungoverned(ctx, tx, events, history); err != nil {
			return err
		}
		return verifyAttestations(ctx, tx, known, rep)
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// submissions are the policy.submitted statements met so far in the
// chain, by subject.
type submissions map[string]map[string]bool

// check records v when it is a submission, and refuses an approval or a
// request for changes that names a submission not recorded before it for
// the same version (docs/governance.md "Submission rounds").
func (s submissions) check(e store.Event, v *Verified) error {
	p := &v.Predicate
	switch {
	case p.Action == ActionSubmitted:
		if s[v.Subject] == nil {
			s[v.Subject] = map[string]bool{}
		}
		s[v.Subject][v.Digest] = true
	case p.Submission != "" && !s[v.Subject][p.Submission]:
		return broken(e, "the statement names submission %s, which no earlier policy.submitted statement of %s is", p.Submission, v.Subject)
	}
	return nil
}

// ungoverned lists the enforced runs (not shadow, not a set) recorded after
// the first trust config version whose record carries no approval set: a
// run that found no trust config on a governed database — its version was
// never gated here. Such runs are refused now (Site.RunTrust); databases
// written by earlier versions may hold them (docs/governance.md "Signed
// trust"). Each names the run, its policy and the state it recorded.
func ungoverned(ctx context.Context, tx *store.Tx, events []store.Event, h *TrustHistory) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, e := range events {
		if e.Type != "policy.run.completed" || h.At(e.Seq) == nil || seen[e.Subject] {
			continue
		}
		seen[e.Subject] = true
		r, err := tx.Run(ctx, e.Subject)
		if err != nil {
			return nil, err
		}
		var rec store.RunRecord
		if err := json.Unmarshal(r.Record, &rec); err != nil {
			return nil, fail.New(fail.Integrity, "run %s: the stored record does not decode: %v", r.RunID, err)
		}
		if rec.Mode != store.ModeRun || rec.Shadow || rec.Set != nil || rec.Policy.ApprovalSet != "" {
			continue
		}
		pol, state := rec.Policy.PolicyID, cmp.Or(rec.Policy.Lifecycle, "unregistered")
		if rec.Policy.Version > 0 {
			pol = fmt.Sprintf("%s@%d", pol, rec.Policy.Version)
		}
		out = append(out, fmt.Sprintf("run %s (audit event %d): %s, %s, enforced with no approval set while %s was recorded", r.RunID, e.Seq, pol, state, h.At(e.Seq)))
	}
	return out, nil
}

// trustChanges are the actions of signed trust-config versions.
var trustChanges = []string{ActionTrustAdded, ActionTrustRemoved, ActionTrustSigned}

// knownKeys returns the keys known here: the trust config's and the
// registered ones (each checked against its id).
func knownKeys(ctx context.Context, tx *store.Tx, trust *Trust) (map[string]*attest.Key, error) {
	known := map[string]*attest.Key{}
	if trust != nil {
		for _, k := range trust.Keys() {
			known[k.ID] = k
		}
	}
	keys, err := tx.Keys(ctx)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		pk, err := k.Public()
		if err != nil {
			return nil, fail.New(fail.Integrity, "registered key %s (%s) does not match its stored public key", k.Name, k.KeyID)
		}
		known[pk.ID] = pk
	}
	return known, nil
}

// checkSignedHead checks the chain against the signed head beside the
// database: signed by a known key, it must still be in the chain (events
// deleted from the tail, or a rewritten tail, are fail.Integrity even when
// the unsigned anchor was rewritten to match). A head no known key signed
// is reported, not trusted.
func checkSignedHead(ctx context.Context, st *store.Store, tx *store.Tx, known map[string]*attest.Key, rep *AuditReport) error {
	env, err := st.SignedHead()
	if err != nil || env == nil {
		return err
	}
	name := st.AnchorPath() + " (signed head)"
	e, err := attest.ParseEnvelope(name, env)
	if err != nil {
		return fail.Wrap(fail.Integrity, err)
	}
	var keys []*attest.Key
	for _, s := range e.Signatures {
		if k, ok := known[s.KeyID]; ok {
			keys = append(keys, k)
		} else {
			rep.SignedHeadSigner = append(rep.SignedHeadSigner, s.KeyID)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	rep.SignedHeadSigner = nil
	c, _, err := store.OpenCheckpoint(ctx, name, env, keys)
	if err != nil {
		return err
	}
	if err := tx.CheckCheckpoint(ctx, *c); err != nil {
		return fail.Wrap(fail.KindOf(err), fmt.Errorf("%s: %w", name, err))
	}
	rep.SignedHead = c
	return nil
}

// verifyAttestations checks the signature of every stored run attestation
// whose key is known here; a run signed by an unknown key is listed as
// unverifiable, a signature that fails with a known key is broken.
func verifyAttestations(ctx context.Context, tx *store.Tx, known map[string]*attest.Key, rep *AuditReport) error {
	runs, err := tx.Runs(ctx, store.RunFilter{})
	if err != nil {
		return err
	}
	for i := len(runs) - 1; i >= 0; i-- { // oldest first
		if !runs[i].Signed {
			continue
		}
		run, err := tx.Run(ctx, runs[i].RunID)
		if err != nil {
			return err
		}
		env, err := attest.ParseEnvelope("attestation of "+run.RunID, run.Attestation)
		if err != nil {
			return fail.Wrap(fail.Integrity, fmt.Errorf("run %s: %w", run.RunID, err))
		}
		var signers []*attest.Key
		for _, s := range env.Signatures {
			if k, ok := known[s.KeyID]; ok {
				signers = append(signers, k)
			}
		}
		if len(signers) == 0 {
			rep.Unverifiable = append(rep.Unverifiable, run.RunID)
			continue
		}
		v, err := attest.VerifyRun(ctx, env, signers)
		if err != nil {
			return fail.Wrap(fail.Integrity, fmt.Errorf("run %s: attestation: %w", run.RunID, err))
		}
		if v.RunID != run.RunID || v.IRDigest() != run.IRDigest || v.FindingsDigest() != run.FindingsDigest {
			return fail.New(fail.Integrity, "run %s: the signed record (run %s, IR %s, findings %s) disagrees with the stored run",
				run.RunID, v.RunID, v.IRDigest(), v.FindingsDigest())
		}
		rep.Attestations++
	}
	return nil
}

// ExportPredicateType is the predicate type of a signed audit export.
const ExportPredicateType = "https://stella.dev/attestations/audit.export@1"

// ExportRange is the stretch of the chain an export covers.
type ExportRange struct {
	Since  string `json:"since,omitempty"` // events at or after this time ("" = from the start)
	From   int64  `json:"fromSeq"`
	To     int64  `json:"toSeq"`
	Anchor string `json:"anchor"` // previousHash of the first event (the hash it chains from)
	Head   string `json:"head"`   // eventHash of the last event
}

// AuditExport is the predicate of a signed audit export: the events of a
// stretch of the chain and every statement they record.
type AuditExport struct {
	Tenant     string            `json:"tenant"`
	ExportedAt string            `json:"exportedAt"`
	Exporter   ActorRef          `json:"exporter"`
	Range      ExportRange       `json:"range"`
	Events     []store.Event     `json:"events"`
	Statements []ExportStatement `json:"statements"`
	Retention  string            `json:"retention"` // the default window (docs/store.md "Maintenance")
}

// ExportStatement is a signed statement in an export, with where it was
// filed. The envelope is kept as a string so that canonicalizing the export
// leaves its bytes, and so its digest, unchanged.
type ExportStatement struct {
	Seq       int64  `json:"seq"`
	Subject   string `json:"subject"`
	Envelope  string `json:"envelope"`
	PublicKey string `json:"publicKey"`
}

// AuditExportRequest is what `audit export` asks for: the events at or
// after Since, an RFC 3339 time, a date, an age, "all", or "" for the
// retention window of run history (AuditSince).
type AuditExportRequest struct{ Since string }

// Export is ExportAudit of the events the request names.
func (q AuditExportRequest) Export(ctx context.Context, r *Registry, a *Actor) (*Signed, *ExportRange, error) {
	since, err := AuditSince(q.Since, r.Store.Now(), DefaultAuditRetention)
	if err != nil {
		return nil, nil, err
	}
	return r.ExportAudit(ctx, a, since)
}

// ExportAudit builds and signs an export of the events at or after since
// ("" = all) for auditors, and records an audit.exported event (itself a
// signed statement) after the exported stretch. The result is a Signed
// document: the DSSE envelope and the exporter's public key.
func (r *Registry) ExportAudit(ctx context.Context, a *Actor, since string) (*Signed, *ExportRange, error) {
	if err := a.require(ActionAuditExported); err != nil {
		return nil, nil, err
	}
	var out *Signed
	var rng ExportRange
	err := r.Store.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.VerifyChain(ctx); err != nil {
			return err // never sign a broken chain
		}
		events, err := tx.Events(ctx, store.EventFilter{Since: since})
		if err != nil {
			return err
		}
		if len(events) == 0 {
			return fail.New(fail.NotFound, "no audit events since %s to export", since)
		}
		stmts, err := tx.Statements(ctx, store.StatementFilter{})
		if err != nil {
			return err
		}
		bySeq := map[int64][]store.Statement{}
		for _, s := range stmts {
			bySeq[s.Seq] = append(bySeq[s.Seq], s)
		}
		ex := AuditExport{Tenant: tx.Tenant(), ExportedAt: timeText(r.Store.Now()), Exporter: a.Ref(), Events: events,
			Statements: []ExportStatement{}, Retention: text.Age(DefaultAuditRetention)}
		for _, e := range events {
			for _, s := range bySeq[e.Seq] {
				ex.Statements = append(ex.Statements, ExportStatement{Seq: s.Seq, Subject: s.Subject, Envelope: string(s.Envelope), PublicKey: s.PublicPEM})
			}
		}
		rng = ExportRange{Since: since, From: events[0].Seq, To: events[len(events)-1].Seq, Anchor: events[0].PreviousHash,
			Head: events[len(events)-1].EventHash}
		ex.Range = rng
		payload, err := attest.NewStatement(ExportPredicateType, []attest.Subject{attest.SubjectOf("audit:"+ex.Tenant, rng.Head)}, ex)
		if err != nil {
			return err
		}
		env, err := attest.Sign(ctx, attest.PayloadType, payload, a.Key)
		if err != nil {
			return err
		}
		b, err := attest.MarshalEnvelope(env)
		if err != nil {
			return err
		}
		pub, err := a.Key.PublicPEM()
		if err != nil {
			return err
		}
		out = &Signed{Envelope: trimNL(b), PublicKey: string(pub)}
		p := r.predicate(a, ActionAuditExported)
		p.Export = &rng
		_, _, err = r.record(ctx, tx, a, p, rng.Head, map[string]any{"fromSeq": rng.From, "toSeq": rng.To, "head": rng.Head,
			"export": canon.Digest(out.Envelope)})
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return out, &rng, nil
}

// ExportReport is the outcome of VerifyExport.
type ExportReport struct {
	Tenant     string      `json:"tenant"`
	Exporter   ActorRef    `json:"exporter"`
	ExportedAt string      `json:"exportedAt"`
	Range      ExportRange `json:"range"`
	Events     int         `json:"events"`
	Statements int         `json:"statements"`
	Trusted    bool        `json:"trusted"` // the exporter's key is in the trust config with policy:audit
}

// VerifyExportFile reads an audit export file and checks it (VerifyExport).
func VerifyExportFile(ctx context.Context, path string, trust *Trust) (*ExportReport, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fail.New(fail.NotFound, "audit export %s does not exist", path)
		}
		return nil, fail.New(fail.Invalid, "audit export %s: %v", path, unwrapPathErr(err))
	}
	return VerifyExport(ctx, path, b, trust)
}

// VerifyExport checks an audit export offline: the exporter's signature,
// the chain of the exported events from the anchor to the head, and every
// statement they record. With trust, the exporter must be a trusted key
// holding policy:audit. Failures are fail.Integrity naming the event.
func VerifyExport(ctx context.Context, name string, b []byte, trust *Trust) (*ExportReport, error) {
	var doc Signed
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Envelope) == 0 {
		return nil, fail.New(fail.Integrity, "%s: not a stella audit export (want {\"envelope\": …, \"publicKey\": …})", name)
	}
	key, err := attest.ParsePEM(name+": publicKey", []byte(doc.PublicKey))
	if err != nil {
		return nil, fail.Wrap(fail.Integrity, err)
	}
	env, err := attest.ParseEnvelope(name, doc.Envelope)
	if err != nil {
		return nil, err
	}
	payload, _, err := attest.Verify(ctx, env, []*attest.Key{key})
	if err != nil {
		return nil, fail.Wrap(fail.Integrity, fmt.Errorf("%s: %w", name, err))
	}
	stmt, err := attest.ParseStatement(payload, ExportPredicateType)
	if err != nil {
		return nil, fail.Wrap(fail.Integrity, fmt.Errorf("%s: %w", name, err))
	}
	var ex AuditExport
	if err := json.Unmarshal(stmt.Predicate, &ex); err != nil {
		return nil, fail.New(fail.Integrity, "%s: export predicate does not decode: %v", name, err)
	}
	rep := &ExportReport{Tenant: ex.Tenant, Exporter: ex.Exporter, ExportedAt: ex.ExportedAt, Range: ex.Range, Events: len(ex.Events)}
	if ex.Exporter.KeyID != key.ID {
		return nil, fail.New(fail.Integrity, "%s: exporter key %s did not sign it (%s did)", name, ex.Exporter.KeyID, key.ID)
	}
	if trust != nil {
		e, ok := trust.Lookup(key.ID)
		if !ok || !e.Has(ScopePolicyAudit) {
			return nil, fail.New(fail.Integrity, "%s: signed by %s, which the trust config does not trust with %s", name, key.ID, ScopePolicyAudit)
		}
		rep.Trusted = true
	}
	if len(ex.Events) == 0 || len(stmt.Subject) != 1 || stmt.Subject[0].Digest256() != ex.Range.Head {
		return nil, fail.New(fail.Integrity, "%s: the export's subject is not its head hash", name)
	}
	stmts := map[string]*store.Statement{}
	for i := range ex.Statements {
		s := &ex.Statements[i]
		v, err := Signed{Envelope: []byte(s.Envelope), PublicKey: s.PublicKey}.Verify(ctx)
		if err != nil {
			return nil, fail.New(fail.Integrity, "%s: statement of event %d: %v", name, s.Seq, err)
		}
		stmts[v.Digest] = &store.Statement{Digest: v.Digest, Seq: s.Seq, Action: v.Predicate.Action, Subject: s.Subject,
			KeyID: v.KeyID, Principal: v.Predicate.Actor.Principal, PublicPEM: s.PublicKey, Envelope: []byte(s.Envelope)}
	}
	prev := ex.Range.Anchor
	for i, e := range ex.Events {
		if i > 0 && e.Seq != ex.Events[i-1].Seq+1 {
			return nil, broken(e, "sequence gap after event %d", ex.Events[i-1].Seq)
		}
		if e.PreviousHash != prev {
			return nil, broken(e, "previous_hash does not match the hash of the event before it")
		}
		h, err := store.EventHash(ex.Tenant, e)
		if err != nil || h != e.EventHash {
			return nil, broken(e, "event_hash does not match the event's content (the event was edited)")
		}
		prev = e.EventHash
		var refs eventRefs
		if err := json.Unmarshal(e.Payload, &refs); err != nil || refs.Statement == "" {
			continue
		}
		if err := checkStatement(ctx, e, refs, stmts[refs.Statement]); err != nil {
			return nil, err
		}
		rep.Statements++
	}
	if prev != ex.Range.Head || ex.Events[0].Seq != ex.Range.From || ex.Events[len(ex.Events)-1].Seq != ex.Range.To {
		return nil, fail.New(fail.Integrity, "%s: the events do not span the declared range %d–%d ending in %s", name, ex.Range.From, ex.Range.To, ex.Range.Head)
	}
	return rep, nil
}

// AuditSince turns --since into an event time bound: "" gives the default
// retention window before now, "all" everything, an age ("30d") that long
// before now, else an RFC 3339 time or a date.
func AuditSince(s string, now time.Time, retention time.Duration) (string, error) {
	switch s {
	case "":
		return timeText(now.Add(-retention)), nil
	case "all":
		return "", nil
	}
	if d, err := text.ParseAge(s); err == nil {
		return timeText(now.Add(-d)), nil
	}
	t, err := parseWhen("--since", s)
	if err != nil {
		return "", errWhenOrAge("--since", s)
	}
	return timeText(t), nil
}
