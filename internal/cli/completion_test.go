package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestCompletionsRegistration: the real tree registers every completion; a
// flag whose completion was registered twice is reported, not dropped.
func TestCompletionsRegistration(t *testing.T) {
	app := &App{Getenv: func(string) string { return "" }}
	if _, err := newRootCmd(app, true, ""); err != nil {
		t.Fatal(err)
	}
	root := &cobra.Command{Use: "stella"}
	sub := &cobra.Command{Use: "run", RunE: func(*cobra.Command, []string) error { return nil }}
	sub.Flags().String("policy", "", "")
	if err := sub.RegisterFlagCompletionFunc("policy", cobra.NoFileCompletions); err != nil {
		t.Fatal(err)
	}
	root.AddCommand(sub)
	if err := app.completions(root); err == nil || !strings.Contains(err.Error(), "completion of stella run --policy") {
		t.Errorf("a second registration: %v", err)
	}
}
