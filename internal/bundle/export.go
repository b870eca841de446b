package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/buildinfo"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/store"
)

// Approvals connects bundles to governance: the signed approvals of a
// policy version travel with it, and the importing site re-verifies them
// against its own trust configuration. internal/governance implements it;
// with a nil Approvals no approvals are carried or accepted.
type Approvals interface {
	// Envelopes returns the DSSE envelopes approving pv, in a stable order.
	Envelopes(ctx context.Context, tx *store.Tx, pv store.PolicyVersion) ([][]byte, error)
	// Accept re-verifies the approval envelopes of pv at the importing site
	// and records them. An approval that does not verify against the site's
	// trust configuration fails the whole import.
	Accept(ctx context.Context, tx *store.Tx, pv store.PolicyVersion, envelopes [][]byte) error
}

// Roles of the keys a bundle carries as trust roots, besides those the
// producing site's trust configuration grants (ExportOptions.Roles).
const (
	RoleBundleSigner = "bundle:sign"
	RoleRunSigner    = "run:sign"
	RoleGovernance   = "governance:sign" // signed a governance statement the bundle carries
)

// ExportOptions select the contents of a bundle and how it is sealed.
type ExportOptions struct {
	Policies  []string // P-n (latest version) or P-n@v
	Snapshots []string // ids or unique prefixes of stored snapshots
	Runs      []string // succeeded runs (id, unique prefix or "latest"); their policy version and snapshot come along
	Key       *attest.Key
	// Stream names the bundle series (default: the tenant). Sequence is the
	// bundle's number in it; 0 takes the sequence an earlier export of the
	// same content got, else one more than the last export of the stream.
	Stream   string
	Sequence int64
	// CreatedAt defaults to the newest time found in the contents (policy
	// version createdAt, snapshot importedAt, run completedAt): never the
	// clock. ValidUntil defaults to CreatedAt + ValidFor (default 30 days).
	CreatedAt  time.Time
	ValidUntil time.Time
	// TimeAnchor is the exporter's clock, signed into the manifest; the
	// caller reads the clock (the CLI: now, or --time-anchor). Zero takes
	// createdAt. It is part of the content: the same content with another
	// anchor is another bundle with its own sequence number.
	TimeAnchor  time.Time
	ValidFor    time.Duration
	Compression string // Zstd (default) or Gzip
	Approvals   Approvals
	// Roles returns the roles the producing site's trust configuration
	// grants a key, recorded with the trust roots; nil records only the
	// roles the key plays in the bundle.
	Roles func(keyID string) []string
	Actor string // for the audit log (default "cli")
}

// DefaultValidFor is the validity of a bundle when none is given.
const DefaultValidFor = 30 * 24 * time.Hour

// Exported is a written bundle.
type Exported struct {
	Manifest *Manifest
	Data     []byte // the compressed archive
	// Reused reports that an earlier export of the same content already had
	// this sequence number, so the bytes are those of that export.
	Reused bool
}

