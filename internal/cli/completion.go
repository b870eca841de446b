package cli

import (
	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
)

type completionOptions struct {
	shell string
}

func newCompletionCmd(app *App) *cobra.Command {
	opts := &completionOptions{}
	return &cobra.Command{
		Use:       "completion bash|zsh|fish",
		Short:     "Print a shell completion script",
		Long:      "Print a completion script for bash, zsh or fish. For example:\n\n  source <(stella completion bash)",
		ValidArgs: []string{"bash", "zsh", "fish"},
		Args:      exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.shell = args[0]
			return runCompletion(app, cmd.Root(), opts)
		},
	}
}

func runCompletion(app *App, root *cobra.Command, opts *completionOptions) error {
	switch opts.shell {
	case "bash":
		return root.GenBashCompletionV2(app.Out, true)
	case "zsh":
		return root.GenZshCompletion(app.Out)
	case "fish":
		return root.GenFishCompletion(app.Out, true)
	}
	return fail.New(fail.Invalid, "unknown shell %q (want bash, zsh or fish)", opts.shell)
}
