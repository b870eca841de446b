package cli

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/testenv"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/cli.md from the command tree")

// TestCLIReference keeps docs/cli.md equal to what --help says: it renders the
// command tree (every command's usage, description and flags) and compares.
// Regenerate with: go test ./internal/cli -run TestCLIReference -update-docs
func TestCLIReference(t *testing.T) {
	app := &App{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard, Getenv: func(string) string { return "" }}
	// Built as for a completion request, whose walk merges every command's
	// inherited flags into its own as running it (and so --help) does.
	root, err := newRootCmd(app, true, "")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.WriteString("# stella command reference\n\n")
	b.WriteString("Generated from the command tree by `go test ./internal/cli -run TestCLIReference -update-docs`;\n")
	b.WriteString("a test fails when it differs from `stella … --help`. Exit codes: [exit-codes.md](exit-codes.md).\n\n")
	b.WriteString("## Global flags\n\nEvery command accepts these. Precedence: flag > `STELLA_<FLAG>` environment variable >\n")
	b.WriteString("config file (`--config`, else `./stella.yaml`, else `$XDG_CONFIG_HOME/stella/config.yaml`).\n\n```\n")
	b.WriteString(root.PersistentFlags().FlagUsages())
	b.WriteString("```\n\n## Commands\n\n")
	var walk func(c *cobra.Command)
	var toc, body bytes.Buffer
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" {
			return
		}
		if c != root {
			path := c.CommandPath()
			depth := strings.Count(path, " ") - 1
			fmt.Fprintf(&toc, "%s- [`%s`](#%s) — %s\n", strings.Repeat("  ", depth), path, anchor(path), c.Short)
			fmt.Fprintf(&body, "### %s\n\n%s\n\n", path, c.Short)
			if c.Long != "" && c.Long != c.Short {
				fmt.Fprintf(&body, "%s\n\n", strings.TrimSpace(c.Long))
			}
			if c.Runnable() {
				fmt.Fprintf(&body, "```\n%s\n```\n\n", c.UseLine())
			}
			if c.Example != "" {
				fmt.Fprintf(&body, "Examples:\n\n```\n%s\n```\n\n", strings.TrimRight(c.Example, "\n"))
			}
			if fl := c.LocalNonPersistentFlags().FlagUsages(); fl != "" {
				fmt.Fprintf(&body, "Flags:\n\n```\n%s```\n\n", fl)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	b.Write(toc.Bytes())
	b.WriteString("\n")
	b.Write(body.Bytes())
	checkDoc(t, "cli.md", "TestCLIReference", b.Bytes())
}

// checkDoc compares a generated reference with docs/name, or writes it
// there with -update-docs.
func checkDoc(t *testing.T, name, test string, got []byte) {
	t.Helper()
	path := filepath.Join(testenv.RepoRoot(), "docs", name)
	if *updateDocs {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (generate it with -update-docs)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/%s is out of date with the command tree; run: go test ./internal/cli -run %s -update-docs", name, test)
	}
}

func anchor(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), " ", "-")
}
