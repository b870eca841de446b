package governance

import (
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/fail"
)

func TestStateWindow(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"24h", 24 * time.Hour, ""},
		{"7d", 7 * 24 * time.Hour, ""},
		{"soon", 0, `--window "soon": want a duration like 365d or 12h`},
		{"-1d", 0, `--window "-1d": want a number of days like 365d`},
	} {
		got, err := StateWindow(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err || fail.KindOf(err) != fail.Invalid {
				t.Errorf("StateWindow(%q) error = %v, want %s (invalid)", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("StateWindow(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}
