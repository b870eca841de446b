// Package fail owns the error kinds that decide stella's exit codes.
//
// Packages below the CLI wrap their errors with a Kind (fail.New, fail.Wrap);
// Code maps an error to the process exit code in exactly one place, and Codes
// is the table of what each code means (docs/exit-codes.md). An error without
// a kind is an internal error.
package fail

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the exit-code contract (docs/exit-codes.md).
type Kind int

// The kinds. Their numeric values are the exit codes.
const (
	Internal   Kind = 1  // unexpected failure; a bug or an environment problem
	Invalid    Kind = 2  // invalid usage or input: parse/compile errors, bad files
	Governance Kind = 3  // missing scope, separation of duties, quorum, activation guard
	NotFound   Kind = 4  // a named run, policy, snapshot, key or exception does not exist
	Sealed     Kind = 5  // sealed/offline mode forbids the operation
	Integrity  Kind = 6  // signature, digest or hash mismatch; stale or tampered data
	Unfrozen   Kind = 7  // a run was given loose inputs instead of a frozen snapshot
	Transient  Kind = 10 // a retry may succeed (e.g. PostgreSQL unreachable)
	Blocked    Kind = 20 // a gate blocked
	Warned     Kind = 21 // a gate warned and --fail-on warned was given
)

// Error is an error with a kind.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// New returns an error of kind k with a formatted message.
func New(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Err: fmt.Errorf(format, args...)}
}

// Wrap gives err the kind k. A nil err stays nil. An err that already has a
// kind keeps its message but takes the new kind.
func Wrap(k Kind, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: k, Err: err}
}

// KindOf reports the kind of err: the outermost kind in its chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err has kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }
