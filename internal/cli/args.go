package cli

import (
	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/fail"
)

// Argument validators that fail with exit code 2.

func noArgs(cmd *cobra.Command, args []string) error {
	return fail.Wrap(fail.Invalid, cobra.NoArgs(cmd, args))
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		return fail.Wrap(fail.Invalid, cobra.ExactArgs(n)(cmd, args))
	}
}

func minArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		return fail.Wrap(fail.Invalid, cobra.MinimumNArgs(n)(cmd, args))
	}
}

func rangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		return fail.Wrap(fail.Invalid, cobra.RangeArgs(lo, hi)(cmd, args))
	}
}
