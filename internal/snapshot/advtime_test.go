package snapshot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFutureDuplicate: of two copies of an advisory, the one modified after
// the time the advisories are frozen for does not win — in memory, through
// the cache's streamed freeze, and when a cache entry frozen without that
// limit exists — and a warning names the file (docs/inputs.md "Advisories").
func TestFutureDuplicate(t *testing.T) {
	defer func(w time.Duration) { racyWindow = w }(racyWindow)
	racyWindow = 20 * time.Millisecond
	dir := t.TempDir()
	osv := filepath.Join(dir, "osv")
	copyTree(t, filepath.Join(testInputs, "osv"), osv)
	record := func(modified, summary string) string {
		return `{"id":"GHSA-futr-0000-0000","modified":"` + modified + `","summary":"` + summary +
			`","affected":[{"package":{"ecosystem":"npm","name":"left-pad"},"versions":["1.0.0"]}]}`
	}
	write := func(p, text string) {
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(osv, "dup-old.json"), record("2025-06-01T00:00:00Z", "known"))
	future := filepath.Join(osv, "dup-future.json")
	write(future, record("2099-01-01T00:00:00Z", "future"))
	loose := filepath.Join(dir, "future.json")
	write(loose, record("2099-01-01T00:00:00Z", "future"))
	time.Sleep(3 * racyWindow)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	kept := func(s *Snapshot) string {
		t.Helper()
		a, err := s.Index.Get("GHSA-futr-0000-0000")
		if err != nil || a == nil {
			t.Fatalf("GHSA-futr-0000-0000: %v, %v", a, err)
		}
		return a.Summary
	}
	warned := func(s *Snapshot, file string) bool {
		ws := s.Manifest.Warnings
		for _, src := range s.Manifest.Sources {
			ws = append(ws, src.Warnings...)
		}
		for _, w := range ws {
			if w.File == file && strings.Contains(w.Msg, "not yet known then") {
				return true
			}
		}
		return false
	}
	spec := Spec{SBOMs: []string{filepath.Join(testInputs, "shop.cdx.json")}, Advisories: []string{osv}}
	unlimited := fromFiles(t, spec)
	if kept(unlimited) != "future" {
		t.Fatalf("without a limit the newest copy wins, got %q", kept(unlimited))
	}
	spec.NotAfter = at
	want := fromFiles(t, spec)
	if kept(want) != "known" || !warned(want, future) {
		t.Fatalf("kept %q (warned %v), want the copy known at %v, warned", kept(want), warned(want, future), at)
	}

	// The streamed freeze merges alike and keeps no entry that depends on
	// the limit; an entry frozen without it is not taken with it.
	spec.Cache = filepath.Join(dir, "cache")
	for _, run := range []string{"first run", "second run"} {
		if got := fromFiles(t, spec); got.ID() != want.ID() || kept(got) != "known" || !warned(got, future) {
			t.Fatalf("%s with the cache: snapshot %s kept %q, want %s", run, got.ID(), kept(got), want.ID())
		}
		if c, set, _ := openCache(&spec); c == nil || set != nil {
			t.Fatalf("%s: a cache entry is taken for a limit it depends on", run)
		}
	}
	free := spec
	free.NotAfter = time.Time{}
	if got := fromFiles(t, free); got.ID() != unlimited.ID() {
		t.Fatal("the cache changed the unlimited merge")
	}
	if _, set, _ := openCache(&free); set == nil || !set.DupNewest.Equal(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("no entry cached for the unlimited merge, or without its newest duplicate: %+v", set)
	}
	if got := fromFiles(t, spec); got.ID() != want.ID() {
		t.Fatal("an entry frozen without the limit was taken with it")
	}
	late := spec
	late.NotAfter = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, set, _ := openCache(&late); set == nil {
		t.Fatal("the entry is not taken for a limit no copy is future to")
	}

	// Two inputs: the warning names the file of the copy dropped.
	two := Spec{SBOMs: spec.SBOMs, Advisories: []string{filepath.Join(testInputs, "osv"), loose}, NotAfter: at}
	write(filepath.Join(dir, "known.json"), record("2025-06-01T00:00:00Z", "known"))
	two.Advisories[0] = filepath.Join(dir, "known.json")
	if got := fromFiles(t, two); kept(got) != "known" || !warned(got, loose) {
		t.Fatalf("two inputs: kept %q, warned about %s: %v; %v", kept(got), loose, warned(got, loose), got.Manifest.Warnings)
	}
}
