package archtest

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// cliOwners are the packages internal/cli imports when each command is an
// Options struct, its flags and one call into the owner of its group
// (docs/architecture.md "Where the CLI stands").
var cliOwners = map[string]string{
	"internal/fail":       "the exit code of the command's error (fail.Code); flag errors",
	"internal/atomicfile": "committing --output (root.go)",
	"internal/store":      "opening the database",
	"internal/dsl":        "policy fmt|lint|compile; diagnostics",
	"internal/run":        "policy simulate|run|diff|replay|explain|history|runs|metrics|violations|export|verify; store prune; match, cvss, version, version compare",
	"internal/report":     "every rendering of a domain value; the table writer",
	"internal/governance": "policy run (Site.Run); policy lifecycle, conflicts, deps; exception; trust; key; audit; lessons",
	"internal/snapshot":   "snapshot; inputs inspect",
	"internal/feeds":      "feeds",
	"internal/bundle":     "bundle; sealed runs",
	"internal/sync":       "sync",
	"internal/policytest": "policy test",
}

// maxCLIImports is the most internal packages the CLI may import.
const maxCLIImports = 12

// maxCLILines is the most lines the CLI's files (tests aside) may hold,
// counted as wc -l counts them (issue 13): more means logic is growing in
// the CLI instead of in the owner of a command group.
const maxCLILines = 5999

// cliPending are imports of internal/cli whose command bodies have not
// moved into their owner yet. The list only shrinks: a new import outside
// cliOwners fails TestCLIImports.
var cliPending []string

// cliImportProblems returns the imports of the CLI that are neither an
// owner nor pending, and the pending ones it no longer imports.
func cliImportProblems(imps, pending []string) (extra, done []string) {
	for _, imp := range imps {
		if _, ok := cliOwners[imp]; !ok && !slices.Contains(pending, imp) {
			extra = append(extra, imp)
		}
	}
	for _, p := range pending {
		if !slices.Contains(imps, p) {
			done = append(done, p)
		}
	}
	return extra, done
}

func TestCLIImports(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the import graph with go list")
	}
	imps := importGraph(t)["internal/cli"]
	if len(imps) > maxCLIImports {
		t.Errorf("internal/cli imports %d internal packages, more than %d (issue 13; docs/architecture.md \"Where the CLI stands\")", len(imps), maxCLIImports)
	}
	extra, done := cliImportProblems(imps, cliPending)
	for _, imp := range extra {
		t.Errorf("internal/cli imports %s: call the owner of the command's group instead (docs/architecture.md \"Where the CLI stands\")", imp)
	}
	for _, p := range done {
		t.Logf("internal/cli no longer imports %s: remove it from cliPending", p)
	}
}

// TestCLIImportsCaught shows a reach past the owners failing the test.
func TestCLIImportsCaught(t *testing.T) {
	owners := make([]string, 0, len(cliOwners))
	for p := range cliOwners {
		owners = append(owners, p)
	}
	if extra, done := cliImportProblems(owners, nil); len(extra)+len(done) > 0 {
		t.Fatalf("the owners alone: extra %v, done %v", extra, done)
	}
	for _, imp := range []string{"internal/engine", "internal/dsl/syntax", "internal/canon", "internal/lessons"} {
		if extra, _ := cliImportProblems(append(slices.Clone(owners), imp), nil); !slices.Equal(extra, []string{imp}) {
			t.Errorf("the cli importing %s is not caught: %v", imp, extra)
		}
	}
	if _, done := cliImportProblems(owners, []string{"internal/ir"}); !slices.Equal(done, []string{"internal/ir"}) {
		t.Errorf("a pending import that is gone is not reported: %v", done)
	}
}

func TestCLISize(t *testing.T) {
	files, err := filepath.Glob("../cli/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no internal/cli files: %v", err)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n += bytes.Count(b, []byte("\n"))
	}
	if n > maxCLILines {
		t.Errorf("internal/cli has %d lines, more than %d: move the logic into the owner of the command's group (docs/architecture.md \"Where the CLI stands\")", n, maxCLILines)
	}
	t.Logf("internal/cli: %d lines", n)
}
