package cli

import (
	"strings"

	"github.com/stella-policy/stella/internal/fail"
)

// withUsageKind gives cobra's own parse errors, which carry no kind, the
// kind Invalid (exit 2); the exit codes themselves are fail.Code's.
func withUsageKind(err error) error {
	if err == nil || fail.KindOf(err) != fail.Internal || fail.IsReported(err) {
		return err
	}
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "required flag", "invalid argument", "flag needs an argument", "accepts ", "requires at least", "requires at most", "if any flags in the group"} {
		if strings.HasPrefix(msg, p) || strings.Contains(msg, " "+p) {
			return fail.Wrap(fail.Invalid, err)
		}
	}
	return err
}
