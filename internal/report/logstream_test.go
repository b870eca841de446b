package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
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
