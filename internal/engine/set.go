package engine

// SetTrace is the part of an explain trace a policy set adds
// (docs/governance.md "Policy sets"): every policy of the set, what it
// decided for the finding, and which one decided.
type SetTrace struct {
	DecidedBy string        `json:"decidedBy"` // the member whose verdict the finding has
	Policies  []SetDecision `json:"policies"`  // in set order
}

// SetDecision is one member's part in a finding's set verdict.
type SetDecision struct {
	Policy      string `json:"policy"` // P-n@v or file
	Digest      string `json:"digest"` // IR digest
	Enforcement string `json:"enforcement"`
	// InScope is false when the run's env or the component is outside the
	// policy's scope (it was not evaluated for this finding).
	InScope bool   `json:"inScope"`
	Verdict string `json:"verdict,omitempty"` // its own verdict, after its enforcement mode
	Rule    string `json:"rule,omitempty"`    // its deciding rule
	Counts  bool   `json:"counts"`            // enforce and warn members count; audit members are traced only
}

// Summarize counts findings as a result's summary does (without rule
// statistics), for results combined from several evaluations.
func Summarize(fs []Finding) Summary { return summarize(fs, nil, nil, 0) }

// Seal recomputes a combined result's digests (see Digests).
func (r *Result) Seal() error { return r.seal() }

// Reseal recomputes an explain trace's id and canonical bytes after it was
// changed.
func (x *Explain) Reseal() error {
	_, err := x.seal(nil, x.canonical != nil)
	return err
}
