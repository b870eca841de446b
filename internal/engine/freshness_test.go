package engine

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/model"
)

func TestFreshness(t *testing.T) {
	advs := func(modified ...string) []string { return modified }
	week := 7 * 24 * time.Hour
	cases := []struct {
		name   string
		advs   []string
		maxAge time.Duration
		want   Freshness
		warns  int
	}{
		{"fresh: 2 days old", advs("2025-05-20T00:00:00Z", "2025-05-30T00:00:00Z"), week, Freshness{"2025-05-30T00:00:00Z", 2, "7d", "", false}, 0},
		{"exactly the limit is not stale", advs("2025-05-25T00:00:00Z"), week, Freshness{"2025-05-25T00:00:00Z", 7, "7d", "", false}, 0},
		{"a second over the limit is stale", advs("2025-05-24T23:59:59Z"), week, Freshness{"2025-05-24T23:59:59Z", 7, "7d", "", true}, 1},
		{"36h limit", advs("2025-05-30T00:00:00Z"), 36 * time.Hour, Freshness{"2025-05-30T00:00:00Z", 2, "36h", "", true}, 1},
		{"no limit never warns", advs("2020-01-01T00:00:00Z"), 0, Freshness{"2020-01-01T00:00:00Z", 1978, "", "", false}, 0},
		{"modified within a day after the evaluation time: age 0", advs("2025-06-01T12:00:00Z"), week, Freshness{"2025-06-01T12:00:00Z", 0, "7d", "", false}, 0},
		{"modified a month after the evaluation time: not counted, unknown age", advs("2025-07-01T00:00:00Z"), week, Freshness{"", 0, "7d", "", true}, 2},
		{"one record from the future does not hide stale data", advs("2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z"), week, Freshness{"2020-01-01T00:00:00Z", 1978, "7d", "", true}, 2},
		{"a future record warns with no limit too", advs("2025-05-31T00:00:00Z", "2099-01-01T00:00:00Z"), 0, Freshness{"2025-05-31T00:00:00Z", 1, "", "", false}, 1},
		{"the zero time of some records is ignored", advs("0001-01-01T00:00:00Z", "2025-05-31T00:00:00Z"), week, Freshness{"2025-05-31T00:00:00Z", 1, "7d", "", false}, 0},
		{"no modified time: unknown age, stale", advs("", "0001-01-01T00:00:00Z"), week, Freshness{"", 0, "7d", "", true}, 1},
		{"no advisories", nil, week, Freshness{"", 0, "7d", "", false}, 0},
		{"older than time.Duration reaches: exact age", advs("0002-01-01T00:00:00Z"), week, Freshness{"0002-01-01T00:00:00Z", 739037, "7d", "", true}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, w := freshness(tc.advs, at, feedLimit{age: tc.maxAge})
			if *f != tc.want || len(w) != tc.warns {
				t.Errorf("freshness %+v, warnings %q; want %+v, %d warnings", *f, w, tc.want, tc.warns)
			}
		})
	}
}

// TestFeedLimit: a policy's max_feed_age_days is the warning's limit too,
// counted in whole days as the gate counts them, unless --max-feed-age was
// given explicitly and is tighter; the CLI default never loosens it
// (docs/output.md "Freshness").
func TestFeedLimit(t *testing.T) {
	week, d3650, d10 := 7*24*time.Hour, decimal.Int(3650), decimal.Int(10)
	cases := []struct {
		name     string
		req      Request
		days     *decimal.D
		modified string
		want     Freshness
		warning  string
	}{
		{"no setting: the default", Request{MaxFeedAge: week}, nil, "2025-05-01T00:00:00Z",
			Freshness{"2025-05-01T00:00:00Z", 31, "7d", "", true}, "more than 7d (--max-feed-age)"},
		{"setting governs the default", Request{MaxFeedAge: week}, &d3650, "2025-05-01T00:00:00Z",
			Freshness{"2025-05-01T00:00:00Z", 31, "3650d", limitSetting, false}, ""},
		{"explicit and tighter: warns", Request{MaxFeedAge: week, MaxFeedAgeGiven: true}, &d3650, "2025-05-01T00:00:00Z",
			Freshness{"2025-05-01T00:00:00Z", 31, "7d", "", true}, "more than 7d (--max-feed-age)"},
		{"explicit and looser: the setting", Request{MaxFeedAge: 60 * 24 * time.Hour, MaxFeedAgeGiven: true}, &d10, "2025-05-01T00:00:00Z",
			Freshness{"2025-05-01T00:00:00Z", 31, "10d", limitSetting, true}, "more than 10 days (max_feed_age_days)"},
		{"explicit 0: the setting", Request{MaxFeedAgeGiven: true}, &d10, "2025-05-01T00:00:00Z",
			Freshness{"2025-05-01T00:00:00Z", 31, "10d", limitSetting, true}, "more than 10 days (max_feed_age_days)"},
		{"whole days as the gate: 10 days and 23 hours is not more than 10", Request{MaxFeedAge: week}, &d10, "2025-05-21T01:00:00Z",
			Freshness{"2025-05-21T01:00:00Z", 10, "10d", limitSetting, false}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, w := freshness([]string{tc.modified}, at, feedLimitOf(&tc.req, tc.days))
			if *f != tc.want || (tc.warning == "") != (len(w) == 0) || len(w) > 0 && !strings.Contains(w[0], tc.warning) {
				t.Errorf("freshness %+v, warnings %q; want %+v, %q", *f, w, tc.want, tc.warning)
			}
		})
	}
}

