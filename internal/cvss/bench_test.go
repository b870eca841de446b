package cvss

import "testing"

func BenchmarkParse(b *testing.B) {
	for _, v := range []string{
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H/E:P/RL:O/RC:C/CR:H/MAV:N",
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
		"CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:A/VC:L/VI:H/VA:N/SC:L/SI:N/SA:L/E:P/CR:M/MSI:S",
		"AV:N/AC:L/Au:N/C:P/I:P/A:P/E:F/RL:OF/RC:C",
	} {
		b.Run(v[:min(len(v), 12)], func(b *testing.B) {
			for b.Loop() {
				if _, err := Parse(v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
