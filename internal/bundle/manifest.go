package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
)

// Format is the formatVersion of the bundles this package writes and reads.
const Format = "stella.bundle@1"

// Fixed paths and types of the two manifest files.
const (
	ManifestPath  = "manifest.json"
	SignaturePath = "manifest.dsse.json"
	// PayloadType is the DSSE payload type of manifest.dsse.json; its
	// payload is the bytes of manifest.json.
	PayloadType = "application/vnd.stella.bundle.manifest+json"
)

// Media types of bundle entries besides the store's (store.MediaIR, …).
const (
	MediaDSSE = "application/vnd.dsse.envelope.v1+json"
	MediaPEM  = "application/x-pem-file"
	MediaJSON = "application/json"
)

// Manifest is manifest.json. Every list is sorted (see the field comments)
// and the file is the canonical JSON (RFC 8785) of this value.
type Manifest struct {
	Format   string   `json:"formatVersion"`
	BundleID string   `json:"bundleId"` // BundleID of the manifest
	Producer Producer `json:"producer"`
	Tenant   string   `json:"tenant"`
	// Stream names a series of bundles from one producer; Sequence grows by
	// at least one with every bundle of the stream, and an importing site
	// refuses a sequence not greater than the last one it imported.
	Stream     string `json:"stream"`
	Sequence   int64  `json:"sequence"`
	CreatedAt  string `json:"createdAt"`  // RFC 3339 UTC
	ValidUntil string `json:"validUntil"` // RFC 3339 UTC
	// TimeAnchor is the exporter's clock when it signed the bundle (RFC
	// 3339 UTC): a signed lower bound on the time at any site that holds
	// the bundle (docs/bundle.md, "Time anchors").
	TimeAnchor string      `json:"timeAnchor"`
	Policies   []Policy    `json:"policies"`   // by policy id, then version
	Snapshots  []Snapshot  `json:"snapshots"`  // by id
	Runs       []Run       `json:"runs"`       // by run id
	TrustRoots []TrustRoot `json:"trustRoots"` // by key id
	Entries    []Entry     `json:"entries"`    // by path; every file but the two manifest files
	MerkleRoot string      `json:"merkleRoot"` // MerkleRoot of Entries
}

// Producer names the program that wrote the bundle.
type Producer struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Entry is one file of the bundle.
type Entry struct {
	Path      string `json:"path"`
	SHA256    string `json:"sha256"` // sha256:<hex> of the file's bytes
	Size      int64  `json:"size"`
	MediaType string `json:"mediaType"`
}

// Policy is one policy version carried by the bundle. Its files are
// Dir+"policy.stella", Dir+"ir.json" and, when present, Dir+"sourcemap.json"
// and the approval envelopes.
type Policy struct {
	PolicyID        string     `json:"policyId"`
	Version         int        `json:"version"`
	Name            string     `json:"name"`
	IRDigest        string     `json:"irDigest"`
	SourceDigest    string     `json:"sourceDigest"`
	SourceMapDigest string     `json:"sourceMapDigest,omitempty"`
	Author          string     `json:"author"`
	CreatedAt       string     `json:"createdAt"`
	Dir             string     `json:"dir"`       // policies/<id>/<version>/
	Approvals       []Approval `json:"approvals"` // by path
}

// Ref formats the policy version as P-n@v.
func (p Policy) Ref() string { return fmt.Sprintf("%s@%d", p.PolicyID, p.Version) }

// Approval is one signed approval (a DSSE envelope) of a policy version.
// The importing site re-verifies it against its own trust configuration.
type Approval struct {
	Path   string   `json:"path"`
	KeyIDs []string `json:"keyIds"` // the key ids the envelope's signatures name, sorted
}

// Snapshot is one frozen snapshot: its files are Dir + each file's path
// inside the snapshot.
type Snapshot struct {
	ID      string          `json:"id"`
	Dir     string          `json:"dir"` // snapshots/<hex>/
	Files   int             `json:"files"`
	Summary json.RawMessage `json:"summary"` // what the snapshot package recorded at import
}

