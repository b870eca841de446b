package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/store"
)

// ImportOptions are the importing site's decisions.
type ImportOptions struct {
	Verify VerifyOptions
	// Force imports a bundle whose sequence is not greater than the last
	// one imported for its stream; Reason (required with Force) goes into
	// the audit log.
	Force     bool
	Reason    string
	Approvals Approvals
	Actor     string // for the audit log (default "cli")
	// Tenant, when set, is the tenant the store will be opened for:
	// ImportFile and PrepareRun refuse a bundle for another tenant before
	// they open (and maybe create) the database.
	Tenant string
	// Check, when set, is called by PrepareRun with the verified bundle and
	// the target it selected, before anything is imported: an error refuses
	// the run with nothing written (the caller's rules on what the bundle
	// holds, e.g. its snapshot read with Bundle.Snapshot).
	Check func(b *Bundle, t *Target) error
	// DB, when set, is the database file ImportFile's and PrepareRun's open
	// opens. When it does not exist yet they import into a new database
	// beside it, which becomes DB only once the import is accepted: a
	// refused import leaves no database behind (openSite).
	DB string
}

// ImportResult says what an import did.
type ImportResult struct {
	Report *Report `json:"verification"`
	// Imported is false when this very bundle (same bundle id) had already
	// been imported: nothing was changed.
	Imported bool `json:"imported"`
	// Checkpoint is the producer's signed audit head the bundle carried.
	Checkpoint       *store.Checkpoint `json:"checkpoint,omitempty"`
	Forced           bool              `json:"forced"`
	Reason           string            `json:"reason,omitempty"`
	PreviousSequence int64             `json:"previousSequence"` // the last sequence of the stream before; 0 for none
	Policies         []string          `json:"policiesAdded"`    // P-n@v newly stored
	Snapshots        []string          `json:"snapshotsAdded"`
	Runs             []string          `json:"runsAdded"`
	Keys             []string          `json:"keysAdded"` // key ids newly registered
	AuditSeq         int64             `json:"auditSeq"`  // the bundle.imported event
}

// importedEvent is the payload of bundle.imported.
type importedEvent struct {
	BundleID         string   `json:"bundleId"`
	Stream           string   `json:"stream"`
	Sequence         int64    `json:"sequence"`
	PreviousSequence int64    `json:"previousSequence"`
	FileDigest       string   `json:"fileDigest"`
	Manifest         string   `json:"manifest"`  // sha256 of manifest.json
	Signature        string   `json:"signature"` // sha256 of manifest.dsse.json
	Signers          []string `json:"signers"`
	TimeAnchor       string   `json:"timeAnchor"`
	TimeAnchorSource string   `json:"timeAnchorSource"`
	SignedAnchor     string   `json:"signedTimeAnchor"` // the manifest's timeAnchor
	ValidUntil       string   `json:"validUntil"`
	// Checkpoint is the producer's signed audit head the bundle carried.
	Checkpoint *store.Checkpoint `json:"checkpoint,omitempty"`
	Forced     bool              `json:"forced"`
	Reason     string            `json:"reason,omitempty"`
	Policies   []string          `json:"policies"`
	Snapshots  []string          `json:"snapshots"`
	Runs       []string          `json:"runs"`
}

