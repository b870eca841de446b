package cvss

import (
	"math"
	"strings"
)

// table4 is the CVSS v4.0 metric table in specification order (§7).
var table4 = []metric{
	{"AV", []string{"N", "A", "L", "P"}, true},
	{"AC", []string{"L", "H"}, true},
	{"AT", []string{"N", "P"}, true},
	{"PR", []string{"N", "L", "H"}, true},
	{"UI", []string{"N", "P", "A"}, true},
	{"VC", []string{"H", "L", "N"}, true},
	{"VI", []string{"H", "L", "N"}, true},
	{"VA", []string{"H", "L", "N"}, true},
	{"SC", []string{"H", "L", "N"}, true},
	{"SI", []string{"H", "L", "N"}, true},
	{"SA", []string{"H", "L", "N"}, true},
	{"E", []string{"X", "A", "P", "U"}, false},
	{"CR", []string{"X", "H", "M", "L"}, false},
	{"IR", []string{"X", "H", "M", "L"}, false},
	{"AR", []string{"X", "H", "M", "L"}, false},
	{"MAV", []string{"X", "N", "A", "L", "P"}, false},
	{"MAC", []string{"X", "L", "H"}, false},
	{"MAT", []string{"X", "N", "P"}, false},
	{"MPR", []string{"X", "N", "L", "H"}, false},
	{"MUI", []string{"X", "N", "P", "A"}, false},
	{"MVC", []string{"X", "H", "L", "N"}, false},
	{"MVI", []string{"X", "H", "L", "N"}, false},
	{"MVA", []string{"X", "H", "L", "N"}, false},
	{"MSC", []string{"X", "H", "L", "N"}, false},
	{"MSI", []string{"X", "S", "H", "L", "N"}, false},
	{"MSA", []string{"X", "S", "H", "L", "N"}, false},
	// Supplemental metrics: accepted and normalized, never scored.
	{"S", []string{"X", "N", "P"}, false},
	{"AU", []string{"X", "N", "Y"}, false},
	{"R", []string{"X", "A", "U", "I"}, false},
	{"V", []string{"X", "D", "C"}, false},
	{"RE", []string{"X", "L", "M", "H"}, false},
	{"U", []string{"X", "Clear", "Green", "Amber", "Red"}, false},
}

// Indexes into table4.
const (
	v4AV = iota
	v4AC
	v4AT
	v4PR
	v4UI
	v4VC
	v4VI
	v4VA
	v4SC
	v4SI
	v4SA
	v4E
	v4CR
	v4IR
	v4AR
	v4MAV // the modified metrics follow in base-metric order
	v4MSA = v4MAV + 10
	v4S   = v4MSA + 1 // first supplemental metric
)

func parse4(body, vector string) (*Score, error) {
	m, norm, err := split(body, vector, table4, "X")
	if err != nil {
		return nil, err
	}
	baseOnly := make(values, len(m))
	copy(baseOnly[:v4E], m[:v4E])
	withThreat := make(values, len(m))
	copy(withThreat[:v4CR], m[:v4CR])

	s := &Score{
		Version:       V40,
		Vector:        "CVSS:4.0/" + norm,
		Base:          dec(score4(baseOnly)),
		Threat:        ptr(dec(score4(withThreat))),
		Environmental: dec(score4(m)),
	}
	switch {
	case m.anySet(v4CR, v4S):
		s.Score = s.Environmental
	case m[v4E] != "":
		s.Score = *s.Threat
	default:
		s.Score = s.Base
	}
	s.Severity = Rating(s.Score)
	return s, nil
}

// vec4 holds the effective value of each scored v4 metric: the modified
// metric when given, else the base metric, with the worst-case defaults
// E=A and CR=IR=AR=H.
type vec4 [15]string // indexed like table4[:v4MAV]

