package cvss

import "math"

// table2 is the CVSS v2 metric table in specification order.
var table2 = []metric{
	{"AV", []string{"L", "A", "N"}, true},
	{"AC", []string{"H", "M", "L"}, true},
	{"Au", []string{"M", "S", "N"}, true},
	{"C", []string{"N", "P", "C"}, true},
	{"I", []string{"N", "P", "C"}, true},
	{"A", []string{"N", "P", "C"}, true},
	{"E", []string{"ND", "U", "POC", "F", "H"}, false},
	{"RL", []string{"ND", "OF", "TF", "W", "U"}, false},
	{"RC", []string{"ND", "UC", "UR", "C"}, false},
	{"CDP", []string{"ND", "N", "L", "LM", "MH", "H"}, false},
	{"TD", []string{"ND", "N", "L", "M", "H"}, false},
	{"CR", []string{"ND", "L", "M", "H"}, false},
	{"IR", []string{"ND", "L", "M", "H"}, false},
	{"AR", []string{"ND", "L", "M", "H"}, false},
}

// Indexes into table2.
const (
	v2AV = iota
	v2AC
	v2Au
	v2C
	v2I
	v2A
	v2E
	v2RL
	v2RC
	v2CDP
	v2TD
	v2CR
	v2IR
	v2AR
	v2End
)

// Metric weights of the v2 specification (§3.2).
var (
	w2AV  = map[string]float64{"L": 0.395, "A": 0.646, "N": 1.0}
	w2AC  = map[string]float64{"H": 0.35, "M": 0.61, "L": 0.71}
	w2Au  = map[string]float64{"M": 0.45, "S": 0.56, "N": 0.704}
	w2CIA = map[string]float64{"N": 0, "P": 0.275, "C": 0.660}
	w2E   = map[string]float64{"": 1, "U": 0.85, "POC": 0.9, "F": 0.95, "H": 1}
	w2RL  = map[string]float64{"": 1, "OF": 0.87, "TF": 0.9, "W": 0.95, "U": 1}
	w2RC  = map[string]float64{"": 1, "UC": 0.9, "UR": 0.95, "C": 1}
	w2CDP = map[string]float64{"": 0, "N": 0, "L": 0.1, "LM": 0.3, "MH": 0.4, "H": 0.5}
	w2TD  = map[string]float64{"": 1, "N": 0, "L": 0.25, "M": 0.75, "H": 1}
	w2Req = map[string]float64{"": 1, "L": 0.5, "M": 1, "H": 1.51}
)

func parse2(body, vector string) (*Score, error) {
	m, norm, err := split(body, vector, table2, "ND")
	if err != nil {
		return nil, err
	}
	expl := mul(mul(mul(20, w2AV[m[v2AV]]), w2AC[m[v2AC]]), w2Au[m[v2Au]])
	baseOf := func(impact float64) float64 {
		f := 1.176
		if impact == 0 {
			f = 0
		}
		return round1(mul(mul(0.6, impact)+mul(0.4, expl)-1.5, f))
	}
	temporalOf := func(base float64) float64 {
		return round1(mul(mul(mul(base, w2E[m[v2E]]), w2RL[m[v2RL]]), w2RC[m[v2RC]]))
	}
	c, i, a := w2CIA[m[v2C]], w2CIA[m[v2I]], w2CIA[m[v2A]]
	impact := mul(10.41, 1-mul(mul(1-c, 1-i), 1-a))
	base := baseOf(impact)
	temporal := temporalOf(base)

	adjImpact := math.Min(10, mul(10.41, 1-mul(mul(
		1-mul(c, w2Req[m[v2CR]]),
		1-mul(i, w2Req[m[v2IR]])),
		1-mul(a, w2Req[m[v2AR]]))))
	adjTemporal := temporalOf(baseOf(adjImpact))
	env := round1(mul(adjTemporal+mul(10-adjTemporal, w2CDP[m[v2CDP]]), w2TD[m[v2TD]]))
	// Low security requirements can push the adjusted base score below zero
	// (the v2 formula subtracts 1.5 unconditionally); a score is never
	// negative.
	env = math.Max(0, env)

	s := &Score{
		Version:       V2,
		Vector:        norm,
		Base:          dec(base),
		Temporal:      ptr(dec(temporal)),
		Environmental: dec(env),
	}
	switch {
	case m.anySet(v2CDP, v2End):
		s.Score = s.Environmental
	case m.anySet(v2E, v2CDP):
		s.Score = *s.Temporal
	default:
		s.Score = s.Base
	}
	s.Severity = rating2(s.Score)
	return s, nil
}
