package cli

import "github.com/spf13/cobra"

// Command groups. Each subcommand lives in its own file and is listed here.

func newPolicyCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Lint, compile, simulate, run, explain and govern policies"}
	cmd.AddCommand()
	return cmd
}

func newSnapshotCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "snapshot", Short: "Freeze inputs into content-addressed snapshots"}
	cmd.AddCommand()
	return cmd
}

func newInputsCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "inputs", Short: "Inspect input files (SBOM, OSV, VEX, signals)"}
	cmd.AddCommand()
	return cmd
}
