package cvss

import (
	"math"
)

// table3 is the CVSS v3.0/v3.1 metric table in specification order.
var table3 = []metric{
	{"AV", []string{"N", "A", "L", "P"}, true},
	{"AC", []string{"L", "H"}, true},
	{"PR", []string{"N", "L", "H"}, true},
	{"UI", []string{"N", "R"}, true},
	{"S", []string{"U", "C"}, true},
	{"C", []string{"H", "L", "N"}, true},
	{"I", []string{"H", "L", "N"}, true},
	{"A", []string{"H", "L", "N"}, true},
	{"E", []string{"X", "U", "P", "F", "H"}, false},
	{"RL", []string{"X", "O", "T", "W", "U"}, false},
	{"RC", []string{"X", "U", "R", "C"}, false},
	{"CR", []string{"X", "L", "M", "H"}, false},
	{"IR", []string{"X", "L", "M", "H"}, false},
	{"AR", []string{"X", "L", "M", "H"}, false},
	{"MAV", []string{"X", "N", "A", "L", "P"}, false},
	{"MAC", []string{"X", "L", "H"}, false},
	{"MPR", []string{"X", "N", "L", "H"}, false},
	{"MUI", []string{"X", "N", "R"}, false},
	{"MS", []string{"X", "U", "C"}, false},
	{"MC", []string{"X", "N", "L", "H"}, false},
	{"MI", []string{"X", "N", "L", "H"}, false},
	{"MA", []string{"X", "N", "L", "H"}, false},
}

// Indexes into table3.
const (
	v3AV = iota
	v3AC
	v3PR
	v3UI
	v3S
	v3C
	v3I
	v3A
	v3E
	v3RL
	v3RC
	v3CR
	v3IR
	v3AR
	v3MAV
	v3MAC
	v3MPR
	v3MUI
	v3MS
	v3MC
	v3MI
	v3MA
	v3End
)

// Metric weights of the v3.0 and v3.1 specifications (they are the same).
var (
	w3AV  = map[string]float64{"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}
	w3AC  = map[string]float64{"L": 0.77, "H": 0.44}
	w3UI  = map[string]float64{"N": 0.85, "R": 0.62}
	w3CIA = map[string]float64{"H": 0.56, "L": 0.22, "N": 0}
	w3E   = map[string]float64{"": 1, "H": 1, "F": 0.97, "P": 0.94, "U": 0.91}
	w3RL  = map[string]float64{"": 1, "U": 1, "W": 0.97, "T": 0.96, "O": 0.95}
	w3RC  = map[string]float64{"": 1, "C": 1, "R": 0.96, "U": 0.92}
	w3Req = map[string]float64{"": 1, "H": 1.5, "M": 1, "L": 0.5}
)

// w3PR weighs privileges required, which depends on the scope.
func w3PR(pr, scope string) float64 {
	switch pr {
	case "N":
		return 0.85
	case "L":
		if scope == "C" {
			return 0.68
		}
		return 0.62
	}
	if scope == "C" {
		return 0.5
	}
	return 0.27
}

func parse3(version, body, vector string) (*Score, error) {
	m, norm, err := split(body, vector, table3, "X")
	if err != nil {
		return nil, err
	}
	// Base (specification §7.1, in the order of cvsscalc3x.js).
	scope := m[v3S]
	iss := 1 - mul(mul(1-w3CIA[m[v3C]], 1-w3CIA[m[v3I]]), 1-w3CIA[m[v3A]])
	var impact float64
	if scope == "U" {
		impact = mul(6.42, iss)
	} else {
		impact = mul(7.52, iss-0.029) - mul(3.25, math.Pow(iss-0.02, 15))
	}
	expl := mul(mul(mul(mul(8.22, w3AV[m[v3AV]]), w3AC[m[v3AC]]), w3PR(m[v3PR], scope)), w3UI[m[v3UI]])
	var base float64
	switch {
	case impact <= 0:
	case scope == "U":
		base = roundup31(math.Min(impact+expl, 10))
	default:
		base = roundup31(math.Min(mul(1.08, impact+expl), 10))
	}

	// Temporal (§7.2).
	tmul := func(x float64) float64 {
		return mul(mul(mul(x, w3E[m[v3E]]), w3RL[m[v3RL]]), w3RC[m[v3RC]])
	}
	temporal := roundup31(tmul(base))

	// Environmental (§7.3): modified metrics default to their base values.
	mod := func(i, base int) string {
		if m[i] != "" {
			return m[i]
		}
		return m[base]
	}
	mscope := mod(v3MS, v3S)
	miss := math.Min(1-mul(mul(
		1-mul(w3Req[m[v3CR]], w3CIA[mod(v3MC, v3C)]),
		1-mul(w3Req[m[v3IR]], w3CIA[mod(v3MI, v3I)])),
		1-mul(w3Req[m[v3AR]], w3CIA[mod(v3MA, v3A)])), 0.915)
	var mimpact float64
	switch {
	case mscope == "U":
		mimpact = mul(6.42, miss)
	case version == V30:
		mimpact = mul(7.52, miss-0.029) - mul(3.25, math.Pow(miss-0.02, 15))
	default:
		mimpact = mul(7.52, miss-0.029) - mul(3.25, math.Pow(mul(miss, 0.9731)-0.02, 13))
	}
	mexpl := mul(mul(mul(mul(8.22, w3AV[mod(v3MAV, v3AV)]), w3AC[mod(v3MAC, v3AC)]), w3PR(mod(v3MPR, v3PR), mscope)), w3UI[mod(v3MUI, v3UI)])
	var env float64
	switch {
	case mimpact <= 0:
	case mscope == "U":
		env = roundup31(tmul(roundup31(math.Min(mimpact+mexpl, 10))))
	default:
		env = roundup31(tmul(roundup31(math.Min(mul(1.08, mimpact+mexpl), 10))))
	}

	s := &Score{
		Version:       version,
		Vector:        "CVSS:" + version + "/" + norm,
		Base:          dec(base),
		Temporal:      ptr(dec(temporal)),
		Environmental: dec(env),
	}
	switch {
	case m.anySet(v3CR, v3End):
		s.Score = s.Environmental
	case m.anySet(v3E, v3CR):
		s.Score = *s.Temporal
	default:
		s.Score = s.Base
	}
	s.Severity = Rating(s.Score)
	return s, nil
}

// roundup31 is the v3.1 Roundup (specification Appendix A): the smallest
// one-decimal number ≥ x, computed on integers so that floating-point
// artefacts do not push exact values up (2.5 × 0.92 = 2.3000000000000003
// would otherwise give 2.4). It is used for v3.0 too: v3.0 defines Roundup
// the same way mathematically, and only its calculator's Math.ceil(x*10)/10
// had the artefacts that v3.1 then fixed.
func roundup31(x float64) float64 {
	i := math.Round(mul(x, 100000))
	if math.Mod(i, 10000) == 0 {
		return i / 100000
	}
	return (math.Floor(i/10000) + 1) / 10
}
