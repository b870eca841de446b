package governance

import (
	"slices"
	"strings"
)

// Scopes a trust config grants to keys (docs/governance.md "Scopes").
const (
	ScopePolicyRead       = "policy:read"        // view policies, versions, runs
	ScopePolicyAuthor     = "policy:author"      // create drafts, submit them
	ScopePolicyReview     = "policy:review"      // comment, request changes
	ScopePolicyApprove    = "policy:approve"     // approve a submitted version
	ScopePolicyOperate    = "policy:operate"     // archive versions
	ScopePolicyActivate   = "policy:activate"    // activate an approved version, roll back
	ScopePolicyAudit      = "policy:audit"       // sign audit exports
	ScopePolicySimulate   = "policy:simulate"    // simulations
	ScopePolicyRun        = "policy:run"         // persisted runs
	ScopeFindingsRead     = "findings:read"      // read findings; request exceptions to them
	ScopeExceptionApprove = "exceptions:approve" // approve and revoke exceptions
	ScopeTrustAdmin       = "trust:admin"        // sign changes of the trust config (trustlog.go)
	ScopeBundleSign       = "bundle:sign"        // sign bundles this site imports without --trust-root
)

// Scopes lists every scope in documentation order.
var Scopes = []string{
	ScopePolicyRead, ScopePolicyAuthor, ScopePolicyReview, ScopePolicyApprove, ScopePolicyOperate,
	ScopePolicyActivate, ScopePolicyAudit, ScopePolicySimulate, ScopePolicyRun, ScopeFindingsRead,
	ScopeExceptionApprove, ScopeTrustAdmin, ScopeBundleSign,
}

// Scope requirements of the state-changing actions (docs/governance.md).
var actionScopes = map[string]string{
	ActionDrafted:          ScopePolicyAuthor,
	ActionSubmitted:        ScopePolicyAuthor,
	ActionCommented:        ScopePolicyReview,
	ActionChangesRequested: ScopePolicyReview,
	ActionApproved:         ScopePolicyApprove,
	ActionActivated:        ScopePolicyActivate,
	ActionRollback:         ScopePolicyActivate,
	ActionArchived:         ScopePolicyOperate,
	ActionExcRequested:     ScopeFindingsRead,
	ActionExcApproved:      ScopeExceptionApprove,
	ActionExcRevoked:       ScopeExceptionApprove,
	ActionAuditExported:    ScopePolicyAudit,
}

// ScopeFor returns the scope an action needs.
func ScopeFor(action string) string { return actionScopes[action] }

// knownScope reports whether s is a scope stella knows.
func knownScope(s string) bool { return slices.Contains(Scopes, s) }

// ParseScopes splits a comma-separated scope list, checks every scope and
// returns them sorted without duplicates.
func ParseScopes(list []string) ([]string, error) {
	var out []string
	for _, item := range list {
		for _, s := range strings.Split(item, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			if !knownScope(s) {
				return nil, unknownScope(s)
			}
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

type unknownScopeError string

func (e unknownScopeError) Error() string {
	return "unknown scope " + quote(string(e)) + " (known: " + strings.Join(Scopes, ", ") + ")"
}

func unknownScope(s string) error { return unknownScopeError(s) }

func quote(s string) string { return `"` + s + `"` }
