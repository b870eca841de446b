package cli

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestGroupsBuiltAlone: Main builds only the top-level command args[0]
// names (groupOf); groups lists every top-level command under its name,
// and every command's help is the same from the partial tree as from the
// whole one.
func TestGroupsBuiltAlone(t *testing.T) {
	full, err := newRootCmd(&App{Getenv: os.Getenv}, false, "")
	if err != nil {
		t.Fatal(err)
	}
	var top []string
	for _, c := range full.Commands() {
		top = append(top, c.Name())
	}
	var listed []string
	for _, g := range groups {
		listed = append(listed, g.name)
	}
	slices.Sort(top)
	slices.Sort(listed)
	if !slices.Equal(top, listed) {
		t.Fatalf("top-level commands %v, groups %v", top, listed)
	}
	var paths [][]string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c != full {
			paths = append(paths, strings.Fields(c.CommandPath())[1:])
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(full)
	for _, p := range paths {
		args := append(slices.Clone(p), "--help")
		var want bytes.Buffer
		app := &App{Out: &want, Err: &want, Getenv: os.Getenv}
		root, err := newRootCmd(app, false, "")
		if err != nil {
			t.Fatal(err)
		}
		root.SetArgs(args)
		root.SetOut(&want)
		root.SetErr(&want)
		if err := root.Execute(); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		var got, stderr bytes.Buffer
		if code := Main(args, strings.NewReader(""), &got, &stderr); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr.String())
		}
		if got.String() != want.String() {
			t.Errorf("%v: help differs from the whole tree's:\n%s\nwant\n%s", args, got.String(), want.String())
		}
	}
	if len(paths) < 80 {
		t.Fatalf("only %d commands walked", len(paths))
	}
}
