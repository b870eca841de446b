package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
)

// Argument validators that fail with exit code 2. A missing argument is
// named from the command's usage line ("policy explain: missing RUN|latest").

func noArgs(cmd *cobra.Command, args []string) error {
	return fail.Wrap(fail.Invalid, cobra.NoArgs(cmd, args))
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return missingArg(cmd, args)
		}
		return fail.Wrap(fail.Invalid, cobra.ExactArgs(n)(cmd, args))
	}
}

func minArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return missingArg(cmd, args)
		}
		return nil
	}
}

func rangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo {
			return missingArg(cmd, args)
		}
		return fail.Wrap(fail.Invalid, cobra.RangeArgs(lo, hi)(cmd, args))
	}
}

// missingArg names the first positional argument of cmd's usage line that
// args does not supply.
func missingArg(cmd *cobra.Command, args []string) error {
	var names []string
	for _, w := range strings.Fields(cmd.Use)[1:] {
		if strings.HasPrefix(w, "[") || strings.HasPrefix(w, "-") {
			break
		}
		names = append(names, strings.TrimRight(w, ".…"))
	}
	path := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
	if len(args) < len(names) {
		return fail.New(fail.Invalid, "%s: missing %s", path, names[len(args)])
	}
	return fail.New(fail.Invalid, "%s: missing an argument (usage: %s)", path, cmd.UseLine())
}

// runE is the RunE of a command: its run function with the command's
// context, the App, the command's Options and its arguments.
func runE[O any](app *App, opts *O, run func(context.Context, *App, *O, []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error { return run(cmd.Context(), app, opts, args) }
}
