package run

import (
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// EvalOptions are the options every evaluation takes from the command line
// (policy simulate, run, diff): --env, --as-of, --max-feed-age
// (docs/output.md "Freshness") and --unchecked-budget ("Coverage").
type EvalOptions struct {
	Env        []string // k=v values for env.*
	AsOf       string   // ParseAsOf
	MaxFeedAge string   // an age (text.ParseAge); "": 7 days, not given
	// UncheckedBudget is a number of components, or -1 for none; BudgetFlag
	// says it was given on the command line (not by the environment or
	// the config file), for the record.
	UncheckedBudget int
	BudgetFlag      bool
}

// Spec parses the options into the Spec every evaluation starts from:
// --as-of against now (the wall clock, read once by the CLI), --env,
// --max-feed-age and --unchecked-budget with where it came from (getenv
// tells the environment from the config file).
func (e EvalOptions) Spec(now time.Time, getenv func(string) string) (spec Spec, err error) {
	if spec.At, err = ParseAsOf(e.AsOf, now); err != nil {
		return spec, err
	}
	if spec.Env, err = ParseEnv(e.Env); err != nil {
		return spec, err
	}
	if e.UncheckedBudget < -1 {
		return spec, fail.New(fail.Invalid, "--unchecked-budget %d: give a number of components ≥ 0, or -1 for none", e.UncheckedBudget)
	}
	if e.UncheckedBudget >= 0 {
		spec.UncheckedBudget, spec.UncheckedSource = &e.UncheckedBudget, store.BudgetConfig
		if e.BudgetFlag {
			spec.UncheckedSource = store.BudgetFlag
		} else if getenv(store.BudgetEnv) != "" {
			spec.UncheckedSource = store.BudgetEnv
		}
	}
	age := e.MaxFeedAge
	if spec.MaxFeedAgeGiven = age != ""; !spec.MaxFeedAgeGiven {
		age = "7d"
	}
	if spec.MaxFeedAge, err = text.ParseAge(age); err != nil {
		return spec, fail.New(fail.Invalid, "--max-feed-age %v", err)
	}
	return spec, nil
}
