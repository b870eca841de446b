package bundle

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// StreamStatus is what a site has imported of one bundle stream, read
// from its bundle.imported audit events (docs/bundle.md, "Time anchors").
type StreamStatus struct {
	Stream string `json:"stream"`
	// Sequence, BundleID, ValidUntil and ImportedAt are those of the
	// imported bundle with the highest sequence.
	Sequence   int64  `json:"sequence"`
	BundleID   string `json:"bundleId"`
	ValidUntil string `json:"validUntil"`
	ImportedAt string `json:"importedAt"`
	// TimeAnchor is the latest signed time anchor of any bundle of the
	// stream imported here.
	TimeAnchor string `json:"timeAnchor"`
	Imports    int    `json:"imports"`
}

// Streams returns the status of every bundle stream imported into the
// store, by stream name.
func Streams(ctx context.Context, tx *store.Tx) ([]StreamStatus, error) {
	events, err := tx.Events(ctx, store.EventFilter{Type: "bundle.imported"})
	if err != nil {
		return nil, err
	}
	by := map[string]*StreamStatus{}
	for _, e := range events {
		var p importedEvent
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return nil, fail.New(fail.Integrity, "audit event %d: %v", e.Seq, err)
		}
		s := by[p.Stream]
		if s == nil {
			s = &StreamStatus{Stream: p.Stream}
			by[p.Stream] = s
		}
		s.Imports++
		if p.Sequence > s.Sequence {
			s.Sequence, s.BundleID, s.ValidUntil, s.ImportedAt = p.Sequence, p.BundleID, p.ValidUntil, e.At
		}
		if later(p.SignedAnchor, s.TimeAnchor) {
			s.TimeAnchor = p.SignedAnchor
		}
	}
	out := make([]StreamStatus, 0, len(by))
	for _, s := range by {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Stream < out[j].Stream })
	return out, nil
}

// later reports whether RFC 3339 time a is after b (an unreadable or empty
// a never is; any a is after an empty b).
func later(a, b string) bool {
	ta, err := time.Parse(time.RFC3339, a)
	if err != nil {
		return false
	}
	tb, err := time.Parse(time.RFC3339, b)
	return err != nil || ta.After(tb)
}

// LatestAnchor returns the stream whose signed time anchor is the latest,
// and that anchor; ok is false when no imported bundle carried one.
func LatestAnchor(streams []StreamStatus) (s StreamStatus, at time.Time, ok bool) {
	for _, x := range streams {
		if t, err := time.Parse(time.RFC3339, x.TimeAnchor); err == nil && t.After(at) {
			s, at, ok = x, t, true
		}
	}
	return s, at, ok
}

// CheckClock refuses (fail.Integrity) a clock reading now that is behind
// the latest signed time anchor imported here by more than attest.MaxClockSkew:
// a site's time cannot go behind what a bundle it holds proves was
// already past. Runs check it unless the evaluation time was given
// explicitly (docs/bundle.md, "Time anchors").
func CheckClock(ctx context.Context, st *store.Store, now time.Time) error {
	var streams []StreamStatus
	err := st.View(ctx, func(tx *store.Tx) error {
		var err error
		streams, err = Streams(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	s, at, ok := LatestAnchor(streams)
	if !ok || at.Sub(now) <= attest.MaxClockSkew {
		return nil
	}
	return fail.New(fail.Integrity, "the clock (%s) is behind the signed time anchor %s of bundle stream %q imported here: the clock is wrong or was set back; fix it, or give --as-of explicitly (it is recorded)",
		now.UTC().Truncate(time.Second).Format(time.RFC3339), s.TimeAnchor, s.Stream)
}
