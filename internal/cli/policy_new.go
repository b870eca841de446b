package cli

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
)

type policyNewOptions struct {
	gov      govFlags
	id       string
	scaffold bool
}

// gateTemplate is the starter CI gate policy new --scaffold writes
// (docs/ci.md "A policy").
//
//go:embed templates/gate.stella
var gateTemplate string

func newPolicyNewCmd(app *App) *cobra.Command {
	opts := &policyNewOptions{}
	cmd := &cobra.Command{
		Use:   "new [--id P-n] FILE --sign-key KEY",
		Short: "Register a policy file as a new draft version (policy:author), or --scaffold a starter policy",
		Long: `Compile FILE and register it as the next immutable version of policy P-n
(a new policy with the next free id when --id is not given), in state draft.
The draft is a statement signed by the acting key (policy.drafted in the audit
log). A file that does not compile registers nothing (exit 2, diagnostics on
stderr); BLOCKING rule conflicts are reported: such a version can be reviewed
but never activated. Registering the IR the latest version already has changes
nothing.

With --scaffold, write a starter CI gate policy to FILE instead (blocks
known-exploited and critical vulnerabilities and findings of unknown severity,
warns on high; docs/ci.md) and register nothing: no key or trust config is
needed. An existing FILE is never overwritten (exit 2).`,
		Example: `  stella policy new --scaffold gate.stella     # write a starter policy to edit
  stella policy new gate.stella --sign-key alice  # register it as a draft`,
		Args: exactArgs(1),
		RunE: runE(app, opts, runPolicyNew),
	}
	cmd.Flags().StringVar(&opts.id, "id", "", "policy id P-n to add a version to (default: a new policy)")
	cmd.Flags().BoolVar(&opts.scaffold, "scaffold", false, "write a starter CI gate policy to FILE (never overwriting it) instead of registering FILE")
	opts.gov.addFlags(cmd)
	return cmd
}

func runPolicyNew(ctx context.Context, app *App, opts *policyNewOptions, args []string) error {
	if opts.scaffold {
		if opts.id != "" {
			return fail.New(fail.Invalid, "policy new --scaffold writes a file and registers nothing: --id does not apply (register the file after editing it: stella policy new %s --id %s)", args[0], opts.id)
		}
		return scaffoldPolicy(app, args[0])
	}
	if _, err := os.Stat(args[0]); errors.Is(err, fs.ErrNotExist) {
		return fail.New(fail.Invalid, "policy new: %s does not exist; to start a policy, write a starter one: stella policy new --scaffold %s", args[0], args[0])
	}
	src, err := dsl.ReadFile(args[0])
	if err != nil {
		return err
	}
	return app.transition(ctx, &opts.gov, func(reg *governance.Registry, act *governance.Actor) (*governance.Transition, error) {
		t, res, err := reg.Draft(ctx, act, opts.id, args[0], src)
		if res != nil {
			if rerr := app.compilerDiagnostics(res.Diagnostics, src); rerr != nil {
				return nil, rerr
			}
		}
		return t, err
	})
}

// scaffoldPolicy writes the starter gate to path, named after the file
// ("gate.stella" → policy "gate"), refusing to replace a file.
func scaffoldPolicy(app *App, path string) error {
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if name == "" || strings.ContainsAny(name, "\"\\\n") {
		name = "CI gate"
	}
	// O_EXCL: a file that appears after any check is still never replaced.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fail.New(fail.Invalid, "policy new --scaffold: %s exists; give a new file name (nothing written)", path)
	}
	if err == nil {
		_, err = f.WriteString(strings.Replace(gateTemplate, "{{NAME}}", name, 1))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path) // a partial starter policy is no use
		}
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the message names path
		}
		return fail.New(fail.Invalid, "write %s: %v", path, err)
	}
	fmt.Fprintf(app.Out, "wrote %s: a starter CI gate (edit its rules; docs/ci.md)\nnext: stella policy lint %s\n", path, path)
	return nil
}
