package bundle

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// Bundle is a bundle read into memory. Its manifest and files are what the
// archive says until Verify succeeds.
type Bundle struct {
	Name        string // the file it was read from, for messages
	Digest      string // sha256: of the bundle file
	Size        int64  // bytes of the bundle file
	Compression string // Zstd or Gzip
	// Manifest is the parsed manifest.json, or nil when it is missing or
	// unreadable (Verify then fails; Inspect still lists the files).
	Manifest    *Manifest
	ManifestErr error // why Manifest is nil

	files    map[string]*part
	order    []string // archive order
	spool    *os.File // the entries' bodies (readArchive), or nil
	verified bool
	report   *Report // of the successful Verify
}

// Open reads the bundle file at path (Read).
func Open(path string, lim Limits) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fail.New(fail.NotFound, "bundle %s does not exist", path)
		}
		return nil, fail.New(fail.Invalid, "bundle %s: %v", path, unwrapPath(err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		// Not a bundle's fault: usage (exit 2), and never quarantined.
		return nil, fail.New(fail.Invalid, "bundle %s is a %s, not a bundle file", path, fileKind(fi.Mode()))
	}
	b, err := Read(f, lim)
	if err != nil {
		return nil, fail.Wrap(fail.KindOf(err), fmt.Errorf("bundle %s: %w", path, err))
	}
	b.Name = path
	return b, nil
}

func fileKind(m os.FileMode) string {
	if m.IsDir() {
		return "directory"
	}
	return "special file (" + m.Type().String() + ")"
}

// Read reads a bundle archive defensively (see Limits and readArchive). It
// fails on a malformed archive or an entry manifest.json does not list,
// never on a manifest it cannot decode, so that an unverifiable bundle can
// still be inspected.
func Read(r io.Reader, lim Limits) (*Bundle, error) {
	h := sha256.New()
	cnt := &counter{}
	b := &Bundle{Name: "bundle", files: map[string]*part{}}
	if err := readArchive(io.TeeReader(r, io.MultiWriter(h, cnt)), lim, b); err != nil {
		b.Close()
		return nil, err
	}
	b.Digest = canon.Prefix + hex.EncodeToString(h.Sum(nil))
	b.Size = cnt.n
	if _, ok := b.files[ManifestPath]; !ok {
		b.ManifestErr = fail.New(fail.Integrity, "no %s in the bundle", ManifestPath)
	}
	return b, nil
}

// Close releases the spool holding the entries' bodies. File returns
// nothing after it.
func (b *Bundle) Close() error {
	if b.spool == nil {
		return nil
	}
	err := b.spool.Close()
	b.spool = nil
	return err
}

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// Files lists the archive members in archive order with their sizes and
// digests, as found (not as the manifest claims).
func (b *Bundle) Files() []Entry {
	out := make([]Entry, len(b.order))
	for i, p := range b.order {
		out[i] = Entry{Path: p, SHA256: b.files[p].digest, Size: b.files[p].size}
	}
	return out
}

// File returns the bytes of an entry, read from the spool. Before Verify
// they are unverified.
func (b *Bundle) File(p string) ([]byte, bool) {
	m, ok := b.files[p]
	switch {
	case !ok:
		return nil, false
	case m.data != nil:
		return m.data, true
	case m.size == 0:
		return []byte{}, true
	case b.spool == nil:
		return nil, false
	}
	d := make([]byte, m.size)
	if _, err := b.spool.ReadAt(d, m.off); err != nil {
		return nil, false
	}
	return d, true
}

// bytes returns the bytes of an entry, nil when there is none.
func (b *Bundle) bytes(p string) []byte {
	d, _ := b.File(p)
	return d
}

// Verified reports whether Verify succeeded.
func (b *Bundle) Verified() bool { return b.verified }

// errNoTrustedKey is the refusal of a bundle verified with no trusted key.
var errNoTrustedKey = errors.New("no trusted key given: pass --trust-root PUB, set bundle.trust_roots, or grant the signer bundle:sign in the trust config; the keys a bundle carries are never trusted")

