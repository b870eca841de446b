// Package testenv owns how tests find the shared real-world test data and
// what they do when it is missing: skip with a message locally, fail in CI
// (CI=true).
package testenv

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// DataDir returns the directory of the shared third-party data
// (../shared/data beside the repository, or $STELLA_TESTDATA), or "" when it
// is absent.
func DataDir() string {
	if d := os.Getenv("STELLA_TESTDATA"); d != "" {
		if isDir(d) {
			return d
		}
		return ""
	}
	d := filepath.Join(RepoRoot(), "..", "shared", "data")
	if isDir(d) {
		return filepath.Clean(d)
	}
	return ""
}

// RequireData returns DataDir, skipping the test when the data is absent, or
// failing it when running in CI.
func RequireData(t testing.TB) string {
	t.Helper()
	d := DataDir()
	if d != "" {
		return d
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("real-data conformance tests need ../shared/data (or STELLA_TESTDATA) and CI=true forbids skipping")
	}
	t.Skip("skipping: real test data not found (set STELLA_TESTDATA or place it at ../shared/data)")
	return ""
}

// RepoRoot returns the repository root (the directory holding go.mod).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
