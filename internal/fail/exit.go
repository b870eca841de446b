package fail

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// Codes is the exit-code contract, one line per code, printed by
// `stella --help` (Help) and documented in docs/exit-codes.md.
var Codes = []struct {
	Kind    Kind
	Meaning string
}{
	{0, "success; gate passed"},
	{Internal, "internal error"},
	{Invalid, "invalid usage or input (parse/compile errors, unreadable or malformed files)"},
	{Governance, "governance refusal (missing scope, separation of duties, quorum, activation guard)"},
	{NotFound, "not found (run, policy, snapshot, key, exception)"},
	{Sealed, "sealed/offline mode violation"},
	{Integrity, "integrity failure (signature, digest, IR hash, stale or tampered bundle)"},
	{Unfrozen, "inputs unfrozen (policy run given loose files instead of a snapshot)"},
	{Transient, "transient error; a retry may succeed (e.g. PostgreSQL unreachable)"},
	{Blocked, "gate blocked"},
	{Warned, "gate warned (only with --fail-on warned)"},
}

// Help is Codes as the help text lists them.
func Help() string {
	var b strings.Builder
	b.WriteString("Exit codes:\n")
	for _, c := range Codes {
		fmt.Fprintf(&b, "  %3d  %s\n", c.Kind, c.Meaning)
	}
	return b.String()
}

// reported is an error whose diagnostics are already written.
type reported struct{ kind Kind }

func (r *reported) Error() string { return "reported" }

// Reported returns an error of kind k for a command that has already
// written its own diagnostics: nothing more is printed for it (IsReported).
func Reported(k Kind) error { return &reported{kind: k} }

// IsReported reports whether err was made by Reported.
func IsReported(err error) bool {
	var r *reported
	return errors.As(err, &r)
}

// Code is the process exit code of err: 0 for nil, else its kind
// (Reported's, or KindOf's). It is the one mapping of errors to exit codes.
func Code(err error) int {
	if err == nil {
		return 0
	}
	var r *reported
	if errors.As(err, &r) {
		return int(r.kind)
	}
	return int(KindOf(err))
}

// IsVerdict reports whether err only carries a gate verdict (Blocked,
// Warned): the command completed, and what it wrote is whole (`--output`
// is still written, docs/output.md).
func IsVerdict(err error) bool {
	k := Kind(Code(err))
	return k == Blocked || k == Warned
}

// Unwritten is the error of a file that could not be written: invalid
// input (exit 2), "write PATH: reason", naming path and not the temporary
// file an atomic writer used.
func Unwritten(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return New(Invalid, "write %s: %v", path, err)
}
