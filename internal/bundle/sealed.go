package bundle

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// Sealed mode. stella never opens a network connection on its own; sealed
// mode (--sealed, --offline, STELLA_OFFLINE=1) makes that a promise the
// commands that can use the network (sync, anything given a URL) check
// with Guard before they start.

// Guard returns a fail.Sealed error "sealed mode: <what> would use the
// network" when sealed, and nil otherwise.
func Guard(sealed bool, what string) error {
	if !sealed {
		return nil
	}
	return fail.New(fail.Sealed, "sealed mode: %s would use the network (--sealed, --offline or STELLA_OFFLINE=1 is set)", what)
}

// IsURL reports whether ref names a network location rather than a file.
func IsURL(ref string) bool {
	u, err := url.Parse(ref)
	return err == nil && u.Host != "" && u.Scheme != "" && u.Scheme != "file"
}

// CheckLocal refuses a network location given where a file is expected:
// in sealed mode as a sealed-mode violation (exit 5), otherwise as invalid
// input, since stella does not download bundles or keys itself.
func CheckLocal(sealed bool, what, ref string) error {
	if !IsURL(ref) {
		return nil
	}
	if err := Guard(sealed, fmt.Sprintf("fetching %s %s", what, ref)); err != nil {
		return err
	}
	return fail.New(fail.Invalid, "%s %s: stella does not download; fetch the file first and give its path", what, ref)
}

// Target is what `policy run --bundle` evaluates: a policy version and a
// snapshot of the bundle, stored in the database by the import.
type Target struct {
	Policy     Policy
	SnapshotID string
	Import     *ImportResult
}

// PrepareRun verifies the bundle file at path and imports it (a bundle
// already imported is left as it is), then picks the policy version and
// snapshot to evaluate: policyRef (P-n for its newest version in the
// bundle, or P-n@v) and snapshotRef (an id or a prefix of 8+ hex) select
// among the bundle's own; either may be empty when the bundle holds exactly
// one. The run then reads both from the store, where they are
// byte-for-byte the bundle's content. Nothing is quarantined: a run never
// moves the operator's file.
func PrepareRun(ctx context.Context, path string, lim Limits, open func() (*store.Store, error), o ImportOptions, policyRef, snapshotRef string) (*Target, error) {
	b, err := Open(path, lim)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if _, err := b.Verify(ctx, o.Verify); err != nil {
		return nil, err
	}
	t, err := Select(b.Manifest, policyRef, snapshotRef)
	if err != nil {
		return nil, err
	}
	if o.Tenant != "" {
		if err := checkTenant(b.Manifest, o.Tenant); err != nil {
			return nil, err
		}
	}
	if o.Check != nil {
		if err := o.Check(b, t); err != nil {
			return nil, err
		}
	}
	if t.Import, err = importInto(ctx, b, open, o); err != nil {
		return nil, err
	}
	if prev := t.Import.PreviousSequence; !t.Import.Imported && prev > b.Manifest.Sequence {
		return nil, fail.New(fail.Integrity, "bundle %s: sequence %d of stream %q is older than %d, the last one imported here: a sealed run evaluates the stream's newest bundle, not a replayed older one",
			b.Name, b.Manifest.Sequence, b.Manifest.Stream, prev)
	}
	return t, nil
}

// Select picks a policy version and a snapshot of a bundle manifest.
func Select(m *Manifest, policyRef, snapshotRef string) (*Target, error) {
	t := &Target{}
	switch {
	case policyRef == "" && len(m.Policies) == 1:
		t.Policy = m.Policies[0]
	case policyRef == "":
		return nil, fail.New(fail.Invalid, "the bundle holds %d policy versions (%s); name one", len(m.Policies), strings.Join(refs(m), ", "))
	default:
		id, v, ok, err := store.ParsePolicyRef(policyRef)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fail.New(fail.Invalid, "policy %q: with --bundle, name a policy of the bundle as P-n or P-n@v", policyRef)
		}
		found := false
		for _, p := range m.Policies { // sorted by version: the last match is the newest
			if p.PolicyID == id && (v == 0 || p.Version == v) {
				t.Policy, found = p, true
			}
		}
		if !found {
			return nil, fail.New(fail.NotFound, "policy %s is not in the bundle (it holds %s)", policyRef, strings.Join(refs(m), ", "))
		}
	}
	var match []string
	for _, s := range m.Snapshots {
		hex := strings.TrimPrefix(snapshotRef, "sha256:")
		if snapshotRef == "" || s.ID == snapshotRef || len(hex) >= 8 && strings.HasPrefix(s.ID, "sha256:"+hex) {
			match = append(match, s.ID)
		}
	}
	switch {
	case len(match) == 1:
		t.SnapshotID = match[0]
	case len(match) == 0 && snapshotRef != "":
		return nil, fail.New(fail.NotFound, "snapshot %s is not in the bundle (it holds %s)", snapshotRef, strings.Join(snapshotIDs(m), ", "))
	case len(match) == 0:
		return nil, fail.New(fail.Invalid, "the bundle holds no snapshot to evaluate")
	default:
		return nil, fail.New(fail.Invalid, "the bundle holds %d snapshots; name one with --snapshot (%s)", len(match), strings.Join(match, ", "))
	}
	return t, nil
}
