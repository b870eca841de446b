package governance

import (
	"context"
	"errors"
	"os"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

// Verifying a signed run or an evidence archive at this site: which keys
// are trusted (VerifyKeys), what the file holds (run.Verify), and whether
// its signers may sign such a run here (CheckRunSigners) —
// docs/attestation.md "Who is trusted".

// VerifyRun verifies the policy.run@1 envelope or evidence archive at path
// as `policy verify` does: against the keys refs names (--key,
// --trust-root) and those of the trust config in force (flag is --trust),
// an envelope also against its stored run when the database exists.
// embedded (--insecure-embedded-key) checks an archive against the key it
// ships instead, which proves it intact but not who signed it.
func (s *Site) VerifyRun(ctx context.Context, path string, refs []string, flag string, embedded bool) (*run.VerifyReport, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fail.New(fail.NotFound, "%s does not exist", path)
		}
		return nil, fail.New(fail.Invalid, "%s: cannot read: %v", path, unwrapPathErr(err))
	}
	trust, err := s.InForce(ctx, flag)
	if err != nil {
		return nil, err
	}
	trusted, err := VerifyKeys(ctx, refs, trust, s.Existing(ctx))
	if err != nil {
		return nil, err
	}
	// No database: nothing stored to check against.
	rep, err := run.Verify(ctx, path, data, trusted, embedded, func() (*store.Store, error) { return s.openIfExists(ctx) })
	if err != nil {
		return nil, err
	}
	if !rep.EmbeddedKey {
		if err := CheckRunSigners(ctx, trust, refs, rep.Signers, rep.Mode, s.Existing(ctx)); err != nil {
			return nil, fail.New(fail.Integrity, "%s: verification failed: %v", path, err)
		}
	}
	return rep, nil
}

// OpenEvidence opens the evidence archive at path for `policy replay` and
// `explain` and verifies it as VerifyRun does when a key is trusted (refs,
// or the trust config in force). With none it reports false: the archive
// was checked against its own manifest only.
func (s *Site) OpenEvidence(ctx context.Context, path string, refs []string) (*run.Archive, bool, error) {
	a, err := run.OpenArchive(path)
	if err != nil {
		return nil, false, err
	}
	trust, err := s.InForce(ctx, "")
	if err != nil {
		return nil, false, err
	}
	trusted, err := VerifyKeys(ctx, refs, trust, s.Existing(ctx))
	if err != nil {
		return nil, false, err
	}
	if len(trusted) == 0 {
		return a, false, nil
	}
	er, err := a.Verify(ctx, trusted)
	if err == nil {
		err = CheckRunSigners(ctx, trust, refs, er.Signers, a.Record.Mode, s.Existing(ctx))
	}
	if err != nil {
		return nil, false, fail.New(fail.KindOf(err), "%s: verification failed: %v", path, err)
	}
	return a, true, nil
}

// Existing opens the database when a lookup first needs it
// (TrustedKeys, VerifyKeys); a missing one is "not found".
func (s *Site) Existing(ctx context.Context) func() (*store.Store, error) {
	return func() (*store.Store, error) { return s.Open(ctx, true) }
}