// TestFeedAgeGate: settings.max_feed_age_days blocks a run on data older
// than the limit, and on data whose age cannot be told.
func TestFeedAgeGate(t *testing.T) {
	pol := policy(rule("noop", prio(1), band(ir.OpGe, ref("severity", "normalized"), "Critical"), warn("x")))
	cases := []struct {
		name, limit, modified, outcome, observed, verdict string
	}{
		{"fresh enough", "10", "2025-05-25T00:00:00Z", "pass", "7", "passed"},
		{"too old", "5", "2025-05-25T00:00:00Z", "block", "7", "blocked"},
		{"no modified time", "30", "", "block", "0", "blocked"},
		{"modified in the future only: unknown age", "30", "2099-01-01T00:00:00Z", "block", "0", "blocked"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := *pol
			p.Settings = []ir.Field{setting("max_feed_age_days", vnum(tc.limit))}
			fx := fixture{pol: &p, inputs: model.Inputs{Advisories: []model.Advisory{{ID: "GHSA-1", Modified: tc.modified}}}}
			res := fx.run(t)
			if len(res.Gates) != 1 {
				t.Fatalf("gates %+v", res.Gates)
			}
			g := res.Gates[0]
			if g.Name != GateFeedAge || g.Outcome != tc.outcome || g.Observed.String() != tc.observed || res.Verdict != tc.verdict {
				t.Errorf("gate %+v verdict %s; want %s observed %s, verdict %s", g, res.Verdict, tc.outcome, tc.observed, tc.verdict)
			}
		})
	}
}

