package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
)

// PolicyVersion is one immutable version of a registered policy. The IR,
// source and source map are blobs.
type PolicyVersion struct {
	PolicyID        string `json:"policyId"` // P-n
	Version         int    `json:"version"`  // 1, 2, …
	Name            string `json:"name"`     // the name in the policy header
	IRDigest        string `json:"irDigest"`
	SourceDigest    string `json:"sourceDigest"`
	SourceMapDigest string `json:"sourceMapDigest,omitempty"`
	Author          string `json:"author"`
	CreatedAt       string `json:"createdAt"`
}

// NewVersion is what AddPolicyVersion stores.
type NewVersion struct {
	PolicyID  string // P-n
	Name      string
	IR        []byte // canonical IR JSON
	Source    []byte
	SourceMap []byte // optional
	Author    string
}

// AddPolicyVersion stores the next version of a policy, registering the
// policy on its first version. If the latest version already has this IR
// digest, it is returned with created=false instead.
func (t *Tx) AddPolicyVersion(ctx context.Context, nv NewVersion) (pv PolicyVersion, created bool, err error) {
	if err := ValidPolicyID(nv.PolicyID); err != nil {
		return pv, false, err
	}
	irDigest := canon.Digest(nv.IR)
	latest, err := t.PolicyVersion(ctx, nv.PolicyID, 0)
	switch {
	case err == nil && latest.IRDigest == irDigest:
		return latest, false, nil
	case err == nil:
	case fail.Is(err, fail.NotFound):
		if _, err := t.exec(ctx, `INSERT INTO policies (tenant, policy_id, name, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, t.tenant, nv.PolicyID, nv.Name, timeText(t.s.Now())); err != nil {
			return pv, false, err
		}
	default:
		return pv, false, err
	}
	pv = PolicyVersion{PolicyID: nv.PolicyID, Version: latest.Version + 1, Name: nv.Name, Author: nv.Author, CreatedAt: timeText(t.s.Now())}
	if pv.IRDigest, err = t.PutBlob(ctx, MediaIR, nv.IR); err != nil {
		return pv, false, err
	}
	if pv.SourceDigest, err = t.PutBlob(ctx, MediaSource, nv.Source); err != nil {
		return pv, false, err
	}
	var sm any
	if nv.SourceMap != nil {
		if pv.SourceMapDigest, err = t.PutBlob(ctx, MediaSourceMap, nv.SourceMap); err != nil {
			return pv, false, err
		}
		sm = pv.SourceMapDigest
	}
	_, err = t.exec(ctx, `INSERT INTO policy_versions (tenant, policy_id, version, ir_digest, source_digest, source_map_digest, author, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, t.tenant, pv.PolicyID, pv.Version, pv.IRDigest, pv.SourceDigest, sm, pv.Author, pv.CreatedAt)
	if err != nil {
		return pv, false, err
	}
	return pv, true, nil
}

// PolicyVersion returns version v of a policy, or its latest version when v
// is 0.
func (t *Tx) PolicyVersion(ctx context.Context, policyID string, v int) (PolicyVersion, error) {
	q := `SELECT v.policy_id, v.version, p.name, v.ir_digest, v.source_digest, coalesce(v.source_map_digest, ''), v.author, v.created_at
		FROM policy_versions v JOIN policies p ON p.tenant = v.tenant AND p.policy_id = v.policy_id
		WHERE v.tenant = ? AND v.policy_id = ?`
	args := []any{t.tenant, policyID}
	if v > 0 {
		q += ` AND v.version = ?`
		args = append(args, v)
	}
	q += ` ORDER BY v.version DESC LIMIT 1`
	var pv PolicyVersion
	err := t.queryRow(ctx, q, args...).Scan(&pv.PolicyID, &pv.Version, &pv.Name, &pv.IRDigest, &pv.SourceDigest, &pv.SourceMapDigest, &pv.Author, &pv.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		if v > 0 {
			return pv, fail.New(fail.NotFound, "policy %s@%d not found", policyID, v)
		}
		return pv, fail.New(fail.NotFound, "policy %s not found", policyID)
	}
	return pv, err
}

// PolicyVersions lists every version of a policy, oldest first.
func (t *Tx) PolicyVersions(ctx context.Context, policyID string) ([]PolicyVersion, error) {
	rows, err := t.query(ctx, `SELECT v.policy_id, v.version, p.name, v.ir_digest, v.source_digest, coalesce(v.source_map_digest, ''), v.author, v.created_at
		FROM policy_versions v JOIN policies p ON p.tenant = v.tenant AND p.policy_id = v.policy_id
		WHERE v.tenant = ? AND v.policy_id = ? ORDER BY v.version`, t.tenant, policyID)
	if err != nil {
		return nil, err
	}
	return scanRows(rows, func(pv *PolicyVersion) []any {
		return []any{&pv.PolicyID, &pv.Version, &pv.Name, &pv.IRDigest, &pv.SourceDigest, &pv.SourceMapDigest, &pv.Author, &pv.CreatedAt}
	})
}

// ValidPolicyID accepts registered policy ids: "P-" and a positive number.
func ValidPolicyID(id string) error {
	n, ok := strings.CutPrefix(id, "P-")
	if v, err := strconv.Atoi(n); !ok || err != nil || v < 1 || strconv.Itoa(v) != n {
		return fail.New(fail.Invalid, "policy id %q: want P-<n> with n ≥ 1", id)
	}
	return nil
}

// Version selectors (docs/governance.md "Which version"): P-n@active is
// the version active at this site, P-n@latest the newest registered.
const (
	PickActive = "active"
	PickLatest = "latest"
)

// PolicySel is a parsed reference to a registered policy: P-n (Version 0,
// Pick ""), P-n@N, P-n@active or P-n@latest.
type PolicySel struct {
	ID      string
	Version int    // > 0 for P-n@N
	Pick    string // PickActive, PickLatest, or "" (a number, or nothing)
}

// String formats the selector as it was written.
func (s PolicySel) String() string {
	switch {
	case s.Version > 0:
		return fmt.Sprintf("%s@%d", s.ID, s.Version)
	case s.Pick != "":
		return s.ID + "@" + s.Pick
	}
	return s.ID
}

// ParsePolicySel reads P-n, P-n@N, P-n@active or P-n@latest. ok is false
// when ref does not look like a registered policy reference.
func ParsePolicySel(ref string) (sel PolicySel, ok bool, err error) {
	id, vs, hasV := strings.Cut(ref, "@")
	if ValidPolicyID(id) != nil {
		return sel, false, nil
	}
	sel.ID = id
	if !hasV {
		return sel, true, nil
	}
	if vs == PickActive || vs == PickLatest {
		sel.Pick = vs
		return sel, true, nil
	}
	v, err := strconv.Atoi(vs)
	if err != nil || v < 1 {
		return PolicySel{}, true, fail.New(fail.Invalid, "policy %q: after @ want a version number, active or latest", ref)
	}
	sel.Version = v
	return sel, true, nil
}

// ParsePolicyRef splits "P-n", "P-n@v" or "P-n@latest" into id and version
// (0 = the command's default, see SelectVersion). ok is false when ref does
// not look like a registered policy reference. P-n@active needs the
// lifecycle: use ParsePolicySel and SelectVersion.
func ParsePolicyRef(ref string) (id string, version int, ok bool, err error) {
	sel, ok, err := ParsePolicySel(ref)
	if !ok || err != nil {
		return "", 0, ok, err
	}
	if sel.Pick == PickActive {
		return "", 0, true, fail.New(fail.Invalid, "policy %q: @active is not accepted here; name the version (P-n@N)", ref)
	}
	return sel.ID, sel.Version, true, nil
}

// SelectVersion resolves a selector to a registered version: P-n@N that
// version, P-n@latest the newest, P-n@active the active one; a bare P-n
// picks by dflt (PickActive or PickLatest). With no active version the
// error (not found) says so and lists every version with its state.
func (t *Tx) SelectVersion(ctx context.Context, sel PolicySel, dflt string) (PolicyVersion, error) {
	pick := sel.Pick
	if pick == "" && sel.Version == 0 {
		pick = dflt
	}
	switch {
	case sel.Version > 0:
		return t.PolicyVersion(ctx, sel.ID, sel.Version)
	case pick != PickActive:
		return t.PolicyVersion(ctx, sel.ID, 0)
	}
	ls, err := t.Lifecycles(ctx, sel.ID)
	if err != nil {
		return PolicyVersion{}, err
	}
	if len(ls) == 0 {
		return PolicyVersion{}, fail.New(fail.NotFound, "policy %s not found", sel.ID)
	}
	states := make([]string, len(ls))
	for i, l := range ls {
		if l.State == StateActive {
			return t.PolicyVersion(ctx, l.PolicyID, l.Version)
		}
		states[i] = fmt.Sprintf("%s@%d %s", l.PolicyID, l.Version, l.State)
	}
	how := "a bare " + sel.ID + " means its active version"
	if sel.Pick == PickActive {
		how = sel.ID + "@active names it"
	}
	return PolicyVersion{}, fail.New(fail.NotFound, "policy %s has no active version (%s): %s; name one as %s@N or %s@latest",
		sel.ID, how, strings.Join(states, ", "), sel.ID, sel.ID)
}

// String formats a version as P-n@v.
func (pv PolicyVersion) String() string { return fmt.Sprintf("%s@%d", pv.PolicyID, pv.Version) }
