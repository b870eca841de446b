package governance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// TestRunTrust covers the rule that a database whose audit chain records a
// trust config is governed wherever a run starts (docs/governance.md "Runs
// at a governed site"): a run that finds no trust config there is refused
// (guard trust, exit 3) naming the database and the recorded version; one
// that finds it, by --trust or trust_file, is governed by it; a database
// that records none, or none at all, is an ungoverned site; bad input
// errors without a panic.
func TestRunTrust(t *testing.T) {
	dir := t.TempDir()
	elsewhere := filepath.Join(dir, "elsewhere")
	if err := os.Mkdir(elsewhere, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Chdir(elsewhere)
	ctx := t.Context()
	site := func(db string) *Site {
		return &Site{DB: db, Tenant: "default", Lookup: TrustLookup{ConfigHome: filepath.Join(dir, "home")},
			Setting: func(string) string { return "" }, Loud: func(m string) { t.Errorf("loud: %s", m) }}
	}

	// No database: nothing is recorded, and none is created.
	none := site(filepath.Join(dir, "none.db"))
	if tr, err := none.RunTrust(ctx, ""); tr != nil || err != nil {
		t.Fatalf("RunTrust with no database = %v, %v; want nil, nil", tr, err)
	}
	if _, err := os.Stat(none.DB); !os.IsNotExist(err) {
		t.Fatalf("RunTrust created the database: %v", err)
	}

	// A database that records no trust config: an ungoverned site.
	plain := site(filepath.Join(dir, "plain.db"))
	st, err := store.Open(ctx, plain.DB, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if tr, err := plain.RunTrust(ctx, ""); tr != nil || err != nil {
		t.Fatalf("RunTrust on a database with no trust config = %v, %v; want nil, nil", tr, err)
	}

	// A governed database: its chain records the trust file's version 1.
	gov := site(filepath.Join(dir, "gov.db"))
	trustPath := filepath.Join(dir, "trust.yaml")
	st, err = store.Open(ctx, gov.DB, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ci, err := attest.Generate(attest.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&TrustChange{Store: st, Trust: NewTrust(trustPath)}).Add(ctx, "ci", ci, []string{ScopePolicyRun}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	before, err := os.ReadFile(gov.DB)
	if err != nil {
		t.Fatal(err)
	}

	_, err = gov.RunTrust(ctx, "")
	refused(t, err, GuardTrust, "database "+gov.DB+" is governed: its audit chain records trust config version 1 (audit event")
	for _, want := range []string{"recorded from " + trustPath, "--trust FILE", "STELLA_TRUST_FILE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if after, err := os.ReadFile(gov.DB); err != nil || string(after) != string(before) {
		t.Errorf("the refusal changed the database (%v)", err)
	}
	// Commands that record no run still find none in force there.
	if tr, err := gov.InForce(ctx, ""); tr != nil || err != nil {
		t.Errorf("InForce on the governed database = %v, %v; want nil, nil", tr, err)
	}

	// With its trust file named, by flag or by trust_file, the run is governed.
	for name, s := range map[string]func() (*Trust, error){
		"--trust":    func() (*Trust, error) { return gov.RunTrust(ctx, trustPath) },
		"trust_file": func() (*Trust, error) { c := *gov; c.Lookup.Configured = trustPath; return c.RunTrust(ctx, "") },
	} {
		tr, err := s()
		if err != nil || tr == nil || tr.Path != trustPath {
			t.Errorf("%s: RunTrust = %v, %v; want %s", name, tr, err, trustPath)
		}
	}
	if _, err := gov.RunTrust(ctx, "missing.yaml"); !fail.Is(err, fail.NotFound) {
		t.Errorf("RunTrust(--trust missing.yaml) = %v, want not found", err)
	}

	// A database file that is not one: an error, no panic.
	junk := site(filepath.Join(dir, "junk.db"))
	if err := os.WriteFile(junk.DB, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	if tr, err := junk.RunTrust(ctx, ""); err == nil {
		t.Errorf("RunTrust on a file that is no database = %v, nil; want an error", tr)
	}
}

// TestAuditListsUngovernedRuns: RunTrust refuses them now, but a database
// written before may hold enforced runs recorded after the first trust
// config version with no approval set; audit verify keeps listing them as
// ungoverned, and not the runs recorded before any version, nor shadow
// runs nor simulations.
func TestAuditListsUngovernedRuns(t *testing.T) {
	w := newWorld(t, 1)
	ref := w.draft("", cleanPolicy)
	w.run(ref, store.ModeRun, false, false) // before any trust config version
	ci, err := attest.Generate(attest.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&TrustChange{Store: w.st, Trust: NewTrust(filepath.Join(t.TempDir(), "trust.yaml"))}).Add(w.ctx, "ci", ci, []string{ScopePolicyRun}); err != nil {
		t.Fatal(err)
	}
	w.run(ref, store.ModeRun, true, false)
	w.run(ref, store.ModeSimulate, false, false)
	ungoverned := w.run(ref, store.ModeRun, false, false)
	rep, err := VerifyAudit(w.ctx, w.st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Ungoverned) != 1 || !strings.HasPrefix(rep.Ungoverned[0], "run "+ungoverned+" ") ||
		!strings.Contains(rep.Ungoverned[0], "): "+ref+", ") || !strings.Contains(rep.Ungoverned[0], "enforced with no approval set while trust config version 1 (") {
		t.Fatalf("ungoverned = %q, want the one enforced run after version 1 (%s)", rep.Ungoverned, ungoverned)
	}
}
