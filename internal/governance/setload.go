package governance

import (
	"context"
	"fmt"
	"strings"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/policyset"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

// ParseSet reads a set as --set gives it: "active" (the tenant's active
// policies), or a comma-separated list of policies (files or registered).
func ParseSet(set string) (refs []string, active bool, err error) {
	if set == "active" {
		return nil, true, nil
	}
	for _, r := range strings.Split(set, ",") {
		if r = strings.TrimSpace(r); r != "" {
			refs = append(refs, r)
		}
	}
	if len(refs) == 0 {
		return nil, false, fail.New(fail.Invalid, "--set %q: want active, or policies P-1,P-4 (files or registered)", set)
	}
	return refs, false, nil
}

// LoadSet loads the policies of a set (docs/governance.md "Policy sets"):
// each ref through load (a file, or a registered P-n[@v]), named P-n@v when
// registered, and with active the tenant's active versions of the other
// policies. st may be nil when active is false and no ref is registered.
func LoadSet(ctx context.Context, st *store.Store, refs []string, active bool, load func(ref string) (*run.Policy, error)) ([]run.Member, error) {
	var ms []run.Member
	ids := map[string]bool{}
	add := func(ref string) error {
		lp, err := load(ref)
		if err != nil {
			return err
		}
		name := ref
		if lp.Version > 0 {
			name = fmt.Sprintf("%s@%d", lp.ID, lp.Version)
			if ids[lp.ID] {
				return fail.New(fail.Invalid, "--set: policy %s is named twice (%s): a set holds one version of each policy, or its gates would count twice", lp.ID, ref)
			}
			ids[lp.ID] = true
		}
		for _, m := range ms {
			if m.Ref == name {
				return fail.New(fail.Invalid, "--set: %s is named twice: its gates would count twice", ref)
			}
		}
		ms = append(ms, run.Member{Policy: lp, Ref: name})
		return nil
	}
	for _, ref := range refs {
		if err := add(ref); err != nil {
			return nil, err
		}
	}
	if active {
		var act []policyset.Member
		err := st.View(ctx, func(tx *store.Tx) error {
			var err error
			act, err = ActiveMembers(ctx, tx)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, m := range act {
			if id, _, _ := strings.Cut(m.Ref, "@"); !ids[id] {
				if err := add(m.Ref); err != nil {
					return nil, err
				}
			}
		}
	}
	if len(ms) == 0 {
		return nil, fail.New(fail.NotFound, "no policies: the tenant has no active policy (name policies, or activate some)")
	}
	return ms, nil
}

// Conflicts is `policy conflicts`: the typed conflicts among a set's
// members (docs/governance.md "Conflicts across policies").
func Conflicts(set []run.Member) (*policyset.ConflictReport, error) {
	ms, err := run.SetMembers(set)
	if err != nil {
		return nil, err
	}
	return policyset.Report(ms), nil
}

// Dependencies is `policy deps`: the dependency graph of a set's members
// (docs/governance.md "Dependencies").
func Dependencies(set []run.Member) (*policyset.Graph, error) {
	ms, err := run.SetMembers(set)
	if err != nil {
		return nil, err
	}
	g := policyset.Dependencies(ms)
	return &g, nil
}