// VerifyOptions are the importing site's trust decisions.
type VerifyOptions struct {
	// Trusted are the keys whose signature makes a bundle authentic: the
	// site's own trust roots, never the ones inside the bundle.
	Trusted []*attest.Key
	// EmbeddedKeys, with no Trusted key, verifies the signature with the
	// keys the bundle carries in trust/: that proves the bundle intact, not
	// who made it (bundle verify --insecure-embedded-key; never an import).
	EmbeddedKeys bool
	// TimeAnchor is the time staleness is judged at. When zero, Now is read
	// and the report says the system clock was used.
	TimeAnchor time.Time
	// EvaluatedAt is the evaluation time of the run the bundle is verified
	// for, when it comes from the clock (policy run --bundle without
	// --as-of): staleness is then judged at it if it is later than
	// TimeAnchor, so a kit cannot be judged valid at an earlier
	// --time-anchor and evaluated after it expired.
	EvaluatedAt time.Time
	Now         func() time.Time
}

// ExpiryWarning is how close to its validUntil a bundle is reported as
// expiring soon (docs/bundle.md, "Time anchors").
const ExpiryWarning = 7 * 24 * time.Hour

// Report is what Verify checked.
type Report struct {
	BundleID   string   `json:"bundleId"`
	File       string   `json:"file"`
	FileDigest string   `json:"fileDigest"`
	Tenant     string   `json:"tenant"`
	Stream     string   `json:"stream"`
	Sequence   int64    `json:"sequence"`
	Producer   Producer `json:"producer"`
	// The times, as RFC 3339 text like the manifest's: CreatedAt and
	// ValidUntil as the manifest says them, TimeAnchor the time staleness was
	// judged at (UTC, whole seconds; checkedAt holds it as a time).
	CreatedAt  string `json:"createdAt"`
	ValidUntil string `json:"validUntil"`
	TimeAnchor string `json:"timeAnchor"`
	AnchorFrom string `json:"timeAnchorSource"` // "time-anchor", "system-clock" or "evaluation-time"
	// SignedAnchor is the exporter's clock signed into the manifest.
	SignedAnchor string `json:"signedTimeAnchor"`
	// DaysLeft is the whole days from the time anchor to validUntil.
	DaysLeft int `json:"daysLeft"`
	// Expiring is the warning for a bundle that expires within
	// ExpiryWarning of the time anchor (also in Warnings).
	Expiring   string   `json:"expiring,omitempty"`
	Signers    []string `json:"signers"` // trusted key ids whose signatures verified
	Entries    int      `json:"entries"`
	MerkleRoot string   `json:"merkleRoot"`
	Policies   []string `json:"policies"`  // P-n@v
	Snapshots  []string `json:"snapshots"` // ids
	Runs       []string `json:"runs"`      // run ids
	Warnings   []string `json:"warnings"`
	// Checkpoint is the producer's audit head at export (docs/bundle.md
	// "Audit checkpoint"), signed by a trusted key; nil for a bundle that
	// carries none.
	Checkpoint *store.Checkpoint `json:"auditCheckpoint,omitempty"`
	// EmbeddedKey: the signature was checked with a key the bundle carries.
	EmbeddedKey bool `json:"embeddedKey,omitempty"`

	checkedAt time.Time // TimeAnchor as a time, for Import (checkAnchorBehind)
}

// Verify checks, in this order, and stops at the first failure (always
// fail.Integrity): the DSSE signature of manifest.dsse.json by a trusted
// key; that its payload is exactly manifest.json; the manifest itself
// (format, bundle id, sorted unique safe paths); every entry's presence,
// size and digest and that the archive holds nothing unlisted; the Merkle
// root; the references between policies, snapshots, runs, trust roots and
// entries; and staleness: validUntil must not be before the time anchor and
// createdAt not after it (beyond attest.MaxClockSkew).
func (b *Bundle) Verify(ctx context.Context, o VerifyOptions) (*Report, error) {
	rep, err := b.verify(ctx, o)
	if err != nil {
		return nil, fail.Wrap(fail.Integrity, fmt.Errorf("bundle %s: %w", b.Name, err))
	}
	b.verified, b.report = true, rep
	return rep, nil
}

