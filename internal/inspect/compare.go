package inspect

import (
	"bufio"
	"io"
	"strings"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/version"
)

// Comparison is one compared pair: Result is <, = or >.
type Comparison struct {
	Ecosystem string `json:"ecosystem"`
	A         string `json:"a"`
	B         string `json:"b"`
	Result    string `json:"result"`
}

// Ecosystem checks that eco names an ecosystem with a known version ordering.
func Ecosystem(eco string) error {
	if eco == "" {
		return fail.New(fail.Invalid, "--ecosystem is required (npm, Go, PyPI, Maven, Debian, …)")
	}
	if !version.Supported(eco) {
		return fail.New(fail.Invalid, "--ecosystem %q: no version ordering is known for it", eco)
	}
	return nil
}

// Compare orders a and b with eco's ordering.
func Compare(eco, a, b string) (Comparison, error) {
	c, err := version.Compare(eco, a, b)
	if err != nil {
		return Comparison{}, fail.Wrap(fail.Invalid, err)
	}
	return Comparison{eco, a, b, symbol(c)}, nil
}

// Pairs compares the "A B" pairs of r, one per non-blank line, calling each
// with every comparison in order; a malformed line or an invalid version
// stops it with an error naming the line.
func Pairs(eco string, r io.Reader, each func(Comparison) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return fail.New(fail.Invalid, "stdin:%d: want two versions \"A B\", got %q", n, line)
		}
		c, err := version.Compare(eco, f[0], f[1])
		if err != nil {
			return fail.New(fail.Invalid, "stdin:%d: %v", n, err)
		}
		if err := each(Comparison{eco, f[0], f[1], symbol(c)}); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fail.New(fail.Invalid, "stdin: %v", err)
	}
	return nil
}

func symbol(c int) string {
	switch {
	case c < 0:
		return "<"
	case c > 0:
		return ">"
	}
	return "="
}
