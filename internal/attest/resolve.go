package attest

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/stella-policy/stella/internal/fail"
)

// Where private keys come from (docs/attestation.md "Where keys come
// from"): every command that signs resolves its key here, from sources the
// caller lists in the one precedence order, and no message ever quotes a
// value that looks like key material.

// Source is one place a private key may be given.
type Source struct {
	Name  string // how the user gave it, for messages: "--sign-key", "STELLA_SIGNING_KEY"
	Value string // a key file, a key name in Resolver.Dir, or (ByValue) PEM text
	// ByValue accepts PEM text in Value (environment variables, the config
	// file). A flag never does: its value shows in the process list.
	ByValue bool
	// Instead, when set, is the spelling to use instead of this deprecated
	// one; Resolve warns when the source is used.
	Instead string
}

// Resolver turns the first given Source into a signing key.
type Resolver struct {
	Dir string // the keys directory: a bare name N means Dir/N.key
	// Passphrase returns the passphrase of an encrypted key; nil (or an
	// empty passphrase) means none was given.
	Passphrase func() ([]byte, error)
	// PassphraseHint says how to give one, for the error when none is.
	PassphraseHint string
	Warn           func(string) // deprecation warnings; nil drops them
}

// ErrNoKey is returned by Resolve when no source has a value.
var ErrNoKey = errors.New("no signing key given")

// maxKeyFile bounds a key file read; PEM keys are a few hundred bytes.
const maxKeyFile = 64 << 10

// Resolve returns the private key of the first source with a value, or
// ErrNoKey (kind Invalid) when none has one.
func (r *Resolver) Resolve(srcs ...Source) (*Key, error) {
	for _, s := range srcs {
		if s.Value == "" {
			continue
		}
		if s.Instead != "" && r.Warn != nil {
			r.Warn(s.Name + " is deprecated; use " + s.Instead)
		}
		return r.load(s)
	}
	return nil, fail.Wrap(fail.Invalid, ErrNoKey)
}

func (r *Resolver) load(s Source) (*Key, error) {
	if LooksLikeKey(s.Value) {
		if !s.ByValue {
			return nil, fail.New(fail.Invalid, "the key given by value to %s is not a file; pass a path, or --sign-key-env VAR naming an environment variable that holds the PEM text", s.Name)
		}
		k, err := ParsePEMPassphrase(s.Name+" (key given by value)", []byte(s.Value), r.passphrase())
		return r.private(s.Name, k, err)
	}
	path := s.Value
	if !strings.ContainsAny(path, `/\`) && !exists(path) && r.Dir != "" {
		path = filepath.Join(r.Dir, path+".key")
	}
	b, mode, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	k, err := ParsePEMPassphrase(path, b, r.passphrase())
	if k, err = r.private(s.Name+" "+path, k, err); err != nil {
		return nil, err
	}
	if mode&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fail.New(fail.Integrity, "private key file %s is readable by group or others (mode %04o): chmod 600 %s", path, mode.Perm(), path)
	}
	return k, nil
}

func (r *Resolver) private(name string, k *Key, err error) (*Key, error) {
	if errors.Is(err, ErrPassphrase) {
		hint := r.PassphraseHint
		if hint == "" {
			hint = "give its passphrase"
		}
		return nil, fail.New(fail.Invalid, "%s is an encrypted private key: %s", name, hint)
	}
	if err != nil {
		return nil, err
	}
	if !k.CanSign() {
		return nil, fail.New(fail.Invalid, "%s is a public key; give the private key file", name)
	}
	return k, nil
}

func (r *Resolver) passphrase() func() ([]byte, error) {
	if r.Passphrase == nil {
		return nil
	}
	return r.Passphrase
}

// LooksLikeKey reports whether a value given where a path or name was
// expected looks like key material (PEM text or a long base64 blob), which
// must then never be echoed.
func LooksLikeKey(v string) bool {
	if strings.Contains(v, "-----BEGIN") || strings.Contains(v, "KEY-----") || strings.ContainsAny(v, "\n\r") {
		return true
	}
	if len(v) < 44 || strings.Count(v, "/") > 1 || strings.Contains(v, ".") {
		return false
	}
	for _, c := range v {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}

// Redact returns v for a message, or a placeholder when it looks like key
// material.
func Redact(v string) string {
	if LooksLikeKey(v) {
		return "(a key given by value)"
	}
	return v
}

// LoadFile reads a key file, public or private (ParsePEM), for
// verification. A missing file is NotFound; an unreadable one Invalid. A
// path that is key material is refused without being quoted.
func LoadFile(path string) (*Key, error) {
	if LooksLikeKey(path) {
		return nil, fail.New(fail.Invalid, "a key was given by value where a key file was expected; pass a path")
	}
	b, _, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	return ParsePEM(path, b)
}

func readKeyFile(path string) ([]byte, os.FileMode, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, 0, fail.New(fail.NotFound, "key file %s does not exist", path)
		}
		return nil, 0, fail.New(fail.Invalid, "key file %s: cannot read: %v", path, pathErr(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, fail.New(fail.Invalid, "key file %s: cannot read: %v", path, pathErr(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, fail.New(fail.Invalid, "key file %s: cannot read: not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, 0, fail.New(fail.Invalid, "key file %s: cannot read: %v", path, pathErr(err))
	}
	if len(b) > maxKeyFile {
		return nil, 0, fail.New(fail.Invalid, "key file %s: larger than %d KiB, not a PEM key file", path, maxKeyFile>>10)
	}
	return b, fi.Mode(), nil
}

func pathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// WriteKeyFile creates path holding data with perm. It never follows a
// symlink at path and never writes through one: without replace an existing
// path (file, symlink, even a dangling one) is refused; with replace the
// data goes to a new file beside it that is renamed over path, replacing a
// symlink itself rather than its target.
func WriteKeyFile(path string, data []byte, perm os.FileMode, replace bool) error {
	if !replace {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if err != nil {
			if errors.Is(err, os.ErrExist) {
				return fail.New(fail.Invalid, "%s already exists (use --force to replace it, or another --name)", path)
			}
			return fail.New(fail.Internal, "write %s: %v", path, pathErr(err))
		}
		return finish(f, path, data, perm, path)
	}
	if fi, err := os.Lstat(path); err == nil && fi.IsDir() {
		return fail.New(fail.Invalid, "%s is a directory", path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".stella-key-*")
	if err != nil {
		return fail.New(fail.Internal, "write %s: %v", path, pathErr(err))
	}
	return finish(f, f.Name(), data, perm, path)
}

// finish writes data to f (created at tmp), sets perm and moves it to path;
// on failure nothing is left at tmp.
func finish(f *os.File, tmp string, data []byte, perm os.FileMode, path string) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && tmp != path {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fail.New(fail.Internal, "write %s: %v", path, pathErr(err))
	}
	return nil
}