func (b *Bundle) verify(ctx context.Context, o VerifyOptions) (*Report, error) {
	sig, ok := b.File(SignaturePath)
	if !ok {
		return nil, fmt.Errorf("no %s: the bundle is unsigned", SignaturePath)
	}
	raw, ok := b.File(ManifestPath)
	if !ok {
		return nil, fmt.Errorf("no %s in the bundle", ManifestPath)
	}
	embedded := false
	if len(o.Trusted) == 0 && o.EmbeddedKeys && b.Manifest != nil {
		for _, t := range b.Manifest.TrustRoots {
			k, err := attest.ParsePEM(t.Path, b.bytes(t.Path))
			if err != nil {
				return nil, err
			}
			o.Trusted, embedded = append(o.Trusted, k), true
		}
	}
	if len(o.Trusted) == 0 {
		return nil, errNoTrustedKey
	}
	env, err := attest.ParseEnvelope(SignaturePath, sig)
	if err != nil {
		return nil, err
	}
	if env.PayloadType != PayloadType {
		return nil, fmt.Errorf("%s: payload type %q is not %q", SignaturePath, env.PayloadType, PayloadType)
	}
	payload, signers, err := attest.Verify(ctx, env, o.Trusted)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", SignaturePath, err)
	}
	if !bytes.Equal(payload, raw) {
		return nil, fmt.Errorf("%s: the signature is valid but over a different manifest (signed %s, %s is %s)",
			SignaturePath, canon.Digest(payload), ManifestPath, canon.Digest(raw))
	}
	if b.ManifestErr != nil {
		return nil, b.ManifestErr
	}
	m := b.Manifest
	id, err := BundleID(*m)
	if err != nil {
		return nil, err
	}
	if id != m.BundleID {
		return nil, fmt.Errorf("%s: bundleId %s does not match its content (%s)", ManifestPath, m.BundleID, id)
	}
	if err := checkEntries(m.Entries); err != nil {
		return nil, err
	}
	listed := make(map[string]bool, len(m.Entries))
	for _, e := range m.Entries {
		listed[e.Path] = true
		f, ok := b.files[e.Path]
		if !ok {
			return nil, fmt.Errorf("%s lists %s, which is not in the archive", ManifestPath, e.Path)
		}
		if f.size != e.Size {
			return nil, fmt.Errorf("%s: size %d, the manifest says %d", e.Path, f.size, e.Size)
		}
		if f.digest != e.SHA256 {
			return nil, fmt.Errorf("%s: sha256 %s does not match the manifest's %s", e.Path, f.digest, e.SHA256)
		}
	}
	for _, p := range b.order {
		if p != ManifestPath && p != SignaturePath && !listed[p] {
			return nil, fmt.Errorf("%s is in the archive but not listed in %s", p, ManifestPath)
		}
	}
	if root := MerkleRoot(m.Entries); root != m.MerkleRoot {
		return nil, fmt.Errorf("%s: merkleRoot %s does not match the entries (%s)", ManifestPath, m.MerkleRoot, root)
	}
	if err := b.checkRefs(m); err != nil {
		return nil, err
	}
	var checkpoint *store.Checkpoint
	if data, ok := b.File(CheckpointPath); ok {
		if checkpoint, _, err = OpenCheckpoint(ctx, CheckpointPath, data, o.Trusted); err != nil {
			return nil, err
		}
		if checkpoint.Tenant != m.Tenant {
			return nil, fmt.Errorf("%s: a checkpoint of tenant %q in a bundle of tenant %q", CheckpointPath, checkpoint.Tenant, m.Tenant)
		}
	}

	rep := &Report{
		BundleID: m.BundleID, File: b.Name, FileDigest: b.Digest, Tenant: m.Tenant, Stream: m.Stream, Sequence: m.Sequence,
		Producer: m.Producer, CreatedAt: m.CreatedAt, ValidUntil: m.ValidUntil, SignedAnchor: m.TimeAnchor, Signers: signers,
		Entries: len(m.Entries), MerkleRoot: m.MerkleRoot, Policies: []string{}, Snapshots: []string{}, Runs: []string{}, Warnings: []string{},
		EmbeddedKey: embedded, Checkpoint: checkpoint,
	}
	for _, p := range m.Policies {
		rep.Policies = append(rep.Policies, p.Ref())
	}
	for _, s := range m.Snapshots {
		rep.Snapshots = append(rep.Snapshots, s.ID)
	}
	for _, r := range m.Runs {
		rep.Runs = append(rep.Runs, r.RunID)
	}
	anchor := o.TimeAnchor
	rep.AnchorFrom = "time-anchor"
	if anchor.IsZero() {
		now := o.Now
		if now == nil {
			now = time.Now
		}
		anchor = now()
		rep.AnchorFrom = "system-clock"
		rep.Warnings = append(rep.Warnings, "no time anchor given: staleness was checked against the system clock")
	}
	if anchor.Before(o.EvaluatedAt) {
		anchor, rep.AnchorFrom = o.EvaluatedAt, "evaluation-time"
	}
	anchor = anchor.UTC().Truncate(time.Second)
	rep.TimeAnchor, rep.checkedAt = anchor.Format(time.RFC3339), anchor
	created, err := parseTime("createdAt", m.CreatedAt)
	if err != nil {
		return nil, err
	}
	until, err := parseTime("validUntil", m.ValidUntil)
	if err != nil {
		return nil, err
	}
	if until.Before(created) {
		return nil, fmt.Errorf("%s: validUntil %s is before createdAt %s", ManifestPath, m.ValidUntil, m.CreatedAt)
	}
	if anchor.After(until) {
		return nil, fmt.Errorf("stale: valid until %s, and the time anchor is %s (%s); get a newer bundle", m.ValidUntil, rep.TimeAnchor, rep.AnchorFrom)
	}
	if created.Sub(anchor) > attest.MaxClockSkew {
		return nil, fmt.Errorf("not yet valid: created at %s, after the time anchor %s (%s)", m.CreatedAt, rep.TimeAnchor, rep.AnchorFrom)
	}
	signed, err := parseTime("timeAnchor", m.TimeAnchor)
	if err != nil {
		return nil, err
	}
	if signed.Before(created) {
		return nil, fmt.Errorf("%s: timeAnchor %s is before createdAt %s", ManifestPath, m.TimeAnchor, m.CreatedAt)
	}
	if signed.Sub(anchor) > attest.MaxClockSkew {
		return nil, fmt.Errorf("not yet valid: signed at %s (its time anchor), after the time it is checked at, %s (%s): this clock is behind the exporter's", m.TimeAnchor, rep.TimeAnchor, rep.AnchorFrom)
	}
	left := until.Sub(anchor)
	rep.DaysLeft = int(engine.WholeDays(anchor, until))
	if left < ExpiryWarning {
		rep.Expiring = ExpiryMessage(m.Stream, m.Sequence, m.ValidUntil, left)
		rep.Warnings = append(rep.Warnings, rep.Expiring)
	}
	return rep, nil
}