// Import verifies b (unless it was verified already) and stores its
// contents in one transaction: the trust roots as known keys, the policy
// versions under their own ids and versions (with their governance
// evidence re-verified and recorded by o.Approvals), the snapshots and the
// run evidence, and a bundle.imported audit event naming the bundle, its
// file, manifest and signature digests and what it held. A bundle whose sequence is not greater than the last one
// imported for its stream is refused (fail.Integrity) unless o.Force;
// importing the same bundle again changes nothing and reports
// Imported=false. Any failure leaves the store unchanged.
func Import(ctx context.Context, st *store.Store, b *Bundle, o ImportOptions) (*ImportResult, error) {
	if o.Force && strings.TrimSpace(o.Reason) == "" {
		return nil, fail.New(fail.Invalid, "--force needs --reason TEXT (it is recorded in the audit log)")
	}
	rep := b.report
	if !b.verified {
		var err error
		if rep, err = b.Verify(ctx, o.Verify); err != nil {
			return nil, err
		}
	}
	m := b.Manifest
	if err := checkTenant(m, st.Tenant()); err != nil {
		return nil, err
	}
	if o.Actor == "" {
		o.Actor = "cli"
	}
	if err := b.checkSnapshots(ctx, st); err != nil {
		return nil, err
	}
	var res *ImportResult
	err := st.Update(ctx, func(tx *store.Tx) error {
		res = &ImportResult{Report: rep, Policies: []string{}, Snapshots: []string{}, Runs: []string{}, Keys: []string{}}
		if err := checkAnchorBehind(ctx, tx, b.Name, rep); err != nil {
			return err
		}
		prev, already, err := lastImported(ctx, tx, m)
		if err != nil {
			return err
		}
		res.PreviousSequence = prev.Sequence
		if already {
			return nil
		}
		if prev.Sequence > 0 && m.Sequence <= prev.Sequence {
			if !o.Force {
				return fail.New(fail.Integrity, "bundle %s: sequence %d of stream %q is not greater than %d, the last one imported (bundle %s): a replayed or older bundle; import it anyway with --force --reason TEXT",
					b.Name, m.Sequence, m.Stream, prev.Sequence, prev.BundleID)
			}
			res.Forced, res.Reason = true, o.Reason
		}
		if err := b.store(ctx, tx, o, res); err != nil {
			return err
		}
		e, err := tx.Append(ctx, "bundle.imported", o.Actor, streamSubject(m.Stream), importedEvent{
			BundleID: m.BundleID, Stream: m.Stream, Sequence: m.Sequence, PreviousSequence: prev.Sequence,
			FileDigest: b.Digest, Manifest: canon.Digest(b.bytes(ManifestPath)), Signature: canon.Digest(b.bytes(SignaturePath)), Signers: rep.Signers,
			TimeAnchor: rep.TimeAnchor, TimeAnchorSource: rep.AnchorFrom, SignedAnchor: m.TimeAnchor, ValidUntil: m.ValidUntil, Checkpoint: rep.Checkpoint, Forced: res.Forced, Reason: res.Reason,
			Policies: refs(m), Snapshots: snapshotIDs(m), Runs: runIDs(m),
		})
		if err != nil {
			return err
		}
		res.Imported, res.AuditSeq = true, e.Seq
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// checkTenant refuses a bundle made for another tenant: its contents and
// audit trail belong to that tenant.
func checkTenant(m *Manifest, tenant string) error {
	if m.Tenant != tenant {
		return fail.New(fail.Invalid, "the bundle is for tenant %q, not %q; import it with --tenant %s", m.Tenant, tenant, m.Tenant)
	}
	return nil
}

// lastImported returns the bundle.imported event of another bundle of the
// stream with the highest sequence, and whether this very bundle was
// already imported.
func lastImported(ctx context.Context, tx *store.Tx, m *Manifest) (last importedEvent, already bool, err error) {
	events, err := tx.Events(ctx, store.EventFilter{Type: "bundle.imported", Subject: streamSubject(m.Stream)})
	if err != nil {
		return last, false, err
	}
	for _, e := range events {
		var p importedEvent
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return last, false, fail.New(fail.Integrity, "audit event %d: %v", e.Seq, err)
		}
		if p.BundleID == m.BundleID {
			already = true
			continue
		}
		if p.Sequence > last.Sequence {
			last = p
		}
	}
	return last, already, nil
}

// store writes the bundle's contents inside tx.
func (b *Bundle) store(ctx context.Context, tx *store.Tx, o ImportOptions, res *ImportResult) error {
	m := b.Manifest
	for _, t := range m.TrustRoots {
		added, err := registerKey(ctx, tx, t, b.bytes(t.Path))
		if err != nil {
			return err
		}
		if added {
			res.Keys = append(res.Keys, t.KeyID)
		}
	}
	for _, p := range m.Policies {
		pv := store.PolicyVersion{PolicyID: p.PolicyID, Version: p.Version, Name: p.Name, IRDigest: p.IRDigest,
			SourceDigest: p.SourceDigest, SourceMapDigest: p.SourceMapDigest, Author: p.Author, CreatedAt: p.CreatedAt}
		var sm []byte
		if p.SourceMapDigest != "" {
			sm = b.bytes(p.Dir + "sourcemap.json")
		}
		created, err := tx.PutPolicyVersion(ctx, pv, b.bytes(p.Dir+"ir.json"), b.bytes(p.Dir+"policy.stella"), sm)
		if err != nil {
			return err
		}
		if created {
			res.Policies = append(res.Policies, p.Ref())
		}
		if len(p.Approvals) == 0 {
			continue
		}
		envs := make([][]byte, len(p.Approvals))
		for i, a := range p.Approvals {
			envs[i] = b.bytes(a.Path)
		}
		if o.Approvals != nil {
			if err := o.Approvals.Accept(ctx, tx, pv, envs); err != nil {
				return fail.Wrap(fail.KindOf(err), fmt.Errorf("policy %s: approval: %w", p.Ref(), err))
			}
		}
	}
	for _, s := range m.Snapshots {
		media := snapshotMediaTypes(b.bytes(s.Dir + snapshot.ManifestFile)) // Verify checked every file against it
		var files []store.File
		for _, p := range b.under(s.Dir) {
			rel := strings.TrimPrefix(p, s.Dir)
			files = append(files, store.File{Path: rel, MediaType: media[rel], Data: b.bytes(p)})
		}
		created, err := tx.PutSnapshot(ctx, s.ID, "bundle "+m.BundleID, s.Summary, files)
		if err != nil {
			return err
		}
		if created {
			res.Snapshots = append(res.Snapshots, s.ID)
		}
	}
	for _, r := range m.Runs {
		req, err := b.runRequest(r, o.Actor)
		if err != nil {
			return fail.Wrap(fail.Integrity, fmt.Errorf("run %s: %w", r.RunID, err))
		}
		created, err := tx.ImportRun(ctx, req, o.Actor)
		if err != nil {
			return err
		}
		if created {
			res.Runs = append(res.Runs, r.RunID)
		}
	}
	return nil
}

// checkSnapshots verifies every record of each carried snapshot this site
// does not hold yet, before the import writes anything (docs/bundle.md
// "stella bundle import"): Verify checked each file against the snapshot's
// manifest, and snapshot.Index.Verify checks that every advisory record
// decodes to the advisory its index entry names and that the index covers
// the records exactly — what `snapshot import` checks. A snapshot already
// stored here is byte-for-byte the one checked when it arrived. Failures
// are fail.Integrity and leave the store unchanged.
func (b *Bundle) checkSnapshots(ctx context.Context, st *store.Store) error {
	var fresh []Snapshot
	err := st.View(ctx, func(tx *store.Tx) error {
		for _, s := range b.Manifest.Snapshots {
			_, err := tx.Snapshot(ctx, s.ID)
			switch {
			case fail.Is(err, fail.NotFound):
				fresh = append(fresh, s)
			case err != nil:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, s := range fresh {
		fsys := snapshot.MemFS{}
		for _, p := range b.under(s.Dir) {
			fsys[strings.TrimPrefix(p, s.Dir)] = b.bytes(p)
		}
		sn, err := snapshot.Open(fsys)
		if err == nil {
			err = sn.Index.Verify()
		}
		if err != nil {
			return fail.Wrap(fail.Integrity, fmt.Errorf("bundle %s: snapshot %s: %w", b.Name, s.ID, err))
		}
	}
	return nil
}

// registerKey makes a carried trust root a known key of the store (never a
// trusted one: trust comes from the site's own configuration) under
// carriedName. A key already known by id is left alone; a name already
// taken by another key gets the key id's first hex digits appended.
func registerKey(ctx context.Context, tx *store.Tx, t TrustRoot, pem []byte) (bool, error) {
	if _, err := tx.Key(ctx, t.KeyID); err == nil {
		return false, nil
	} else if !fail.Is(err, fail.NotFound) {
		return false, err
	}
	name := carriedName(t)
	if _, err := tx.Key(ctx, name); err == nil {
		name += "-" + canon.Short(t.KeyID, 12)
	}
	return tx.PutKey(ctx, store.Key{KeyID: t.KeyID, Name: name, Type: t.Type, PublicPEM: string(pem)})
}

// carriedPrefix starts the name of every key a bundle brought in. The names
// a site gives its own keys (key generate, trust principals) never hold a
// ':', so a name the site trusts by — --trust-root, --key,
// bundle.trust_roots — never resolves to a key named by a producer; store
// migration 0009 renamed the keys earlier imports registered under the
// producer's name (docs/bundle.md "The importing site's trust only").
const carriedPrefix = "bundle:"

// carriedName is the name a carried trust root is known by: carriedPrefix
// and the producer's name, or "key-" and the key id's first hex digits
// when that name is not 1-64 letters, digits, '.', '_', '-' or '@'. A name
// the producer itself had from a bundle keeps one prefix.
func carriedName(t TrustRoot) string {
	name := strings.TrimPrefix(t.Name, carriedPrefix)
	ok := name != "" && len(name) <= 64
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-@", c)) {
			ok = false
		}
	}
	if !ok {
		name = "key-" + canon.Short(t.KeyID, 12)
	}
	return carriedPrefix + name
}

// runRequest rebuilds what ImportRun stores from a run's evidence files.
func (b *Bundle) runRequest(r Run, actor string) (store.RecordRequest, error) {
	var req store.RecordRequest
	var rec store.RunRecord
	if err := strictJSON(b.bytes(r.Dir+"record.json"), &rec); err != nil {
		return req, fmt.Errorf("record.json: %w", err)
	}
	var row store.Run
	if err := json.Unmarshal(b.bytes(r.Dir+"run.json"), &row); err != nil {
		return req, fmt.Errorf("run.json: %w", err)
	}
	var res engine.Result
	if err := json.Unmarshal(b.bytes(r.Dir+"result.json"), &res); err != nil {
		return req, fmt.Errorf("result.json: %w", err)
	}
	ir, ok := b.File(r.Dir + "ir.json")
	if !ok {
		return req, errors.New("ir.json is missing")
	}
	if rec.RunID != r.RunID || rec.Outputs.Findings != r.FindingsDigest || row.RunID != r.RunID || rec.Inputs.SnapshotID != r.SnapshotID {
		return req, errors.New("the record does not match the manifest's run entry")
	}
	started, err1 := time.Parse(time.RFC3339, row.StartedAt)
	completed, err2 := time.Parse(time.RFC3339, row.CompletedAt)
	if err := errors.Join(err1, err2); err != nil {
		return req, fmt.Errorf("run.json: %w", err)
	}
	req = store.RecordRequest{
		Meta: store.RunMeta{
			Mode: rec.Mode, PolicyID: rec.Policy.PolicyID, PolicyVersion: rec.Policy.Version, IR: ir,
			SourceMap: b.bytes(r.Dir + "sourcemap.json"), SnapshotID: rec.Inputs.SnapshotID, Shadow: rec.Shadow,
			Env: rec.Inputs.Env, EvaluationTime: rec.Inputs.EvaluationTime, StartedAt: started, CompletedAt: completed, Actor: actor,
		},
		Record:      &rec,
		Result:      &res,
		Attestation: b.bytes(r.Dir + "attestation.dsse.json"),
	}
	return req, nil
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// checkAnchorBehind refuses (fail.Integrity) a bundle checked at a time —
// the clock or --time-anchor — more than attest.MaxClockSkew behind the latest
// signed time anchor imported here: this site already holds proof that
// that time has passed, so staleness checked then would let an expired
// bundle in (docs/bundle.md "Time anchors").
func checkAnchorBehind(ctx context.Context, tx *store.Tx, name string, rep *Report) error {
	at := rep.checkedAt
	streams, err := Streams(ctx, tx)
	if err != nil {
		return err
	}
	s, latest, ok := LatestAnchor(streams)
	if !ok || latest.Sub(at) <= attest.MaxClockSkew {
		return nil
	}
	return fail.New(fail.Integrity, "bundle %s: checked at %s (%s), which is behind the signed time anchor %s of bundle stream %q imported here: that time has passed, so staleness checked then proves nothing; fix the clock or give the true time as --time-anchor",
		name, rep.TimeAnchor, rep.AnchorFrom, s.TimeAnchor, s.Stream)
}

// openSite opens the database an import writes to: open's, unless o.DB
// names a database that does not exist yet. Then it creates a new database
// beside o.DB, and done (called with the import's error, after which st is
// closed) moves it into place only when that error is nil and removes it
// otherwise, so that a refused import on a fresh site leaves no database
// (docs/bundle.md "stella bundle import": no partial writes). Should another
// process create o.DB meanwhile, done returns errCreated and the import is
// to be done again in that database.
func openSite(ctx context.Context, open func() (*store.Store, error), o ImportOptions) (st *store.Store, done func(error) error, err error) {
	if _, serr := os.Stat(o.DB); o.DB == "" || serr == nil || !errors.Is(serr, os.ErrNotExist) {
		if st, err = open(); err != nil {
			return nil, nil, err
		}
		return st, func(err error) error {
			if cerr := st.Close(); err == nil {
				err = cerr
			}
			return err
		}, nil
	}
	if err := os.MkdirAll(filepath.Dir(o.DB), 0o755); err != nil {
		return nil, nil, fail.New(fail.Internal, "database %s: cannot create its directory: %v", o.DB, err)
	}
	f, err := os.CreateTemp(filepath.Dir(o.DB), "."+filepath.Base(o.DB)+".import-*")
	if err != nil {
		return nil, nil, fail.New(fail.Internal, "database %s: %v", o.DB, err)
	}
	tmp := f.Name()
	f.Close()
	remove := func() {
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(tmp + suffix)
		}
	}
	if st, err = store.Open(ctx, tmp, o.Tenant, store.Options{}); err != nil {
		remove()
		return nil, nil, err
	}
	// The audit head anchor beside the database (docs/store.md "Audit
	// log"): one left by a database that is gone is what the new one is
	// checked against, as it would be in place.
	anchor := st.AnchorPath()
	final := o.DB + strings.TrimPrefix(anchor, tmp)
	if b, err := os.ReadFile(final); err == nil {
		err = os.WriteFile(anchor, b, 0o644)
		if err != nil {
			st.Close()
			remove()
			os.Remove(anchor)
			return nil, nil, fail.New(fail.Internal, "database %s: %v", o.DB, err)
		}
	}
	return st, func(err error) error {
		// Closing the last connection checkpoints the WAL into tmp.
		if cerr := st.Close(); err == nil && cerr != nil {
			err = fail.New(fail.Internal, "database %s: %v", o.DB, cerr)
		}
		if err == nil {
			// A link never replaces a database another process created;
			// its anchor follows (a database without one verifies as
			// before).
			if lerr := os.Link(tmp, o.DB); errors.Is(lerr, os.ErrExist) {
				err = errCreated
			} else if lerr != nil {
				err = fail.New(fail.Internal, "database %s: %v", o.DB, lerr)
			} else if aerr := os.Rename(anchor, final); aerr != nil && !errors.Is(aerr, os.ErrNotExist) {
				err = fail.New(fail.Internal, "database %s: audit head anchor: %v", o.DB, aerr)
			}
		}
		remove()
		os.Remove(anchor)
		return err
	}, nil
}

// errCreated says the database an import was to create appeared meanwhile.
var errCreated = errors.New("the database was created meanwhile")
