package cli

import "github.com/spf13/cobra"

// Command groups. Each subcommand lives in its own file and is listed here.

func newPolicyCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Lint, compile, simulate, run, explain and govern policies"}
	cmd.AddCommand(newPolicyLintCmd(app), newPolicyCompileCmd(app), newPolicyFmtCmd(app))
	cmd.AddCommand(policyHistoryCmds(app)...)
	cmd.AddCommand(newPolicySimulateCmd(app), newPolicyTestCmd(app))
	cmd.AddCommand(policyGovernanceCmds(app)...)
	return cmd
}

func newSnapshotCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "snapshot", Short: "Freeze inputs into content-addressed snapshots"}
	cmd.AddCommand(newSnapshotCreateCmd(app), newSnapshotLsCmd(app), newSnapshotShowCmd(app))
	cmd.AddCommand(newSnapshotImportCmd(app))
	return cmd
}

func newInputsCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "inputs", Short: "Inspect input files (SBOM, OSV, VEX, signals)"}
	cmd.AddCommand(newInputsInspectCmd(app))
	return cmd
}

func newFeedsCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "feeds", Short: "Pull advisory and signal feeds (OSV, KEV, EPSS, NVD) into a local cache"}
	cmd.AddCommand(newFeedsPullCmd(app), newFeedsStatusCmd(app))
	return cmd
}

func newKeyCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "key", Short: "Generate, list and export signing keys (ed25519, ECDSA P-256)"}
	cmd.AddCommand(newKeyGenerateCmd(app), newKeyListCmd(app), newKeyExportCmd(app))
	return cmd
}

func newBundleCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "bundle", Short: "Export, verify, inspect and import signed offline bundles for air-gapped sites"}
	cmd.AddCommand(newBundleExportCmd(app), newBundleVerifyCmd(app), newBundleInspectCmd(app), newBundleImportCmd(app), newBundleStatusCmd(app))
	return cmd
}

func newStoreCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "store", Short: "Maintain the SQLite database: retention and integrity"}
	cmd.AddCommand(newStorePruneCmd(app), newStoreCheckCmd(app))
	return cmd
}

func newSyncCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "sync", Short: "Push history to a shared database"}
	cmd.AddCommand(newSyncPostgresCmd(app), newSyncRegisterCmd(app))
	return cmd
}

// policyHistoryCmds are the policy subcommands over recorded runs.
func policyHistoryCmds(app *App) []*cobra.Command {
	return []*cobra.Command{
		newPolicyRunCmd(app), newPolicyHistoryCmd(app), newPolicyRunsCmd(app), newPolicyExplainCmd(app),
		newPolicyReplayCmd(app), newPolicyDiffCmd(app), newPolicyMetricsCmd(app), newPolicyExportCmd(app), newPolicyVerifyCmd(app),
	}
}

// policyGovernanceCmds are the policy lifecycle subcommands (governance).
func policyGovernanceCmds(app *App) []*cobra.Command {
	return []*cobra.Command{
		newPolicyNewCmd(app), newPolicySubmitCmd(app), newPolicyReviewCmd(app), newPolicyApproveCmd(app),
		newPolicyActivateCmd(app), newPolicyArchiveCmd(app), newPolicyRollbackCmd(app), newPolicyVersionsCmd(app),
		newPolicyStatusCmd(app), newPolicyConflictsCmd(app), newPolicyDepsCmd(app),
		newPolicyViolationsCmd(app), newPolicyStateCmd(app),
	}
}

func newTrustCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "trust", Short: "Edit the trust config: which keys act as which principals, with which scopes"}
	cmd.AddCommand(newTrustAddCmd(app), newTrustLsCmd(app), newTrustRmCmd(app), newTrustSignCmd(app))
	return cmd
}

func newExceptionCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "exception", Short: "Request, approve, revoke and list time-boxed exceptions (waivers)"}
	cmd.AddCommand(newExceptionRequestCmd(app), newExceptionApproveCmd(app), newExceptionRevokeCmd(app),
		newExceptionListCmd(app), newExceptionShowCmd(app), newExceptionExportCmd(app))
	return cmd
}

func newAuditCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Read, verify and export the hash-chained audit log"}
	cmd.AddCommand(newAuditLogCmd(app), newAuditVerifyCmd(app), newAuditExportCmd(app))
	return cmd
}
