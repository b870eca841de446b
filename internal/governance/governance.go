// Package governance owns who may change what: the trust config (key ids →
// principals and scopes), the lifecycle of registered policy versions
// (draft → submitted → approved → active → archived) with its guards
// (scopes, separation of duties, quorum, the submit gate, the activation
// guards, rollback incidents, references that block archiving), exceptions
// (waivers with a timebox, requested and approved by different principals),
// the verification of approvals wherever they travel, and the audit log's
// verification and signed export.
//
// Every transition is an in-toto statement (predicate governance@2; @1 is
// still read) signed by the acting principal's key in a DSSE envelope,
// stored in the store and referenced by digest from the hash-chained audit
// event that records it. States are what the signed statements add up to:
// approvals are counted by verifying their signatures against the trust
// config in force, and only approvals of the open submission round count,
// so an approval by a key the site does not trust, or of a round that was
// sent back, never counts, here or after a bundle import. Refusals are fail.Governance errors wrapping a *Refusal
// that names the guard. docs/governance.md is the user's guide.
//
// It also owns the steps of the governance commands below their flags: a
// command binds its flags into a request here (NewPolicy, TrustAdd,
// TrustEditRequest, ExceptionRequest, LessonMove, AuditQuery,
// AuditExportRequest) and makes one call.
package governance

import (
	"errors"
	"fmt"
	"time"

	"github.com/stella-policy/stella/internal/fail"
)

// Guards, as named in refusals.
const (
	GuardScope      = "scope"                // the principal lacks the scope the action needs
	GuardTrust      = "trust"                // the key is not in the trust config
	GuardSoD        = "separation-of-duties" // author approving, requester approving, …
	GuardQuorum     = "quorum"               // not enough distinct approvers; a repeated approval
	GuardAck        = "approval-ack"         // approval without --ack-simulation/--ack-determinism
	GuardState      = "state"                // the transition does not start from this state
	GuardApproval   = "approval"             // activating a version that is not approved
	GuardSimulation = "simulation"           // no (fresh) simulation record of the exact IR digest
	GuardReplay     = "replay"               // approval without an identical recorded replay of the simulation
	GuardLint       = "lint"                 // the source does not compile cleanly
	GuardConflicts  = "conflicts"            // BLOCKING dsl.rule.conflict diagnostics
	GuardRun        = "run-evidence"         // the latest full run did not succeed; bad shadow evidence
	GuardReferences = "references"           // archiving a policy something live depends on
	GuardIncident   = "incident"             // rollback without --incident
	GuardExpiry     = "expiry"               // exception timebox too long, or already over
	GuardClock      = "clock"                // an enforced run evaluated before the latest one recorded here
)

// Refusal is a governance refusal: the guard that refused and why.
type Refusal struct {
	Guard  string
	Reason string
}

func (r *Refusal) Error() string { return "refused by guard " + r.Guard + ": " + r.Reason }

// refuse returns a fail.Governance error wrapping a Refusal.
func refuse(guard, format string, args ...any) error {
	return fail.Wrap(fail.Governance, &Refusal{Guard: guard, Reason: fmt.Sprintf(format, args...)})
}

// GuardOf returns the guard that refused err, or "" when err is no refusal.
func GuardOf(err error) string {
	var r *Refusal
	if errors.As(err, &r) {
		return r.Guard
	}
	return ""
}

// Settings are the site's governance settings (config keys governance.*).
type Settings struct {
	// Quorum is the number of distinct approvers a policy version needs
	// (governance.quorum, default 1).
	Quorum int
	// ExceptionMaxAge bounds an exception's timebox (expires − effective):
	// no perpetual waivers (governance.exception_max_age, default 365d).
	ExceptionMaxAge time.Duration
	// SimulationMaxAge is how fresh the simulation record of a version must
	// be to submit it (governance.simulation_max_age, default 24h).
	SimulationMaxAge time.Duration
}

// Defaults.
const (
	DefaultQuorum           = 1
	DefaultExceptionMaxAge  = 365 * 24 * time.Hour
	DefaultSimulationMaxAge = 24 * time.Hour
	// DefaultAuditRetention is how far back `audit export` reaches by
	// default: the run-history retention (docs/store.md "Maintenance").
	DefaultAuditRetention = 365 * 24 * time.Hour
)

// DefaultSettings returns the defaults.
func DefaultSettings() Settings {
	return Settings{Quorum: DefaultQuorum, ExceptionMaxAge: DefaultExceptionMaxAge, SimulationMaxAge: DefaultSimulationMaxAge}
}

// timeText formats a wall-clock time for a statement or row.
func timeText(t time.Time) string { return t.UTC().Format(time.RFC3339) }