// Run is the evidence of one recorded run: Dir+"record.json" (the run
// record), Dir+"run.json" (its stored row), Dir+"result.json" (the engine
// result with findings and explain traces) and, when it was signed,
// Dir+"attestation.dsse.json".
type Run struct {
	RunID          string `json:"runId"`
	PolicyID       string `json:"policyId"`
	PolicyVersion  int    `json:"policyVersion,omitempty"`
	SnapshotID     string `json:"snapshotId,omitempty"`
	FindingsDigest string `json:"findingsDigest"`
	Dir            string `json:"dir"` // runs/<run id with ':' as '_'>/
}

// TrustRoot is a public key the contents refer to (the bundle signer, run
// and approval signers) with the roles it had at the producing site. A
// bundle's trust roots are information: the importing site never trusts a
// key because a bundle carries it.
type TrustRoot struct {
	KeyID string   `json:"keyId"`
	Name  string   `json:"name"`
	Type  string   `json:"type"`
	Roles []string `json:"roles"` // sorted
	Path  string   `json:"path"`  // trust/<hex>.pub
}

// BundleID returns the bundle id of m: the digest of the canonical JSON of
// m with bundleId set to "". It covers everything in the manifest, so two
// bundles with the same id have the same manifest and, through the entry
// digests, the same content.
func BundleID(m Manifest) (string, error) {
	m.BundleID = ""
	_, d, err := canon.DigestOf(m)
	return d, err
}

// MerkleRoot returns the Merkle root over entries (sorted by path). A leaf
// is the SHA-256 of the entry's sha256sum line, "<hex>  <path>\n"; a node is
// the SHA-256 of its children's lowercase hex digests concatenated (128
// ASCII characters), so leaves and nodes can never be confused; an odd node
// at the end of a level moves up unchanged. The root of no entries is the
// SHA-256 of nothing. docs/bundle.md recomputes it with sha256sum.
func MerkleRoot(entries []Entry) string {
	if len(entries) == 0 {
		return canon.Digest(nil)
	}
	level := make([]string, len(entries))
	for i, e := range entries {
		line := strings.TrimPrefix(e.SHA256, canon.Prefix) + "  " + e.Path + "\n"
		level[i] = hexSum([]byte(line))
	}
	buf := make([]byte, 0, 128)
	for len(level) > 1 {
		next := level[:0:0]
		for i := 0; i < len(level); i += 2 {
			if i+1 == len(level) {
				next = append(next, level[i])
				continue
			}
			buf = append(append(buf[:0], level[i]...), level[i+1]...)
			next = append(next, hexSum(buf))
		}
		level = next
	}
	return canon.Prefix + level[0]
}

func hexSum(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// encodeManifest returns the canonical bytes of m.
func encodeManifest(m Manifest) ([]byte, error) {
	return canon.Marshal(m)
}

// decodeManifest reads manifest bytes strictly: canonical JSON, no unknown
// fields, the known format. Errors are fail.Integrity and name the file.
func decodeManifest(b []byte) (*Manifest, error) {
	c, err := canon.Transform(b)
	if err != nil {
		return nil, fail.New(fail.Integrity, "%s: not valid JSON: %v", ManifestPath, err)
	}
	if !bytes.Equal(c, b) {
		return nil, fail.New(fail.Integrity, "%s: not in canonical form (RFC 8785); the file was rewritten after signing", ManifestPath)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fail.New(fail.Integrity, "%s: %v", ManifestPath, err)
	}
	if m.Format != Format {
		return nil, fail.New(fail.Integrity, "%s: formatVersion %q is not %q (a newer or foreign bundle)", ManifestPath, m.Format, Format)
	}
	return &m, nil
}

// checkPath rejects entry paths that could escape a directory or mean
// different files on different systems: absolute paths, "..", ".", empty
// elements, backslashes, and the two manifest paths where an entry is
// expected.
func checkPath(p string) error {
	switch {
	case p == "" || !fs.ValidPath(p) || p == ".":
		return fmt.Errorf("unsafe path %q (absolute, empty, or with . or .. elements)", p)
	case strings.ContainsAny(p, "\\\x00"):
		return fmt.Errorf("unsafe path %q (backslash or NUL)", p)
	}
	return nil
}
