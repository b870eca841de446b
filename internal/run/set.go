package run

import (
	"context"
	"fmt"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/policyset"
	"github.com/stella-policy/stella/internal/store"
)

// Member is a policy of a set (Spec.Set) with its governance at the site.
type Member struct {
	*Policy
	Ref string // how the set names it: P-n@v, or the file
	// Lifecycle and ApprovalSet as Spec's, for this member.
	Lifecycle   string
	ApprovalSet string
}

// SetMembers reads each member's scope and enforcement mode.
func SetMembers(set []Member) ([]policyset.Member, error) {
	ms := make([]policyset.Member, len(set))
	for i, x := range set {
		m, err := policyset.NewMember(x.Ref, x.Digest, x.Policy.Policy)
		if err != nil {
			return nil, fail.New(fail.Invalid, "%v", err)
		}
		m.SourceMap, m.Registered = x.SourceMap, x.registered()
		ms[i] = m
	}
	return ms, nil
}

// setMeta describes a set run for the store: the policy is "set", its IR
// the set's canonical member list (so the run id and the record's IR
// digest are the set's digest), and the record lists every member
// (docs/governance.md "Recording a set").
func (o *Outcome) setMeta(m *store.RunMeta) error {
	ms, err := SetMembers(o.Spec.Set)
	if err != nil {
		return err
	}
	doc, digest, err := policyset.Digest(ms)
	if err != nil {
		return err
	}
	m.PolicyID, m.IR = SetPolicyID, doc
	m.Set = &store.RecordSet{Digest: digest, Members: []store.RecordMember{}}
	for i, x := range o.Spec.Set {
		rm := store.RecordMember{Policy: x.Ref, PolicyID: x.ID, Version: x.Version, IRDigest: x.Digest, Enforcement: ms[i].Mode,
			Scope: ms[i].Scope.String(), Lifecycle: x.Lifecycle, ApprovalSet: x.ApprovalSet}
		if x.SourceMapJSON != nil {
			rm.SourceMapDigest = canon.Digest(x.SourceMapJSON)
		}
		if o.Set != nil {
			rm.Applies = o.Set.Set.Members[i].Applies
		}
		m.Set.Members = append(m.Set.Members, rm)
		m.SetIR = append(m.SetIR, x.IR)
		m.SetSourceMaps = append(m.SetSourceMaps, x.SourceMapJSON)
	}
	return nil
}

// SetPolicyID is the policy id of a set run's record.
const SetPolicyID = "set"

// LoadSet reads the members of a recorded set run — each member's stored
// IR and source map, checked against the digests the record names — to
// evaluate it again (policy replay).
func LoadSet(ctx context.Context, st *store.Store, runID string, set *store.RecordSet) ([]Member, error) {
	out := make([]Member, len(set.Members))
	err := st.View(ctx, func(tx *store.Tx) error {
		for i, rm := range set.Members {
			irBytes, err := tx.Blob(ctx, rm.IRDigest)
			if err != nil {
				return fmt.Errorf("run %s: member %s: %w", runID, rm.Policy, err)
			}
			var sm []byte
			if rm.SourceMapDigest != "" {
				if sm, err = tx.Blob(ctx, rm.SourceMapDigest); err != nil {
					return fmt.Errorf("run %s: member %s: %w", runID, rm.Policy, err)
				}
			}
			p, err := DecodePolicy(runID+" member "+rm.Policy, irBytes, sm)
			if err != nil {
				return err
			}
			p.ID, p.Version = rm.PolicyID, rm.Version
			out[i] = Member{Policy: p, Ref: rm.Policy, Lifecycle: rm.Lifecycle, ApprovalSet: rm.ApprovalSet}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ms, err := SetMembers(out)
	if err != nil {
		return nil, err
	}
	if _, d, err := policyset.Digest(ms); err != nil || d != set.Digest {
		return nil, fail.New(fail.Integrity, "run %s: the stored members make set %s, the record names %s", runID, d, set.Digest)
	}
	return out, nil
}