// Export builds, signs and returns a bundle of the selected contents of st
// and records a bundle.exported audit event, all in one transaction.
// Exporting the same content with the same options again gives the same
// bytes (with an ed25519 key; ECDSA signatures are randomized, so with an
// ECDSA P-256 key only manifest.dsse.json differs).
func Export(ctx context.Context, st *store.Store, o ExportOptions) (*Exported, error) {
	if o.Key == nil || !o.Key.CanSign() {
		return nil, fail.New(fail.Invalid, "bundle export needs a private signing key (--sign-key)")
	}
	if len(o.Policies)+len(o.Snapshots)+len(o.Runs) == 0 {
		return nil, fail.New(fail.Invalid, "nothing to export: give --policy, --snapshot or --runs")
	}
	if o.Stream == "" {
		o.Stream = st.Tenant()
	}
	if err := validStream(o.Stream); err != nil {
		return nil, err
	}
	if o.Sequence < 0 {
		return nil, fail.New(fail.Invalid, "--sequence %d: want a positive number", o.Sequence)
	}
	if o.ValidFor == 0 {
		o.ValidFor = DefaultValidFor
	}
	if o.ValidFor < 0 {
		return nil, fail.New(fail.Invalid, "--valid-for must be positive")
	}
	if o.Actor == "" {
		o.Actor = "cli"
	}
	var out *Exported
	err := st.Update(ctx, func(tx *store.Tx) error {
		c := &collector{tx: tx, o: &o, files: map[string]file{}, keys: map[string]*TrustRoot{}, media: map[string]string{}}
		if err := c.collect(ctx); err != nil {
			return err
		}
		m, err := c.manifest(ctx)
		if err != nil {
			return err
		}
		raw, err := encodeManifest(*m)
		if err != nil {
			return err
		}
		env, err := attest.Sign(ctx, PayloadType, raw, o.Key)
		if err != nil {
			return err
		}
		sig, err := attest.MarshalEnvelope(env)
		if err != nil {
			return err
		}
		files := append(c.list(), file{ManifestPath, raw}, file{SignaturePath, sig})
		var buf bytes.Buffer
		if err := writeArchive(&buf, o.Compression, files); err != nil {
			return err
		}
		out = &Exported{Manifest: m, Data: buf.Bytes(), Reused: c.reused}
		if c.reused {
			return nil
		}
		_, err = tx.Append(ctx, "bundle.exported", o.Actor, streamSubject(o.Stream), exportedEvent{
			BundleID: m.BundleID, ContentID: c.contentID, Stream: m.Stream, Sequence: m.Sequence,
			Signer: o.Key.ID, Checkpoint: c.checkpoint, Policies: refs(m), Snapshots: snapshotIDs(m), Runs: runIDs(m),
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// exportedEvent is the payload of bundle.exported. ContentID identifies
// the content without the sequence, to give a re-export the same number.
type exportedEvent struct {
	BundleID  string `json:"bundleId"`
	ContentID string `json:"contentId"`
	Stream    string `json:"stream"`
	Sequence  int64  `json:"sequence"`
	Signer    string `json:"signer"`
	// Checkpoint is the audit head the bundle carries (absent before
	// bundles carried one).
	Checkpoint *store.Checkpoint `json:"checkpoint,omitempty"`
	Policies   []string          `json:"policies"`
	Snapshots  []string          `json:"snapshots"`
	Runs       []string          `json:"runs"`
}

func streamSubject(stream string) string { return "bundle-stream:" + stream }

// collector gathers the files and manifest lists of an export.
type collector struct {
	tx        *store.Tx
	o         *ExportOptions
	files     map[string]file
	policies  []Policy
	snapshots []Snapshot
	runs      []Run
	keys      map[string]*TrustRoot
	media     map[string]string // entry media types known from a snapshot manifest
	newest    time.Time
	contentID string
	reused    bool
	// checkpoint is the audit head the bundle carries: the one recorded by
	// the export whose content is reused, else the head now.
	checkpoint *store.Checkpoint
}

func (c *collector) add(p string, data []byte) {
	c.files[p] = file{path: p, data: data}
}

func (c *collector) list() []file {
	out := make([]file, 0, len(c.files))
	for _, f := range c.files {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// seen raises the newest time found in the contents.
func (c *collector) seen(ts string) {
	if t, err := time.Parse(time.RFC3339, ts); err == nil && t.After(c.newest) {
		c.newest = t.UTC()
	}
}

func (c *collector) collect(ctx context.Context) error {
	tx := c.tx
	if err := c.addKey(ctx, c.o.Key.ID, RoleBundleSigner, c.o.Key); err != nil {
		return err
	}
	for _, ref := range c.o.Runs {
		r, err := tx.RunRef(ctx, ref)
		if err != nil {
			return err
		}
		if err := c.addRun(ctx, r); err != nil {
			return err
		}
	}
	for _, ref := range c.o.Policies {
		sel, ok, err := store.ParsePolicySel(ref)
		if err != nil {
			return err
		}
		if !ok {
			return fail.New(fail.Invalid, "--policy %q: want a registered policy P-n (its active version), P-n@v, P-n@active or P-n@latest", ref)
		}
		pv, err := tx.SelectVersion(ctx, sel, store.PickActive)
		if err != nil {
			return err
		}
		if err := c.addPolicy(ctx, pv); err != nil {
			return err
		}
	}
	for _, ref := range c.o.Snapshots {
		id, err := tx.ResolveSnapshot(ctx, ref)
		if err != nil {
			return err
		}
		if err := c.addSnapshot(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

func (c *collector) addPolicy(ctx context.Context, pv store.PolicyVersion) error {
	dir := PolicyDir(pv.PolicyID, pv.Version)
	if _, ok := c.files[dir+"ir.json"]; ok {
		return nil
	}
	p := Policy{PolicyID: pv.PolicyID, Version: pv.Version, Name: pv.Name, IRDigest: pv.IRDigest, SourceDigest: pv.SourceDigest,
		SourceMapDigest: pv.SourceMapDigest, Author: pv.Author, CreatedAt: pv.CreatedAt, Dir: dir, Approvals: []Approval{}}
	for _, f := range []struct{ name, digest string }{{"ir.json", pv.IRDigest}, {"policy.stella", pv.SourceDigest}, {"sourcemap.json", pv.SourceMapDigest}} {
		if f.digest == "" {
			continue
		}
		data, err := c.tx.Blob(ctx, f.digest)
		if err != nil {
			return err
		}
		c.add(dir+f.name, data)
	}
	if c.o.Approvals != nil {
		envs, err := c.o.Approvals.Envelopes(ctx, c.tx, pv)
		if err != nil {
			return err
		}
		for _, e := range envs {
			a := Approval{Path: dir + "approvals/" + canon.Short(canon.Digest(e), 16) + ".dsse.json", KeyIDs: envelopeKeys(e)}
			if _, dup := c.files[a.Path]; dup {
				continue
			}
			c.add(a.Path, e)
			p.Approvals = append(p.Approvals, a)
			for _, k := range a.KeyIDs {
				if err := c.addKey(ctx, k, RoleGovernance, nil); err != nil {
					return err
				}
			}
		}
		sort.Slice(p.Approvals, func(i, j int) bool { return p.Approvals[i].Path < p.Approvals[j].Path })
	}
	c.seen(pv.CreatedAt)
	c.policies = append(c.policies, p)
	return nil
}

func (c *collector) addSnapshot(ctx context.Context, id string) error {
	if !canon.ValidDigest(id) {
		return fail.New(fail.Invalid, "snapshot %q: only snapshots with a sha256 id can be bundled", id)
	}
	dir := SnapshotDir(id)
	for _, s := range c.snapshots {
		if s.ID == id {
			return nil
		}
	}
	sn, err := c.tx.Snapshot(ctx, id)
	if err != nil {
		return err
	}
	for _, f := range sn.Files {
		data, err := c.tx.Blob(ctx, f.Digest)
		if err != nil {
			return err
		}
		c.add(dir+f.Path, data)
		if f.Path == snapshot.ManifestFile {
			for p, mt := range snapshotMediaTypes(data) {
				c.media[dir+p] = mt
			}
		}
	}
	summary, err := canon.Transform(orEmptyObject(sn.Summary))
	if err != nil {
		return fail.New(fail.Integrity, "snapshot %s: stored summary: %v", id, err)
	}
	c.seen(sn.ImportedAt)
	c.snapshots = append(c.snapshots, Snapshot{ID: id, Dir: dir, Files: len(sn.Files), Summary: summary})
	return nil
}

func (c *collector) addRun(ctx context.Context, r *store.Run) error {
	if r.Status != store.StatusSucceeded {
		return fail.New(fail.Invalid, "run %s %s; only succeeded runs can be bundled", r.RunID, r.Status)
	}
	var rec struct {
		Set json.RawMessage `json:"set"`
	}
	if json.Unmarshal(r.Record, &rec) == nil && rec.Set != nil {
		return fail.New(fail.Invalid, "run %s evaluated a policy set; a bundle carries runs of one policy version", r.RunID)
	}
	dir := RunDir(r.RunID)
	for _, x := range c.runs {
		if x.RunID == r.RunID {
			return nil
		}
	}
	res, err := c.tx.Result(ctx, r)
	if err != nil {
		return err
	}
	result, err := canon.Marshal(res)
	if err != nil {
		return err
	}
	ir, err := c.tx.RunIR(ctx, r)
	if err != nil {
		return err
	}
	sm, err := c.tx.RunSourceMap(ctx, r)
	if err != nil {
		return err
	}
	row := *r
	row.Record, row.Attestation = nil, nil
	rowJSON, err := canon.Marshal(row)
	if err != nil {
		return err
	}
	c.add(dir+"record.json", r.Record)
	c.add(dir+"run.json", rowJSON)
	c.add(dir+"result.json", result)
	c.add(dir+"ir.json", ir)
	if sm != nil {
		c.add(dir+"sourcemap.json", sm)
	}
	if r.Attestation != nil {
		c.add(dir+"attestation.dsse.json", r.Attestation)
		for _, k := range envelopeKeys(r.Attestation) {
			if err := c.addKey(ctx, k, RoleRunSigner, nil); err != nil {
				return err
			}
		}
	}
	if r.PolicyVersion > 0 {
		pv, err := c.tx.PolicyVersion(ctx, r.PolicyID, r.PolicyVersion)
		if err != nil {
			return err
		}
		if err := c.addPolicy(ctx, pv); err != nil {
			return err
		}
	}
	if r.SnapshotID != "" {
		if err := c.addSnapshot(ctx, r.SnapshotID); err != nil {
			return err
		}
	}
	c.seen(r.CompletedAt)
	c.runs = append(c.runs, Run{RunID: r.RunID, PolicyID: r.PolicyID, PolicyVersion: r.PolicyVersion, SnapshotID: r.SnapshotID,
		FindingsDigest: r.FindingsDigest, Dir: dir})
	return nil
}

// addKey adds a trust root with role. k is the key when the caller has it;
// otherwise it is looked up among the keys registered in the store, and a
// key the store does not know is left out (the importing site needs it
// from elsewhere to verify that signature).
func (c *collector) addKey(ctx context.Context, id, role string, k *attest.Key) error {
	if t, ok := c.keys[id]; ok {
		t.Roles = addRole(t.Roles, role)
		return nil
	}
	name := ""
	if k == nil {
		rec, err := c.tx.Key(ctx, id)
		if fail.Is(err, fail.NotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if k, err = rec.Public(); err != nil {
			return err
		}
		if k.ID != id {
			return fail.New(fail.Integrity, "key %s: the key registered under that id is %s", id, k.ID)
		}
		name = rec.Name
	} else if rec, err := c.tx.Key(ctx, id); err == nil {
		name = rec.Name
	}
	if name == "" {
		name = "key-" + canon.Short(id, 12)
	}
	pem, err := k.PublicPEM()
	if err != nil {
		return err
	}
	t := &TrustRoot{KeyID: id, Name: name, Type: k.Type, Roles: []string{role}, Path: TrustPath(id)}
	if c.o.Roles != nil {
		for _, r := range c.o.Roles(id) {
			t.Roles = addRole(t.Roles, r)
		}
	}
	c.keys[id] = t
	c.add(t.Path, pem)
	return nil
}

func addRole(roles []string, r string) []string {
	i := sort.SearchStrings(roles, r)
	if i < len(roles) && roles[i] == r {
		return roles
	}
	return append(roles[:i], append([]string{r}, roles[i:]...)...)
}

// envelopeKeys returns the sorted key ids named by a DSSE envelope's
// signatures; an envelope that does not parse names none.
func envelopeKeys(b []byte) []string {
	var env struct {
		Signatures []struct {
			KeyID string `json:"keyid"`
		} `json:"signatures"`
	}
	if json.Unmarshal(b, &env) != nil {
		return []string{}
	}
	ids := []string{}
	for _, s := range env.Signatures {
		if canon.ValidDigest(s.KeyID) {
			ids = addRole(ids, s.KeyID)
		}
	}
	return ids
}

// manifest builds the manifest: entries, Merkle root, validity, sequence
// and bundle id.
func (c *collector) manifest(ctx context.Context) (*Manifest, error) {
	o := c.o
	created := o.CreatedAt.UTC().Truncate(time.Second)
	if o.CreatedAt.IsZero() {
		created = c.newest.Truncate(time.Second)
	}
	if created.IsZero() {
		return nil, fail.New(fail.Invalid, "no createdAt: the contents carry no time; give --created-at")
	}
	until := o.ValidUntil.UTC().Truncate(time.Second)
	if o.ValidUntil.IsZero() {
		until = created.Add(o.ValidFor)
	}
	if !until.After(created) {
		return nil, fail.New(fail.Invalid, "validUntil %s is not after createdAt %s", until.Format(time.RFC3339), created.Format(time.RFC3339))
	}
	anchor := o.TimeAnchor.UTC().Truncate(time.Second)
	if o.TimeAnchor.IsZero() {
		anchor = created
	}
	if anchor.Before(created) {
		return nil, fail.New(fail.Invalid, "time anchor %s is before createdAt %s: the exporter's clock is behind its own contents", anchor.Format(time.RFC3339), created.Format(time.RFC3339))
	}
	sort.Slice(c.policies, func(i, j int) bool { return policyLess(c.policies[i], c.policies[j]) })
	sort.Slice(c.snapshots, func(i, j int) bool { return c.snapshots[i].ID < c.snapshots[j].ID })
	sort.Slice(c.runs, func(i, j int) bool { return c.runs[i].RunID < c.runs[j].RunID })
	m := &Manifest{
		Format: Format, Producer: Producer{Name: "stella", Version: buildinfo.Version}, Tenant: c.tx.Tenant(),
		Stream: o.Stream, CreatedAt: created.Format(time.RFC3339), ValidUntil: until.Format(time.RFC3339), TimeAnchor: anchor.Format(time.RFC3339),
		Policies: nonNil(c.policies), Snapshots: nonNil(c.snapshots), Runs: nonNil(c.runs), TrustRoots: []TrustRoot{}, Entries: []Entry{},
	}
	ids := make([]string, 0, len(c.keys))
	for id := range c.keys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		m.TrustRoots = append(m.TrustRoots, *c.keys[id])
	}
	var err error
	if m.Entries, err = c.entries(); err != nil {
		return nil, err
	}
	m.MerkleRoot = MerkleRoot(m.Entries)
	if c.contentID, err = BundleID(*m); err != nil { // sequence 0: the content alone, no checkpoint
		return nil, err
	}
	if m.Sequence, c.reused, err = c.sequence(ctx); err != nil {
		return nil, err
	}
	if c.checkpoint == nil {
		h, err := c.tx.Head(ctx)
		if err != nil {
			return nil, err
		}
		c.checkpoint = &h
	}
	env, err := SignCheckpoint(ctx, *c.checkpoint, o.Key)
	if err != nil {
		return nil, err
	}
	c.add(CheckpointPath, env)
	if m.Entries, err = c.entries(); err != nil {
		return nil, err
	}
	m.MerkleRoot = MerkleRoot(m.Entries)
	if m.BundleID, err = BundleID(*m); err != nil {
		return nil, err
	}
	return m, nil
}

// entries lists the collected files as manifest entries, by path.
func (c *collector) entries() ([]Entry, error) {
	out := []Entry{}
	for _, f := range c.list() {
		if err := checkPath(f.path); err != nil {
			return nil, fail.New(fail.Invalid, "bundle entry: %v", err)
		}
		mt := c.media[f.path]
		if mt == "" {
			mt = mediaType(f.path)
		}
		out = append(out, Entry{Path: f.path, SHA256: canon.Digest(f.data), Size: int64(len(f.data)), MediaType: mt})
	}
	return out, nil
}

// sequence picks the bundle's sequence number from the exports of its
// stream recorded in the audit log.
func (c *collector) sequence(ctx context.Context) (int64, bool, error) {
	events, err := c.tx.Events(ctx, store.EventFilter{Type: "bundle.exported", Subject: streamSubject(c.o.Stream)})
	if err != nil {
		return 0, false, err
	}
	var last int64
	for _, e := range events {
		var p exportedEvent
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return 0, false, fail.New(fail.Integrity, "audit event %d: %v", e.Seq, err)
		}
		if p.ContentID == c.contentID && (c.o.Sequence == 0 || c.o.Sequence == p.Sequence) {
			c.checkpoint = p.Checkpoint
			return p.Sequence, true, nil
		}
		if c.o.Sequence == p.Sequence {
			return 0, false, fail.New(fail.Invalid, "--sequence %d: stream %q already has a bundle %d with other content (%s); give each bundle its own number",
				p.Sequence, c.o.Stream, p.Sequence, p.BundleID)
		}
		last = max(last, p.Sequence)
	}
	if c.o.Sequence > 0 {
		return c.o.Sequence, false, nil
	}
	return last + 1, false, nil
}

// mediaType names an entry's content by its place and extension.
func mediaType(p string) string {
	switch {
	case strings.HasSuffix(p, ".dsse.json"):
		return MediaDSSE
	case strings.HasSuffix(p, "/ir.json"):
		return store.MediaIR
	case strings.HasSuffix(p, "/sourcemap.json"):
		return store.MediaSourceMap
	case strings.HasSuffix(p, ".stella"):
		return store.MediaSource
	case strings.HasSuffix(p, ".pub"):
		return MediaPEM
	}
	switch path.Ext(p) {
	case ".json":
		return MediaJSON
	case ".ndjson", ".jsonl":
		return "application/x-ndjson"
	case ".csv":
		return "text/csv"
	}
	return store.MediaOctets
}

func orEmptyObject(b []byte) []byte {
	if len(bytes.TrimSpace(b)) == 0 {
		return []byte("{}")
	}
	return b
}

func nonNil[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}

func refs(m *Manifest) []string {
	out := make([]string, len(m.Policies))
	for i, p := range m.Policies {
		out[i] = p.Ref()
	}
	return out
}

func snapshotIDs(m *Manifest) []string {
	out := make([]string, len(m.Snapshots))
	for i, s := range m.Snapshots {
		out[i] = s.ID
	}
	return out
}

func runIDs(m *Manifest) []string {
	out := make([]string, len(m.Runs))
	for i, r := range m.Runs {
		out[i] = r.RunID
	}
	return out
}

// validStream accepts stream names like tenant ids: [a-z0-9._-]{1,64}.
func validStream(s string) error {
	if len(s) == 0 || len(s) > 64 {
		return fail.New(fail.Invalid, "stream %q: want 1-64 characters a-z, 0-9, '.', '_' or '-'", s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fail.New(fail.Invalid, "stream %q: want 1-64 characters a-z, 0-9, '.', '_' or '-'", s)
		}
	}
	return nil
}
