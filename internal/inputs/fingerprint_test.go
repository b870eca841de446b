package inputs

import (
	"fmt"
	"testing"
)

// TestAppendPrint: a fingerprint line is what fmt writes for its fields.
func TestAppendPrint(t *testing.T) {
	for _, c := range []struct {
		rel                string
		size, mtime, ctime int64
		ino, dev           uint64
		mode               uint32
	}{
		{"", 4096, 1733400000123456789, 1733400000987654321, 12345, 2049, 020000000755},
		{"npm/GHSA-x.json", 0, -1, 0, 0, 0, 0o644},
		{"dir with \"quotes\"/é\t\x01.json", 1 << 40, 1<<63 - 1, -1 << 63, 1<<64 - 1, 1<<64 - 1, 1<<32 - 1},
	} {
		want := fmt.Sprintf("%q %d %d %d %d %d %o\n", c.rel, c.size, c.mtime, c.ctime, c.ino, c.dev, c.mode)
		if got := string(appendPrint(nil, c.rel, c.size, c.mtime, c.ctime, c.ino, c.dev, c.mode)); got != want {
			t.Errorf("appendPrint = %q, want %q", got, want)
		}
	}
}
