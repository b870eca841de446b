package run

import "github.com/stella-policy/stella/internal/fail"

// DiffRequest is `policy diff OLD NEW` (docs/runs.md "Diff"): two
// policies — files or registered versions, the latest of a bare P-n —
// evaluated on one snapshot, or two recorded runs compared.
type DiffRequest struct {
	Old, New string
	Snapshot string // --snapshot: the snapshot both policies are evaluated on
	FailOn   string // --fail-on
}

// Runs reports whether the request compares two recorded runs: both
// arguments name runs (IsRunRef) and no --snapshot is given.
func (r *DiffRequest) Runs() bool {
	return r.Snapshot == "" && IsRunRef(r.Old) && IsRunRef(r.New)
}

// Check refuses what the diff cannot do: for two runs (Runs), a --fail-on
// their delta's gate does not take or no run history at db; for two
// policies, no --snapshot or a --fail-on their gate does not take. It
// says whether the database is to be opened: it exists, or a policy is
// registered.
func (r *DiffRequest) Check(db string) (bool, error) {
	if r.Runs() {
		if err := CheckFailOn(r.FailOn, "new-blocked", "new-warned", "never"); err != nil {
			return false, err
		}
		if !fileExists(db) {
			return false, fail.New(fail.NotFound, "no run history at %s: policy diff RUN_A RUN_B compares recorded runs (to compare policies give --snapshot ID)", db)
		}
		return true, nil
	}
	if r.Snapshot == "" {
		return false, fail.New(fail.Invalid, "policy diff needs --snapshot ID to compare two policies (or two runs: run ids, latest or latest:LABEL)")
	}
	if err := CheckFailOn(r.FailOn, "new-blocked", "never"); err != nil {
		return false, err
	}
	return fileExists(db) || IsRegistered(r.Old) || IsRegistered(r.New), nil
}