// ExpiryMessage is the warning for a bundle that expires within
// ExpiryWarning: left is the time from the time anchor to validUntil.
func ExpiryMessage(stream string, seq int64, validUntil string, left time.Duration) string {
	return fmt.Sprintf("bundle %d of stream %q expires in %s (valid until %s): import a newer one before then", seq, stream, humanDays(left), validUntil)
}

// humanDays says a duration in days, or hours below one day.
func humanDays(d time.Duration) string {
	if d >= 24*time.Hour {
		n := int(d / (24 * time.Hour))
		if n == 1 {
			return "1 day"
		}
		return fmt.Sprintf("%d days", n)
	}
	return fmt.Sprintf("%dh", int(d/time.Hour))
}

// checkEntries checks the manifest's entry list: safe paths, sorted,
// unique, sha256 digests, and never one of the manifest files.
func checkEntries(es []Entry) error {
	for i, e := range es {
		if err := checkPath(e.Path); err != nil {
			return fmt.Errorf("%s: entries[%d]: %v", ManifestPath, i, err)
		}
		if e.Path == ManifestPath || e.Path == SignaturePath {
			return fmt.Errorf("%s: entries[%d]: %s cannot be an entry", ManifestPath, i, e.Path)
		}
		if i > 0 && es[i-1].Path >= e.Path {
			return fmt.Errorf("%s: entries[%d] %s: not sorted by path or duplicated", ManifestPath, i, e.Path)
		}
		if !canon.ValidDigest(e.SHA256) {
			return fmt.Errorf("%s: entries[%d] %s: malformed sha256 %q", ManifestPath, i, e.Path, e.SHA256)
		}
	}
	return nil
}

