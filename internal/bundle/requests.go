package bundle

import (
	"cmp"
	"context"
	"path/filepath"
	"time"

	"github.com/stella-policy/stella/internal/atomicfile"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// The bundle commands as asked (docs/bundle.md): each request holds what a
// command is given, flags still as text, and reads it and runs the
// command's steps. The site's keys and trust config come from governance.

// FlagTime reads the RFC 3339 time s given to flag; "" is the zero time.
func FlagTime(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fail.New(fail.Invalid, "%s %q: want an RFC 3339 time like 2026-03-01T00:00:00Z", flag, s)
	}
	return t, nil
}

// SizeLimit is the Limits of a --max-size as given: "" keeps the defaults.
func SizeLimit(maxSize string) (Limits, error) {
	var lim Limits
	if maxSize != "" {
		var err error
		if lim.MaxTotalSize, err = parseSize(maxSize); err != nil {
			return lim, err
		}
	}
	return lim, nil
}

// ExportRequest is `stella bundle export`: what to export and how to seal
// it (the site adds Key, Approvals and Roles), the file to write, and the
// validity and times as given (Times), which override ExportOptions'.
type ExportRequest struct {
	ExportOptions
	Out   string
	Times ExportTimes
}

// ExportTimes are export's validity and times as given: ValidFor ("30d" or
// a Go duration), and ValidUntil, CreatedAt and TimeAnchor as RFC 3339
// times ("" for the default).
type ExportTimes struct {
	ValidFor, ValidUntil, CreatedAt, TimeAnchor string
}

// Options reads the request into the options of Export: the compression
// from Out's name unless given (compressionFor), snapshot directories as
// their ids (snapshotIDOf), the validity and the times; the time anchor is
// now unless given.
func (r *ExportRequest) Options(now time.Time) (ExportOptions, error) {
	o := r.ExportOptions
	o.Compression = cmp.Or(o.Compression, compressionFor(r.Out))
	o.Snapshots = nil
	for _, ref := range r.Snapshots {
		id, err := snapshotIDOf(ref)
		if err != nil {
			return o, err
		}
		o.Snapshots = append(o.Snapshots, id)
	}
	var err error
	if o.ValidFor, err = parseValidity(r.Times.ValidFor); err != nil {
		return o, err
	}
	for _, t := range []struct {
		flag, val string
		dst       *time.Time
	}{{"--valid-until", r.Times.ValidUntil, &o.ValidUntil}, {"--created-at", r.Times.CreatedAt, &o.CreatedAt}, {"--time-anchor", r.Times.TimeAnchor, &o.TimeAnchor}} {
		if t.val == "" {
			continue
		}
		if *t.dst, err = FlagTime(t.flag, t.val); err != nil {
			return o, err
		}
	}
	if o.TimeAnchor.IsZero() {
		o.TimeAnchor = now
	}
	return o, nil
}

// Write opens the store, exports o from it (Export) and writes the bundle
// to Out atomically; the summary describes the file written.
func (r *ExportRequest) Write(ctx context.Context, open func() (*store.Store, error), o ExportOptions) (*ExportSummary, error) {
	st, err := open()
	if err != nil {
		return nil, err
	}
	defer st.Close()
	ex, err := Export(ctx, st, o)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(r.Out, ex.Data, 0o644); err != nil {
		return nil, fail.Unwritten(r.Out, err)
	}
	return ex.Summary(r.Out, o.Compression, o.Key.ID), nil
}

// ImportRequest is what `stella bundle import` is given besides the
// verification: Force and Reason (ImportOptions), and the quarantine
// directory ("" for quarantine/ beside the database).
type ImportRequest struct {
	Force      bool
	Reason     string
	Quarantine string
}

// ImportFile imports the bundle at path as ImportFile does, with o and the
// request's force, reason and quarantine.
func (r ImportRequest) ImportFile(ctx context.Context, path string, lim Limits, open func() (*store.Store, error), o ImportOptions) (*ImportResult, error) {
	o.Force, o.Reason = r.Force, r.Reason
	q := cmp.Or(r.Quarantine, filepath.Join(filepath.Dir(o.DB), "quarantine"))
	return ImportFile(ctx, path, lim, open, o, q)
}

// InspectRequest is `stella bundle inspect`: the bundle file, the size
// limit as given ("" for the default) and whether the site is sealed.
type InspectRequest struct {
	Path    string
	MaxSize string
	Sealed  bool
}

// Inspect lists the bundle (Inspect) once it is known to be a local file
// at a sealed site (CheckLocal) and the limit is read.
func (r InspectRequest) Inspect() (*Inspection, error) {
	if err := CheckLocal(r.Sealed, "bundle", r.Path); err != nil {
		return nil, err
	}
	lim, err := SizeLimit(r.MaxSize)
	if err != nil {
		return nil, err
	}
	return Inspect(r.Path, lim)
}

// StatusRequest is `stella bundle status`: the time to count days left
// from, as given (an RFC 3339 --time-anchor; "" for the clock).
type StatusRequest struct {
	TimeAnchor string
}

// Status reads the time (now unless given), then opens the store and
// judges the streams imported there at it (Status).
func (r StatusRequest) Status(ctx context.Context, now time.Time, open func() (*store.Store, error)) (*StatusReport, error) {
	source := "system-clock"
	if r.TimeAnchor != "" {
		var err error
		if now, err = FlagTime("--time-anchor", r.TimeAnchor); err != nil {
			return nil, err
		}
		source = "time-anchor"
	}
	st, err := open()
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return Status(ctx, st, now, source)
}
