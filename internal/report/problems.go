package report

import (
	"errors"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
)

// mostProblems is how many input problems are written one per line; the
// rest are counted (all of them are in the JSON forms).
const mostProblems = 20

// Problems writes input warnings (label "warning") or skipped records
// (label "skipped") on stderr one per line, as every warning there is
// written: `stella: warning: …`, a skipped record `stella: warning:
// skipped …` (docs/output.md "stderr").
func Problems(w io.Writer, label string, ps []inputs.Problem) {
	prefix := "stella: warning: "
	if label != "warning" {
		prefix += label + " "
	}
	for i, p := range ps {
		if i == mostProblems {
			printf(w, "%s… and %d more (see --format json)\n", prefix, len(ps)-mostProblems)
			break
		}
		printf(w, "%s%s\n", prefix, p)
	}
}

// InputError writes an input error one problem per line (a malformed OSV
// set can have many) and its hint, and returns its kind; ok is false, and
// nothing is written, for any other error.
func InputError(w io.Writer, err error) (kind fail.Kind, ok bool) {
	var ie *inputs.Error
	if !errors.As(err, &ie) {
		return 0, false
	}
	for i, p := range ie.Problems {
		if i == mostProblems {
			printf(w, "stella: … and %d more problems\n", len(ie.Problems)-i)
			break
		}
		printf(w, "stella: %s\n", p)
	}
	if ie.Hint != "" {
		printf(w, "stella: %s\n", ie.Hint)
	}
	return fail.KindOf(err), true
}

// ProgressBar returns a progress bar for long reads (or, with bytes, a
// download) drawn on w; nil when off (w is not a terminal, or --quiet).
// On an escaping stream (Escaping) it draws on the stream beneath, its
// own carriage returns intact, and escapes what it is told to show.
func ProgressBar(w io.Writer, on, bytes bool) inputs.Progress {
	if !on {
		return nil
	}
	if e, ok := w.(escWriter); ok {
		w = e.w
	}
	return &progressBar{w: w, bytes: bytes}
}

// progressBar adapts schollz/progressbar to inputs.Progress.
type progressBar struct {
	w     io.Writer
	bytes bool // counts bytes (a download), not files
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
}

func (p *progressBar) Start(what string, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(Escape(what)),
		progressbar.OptionShowCount(),
		progressbar.OptionShowBytes(p.bytes),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetVisibility(true))
}

func (p *progressBar) Add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Add(n)
	}
}

func (p *progressBar) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
}
