package cli

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/testenv"
)

// TestREADME runs the README's "Build and run" block exactly as written (with
// the freshly built binary as ./stella) in a scratch directory, so every
// command the README shows keeps working.
func TestREADME(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	root := testenv.RepoRoot()
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	block := readmeBlock(t, string(readme), "## Build and run")
	if !strings.HasPrefix(block, "go build ./cmd/stella\n") {
		t.Fatalf("the block must start with the build command:\n%s", block)
	}
	work := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(work, "stella"), "./cmd/stella")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := os.Symlink(filepath.Join(root, "testdata"), filepath.Join(work, "testdata")); err != nil {
		t.Fatal(err)
	}
	script := "set -euo pipefail\n" + strings.TrimPrefix(block, "go build ./cmd/stella\n")
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "HOME="+work, "XDG_DATA_HOME="+filepath.Join(work, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(work, "config"), "STELLA_DB=", "STELLA_CONFIG=", "NO_COLOR=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("README commands failed: %v\n%s", err, out.String())
	}
	for _, want := range []string{"sha256:", "exit 20", "decided by block_critical", "identical run:", "verified envelope"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("README output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestREADMELinks checks that every docs/NAME.md the README names exists.
func TestREADMELinks(t *testing.T) {
	root := testenv.RepoRoot()
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := docLinkRE.FindAllString(string(readme), -1)
	if len(names) == 0 {
		t.Fatal("README names no docs/*.md")
	}
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(root, n)); err != nil {
			t.Errorf("README names %s: %v", n, err)
		}
	}
}

var docLinkRE = regexp.MustCompile(`docs/[A-Za-z0-9_-]+\.md`)

// readmeBlock returns the first ```sh block after heading.
func readmeBlock(t *testing.T, readme, heading string) string {
	t.Helper()
	_, after, ok := strings.Cut(readme, heading+"\n")
	if !ok {
		t.Fatalf("README has no %q", heading)
	}
	_, after, ok = strings.Cut(after, "```sh\n")
	if !ok {
		t.Fatalf("no sh block under %q", heading)
	}
	block, _, ok := strings.Cut(after, "```")
	if !ok {
		t.Fatal("unterminated block")
	}
	return block
}

// TestREADMECommands checks every ./stella command of every README block —
// including those TestREADME cannot run (they need the network) — names a
// command that exists and only flags it has.
func TestREADMECommands(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	app := &App{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard, Getenv: func(string) string { return "" }}
	root, err := newRootCmd(app, true, "")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, b := range shBlocks(strings.ReplaceAll(string(readme), "./stella ", "stella ")) {
		for _, c := range b.cmds {
			n++
			cmd, rest, err := root.Find(c.args[1:])
			if err != nil || cmd == root || !cmd.Runnable() {
				t.Errorf("README:%d: %q: no such command", c.line, strings.Join(c.args, " "))
				continue
			}
			if err := cmd.ParseFlags(rest); err != nil {
				t.Errorf("README:%d: %q: %v", c.line, strings.Join(c.args, " "), err)
			}
		}
	}
	if n < 10 {
		t.Fatalf("found only %d stella commands in README", n)
	}
}
