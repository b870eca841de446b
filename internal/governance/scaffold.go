package governance

import (
	_ "embed"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/fail"
)

// NewPolicy is what `policy new` asks for: register File as the next
// version of policy ID (a new policy when ID is ""), or with Scaffold write
// a starter CI gate to File instead and register nothing (docs/ci.md "A
// policy").
type NewPolicy struct {
	ID       string
	Scaffold bool
	File     string
}

// gateTemplate is the starter CI gate WriteScaffold writes.
//
//go:embed templates/gate.stella
var gateTemplate string

// Source reads the policy file to register; a missing file is refused
// with the hint to scaffold one.
func (n NewPolicy) Source() ([]byte, error) {
	if _, err := os.Stat(n.File); errors.Is(err, fs.ErrNotExist) {
		return nil, fail.New(fail.Invalid, "policy new: %s does not exist; to start a policy, write a starter one: stella policy new --scaffold %s", n.File, n.File)
	}
	return dsl.ReadFile(n.File)
}

// WriteScaffold writes the starter gate to File, named after the file
// ("gate.stella" → policy "gate"), refusing to replace a file (nothing is
// written then) and an ID (scaffolding registers nothing).
func (n NewPolicy) WriteScaffold() error {
	path := n.File
	if n.ID != "" {
		return fail.New(fail.Invalid, "policy new --scaffold writes a file and registers nothing: --id does not apply (register the file after editing it: stella policy new %s --id %s)", path, n.ID)
	}
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
	return nil
}