// checkRefs checks that every policy, snapshot, run and trust root of the
// manifest points at entries that exist and carry the digests it claims,
// and that the lists are sorted and unique.
func (b *Bundle) checkRefs(m *Manifest) error {
	for i, p := range m.Policies {
		if err := store.ValidPolicyID(p.PolicyID); err != nil || p.Version < 1 {
			return fmt.Errorf("%s: policies[%d]: %q version %d is not a registered policy version", ManifestPath, i, p.PolicyID, p.Version)
		}
		if i > 0 && !policyLess(m.Policies[i-1], p) {
			return fmt.Errorf("%s: policies[%d] %s: not sorted or duplicated", ManifestPath, i, p.Ref())
		}
		if p.Dir != PolicyDir(p.PolicyID, p.Version) {
			return fmt.Errorf("%s: policies[%d]: dir %q is not %q", ManifestPath, i, p.Dir, PolicyDir(p.PolicyID, p.Version))
		}
		for _, f := range []struct{ name, digest string }{{"ir.json", p.IRDigest}, {"policy.stella", p.SourceDigest}, {"sourcemap.json", p.SourceMapDigest}} {
			if f.digest == "" && f.name == "sourcemap.json" {
				continue
			}
			if err := b.want(p.Dir+f.name, f.digest); err != nil {
				return fmt.Errorf("policy %s: %w", p.Ref(), err)
			}
		}
		for j, a := range p.Approvals {
			if !strings.HasPrefix(a.Path, p.Dir+"approvals/") || (j > 0 && p.Approvals[j-1].Path >= a.Path) {
				return fmt.Errorf("policy %s: approval %q: not under %sapprovals/, or not sorted", p.Ref(), a.Path, p.Dir)
			}
			if err := b.want(a.Path, ""); err != nil {
				return fmt.Errorf("policy %s: %w", p.Ref(), err)
			}
		}
	}
	for i, s := range m.Snapshots {
		if i > 0 && m.Snapshots[i-1].ID >= s.ID {
			return fmt.Errorf("%s: snapshots[%d] %s: not sorted or duplicated", ManifestPath, i, s.ID)
		}
		if s.Dir != SnapshotDir(s.ID) {
			return fmt.Errorf("%s: snapshot %s: dir %q is not %q", ManifestPath, s.ID, s.Dir, SnapshotDir(s.ID))
		}
		if !canon.ValidDigest(s.ID) {
			return fmt.Errorf("%s: snapshot id %q is not a sha256 digest", ManifestPath, s.ID)
		}
		if n := len(b.under(s.Dir)); n != s.Files || n == 0 {
			return fmt.Errorf("snapshot %s: %d files under %s, the manifest says %d", s.ID, n, s.Dir, s.Files)
		}
		if _, err := b.openSnapshot(s); err != nil {
			return err
		}
	}
	for i, r := range m.Runs {
		if i > 0 && m.Runs[i-1].RunID >= r.RunID {
			return fmt.Errorf("%s: runs[%d] %s: not sorted or duplicated", ManifestPath, i, r.RunID)
		}
		if r.Dir != RunDir(r.RunID) {
			return fmt.Errorf("%s: run %s: dir %q is not %q", ManifestPath, r.RunID, r.Dir, RunDir(r.RunID))
		}
		if r.SnapshotID != "" && !hasSnapshot(m, r.SnapshotID) || r.PolicyVersion > 0 && !hasPolicy(m, r.PolicyID, r.PolicyVersion) {
			return fmt.Errorf("run %s: its policy version or snapshot is not in the bundle", r.RunID)
		}
		for _, name := range []string{"record.json", "run.json", "result.json", "ir.json"} {
			if err := b.want(r.Dir+name, ""); err != nil {
				return fmt.Errorf("run %s: %w", r.RunID, err)
			}
		}
	}
	for i, t := range m.TrustRoots {
		if i > 0 && m.TrustRoots[i-1].KeyID >= t.KeyID {
			return fmt.Errorf("%s: trustRoots[%d] %s: not sorted or duplicated", ManifestPath, i, t.KeyID)
		}
		if t.Path != TrustPath(t.KeyID) {
			return fmt.Errorf("%s: trust root %s: path %q is not %q", ManifestPath, t.KeyID, t.Path, TrustPath(t.KeyID))
		}
		data, ok := b.File(t.Path)
		if !ok {
			return fmt.Errorf("trust root %s: %s is missing", t.KeyID, t.Path)
		}
		k, err := attest.ParsePEM(t.Path, data)
		if err != nil {
			return err
		}
		if k.ID != t.KeyID || k.CanSign() {
			return fmt.Errorf("trust root %s: %s holds key %s (or a private key)", t.KeyID, t.Path, k.ID)
		}
	}
	return nil
}

