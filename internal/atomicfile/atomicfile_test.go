package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		path    string
		before  string // existing content, "" for none
		wantErr string
	}{
		{"new file", filepath.Join(dir, "a.json"), "", ""},
		{"replaces", filepath.Join(dir, "b.json"), "old", ""},
		{"missing directory", filepath.Join(dir, "no", "c.json"), "", "no/c.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != "" {
				if err := os.WriteFile(tc.path, []byte(tc.before), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := Write(tc.path, []byte("new"), 0o640)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), ".stella-") {
					t.Fatalf("error %v, want one naming %s and not the temporary file", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(tc.path)
			fi, _ := os.Stat(tc.path)
			if err != nil || string(b) != "new" || fi.Mode().Perm() != 0o640 {
				t.Fatalf("read %q (%v), mode %v", b, err, fi.Mode())
			}
		})
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".stella-*"))
	if len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// TestWriteDevice: a device or a symbolic link is written through, never
// replaced by a file (as root, renaming over /dev/null succeeds and breaks the machine).
func TestWriteDevice(t *testing.T) {
	if err := Write(os.DevNull, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode().IsRegular() {
		t.Fatalf("%s is now %v (%v)", os.DevNull, fi.Mode(), err)
	}
	dir := t.TempDir()
	target, link := filepath.Join(dir, "target.json"), filepath.Join(dir, "link.json")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := Write(link, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v (%v)", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Fatalf("target holds %q", b)
	}
	if err := Write(dir, []byte("x"), 0o644); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("writing over a directory: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(os.DevNull), ".stella-*")); len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
