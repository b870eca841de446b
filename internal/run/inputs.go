package run

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/store"
)

// StoredSnapshot opens a snapshot stored in the database, verifying it as
// it is read, with all of its advisories. ref is its id (or a unique
// prefix), or a snapshot directory naming it.
func StoredSnapshot(ctx context.Context, st *store.Store, ref string) (*snapshot.Snapshot, error) {
	var snap *snapshot.Snapshot
	if fi, err := os.Stat(ref); err == nil && fi.IsDir() {
		s, err := snapshot.OpenDir(ref)
		if err != nil {
			return nil, err
		}
		ref = s.ID()
	}
	err := st.View(ctx, func(tx *store.Tx) error {
		id, err := tx.ResolveSnapshot(ctx, ref)
		if err != nil {
			return err
		}
		fsys, err := tx.SnapshotFS(ctx, id)
		if err != nil {
			return err
		}
		if snap, err = snapshot.LoadFS(fsys); err != nil {
			return fmt.Errorf("snapshot %s: %w", id, err)
		}
		if snap.ID() != id {
			return fail.New(fail.Integrity, "snapshot %s: stored manifest has id %s", id, snap.ID())
		}
		return nil
	})
	return snap, err
}

// ParseAsOf reads --as-of (docs/runs.md "Evaluation time"): "" is the
// invocation's wall-clock time now, in UTC and whole seconds; "inputs" is
// the zero time, for which Evaluate chooses the newest timestamp among the
// inputs; anything else must be an RFC 3339 time from 1970 on (minAsOf), so
// that no time given is taken for the zero time and replaced. now is read
// once, by the CLI: nothing below it reads a clock.
func ParseAsOf(s string, now time.Time) (time.Time, error) {
	switch s {
	case "":
		return now.UTC().Truncate(time.Second), nil
	case AsOfInputs:
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fail.New(fail.Invalid, "--as-of %q: want an RFC 3339 time like 2025-01-31T00:00:00Z, or \"inputs\" for the newest input timestamp", s)
	}
	if t.Before(minAsOf) {
		return time.Time{}, fail.New(fail.Invalid, "--as-of %q: before %s, earlier than any SBOM, advisory or signature; give a later time", s, minAsOf.Format(time.RFC3339))
	}
	return t.UTC(), nil
}

// minAsOf is the earliest evaluation time --as-of accepts: the Unix epoch.
var minAsOf = time.Unix(0, 0).UTC()

// AsOfInputs is the --as-of value that evaluates at the newest timestamp
// among the inputs (the default before the wall clock was).
const AsOfInputs = "inputs"

// ParseEnv reads --env k=v values, normalized by the engine's rules.
func ParseEnv(vals []string) ([]engine.KV, error) {
	var env []engine.KV
	for _, v := range vals {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return nil, fail.New(fail.Invalid, "--env %q: want key=value", v)
		}
		env = append(env, engine.KV{Key: k, Value: val})
	}
	out, err := engine.NormalizeEnv(env)
	if err != nil {
		return nil, fail.Wrap(fail.Invalid, err)
	}
	if out == nil {
		out = []engine.KV{}
	}
	return out, nil
}

// DefaultTime is the newest timestamp among the inputs: advisory
// modified/published times, VEX statement times, the EPSS score date, the
// KEV release date (--as-of inputs, docs/runs.md "Evaluation time"). A
// timestamp more than model.FutureSkew after now, the invocation's wall
// clock, is not used: one record dated 2099 would otherwise move the
// evaluation to 2099, expire every exception and make stale data look
// fresh. future counts the timestamps left out, for the caller to warn.
func DefaultTime(in *model.Inputs, now time.Time) (at time.Time, future int, err error) {
	limit := now.Add(model.FutureSkew)
	consider := func(s string) {
		t, ok := model.ParseTime(s)
		switch {
		case !ok:
		case t.After(limit):
			future++
		case t.After(at):
			at = t
		}
	}
	for i := range in.Advisories {
		consider(in.Advisories[i].Modified)
		consider(in.Advisories[i].Published)
	}
	for i := range in.VEX {
		consider(in.VEX[i].Timestamp)
	}
	if in.EPSS != nil {
		consider(in.EPSS.ScoreDate)
	}
	if in.KEV != nil {
		consider(in.KEV.DateReleased)
	}
	if at.IsZero() {
		return at, future, fail.New(fail.Invalid, "the inputs carry no timestamp up to now to evaluate at; give --as-of")
	}
	return at.UTC().Truncate(time.Second), future, nil
}

// inputsRef converts a snapshot's digests into the engine's input cursors.
func inputsRef(s *snapshot.Snapshot) *engine.InputsRef {
	d := s.Digests
	ref := &engine.InputsRef{SnapshotID: s.ID(), SBOMs: []engine.SBOMRef{}, Advisories: d.Advisories, VEX: d.VEX, NVD: d.NVD, EPSS: d.EPSS,
		KEV: d.KEV, Reachability: d.Reachability, Exceptions: d.Exceptions}
	for _, sb := range d.SBOMs {
		ref.SBOMs = append(ref.SBOMs, engine.SBOMRef{Name: sb.Name, Digest: sb.Digest, Components: sb.Components})
	}
	for _, f := range s.Manifest.Content.Feeds {
		ref.Feeds = append(ref.Feeds, engine.FeedRef{Name: f.Name, URL: f.URL, FetchedAt: f.FetchedAt, Digest: f.Digest})
	}
	// The advisory count of the whole snapshot: Inputs may hold only the
	// advisories the join can use (snapshot.Load).
	ref.Counts.Advisories = s.Manifest.Content.Stats.Advisories
	return ref
}
