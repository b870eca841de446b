package cvss

import "testing"

// FuzzParse checks that no string panics Parse, that scores stay within
// [0, 10], and that a normalized vector is a fixed point with equal scores.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		"CVSS:3.0/AV:L/AC:H/PR:L/UI:R/S:C/C:L/I:N/A:N/E:H/RC:U/CR:M/MS:C/MI:H",
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U/MSI:S",
		"AV:N/AC:L/Au:N/C:N/I:N/A:C/E:F/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:H",
		"(AV:N/AC:L/Au:N/C:P/I:P/A:P)",
		"CVSS:4.0/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		s, err := Parse(v)
		if err != nil {
			return
		}
		for _, d := range []int64{int64(s.Base), int64(s.Environmental), int64(s.Score)} {
			if d < 0 || d > 10_000_000 {
				t.Fatalf("%q: score out of range: %+v", v, s)
			}
		}
		again, err := Parse(s.Vector)
		if err != nil {
			t.Fatalf("normalized %q of %q does not parse: %v", s.Vector, v, err)
		}
		if again.Vector != s.Vector || again.Score != s.Score || again.Base != s.Base || again.Environmental != s.Environmental {
			t.Fatalf("normalizing %q changed it: %+v then %+v", v, s, again)
		}
	})
}
