package snapshot

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
)

// TestRecordDigests: a run from a snapshot directory with a version 3
// index checks the records it reads against their digests in the index
// (covered by the snapshot id) instead of hashing all of advisories.json;
// a changed record it reads fails the run, a changed record it does not
// read fails OpenDir (`snapshot show`, `snapshot import`). A version 2
// snapshot still opens and loads, verified whole (docs/inputs.md,
// "Advisory index").
func TestRecordDigests(t *testing.T) {
	in := t.TempDir()
	copyDir(t, testInputs, in)
	// A record for a package no SBOM has, older than the others: no run
	// reads it.
	unread := `{"id":"GHSA-0000-0000-0000","modified":"2020-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"unused"},"versions":["1.0.0"]}]}`
	if err := os.WriteFile(filepath.Join(in, "osv", "GHSA-0000-0000-0000.json"), []byte(unread), 0o644); err != nil {
		t.Fatal(err)
	}
	s := fromFiles(t, testSpec(in))
	write := func(t *testing.T, v2 bool) string {
		dir := filepath.Join(t.TempDir(), "snap")
		if err := s.Write(dir); err != nil {
			t.Fatal(err)
		}
		if v2 {
			toV2(t, dir)
		}
		return dir
	}
	loaded, err := Load(write(t, false))
	if err != nil {
		t.Fatal(err)
	}
	selected := idsOf(loaded.Inputs.Advisories)
	var read, other Record // a record the run reads, and one it does not
	for _, r := range s.Index.doc.Advisories {
		if slices.Contains(strings.Split(selected, ","), r.ID) {
			read = r
		} else {
			other = r
		}
	}
	if read.ID == "" || other.ID == "" {
		t.Fatalf("selected %s of %d records: want some read and some not", selected, s.Index.Len())
	}
	for _, tc := range []struct {
		name      string
		v2        bool
		change    *Record // its last digit changed, same length
		load      string  // Load's error, "" for none
		verifyErr bool    // OpenDir fails
	}{
		{"v3", false, nil, "", false},
		{"v3 read record changed", false, &read, "does not match its digest in the advisory index", true},
		{"v3 unread record changed", false, &other, "", true},
		{"v2", true, nil, "", false},
		{"v2 read record changed", true, &read, "content does not match the manifest digest", true},
		{"v2 unread record changed", true, &other, "content does not match the manifest digest", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := write(t, tc.v2)
			if tc.change != nil {
				changeRecord(t, filepath.Join(dir, AdvisoriesFile), *tc.change)
			}
			got, err := Load(dir)
			switch {
			case tc.load == "" && err != nil:
				t.Errorf("Load: %v", err)
			case tc.load == "" && idsOf(got.Inputs.Advisories) != selected:
				t.Errorf("Load read %s, want %s", idsOf(got.Inputs.Advisories), selected)
			case tc.load != "" && (!fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), tc.load)):
				t.Errorf("Load: got %v, want an integrity error containing %q", err, tc.load)
			}
			if tc.change == &other && !tc.v2 {
				// Reading every record after the load (an --as-of before
				// some records' modified times) meets the changed one: the
				// error names the snapshot directory and the record.
				_, err := got.Index.Modified()
				if !fail.Is(err, fail.Integrity) || !strings.Contains(err.Error(), "snapshot "+dir+": ") || !strings.Contains(err.Error(), "record "+other.ID+" ") {
					t.Errorf("Modified: got %v, want an integrity error naming %s and record %s", err, dir, other.ID)
				}
			}
			_, err = OpenDir(dir)
			if tc.verifyErr != (err != nil) || err != nil && !fail.Is(err, fail.Integrity) {
				t.Errorf("OpenDir: %v, want an integrity error: %v", err, tc.verifyErr)
			}
		})
	}
}

// changeRecord changes the last digit of record r in the data file at p.
func changeRecord(t *testing.T, p string, r Record) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	rec := b[r.Offset : r.Offset+r.Length]
	i := strings.LastIndexAny(string(rec), "0123456789")
	if i < 0 {
		t.Fatalf("record %s has no digit", r.ID)
	}
	rec[i] = '0' + (rec[i]-'0'+1)%10
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// toV2 rewrites the snapshot in dir as a version 2 index writes it: no
// record digests, the manifest and id to match.
func toV2(t *testing.T, dir string) {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc IndexDoc
	if err := decodeIndex(text, &doc, true); err != nil {
		t.Fatal(err)
	}
	text = canonText(olderIndex(&doc, indexSchemaV2))
	if err := os.WriteFile(filepath.Join(dir, IndexFile), text, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := readManifest(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range m.Content.Files {
		if f.Path == IndexFile {
			m.Content.Files[i].Digest, m.Content.Files[i].Size = canon.Digest(text), int64(len(text))
		}
	}
	m.ID = contentID(&m.Content)
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), manifestBytes(m), 0o644); err != nil {
		t.Fatal(err)
	}
}
