package inspect

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/stella-policy/stella/internal/cvss"
	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/fail"
)

// Vector is one CVSS vector to score and where it came from ("argument 2",
// "stdin:7"), for the error of an invalid one.
type Vector struct{ Text, Where string }

// Vectors are the vectors of `stella cvss`: the arguments, or else the
// non-blank lines of r. No vector at all is an error.
func Vectors(args []string, r io.Reader) ([]Vector, error) {
	var vs []Vector
	if len(args) > 0 {
		for i, a := range args {
			vs = append(vs, Vector{a, fmt.Sprintf("argument %d", i+1)})
		}
		return vs, nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			vs = append(vs, Vector{line, fmt.Sprintf("stdin:%d", n)})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fail.New(fail.Invalid, "stdin: %v", err)
	}
	if len(vs) == 0 {
		return nil, fail.New(fail.Invalid, "no vectors: give them as arguments or on stdin, one per line")
	}
	return vs, nil
}

// Scored is one vector scored, or the reason it could not be.
type Scored struct {
	Vector        string     `json:"vector"`
	Normalized    string     `json:"normalized,omitempty"`
	Version       string     `json:"version,omitempty"`
	Base          *decimal.D `json:"base,omitempty"`
	Temporal      *decimal.D `json:"temporal,omitempty"`
	Threat        *decimal.D `json:"threat,omitempty"`
	Environmental *decimal.D `json:"environmental,omitempty"`
	Score         *decimal.D `json:"score,omitempty"`
	Severity      string     `json:"severity,omitempty"`
	Error         string     `json:"error,omitempty"`
}

// CVSS scores every vector; an invalid one gets a row with its error, and
// bad counts them.
func CVSS(vs []Vector) (rows []Scored, bad int) {
	rows = make([]Scored, len(vs))
	for i, v := range vs {
		rows[i].Vector = v.Text
		s, err := cvss.Parse(v.Text)
		if err != nil {
			bad++
			rows[i].Error = fmt.Sprintf("%s: %s", v.Where, strings.TrimPrefix(err.Error(), "cvss: "))
			continue
		}
		rows[i] = Scored{
			Vector: v.Text, Normalized: s.Vector, Version: s.Version,
			Base: &s.Base, Temporal: s.Temporal, Threat: s.Threat,
			Environmental: &s.Environmental, Score: &s.Score, Severity: s.Severity,
		}
	}
	return rows, bad
}