func effective4(m values) vec4 {
	var e vec4
	for i := v4AV; i <= v4SA; i++ {
		e[i] = m[i]
		if mod := m[v4MAV+i]; mod != "" {
			e[i] = mod
		}
	}
	e[v4E] = or(m[v4E], "A")
	e[v4CR] = or(m[v4CR], "H")
	e[v4IR] = or(m[v4IR], "H")
	e[v4AR] = or(m[v4AR], "H")
	return e
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// macro4 computes the MacroVector: the six equivalence classes of §8.2.
func macro4(e vec4) [6]int {
	var eq [6]int
	av, pr, ui := e[v4AV], e[v4PR], e[v4UI]
	switch {
	case av == "N" && pr == "N" && ui == "N":
		eq[0] = 0
	case (av == "N" || pr == "N" || ui == "N") && av != "P":
		eq[0] = 1
	default:
		eq[0] = 2
	}
	if e[v4AC] != "L" || e[v4AT] != "N" {
		eq[1] = 1
	}
	vc, vi, va := e[v4VC], e[v4VI], e[v4VA]
	switch {
	case vc == "H" && vi == "H":
		eq[2] = 0
	case vc == "H" || vi == "H" || va == "H":
		eq[2] = 1
	default:
		eq[2] = 2
	}
	switch {
	case e[v4SI] == "S" || e[v4SA] == "S":
		eq[3] = 0
	case e[v4SC] == "H" || e[v4SI] == "H" || e[v4SA] == "H":
		eq[3] = 1
	default:
		eq[3] = 2
	}
	switch e[v4E] {
	case "P":
		eq[4] = 1
	case "U":
		eq[4] = 2
	}
	if !(e[v4CR] == "H" && vc == "H" || e[v4IR] == "H" && vi == "H" || e[v4AR] == "H" && va == "H") {
		eq[5] = 1
	}
	return eq
}

// lookup4 returns the score of a MacroVector and whether it exists.
func lookup4(eq [6]int) (float64, bool) {
	var key [6]byte
	for i, x := range eq {
		key[i] = byte('0' + x)
	}
	v, ok := macroScores[string(key[:])]
	return v, ok
}

// score4 is the CVSS v4.0 score of a vector (§8.2): the score of its
// MacroVector, lowered by the mean, over the equivalence classes, of the
// vector's severity distance from the MacroVector's highest-severity vector
// as a proportion of the distance to the next lower MacroVector.
func score4(m values) float64 {
	e := effective4(m)
	if e[v4VC] == "N" && e[v4VI] == "N" && e[v4VA] == "N" && e[v4SC] == "N" && e[v4SI] == "N" && e[v4SA] == "N" {
		return 0
	}
	eq := macro4(e)
	value, _ := lookup4(eq)

	// The next lower MacroVector of each class; NaN when there is none.
	lower := func(i int) float64 {
		l := eq
		l[i]++
		if v, ok := lookup4(l); ok {
			return v
		}
		return math.NaN()
	}
	lower36 := func() float64 {
		eq3, eq6 := eq[2], eq[5]
		l := eq
		switch {
		case eq3 == 0 && eq6 == 0:
			// Two paths lead down (00 → 01 and 00 → 10); take the higher.
			left, right := eq, eq
			left[5]++
			right[2]++
			lv, lok := lookup4(left)
			rv, rok := lookup4(right)
			if !lok || !rok {
				return math.NaN()
			}
			return math.Max(lv, rv)
		case eq3 == 1 && eq6 == 0:
			l[5]++
		case eq3 == 2:
			l[2]++
			l[5]++
		default: // 01 → 11, 11 → 21
			l[2]++
		}
		if v, ok := lookup4(l); ok {
			return v
		}
		return math.NaN()
	}

	// The highest-severity vectors of the MacroVector, in the reference
	// order; the first one that is at least as severe as the vector in every
	// metric is the one to measure from.
	var dist [15]float64
	for _, x1 := range maxParts.eq1[eq[0]] {
		for _, x2 := range maxParts.eq2[eq[1]] {
			for _, x36 := range maxParts.eq3[eq[2]][eq[5]] {
				for _, x4 := range maxParts.eq4[eq[3]] {
					x5 := maxParts.eq5[eq[4]]
					dist = distances4(e, x1, x2, x36, x4, x5)
					if allNonNegative(dist) {
						goto found
					}
				}
			}
		}
	}
found:
	const step = 0.1
	cur1 := dist[v4AV] + dist[v4PR] + dist[v4UI]
	cur2 := dist[v4AC] + dist[v4AT]
	cur36 := dist[v4VC] + dist[v4VI] + dist[v4VA] + dist[v4CR] + dist[v4IR] + dist[v4AR]
	cur4 := dist[v4SC] + dist[v4SI] + dist[v4SA]

	parts := []struct {
		available, current, depth float64
	}{
		{value - lower(0), cur1, mul(maxSeverity.eq1[eq[0]], step)},
		{value - lower(1), cur2, mul(maxSeverity.eq2[eq[1]], step)},
		{value - lower36(), cur36, mul(maxSeverity.eq36[eq[2]][eq[5]], step)},
		{value - lower(3), cur4, mul(maxSeverity.eq4[eq[3]], step)},
		{value - lower(4), 0, 1}, // the EQ5 distance is always 0
	}
	n := 0
	var sum float64
	for _, p := range parts {
		if math.IsNaN(p.available) {
			continue
		}
		n++
		sum += mul(p.available, p.current/p.depth)
	}
	mean := 0.0
	if n > 0 {
		mean = sum / float64(n)
	}
	// The reference calculator adds 1e-6 before rounding so that float
	// artefacts such as 8.6-7.15 = 1.4499999999999993 round as 1.45 would.
	return round1(math.Max(0, math.Min(10, value-mean)) + 1e-6)
}

// distances4 is, per metric, the severity level of the vector's value minus
// that of the max vector made of parts.
func distances4(e vec4, parts ...maxPart) [15]float64 {
	var d [15]float64
	for _, p := range parts {
		for _, mv := range p {
			d[mv.metric] = levels4[mv.metric][e[mv.metric]] - levels4[mv.metric][mv.value]
		}
	}
	return d
}

// maxPart is one parsed fragment of a highest-severity vector
// ("AV:N/PR:N/UI:N/").
type maxPart []metricValue

type metricValue struct {
	metric int // index into table4
	value  string
}

func parseMaxPart(s string) maxPart {
	var p maxPart
	for part := range strings.SplitSeq(strings.TrimSuffix(s, "/"), "/") {
		k, v, _ := strings.Cut(part, ":")
		p = append(p, metricValue{index(table4[:v4MAV], k), v})
	}
	return p
}

// maxParts is maxComposed parsed once.
var maxParts = func() (m struct {
	eq1, eq2, eq4 [3][]maxPart
	eq3           [3][2][]maxPart
	eq5           [3]maxPart
}) {
	parse := func(ss []string) []maxPart {
		out := make([]maxPart, len(ss))
		for i, s := range ss {
			out[i] = parseMaxPart(s)
		}
		return out
	}
	for i := range 3 {
		m.eq1[i] = parse(maxComposed.eq1[i])
		m.eq2[i] = parse(maxComposed.eq2[i])
		m.eq4[i] = parse(maxComposed.eq4[i])
		m.eq5[i] = parseMaxPart(maxComposed.eq5[i])
		for j := range 2 {
			m.eq3[i][j] = parse(maxComposed.eq3[i][j])
		}
	}
	return m
}()

func allNonNegative(d [15]float64) bool {
	for _, x := range d {
		if x < 0 {
			return false
		}
	}
	return true
}

// levels4 gives each metric value its severity level, 0 the most severe, in
// steps of 0.1 (§8.2, "severity distance"), indexed like table4[:v4MAV].
var levels4 = [15]map[string]float64{
	v4AV: {"N": 0.0, "A": 0.1, "L": 0.2, "P": 0.3},
	v4AC: {"L": 0.0, "H": 0.1},
	v4AT: {"N": 0.0, "P": 0.1},
	v4PR: {"N": 0.0, "L": 0.1, "H": 0.2},
	v4UI: {"N": 0.0, "P": 0.1, "A": 0.2},
	v4VC: {"H": 0.0, "L": 0.1, "N": 0.2},
	v4VI: {"H": 0.0, "L": 0.1, "N": 0.2},
	v4VA: {"H": 0.0, "L": 0.1, "N": 0.2},
	v4SC: {"H": 0.1, "L": 0.2, "N": 0.3},
	v4SI: {"S": 0.0, "H": 0.1, "L": 0.2, "N": 0.3},
	v4SA: {"S": 0.0, "H": 0.1, "L": 0.2, "N": 0.3},
	v4E:  {"U": 0.2, "P": 0.1, "A": 0},
	v4CR: {"H": 0.0, "M": 0.1, "L": 0.2},
	v4IR: {"H": 0.0, "M": 0.1, "L": 0.2},
	v4AR: {"H": 0.0, "M": 0.1, "L": 0.2},
}
