package cvss

import (
	"slices"
	"testing"
)

// TestParseBand: the five bands, worst first, named in any case; anything
// else (Unknown among them: it is no band a user can name) is not one.
func TestParseBand(t *testing.T) {
	if got := Bands(); !slices.Equal(got, []string{"Critical", "High", "Medium", "Low", "None"}) {
		t.Fatalf("Bands() = %q", got)
	}
	b := Bands()
	b[0] = "x"
	if Bands()[0] != Critical {
		t.Fatal("Bands() shares its slice")
	}
	for _, tc := range []struct {
		in   string
		band string
		rank int
		ok   bool
	}{
		{"Critical", Critical, 0, true},
		{"critical", Critical, 0, true},
		{"HIGH", High, 1, true},
		{"medium", Medium, 2, true},
		{"Low", Low, 3, true},
		{"none", None, 4, true},
		{"Unknown", "", -1, false},
		{"", "", -1, false},
		{" High", "", -1, false},
		{"Highest", "", -1, false},
	} {
		band, rank, ok := ParseBand(tc.in)
		if band != tc.band || rank != tc.rank || ok != tc.ok {
			t.Errorf("ParseBand(%q) = %q, %d, %v; want %q, %d, %v", tc.in, band, rank, ok, tc.band, tc.rank, tc.ok)
		}
	}
}
