package run

import (
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/fail"
)

// CheckFailOn refuses a --fail-on value that is not one of those the
// command's gate takes (Gate, Compared.Gate, Outcome.Gate;
// docs/exit-codes.md), listing them in the order given.
func CheckFailOn(v string, allowed ...string) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	last := len(allowed) - 1
	return fail.New(fail.Invalid, "--fail-on %q: want %s or %s", v, strings.Join(allowed[:last], ", "), allowed[last])
}
