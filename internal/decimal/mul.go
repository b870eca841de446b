package decimal

import "math/bits"

func mul64(a, b uint64) (hi, lo uint64) { return bits.Mul64(a, b) }

func div128(hi, lo, c uint64) (q, r uint64) {
	if hi >= c {
		// Out of range for stella's magnitudes; saturate rather than panic.
		return 1<<63 - 1, 0
	}
	return bits.Div64(hi, lo, c)
}
