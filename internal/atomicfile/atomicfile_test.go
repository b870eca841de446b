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
