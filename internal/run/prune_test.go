package run

import (
	"testing"
	"time"
)

func TestPruneRequestRetention(t *testing.T) {
	for _, tc := range []struct {
		p    PruneRequest
		want Retention
		err  string
	}{
		{PruneRequest{}, Retention{OlderThan: 365 * 24 * time.Hour}, ""},
		{PruneRequest{OlderThan: "90d", DryRun: true}, Retention{OlderThan: 90 * 24 * time.Hour, DryRun: true}, ""},
		{PruneRequest{Before: "2026-03-01T00:00:00Z"}, Retention{OlderThan: 365 * 24 * time.Hour, Before: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}, ""},
		{PruneRequest{OlderThan: "1y"}, Retention{}, `--older-than "1y": want a duration like 365d or 12h`},
		{PruneRequest{Before: "2026-03-01"}, Retention{}, `--before "2026-03-01": want an RFC 3339 time like 2026-03-01T00:00:00Z`},
	} {
		got, err := tc.p.Retention()
		if errText(err) != tc.err {
			t.Errorf("%+v: error %v, want %s", tc.p, err, tc.err)
			continue
		}
		if err == nil && (got.OlderThan != tc.want.OlderThan || !got.Before.Equal(tc.want.Before) || got.DryRun != tc.want.DryRun) {
			t.Errorf("%+v: %+v, want %+v", tc.p, got, tc.want)
		}
	}
}
