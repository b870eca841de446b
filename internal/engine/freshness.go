package engine

import (
	"time"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/text"
)

// GateFeedAge is the gate of settings.max_feed_age_days.
const GateFeedAge = "feed-age"

// Freshness is how old the advisory data is at the evaluation time
// (docs/output.md "Freshness"): the age of the newest advisory modified
// time among the inputs.
type Freshness struct {
	NewestModified string `json:"newestModified,omitempty"` // "" when no advisory has a modified time
	AgeDays        int    `json:"ageDays"`                  // whole days from it to the evaluation time; 0 when it is later
	MaxAge         string `json:"maxAge,omitempty"`         // the warning limit ("7d", "36h", "3650d"); "" when none
	MaxAgeFrom     string `json:"maxAgeFrom,omitempty"`     // "max_feed_age_days" when the policy's setting is the limit; "" for --max-feed-age
	Stale          bool   `json:"stale"`                    // older than MaxAge, or no modified time to tell
}

// Where a feed age limit comes from, as the warning names it
// (Freshness.MaxAgeFrom holds limitSetting; "" is the flag).
const (
	limitFlag    = "--max-feed-age"
	limitSetting = "max_feed_age_days"
)

// feedLimit is the age beyond which advisory data is stale: the policy's
// settings.max_feed_age_days when it sets one — the warning then agrees
// with the feed-age gate — unless --max-feed-age was given explicitly and
// is tighter; else --max-feed-age (docs/output.md "Freshness").
type feedLimit struct {
	age  time.Duration // --max-feed-age; 0: none
	days *decimal.D    // max_feed_age_days, when it governs
}

func feedLimitOf(req *Request, days *decimal.D) feedLimit {
	if days == nil || req.MaxFeedAgeGiven && req.MaxFeedAge > 0 && decimal.D(req.MaxFeedAge/(24*time.Hour/decimal.Scale)) < *days {
		return feedLimit{age: req.MaxFeedAge}
	}
	return feedLimit{days: days}
}

// modifiedTimes are the advisory modified times freshness counts: those of
// the inputs' advisories, or — when one of them is more than
// model.FutureSkew after the evaluation time and the inputs hold only a
// selection (Request.AllModified) — those of every advisory, so that the
// newest at or before the evaluation time counts even when the selection
// left it out (docs/output.md "Freshness").
func (req *Request) modifiedTimes(at time.Time) ([]string, error) {
	advs := req.Inputs.Advisories
	times := make([]string, len(advs))
	future := false
	for i := range advs {
		times[i] = advs[i].Modified
		future = future || model.FutureString(times[i], at)
	}
	if !future || req.AllModified == nil {
		return times, nil
	}
	return req.AllModified()
}

// freshness computes the freshness of advisories modified at times at the
// evaluation time and the warning when the data is older than limit. A
// modified time more than model.FutureSkew after the evaluation time (an
// --as-of in the past, wrong data or a wrong clock) is warned about and not
// counted, so that one such record cannot make old data look fresh
// (docs/output.md "Freshness").
func freshness(times []string, at time.Time, limit feedLimit) (*Freshness, []string) {
	var newest, latest time.Time
	var warnings []string
	future := 0
	for _, m := range times {
		t, ok := model.ParseTime(m)
		switch {
		case !ok || t.Year() <= 1:
		case model.Future(t, at):
			future++
			if t.After(latest) {
				latest = t
			}
		case t.After(newest):
			newest = t
		}
	}
	if future > 0 {
		warnings = append(warnings, text.Count(future, "advisory was", "advisories were")+" modified more than a day after the evaluation time (the latest "+
			latest.Format(time.RFC3339Nano)+"): not counted as the newest advisory, so that freshness rests on data the evaluation time can see (an --as-of in the past, wrong data or a wrong clock)")
	}
	f := &Freshness{}
	over := "" // the limit, as the warning names it
	switch {
	case limit.days != nil:
		f.MaxAge, f.MaxAgeFrom = limit.days.String()+"d", limitSetting
		over = limit.days.String() + " days (" + limitSetting + ")"
		if *limit.days == decimal.One {
			over = "1 day (" + limitSetting + ")"
		}
	case limit.age > 0:
		f.MaxAge = text.Age(limit.age)
		over = f.MaxAge + " (" + limitFlag + ")"
	}
	if newest.IsZero() {
		if len(times) == 0 {
			return f, nil // nothing to match, nothing stale
		}
		f.Stale = f.MaxAge != ""
		if !f.Stale {
			return f, warnings
		}
		return f, append(warnings, "advisory data of unknown age: no advisory has a modified time at or before the evaluation time")
	}
	f.NewestModified = newest.Format(time.RFC3339Nano)
	f.AgeDays = int(max(0, WholeDays(newest, at)))
	switch {
	case limit.days != nil: // as the feed-age gate counts: whole days
		f.Stale = decimal.Int(int64(f.AgeDays)) > *limit.days
	case limit.age > 0:
		f.Stale = at.Sub(newest) > limit.age
	}
	if !f.Stale {
		return f, warnings
	}
	return f, append(warnings, "advisory data is stale: the newest advisory was modified "+f.NewestModified+", "+
		text.Count(f.AgeDays, "day", "days")+" before the evaluation time, more than "+over+"; refresh the feeds")
}

// feedAgeGate is the gate of settings.max_feed_age_days: it blocks when the
// newest advisory is more whole days old than the limit, and when no advisory
// says how old it is.
func feedAgeGate(f *Freshness, limit decimal.D) Gate {
	g := Gate{Name: GateFeedAge, Outcome: GatePass, Observed: decimal.Int(int64(f.AgeDays)), Threshold: limit, Action: GateBlock}
	if f.NewestModified == "" {
		g.Outcome, g.Message = GateBlock, "no advisory among the inputs has a modified time at or before the evaluation time, so the age of the advisory data is unknown"
		return g
	}
	g.Message = "advisory data is " + text.Count(f.AgeDays, "day", "days") + " old (newest modified " + f.NewestModified + "), at most " + limit.String() + " allowed"
	if g.Observed > limit {
		g.Outcome = GateBlock
	}
	return g
}
