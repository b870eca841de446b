package report

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
)

func problems(n int) []inputs.Problem {
	ps := make([]inputs.Problem, n)
	for i := range ps {
		ps[i] = inputs.Problem{File: "a.json", Line: i + 1, Msg: "bad"}
	}
	return ps
}

// TestProblems: input warnings and skipped records are stderr warnings
// like every other, `stella: warning: …` (docs/output.md "stderr"), so a
// CI log filter and --log-format json (level WARN) see them.
func TestProblems(t *testing.T) {
	for _, c := range []struct {
		label string
		n     int
		lines int
		last  string
	}{
		{"warning", 0, 0, ""}, {"warning", 1, 1, "stella: warning: a.json:1:0: bad"}, {"warning", 20, 20, "stella: warning: a.json:20:0: bad"},
		{"warning", 25, 21, "stella: warning: … and 5 more (see --format json)"},
		{"skipped", 1, 1, "stella: warning: skipped a.json:1:0: bad"}, {"skipped", 21, 21, "stella: warning: skipped … and 1 more (see --format json)"},
	} {
		var buf bytes.Buffer
		Problems(&buf, c.label, problems(c.n))
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if c.n == 0 {
			lines = nil
		}
		if len(lines) != c.lines || (c.lines > 0 && lines[len(lines)-1] != c.last) {
			t.Errorf("%d problems: %q", c.n, buf.String())
		}
	}
}

func TestInputError(t *testing.T) {
	for _, c := range []struct {
		name  string
		err   error
		ok    bool
		lines int
		last  string
	}{
		{"not an input error", errors.New("disk full"), false, 0, ""},
		{"two problems and a hint", &inputs.Error{Problems: problems(2), Hint: "try --skip-invalid"}, true, 3, "stella: try --skip-invalid"},
		{"many, wrapped", fmt.Errorf("reading: %w", &inputs.Error{Problems: problems(22)}), true, 21, "stella: … and 2 more problems"},
	} {
		var buf bytes.Buffer
		kind, ok := InputError(&buf, c.err)
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if !c.ok {
			lines = nil
			if buf.Len() > 0 {
				t.Errorf("%s: wrote %q", c.name, buf.String())
			}
		}
		if ok != c.ok || (ok && kind != fail.KindOf(c.err)) || len(lines) != c.lines || (c.lines > 0 && lines[len(lines)-1] != c.last) {
			t.Errorf("%s: %v %v %q", c.name, kind, ok, buf.String())
		}
	}
	if ProgressBar(&bytes.Buffer{}, false, false) != nil || ProgressBar(&bytes.Buffer{}, true, true) == nil {
		t.Error("ProgressBar on/off")
	}
}