func hasSnapshot(m *Manifest, id string) bool {
	for _, s := range m.Snapshots {
		if s.ID == id {
			return true
		}
	}
	return false
}

func hasPolicy(m *Manifest, id string, version int) bool {
	for _, p := range m.Policies {
		if p.PolicyID == id && p.Version == version {
			return true
		}
	}
	return false
}

// want checks that p is an entry and, when digest is set, that it has it.
func (b *Bundle) want(p, digest string) error {
	f, ok := b.files[p]
	if !ok {
		return fmt.Errorf("%s is missing", p)
	}
	if digest != "" && f.digest != digest {
		return fmt.Errorf("%s: sha256 %s is not the manifest's %s", p, f.digest, digest)
	}
	return nil
}

// under returns the entries below dir, sorted.
func (b *Bundle) under(dir string) []string {
	var out []string
	for _, p := range b.order {
		if strings.HasPrefix(p, dir) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func policyLess(a, b Policy) bool {
	if a.PolicyID != b.PolicyID {
		return a.PolicyID < b.PolicyID
	}
	return a.Version < b.Version
}

// PolicyDir, SnapshotDir, RunDir and TrustPath are where a bundle keeps
// each kind of content.
func PolicyDir(id string, version int) string { return fmt.Sprintf("policies/%s/%d/", id, version) }

// SnapshotDir is the directory of a snapshot's files.
func SnapshotDir(id string) string { return "snapshots/" + strings.TrimPrefix(id, canon.Prefix) + "/" }

// RunDir is the directory of a run's evidence; ':' is not portable in file
// names, so it becomes '_'.
func RunDir(id string) string { return "runs/" + strings.ReplaceAll(id, ":", "_") + "/" }

// TrustPath is the PEM file of a trust root.
func TrustPath(keyID string) string {
	return "trust/" + strings.TrimPrefix(keyID, canon.Prefix) + ".pub"
}

func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %s %q is not an RFC 3339 time", ManifestPath, field, s)
	}
	return t, nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
