package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
)

func TestLogStream(t *testing.T) {
	var b bytes.Buffer
	j := NewLogStream(&b)
	j.Write([]byte("stella: warning: a\n  continued\nstella: plain\n\nstella: err"))
	j.Flush()
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var rec struct{ Level, Msg string }
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		got = append(got, rec.Level+" "+rec.Msg)
	}
	want := []string{"WARN a", "WARN   continued", "INFO plain", "INFO err"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("records %q, want %q", got, want)
	}
}

func TestStderr(t *testing.T) {
	for _, c := range []struct {
		format, level string
		json, err     bool
	}{
		{"text", "warn", false, false},
		{"json", "debug", true, false},
		{"json", "loud", true, true},
		{"xml", "warn", false, true},
	} {
		var b bytes.Buffer
		w, log, err := Stderr(&b, c.format, c.level)
		_, isJSON := w.(*LogStream)
		if isJSON != c.json || (err != nil) != c.err || (log == nil) != c.err {
			t.Errorf("%s/%s: json %v, logger %v, err %v", c.format, c.level, isJSON, log != nil, err)
		}
		if w2, _, _ := Stderr(w, "text", "warn"); isJSON && w2 != w {
			t.Errorf("%s: a LogStream is kept", c.format)
		}
	}
}

func TestCommandError(t *testing.T) {
	err := fail.New(fail.NotFound, "unknown command \"x\"\n\nDid you mean this?\n\tfix\n")
	var b bytes.Buffer
	CommandError(&b, nil, err)
	if b.String() != "stella: unknown command \"x\"; Did you mean this?; fix\n" {
		t.Errorf("text %q", b.String())
	}
	b.Reset()
	j := NewLogStream(&b)
	j.Write([]byte("stella: warning: first"))
	CommandError(&b, j, err)
	if lines := strings.Split(strings.TrimSpace(b.String()), "\n"); len(lines) != 2 || !strings.Contains(lines[1], `"exitCode":4`) {
		t.Errorf("json %q", b.String())
	}
	b.Reset()
	CommandError(&b, nil, fail.Reported(fail.Invalid))
	CommandError(&b, nil, nil)
	if b.Len() > 0 {
		t.Errorf("reported or no error wrote %q", b.String())
	}
}
