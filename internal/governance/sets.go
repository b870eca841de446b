package governance

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/policyset"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// ActiveMembers returns the tenant's active policy versions as members of
// a policy set (docs/governance.md "Policy sets"), by policy id.
func ActiveMembers(ctx context.Context, tx *store.Tx) ([]policyset.Member, error) {
	ls, err := Lifecycles(ctx, tx, "")
	if err != nil {
		return nil, err
	}
	var out []policyset.Member
	for _, l := range ls {
		if l.State != store.StateActive {
			continue
		}
		m, err := MemberOf(ctx, tx, policyString(l.PolicyID, l.Version))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// MemberOf reads a registered version (P-n@v, or P-n for its active
// version, else its latest) as a set member.
func MemberOf(ctx context.Context, tx *store.Tx, ref string) (policyset.Member, error) {
	v, err := resolve(ctx, tx, ref, activeElseLatest)
	if err != nil {
		return policyset.Member{}, err
	}
	p, err := storedIR(ctx, tx, v.pv)
	if err != nil {
		return policyset.Member{}, err
	}
	m, err := policyset.NewMember(v.String(), v.pv.IRDigest, p)
	if err != nil {
		return m, fail.New(fail.Integrity, "%v", err)
	}
	return m, nil
}

// activeElseLatest picks the active version, else the latest.
func activeElseLatest(ls []store.Lifecycle) (store.Lifecycle, bool) {
	if l, ok := newestIn(store.StateActive)(ls); ok {
		return l, true
	}
	return latest(ls)
}

// storedIR decodes a version's stored IR.
func storedIR(ctx context.Context, tx *store.Tx, pv store.PolicyVersion) (*ir.Policy, error) {
	b, err := tx.Blob(ctx, pv.IRDigest)
	if err != nil {
		return nil, err
	}
	p, err := ir.Decode(b)
	if err != nil {
		return nil, fail.New(fail.Integrity, "%s: stored IR does not decode: %v", pv, err)
	}
	return p, nil
}

// checkSetConflicts refuses activating v when it would have a BLOCKING
// conflict with an active version of another policy of the tenant
// (GOV-POL-001 across the set, docs/governance.md "Activation across the
// set").
func checkSetConflicts(ctx context.Context, tx *store.Tx, v *version) error {
	active, err := ActiveMembers(ctx, tx)
	if err != nil {
		return err
	}
	p, err := storedIR(ctx, tx, v.pv)
	if err != nil {
		return err
	}
	cand, err := policyset.NewMember(v.String(), v.pv.IRDigest, p)
	if err != nil {
		return fail.New(fail.Integrity, "%v", err)
	}
	ms := []policyset.Member{}
	for _, m := range active {
		if !strings.HasPrefix(m.Ref, v.pv.PolicyID+"@") {
			ms = append(ms, m)
		}
	}
	var bad []string
	for _, c := range policyset.Conflicts(append(ms, cand)) {
		if c.Severity == policyset.Blocking && (c.PolicyA == cand.Ref || c.PolicyB == cand.Ref) {
			bad = append(bad, fmt.Sprintf("%s %s / %s %s: %s", c.Type, c.PolicyA, c.PolicyB, c.Subject, c.Explanation))
		}
	}
	if len(bad) > 0 {
		return refuse(GuardConflicts, "%s would conflict with the active policies: %s", v, strings.Join(bad, "; "))
	}
	return nil
}

// State is the tenant's policy governance at a glance (docs/runs.md
// "Violations and state").
type State struct {
	Tenant         string         `json:"tenant"`
	At             string         `json:"at"`
	Policies       int            `json:"policies"`
	Active         int            `json:"active"`
	Drafts         int            `json:"drafts"`
	PendingReview  int            `json:"pendingReview"` // submitted, and approved but not active
	Conflicts      map[string]int `json:"conflicts"`     // among the active policies, by severity
	Window         string         `json:"window"`
	Violations     int            `json:"violations"` // finding identities blocked or warned in the window
	Blocked        int            `json:"blocked"`
	LessonsPending int            `json:"lessonsPending"`
}

// StateWindow reads policy state's --window, an age such as "24h" or
// "7d" (text.ParseAge); read before the database is opened, so a bad
// window is the error given.
func StateWindow(s string) (time.Duration, error) {
	d, err := text.ParseAge(s)
	if err != nil {
		return 0, fail.New(fail.Invalid, "--window %v", err)
	}
	return d, nil
}

// TenantState computes State at the store's clock; window is how far back
// violations count.
func TenantState(ctx context.Context, s *store.Store, window time.Duration) (*State, error) {
	var st *State
	err := s.View(ctx, func(tx *store.Tx) error {
		var err error
		st, err = tenantState(ctx, tx, s.Now(), window)
		return err
	})
	return st, err
}

func tenantState(ctx context.Context, tx *store.Tx, now time.Time, window time.Duration) (*State, error) {
	st := &State{Tenant: tx.Tenant(), At: timeText(now), Window: text.Age(window),
		Conflicts: map[string]int{policyset.Blocking: 0, policyset.Warning: 0}}
	ls, err := Lifecycles(ctx, tx, "")
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, l := range ls {
		ids[l.PolicyID] = true
		switch l.State {
		case store.StateActive:
			st.Active++
		case store.StateDraft:
			st.Drafts++
		case store.StateSubmitted, store.StateApproved:
			st.PendingReview++
		}
	}
	st.Policies = len(ids)
	ms, err := ActiveMembers(ctx, tx)
	if err != nil {
		return nil, err
	}
	for _, c := range policyset.Conflicts(ms) {
		st.Conflicts[c.Severity]++
	}
	vs, err := tx.Violations(ctx, store.ViolationQuery{Since: timeText(now.Add(-window))})
	if err != nil {
		return nil, err
	}
	pending, err := tx.Lessons(ctx, store.LessonFilter{Status: store.LessonPending})
	if err != nil {
		return nil, err
	}
	st.LessonsPending = len(pending)
	st.Violations = len(vs)
	for _, v := range vs {
		if v.Verdict == "blocked" {
			st.Blocked++
		}
	}
	return st, nil
}
