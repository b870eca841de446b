package bundle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// ImportFile reads the bundle file at path, verifies it, and only then
// calls open for the store and imports into it (into a new database that
// becomes o.DB once accepted, when o.DB does not exist yet: openSite), so
// that a bad bundle never creates or changes a database. When quarantine is not empty, a bundle
// that fails verification or whose content is refused (an Integrity or
// Governance error) is moved into it with a reason file; the error then
// says where.
func ImportFile(ctx context.Context, path string, lim Limits, open func() (*store.Store, error), o ImportOptions, quarantine string) (*ImportResult, error) {
	if o.Force && o.Reason == "" {
		return nil, fail.New(fail.Invalid, "--force needs --reason TEXT (it is recorded in the audit log)")
	}
	res, err := importFile(ctx, path, lim, open, o)
	if err == nil || quarantine == "" {
		return res, err
	}
	if k := fail.KindOf(err); k != fail.Integrity && k != fail.Governance {
		return nil, err
	}
	// With no trusted key nothing is known about the bundle: the operator
	// forgot --trust-root, and the kit stays where it is (docs/bundle.md).
	if errors.Is(err, errNoTrustedKey) {
		return nil, fail.Wrap(fail.Integrity, fmt.Errorf("%w; nothing was imported and the file was not moved", err))
	}
	dir, qerr := Quarantine(path, quarantine, err)
	if qerr != nil {
		return nil, fail.Wrap(fail.KindOf(err), fmt.Errorf("%w (and quarantining it failed: %v)", err, qerr))
	}
	return nil, fail.Wrap(fail.KindOf(err), fmt.Errorf("%w; quarantined to %s", err, dir))
}

func importFile(ctx context.Context, path string, lim Limits, open func() (*store.Store, error), o ImportOptions) (*ImportResult, error) {
	b, err := Open(path, lim)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	if _, err := b.Verify(ctx, o.Verify); err != nil {
		return nil, err
	}
	if o.Tenant != "" {
		if err := checkTenant(b.Manifest, o.Tenant); err != nil {
			return nil, err
		}
	}
	return importInto(ctx, b, open, o)
}

// importInto imports the verified b into the site's database (openSite),
// again into the database another process created meanwhile if need be.
func importInto(ctx context.Context, b *Bundle, open func() (*store.Store, error), o ImportOptions) (*ImportResult, error) {
	st, done, err := openSite(ctx, open, o)
	if err != nil {
		return nil, err
	}
	res, err := Import(ctx, st, b, o)
	if err = done(err); errors.Is(err, errCreated) {
		return importInto(ctx, b, open, o)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Quarantine moves the bundle file at path into dir/<first 16 hex of its
// sha256>/ beside a reason.txt naming the file, its digest, the exit code
// and cause, and returns that directory. Quarantining the same bytes again
// replaces the earlier reason. Nothing else is written.
func Quarantine(path, dir string, cause error) (string, error) {
	sum, err := fileSHA256(path)
	if err != nil {
		return "", err
	}
	q := filepath.Join(dir, sum[:16])
	if err := os.MkdirAll(q, 0o755); err != nil {
		return "", err
	}
	dst := filepath.Join(q, filepath.Base(path))
	if err := move(path, dst); err != nil {
		return "", err
	}
	reason := fmt.Sprintf("bundle: %s\nsha256: %s\nexit: %d\nreason: %s\n", path, sum, int(fail.KindOf(cause)), cause)
	if err := os.WriteFile(filepath.Join(q, "reason.txt"), []byte(reason), 0o644); err != nil {
		return "", err
	}
	return q, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// move renames src to dst, copying across file systems.
func move(src, dst string) error {
	err := os.Rename(src, dst)
	if err == nil || !errors.Is(err, syscall.EXDEV) {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Remove(src)
}
