package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stella-policy/stella/internal/fail"
)

// exitCodes is the exit-code contract, printed by `stella --help` and
// documented in docs/exit-codes.md. It is the one place that maps error
// kinds to process exit codes.
var exitCodes = []struct {
	code fail.Kind
	text string
}{
	{0, "success; gate passed"},
	{fail.Internal, "internal error"},
	{fail.Invalid, "invalid usage or input (parse/compile errors, unreadable or malformed files)"},
	{fail.Governance, "governance refusal (missing scope, separation of duties, quorum, activation guard)"},
	{fail.NotFound, "not found (run, policy, snapshot, key, exception)"},
	{fail.Sealed, "sealed/offline mode violation"},
	{fail.Integrity, "integrity failure (signature, digest, IR hash, stale or tampered bundle)"},
	{fail.Unfrozen, "inputs unfrozen (policy run given loose files instead of a snapshot)"},
	{fail.Transient, "transient error; a retry may succeed (e.g. PostgreSQL unreachable)"},
	{fail.Blocked, "gate blocked"},
	{fail.Warned, "gate warned (only with --fail-on warned)"},
}

func exitCodeHelp() string {
	var b strings.Builder
	b.WriteString("Exit codes:\n")
	for _, c := range exitCodes {
		fmt.Fprintf(&b, "  %3d  %s\n", c.code, c.text)
	}
	return b.String()
}

// reported is returned by a command that has already written its own
// diagnostics: Main exits with the kind's code and prints nothing more.
type reported struct{ kind fail.Kind }

func (r *reported) Error() string { return "reported" }

// exitWith returns an error that makes Main exit with k silently.
func exitWith(k fail.Kind) error { return &reported{kind: k} }

// exitCode maps an error to the process exit code.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var r *reported
	if errors.As(err, &r) {
		return int(r.kind)
	}
	if isUsageError(err) {
		return int(fail.Invalid)
	}
	return int(fail.KindOf(err))
}

// isUsageError recognises cobra's own parse errors, which carry no kind.
func isUsageError(err error) bool {
	if fail.KindOf(err) != fail.Internal {
		return false
	}
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "required flag", "invalid argument", "flag needs an argument", "accepts ", "requires at least", "requires at most", "if any flags in the group"} {
		if strings.HasPrefix(msg, p) || strings.Contains(msg, " "+p) {
			return true
		}
	}
	return false
}
