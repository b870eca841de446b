package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
)

type versionOptions struct {
	short bool
}

func newVersionCmd(app *App) *cobra.Command {
	opts := &versionOptions{}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version",
		Args:  noArgs,
		RunE:  runE(app, opts, runVersion),
	}
	cmd.Flags().BoolVar(&opts.short, "short", false, "print only the version")
	cmd.AddCommand(newVersionCompareCmd(app))
	return cmd
}

func runVersion(_ context.Context, app *App, opts *versionOptions, _ []string) error {
	info := run.ToolVersion()
	if opts.short {
		_, err := fmt.Fprintln(app.Out, info.Version)
		return err
	}
	// Plain text unless a format is asked for, TTY or not.
	return app.renderText(info, func(w io.Writer) error { return report.ToolVersion(w, info) })
}
