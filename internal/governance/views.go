package governance

import (
	"context"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// VersionView is one policy version as `policy versions` shows it. Its
// state is the effective one: approvals are counted under the trust config
// and quorum in force.
type VersionView struct {
	PolicyID  string   `json:"policyId"`
	Version   int      `json:"version"`
	Name      string   `json:"name"`
	State     string   `json:"state"`
	IRDigest  string   `json:"irDigest"`
	Author    string   `json:"author"`
	CreatedAt string   `json:"createdAt"`
	UpdatedAt string   `json:"updatedAt"`
	Reviewers []string `json:"reviewers"`
	Approvers []string `json:"approvers"` // approvals that count under the trust config in force
	Quorum    int      `json:"quorum"`
	// Round is the digest of the policy.submitted statement of the open
	// submission round (docs/governance.md "Submission rounds"); NotCounted
	// are the approvals that do not count, each with the reason.
	Round      string     `json:"round,omitempty"`
	NotCounted []Rejected `json:"notCounted,omitempty"`
}

// Versions lists every version of a policy, oldest first.
func (r *Registry) Versions(ctx context.Context, policyID string) ([]VersionView, error) {
	if err := store.ValidPolicyID(policyID); err != nil {
		return nil, err
	}
	var out []VersionView
	err := r.Store.View(ctx, func(tx *store.Tx) error {
		ls, err := Lifecycles(ctx, tx, policyID)
		if err != nil {
			return err
		}
		if len(ls) == 0 {
			return fail.New(fail.NotFound, "policy %s not found (see `stella policy status`)", policyID)
		}
		for _, l := range ls {
			vv, err := r.versionView(ctx, tx, l)
			if err != nil {
				return err
			}
			out = append(out, vv)
		}
		return nil
	})
	return out, err
}

func (r *Registry) versionView(ctx context.Context, tx *store.Tx, l store.Lifecycle) (VersionView, error) {
	pv, err := tx.PolicyVersion(ctx, l.PolicyID, l.Version)
	if err != nil {
		return VersionView{}, err
	}
	v := &version{pv: pv, lc: l}
	rep, err := r.approvals(ctx, tx, v)
	if err != nil {
		return VersionView{}, err
	}
	return VersionView{PolicyID: pv.PolicyID, Version: pv.Version, Name: pv.Name, State: effectiveState(l.State, rep), IRDigest: pv.IRDigest,
		Author: pv.Author, CreatedAt: pv.CreatedAt, UpdatedAt: l.UpdatedAt, Reviewers: l.Reviewers, Approvers: rep.Approvers,
		Quorum: rep.Quorum, Round: rep.Round, NotCounted: rep.Rejected}, nil
}

// PolicyStatus is one policy as `policy status` shows it.
type PolicyStatus struct {
	PolicyID string        `json:"policyId"`
	Name     string        `json:"name"`
	Active   *VersionView  `json:"active"` // nil when no version is active
	Latest   VersionView   `json:"latest"`
	Versions int           `json:"versions"`
	Pending  []VersionView `json:"pending"` // submitted or approved, not yet active
}

// Status summarises every registered policy (or one) by number.
func (r *Registry) Status(ctx context.Context, policyID string) ([]PolicyStatus, error) {
	if policyID != "" {
		if err := store.ValidPolicyID(policyID); err != nil {
			return nil, err
		}
	}
	out := []PolicyStatus{}
	err := r.Store.View(ctx, func(tx *store.Tx) error {
		ls, err := Lifecycles(ctx, tx, policyID)
		if err != nil {
			return err
		}
		if len(ls) == 0 && policyID != "" {
			return fail.New(fail.NotFound, "policy %s not found", policyID)
		}
		for _, l := range ls {
			vv, err := r.versionView(ctx, tx, l)
			if err != nil {
				return err
			}
			if len(out) == 0 || out[len(out)-1].PolicyID != l.PolicyID {
				out = append(out, PolicyStatus{PolicyID: l.PolicyID, Name: vv.Name, Pending: []VersionView{}})
			}
			ps := &out[len(out)-1]
			ps.Versions++
			ps.Latest = vv
			switch vv.State {
			case store.StateActive:
				ps.Active = &vv
			case store.StateSubmitted, store.StateApproved:
				ps.Pending = append(ps.Pending, vv)
			}
		}
		return nil
	})
	return out, err
}
