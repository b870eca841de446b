package migrations

import (
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name      string
		files     []string
		want      []int
		wantPanic bool
	}{
		{"in order", []string{"0002_b.sql", "0001_a.sql"}, []int{1, 2}, false},
		{"none", nil, nil, false},
		{"a gap", []string{"0001_a.sql", "0003_c.sql"}, nil, true},
		{"no number", []string{"init.sql"}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range tc.files {
				fsys["migrations/"+f] = &fstest.MapFile{Data: []byte("SELECT 1;")}
			}
			defer func() {
				if r := recover(); (r != nil) != tc.wantPanic {
					t.Fatalf("panic %v, want one: %v", r, tc.wantPanic)
				}
			}()
			ms := Load(fsys, "test")
			if len(ms) != len(tc.want) {
				t.Fatalf("%d migrations, want %d", len(ms), len(tc.want))
			}
			for i, m := range ms {
				if m.Version != tc.want[i] || m.SQL != "SELECT 1;" {
					t.Fatalf("migration %d: %+v", i, m)
				}
			}
		})
	}
}
