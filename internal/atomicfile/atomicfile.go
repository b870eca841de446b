// Package atomicfile owns writing a file atomically (docs/architecture.md):
// the bytes go to a temporary file beside the target, which is renamed over
// it, so a reader sees the old file or the new one and a failure leaves no
// partial file behind (docs/exit-codes.md, bad input changes nothing).
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
)

// Write writes data to path atomically with permissions perm. The error
// names path, never the temporary file. A path that names something other
// than a regular file — a device (/dev/null), a pipe, a symbolic link
// (/dev/stdout, a link to the real output) — is written through as it is:
// renaming over it would replace the device or the link with a file.
func Write(path string, data []byte, perm os.FileMode) error {
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return &os.PathError{Op: "write", Path: path, Err: errors.New("is a directory")}
		}
		return writeThrough(path, data)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".stella-*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the temporary file's name means nothing to the user
		}
		return &os.PathError{Op: "write", Path: path, Err: err}
	}
	name := tmp.Name()
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(name, perm)
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
		return err
	}
	return nil
}

// writeThrough writes data to an existing non-regular file without
// creating or replacing it.
func writeThrough(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
