package cli

import (
	"strings"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/run"
)

// check refuses the flag combinations a simulation does not take. With
// --set (a policy set: --set active, or a comma-separated list of policies;
// docs/governance.md "Evaluating a set") it reads the set.
func (o *policySimulateOptions) check(args []string) (err error) {
	if o.set == "" {
		if len(args) == 0 {
			return fail.New(fail.Invalid, "give POLICY (a .stella file or P-n[@version]), or --set")
		}
		return o.checkBaselines()
	}
	switch {
	case len(args) > 0:
		return fail.New(fail.Invalid, "--set replaces POLICY: name the policies in --set (or --set active)")
	case o.baseline != "" || o.base.given() > 0 || strings.HasPrefix(o.failOn, "new-"):
		return fail.New(fail.Invalid, "baselines (--baseline…, --fail-on new-blocked|new-warned) do not apply to --set")
	case o.expectIR != "":
		return fail.New(fail.Invalid, "--expect-ir-digest names one policy's IR; it does not apply to --set")
	}
	if err := run.CheckFailOn(o.failOn, "blocked", "warned", "never"); err != nil {
		return err
	}
	if err := o.checkBaselines(); err != nil {
		return err // --label
	}
	o.refs, o.active, err = governance.ParseSet(o.set)
	return err
}
