package text

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAge(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{7 * 24 * time.Hour, "7d"},
		{48 * time.Hour, "2d"},
		{24 * time.Hour, "24h"},
		{36 * time.Hour, "36h"},
		{90 * time.Minute, "1h30m"},
		{90 * time.Second, "1m30s"},
		{45 * time.Second, "45s"},
	} {
		if got := Age(tc.d); got != tc.want {
			t.Errorf("Age(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestElapsed(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {45 * time.Second, "45s"}, {3 * time.Minute, "3m"}, {3*time.Hour + 12*time.Minute, "3h12m"},
		{52 * time.Hour, "2d4h"}, {72 * time.Hour, "3d0h"}, {-time.Hour, "0s"},
		{math.MaxInt64, "106751d23h"}, // a time.Duration's longest: about 292 years
	} {
		if got := Elapsed(c.d); got != c.want {
			t.Errorf("Elapsed(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 advisories"}, {1, "1 advisory"}, {2, "2 advisories"}} {
		if got := Count(tc.n, "advisory", "advisories"); got != tc.want {
			t.Errorf("Count(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestAbbrev(t *testing.T) {
	for in, want := range map[string]string{
		"sha256:0123456789abcdef": "sha256:0123456789ab…",
		"sha256:0123456789ab":     "sha256:0123456789ab",
		"":                        "",
	} {
		if got := Abbrev(in); got != want {
			t.Errorf("Abbrev(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFirst(t *testing.T) {
	for _, tt := range []struct {
		items []string
		n     int
		want  string
	}{
		{nil, 2, ""},
		{[]string{"a", "b"}, 2, "a,b"},
		{[]string{"a", "b", "c"}, 2, "a,b,1 more"},
		{[]string{"a", "b", "c", "d"}, 1, "a,3 more"},
	} {
		items := slices.Clone(tt.items)
		if got := strings.Join(First(items, tt.n), ","); got != tt.want {
			t.Errorf("First(%q, %d) = %q, want %q", tt.items, tt.n, got, tt.want)
		}
		if !slices.Equal(items, tt.items) {
			t.Errorf("First(%q, %d) changed its input to %q", tt.items, tt.n, items)
		}
	}
}

func TestParseAge(t *testing.T) {
	for _, c := range []struct {
		s    string
		want time.Duration
		err  string
	}{
		{"7d", 7 * 24 * time.Hour, ""}, {"0d", 0, ""}, {"36500d", 36500 * 24 * time.Hour, ""},
		{"12h", 12 * time.Hour, ""}, {"1h30m", 90 * time.Minute, ""}, {"0", 0, ""},
		{"36501d", 0, `"36501d": want a number of days like 365d`}, {"-1d", 0, `"-1d": want a number of days like 365d`},
		{"xd", 0, `"xd": want a number of days like 365d`}, {"-2h", 0, `"-2h": want a duration like 365d or 12h`},
		{"", 0, `"": want a duration like 365d or 12h`}, {"7 days", 0, `"7 days": want a duration like 365d or 12h`},
	} {
		got, err := ParseAge(c.s)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("ParseAge(%q) error = %v, want %s", c.s, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", c.s, got, err, c.want)
		}
		if c.s != "0" && c.s != "0d" && c.s != "1h30m" {
			if back, _ := ParseAge(Age(got)); back != got {
				t.Errorf("ParseAge(Age(%v)) = %v", got, back)
			}
		}
	}
}