// TestExceptionExpiryWarnings: an exception in force that expires within 14
// days warns; one that has expired warns when it covers findings of the run.
func TestExceptionExpiryWarnings(t *testing.T) {
	exc := func(id, expires string, vulns ...string) model.Exception {
		return model.Exception{ID: id, Vulns: vulns, Effect: model.EffectSuppress, Status: model.ExceptionApproved,
			Effective: "2025-01-01T00:00:00Z", Expires: expires}
	}
	pol := policy(rule("noop", prio(1), band(ir.OpGe, ref("severity", "normalized"), "Critical"), warn("x")))
	pairs := []match.Pair{
		pairOf(component("pkg:npm/a@1", "1"), advisory("GHSA-a", "9.8")),
		pairOf(component("pkg:npm/b@1", "1"), advisory("GHSA-b", "7.5")),
	}
	cases := []struct {
		name string
		excs []model.Exception
		want []string
	}{
		{"expires in 5 days", []model.Exception{exc("E1", "2025-06-06T00:00:00Z", "GHSA-a")},
			[]string{"exception E1 expires 2025-06-06T00:00:00Z, in 5 days (within 14): renew it or fix what it waives"}},
		{"expires in 14 days exactly", []model.Exception{exc("E1", "2025-06-15T00:00:00Z", "GHSA-a")},
			[]string{"exception E1 expires 2025-06-15T00:00:00Z, in 14 days (within 14): renew it or fix what it waives"}},
		{"expires in a few hours", []model.Exception{exc("E1", "2025-06-01T06:00:00Z", "GHSA-a")},
			[]string{"exception E1 expires 2025-06-01T06:00:00Z, in 1 day (within 14): renew it or fix what it waives"}},
		{"expires in 15 days: quiet", []model.Exception{exc("E1", "2025-06-16T00:00:00Z", "GHSA-a")}, nil},
		{"expired, in scope of both findings", []model.Exception{exc("E1", "2025-05-31T00:00:00Z", "GHSA-a", "GHSA-b")},
			[]string{"exception E1 expired 2025-05-31T00:00:00Z and was not applied to 2 findings it covers"}},
		{"expired at the evaluation time", []model.Exception{exc("E1", "2025-06-01T00:00:00Z", "GHSA-a")},
			[]string{"exception E1 expired 2025-06-01T00:00:00Z and was not applied to 1 finding it covers"}},
		{"expired, covering nothing of this run: quiet", []model.Exception{exc("E1", "2025-05-31T00:00:00Z", "GHSA-zzz")}, nil},
		// A waiver in force that covers nothing (a misspelt id or purl)
		// waives nothing: the user must not believe it does.
		{"in force, covering nothing of this run", []model.Exception{exc("E1", "2025-12-01T00:00:00Z", "GHSA-zzz")},
			[]string{"exception E1 is in force but covers no finding of this run: check its vulns and purls"}},
		{"in force, a purl matching nothing", []model.Exception{withPurls(exc("E1", "2025-12-01T00:00:00Z", "GHSA-a"), "pkg:npm/aa"),
			withPurls(exc("E2", "2025-12-01T00:00:00Z"), "pkg:npm/b"), exc("E3", "2025-12-01T00:00:00Z", "CVE-0")},
			[]string{"2 exceptions are in force but cover no finding of this run: E1, E3; check their vulns and purls"}},
		{"not approved, covering nothing: quiet", []model.Exception{notApproved(exc("E1", "2025-12-01T00:00:00Z", "GHSA-zzz"))}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := fixture{pol: pol, pairs: pairs, inputs: model.Inputs{Exceptions: tc.excs}}.run(t)
			if !slices.Equal(res.Warnings, tc.want) && !(len(tc.want) == 0 && len(res.Warnings) == 0) {
				t.Errorf("warnings %q, want %q", res.Warnings, tc.want)
			}
			if !slices.Equal(res.Notices, res.Warnings) {
				t.Errorf("notices %q, want the warnings %q", res.Notices, res.Warnings)
			}
		})
	}
}

func withPurls(e model.Exception, purls ...string) model.Exception {
	e.Purls = purls
	return e
}

func notApproved(e model.Exception) model.Exception {
	e.Status = "requested"
	return e
}

// TestFreshnessAllRecords: when the inputs hold only a selection and a
// selected record is after the evaluation time, freshness counts every
// record's modified time (Request.AllModified), else only the selection's.
func TestFreshnessAllRecords(t *testing.T) {
	all := func() ([]string, error) {
		return []string{"2025-05-01T00:00:00Z", "2025-05-30T00:00:00Z", "2099-01-01T00:00:00Z"}, nil
	}
	cases := []struct {
		name     string
		selected []string
		all      func() ([]string, error)
		want     string // newestModified
	}{
		{"no selected record is future: the selection's newest", []string{"2025-05-01T00:00:00Z"}, all, "2025-05-01T00:00:00Z"},
		{"a selected record is future: every record's", []string{"2025-05-01T00:00:00Z", "2099-01-01T00:00:00Z"}, all, "2025-05-30T00:00:00Z"},
		{"no index: the selection's", []string{"2025-05-01T00:00:00Z", "2099-01-01T00:00:00Z"}, nil, "2025-05-01T00:00:00Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := &Request{Inputs: &model.Inputs{}, AllModified: tc.all}
			for _, m := range tc.selected {
				req.Inputs.Advisories = append(req.Inputs.Advisories, model.Advisory{Modified: m})
			}
			times, err := req.modifiedTimes(at)
			if err != nil {
				t.Fatal(err)
			}
			if f, _ := freshness(times, at, feedLimit{age: 7 * 24 * time.Hour}); f.NewestModified != tc.want {
				t.Errorf("newest %q, want %q", f.NewestModified, tc.want)
			}
		})
	}
}
