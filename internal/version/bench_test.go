package version

import (
	"testing"

	"github.com/stella-policy/stella/internal/model"
)

func BenchmarkCompare(b *testing.B) {
	for _, c := range []struct{ eco, a, b string }{
		{"npm", "1.2.3-beta.2", "1.2.3"},
		{"Go", "v0.0.0-20200202094626-16171245cfb2", "v0.0.1"},
		{"PyPI", "1.0.post1", "1.0rc1"},
		{"Maven", "1.0-alpha-1", "1.0.0.RELEASE"},
		{"Debian", "1:2.30-1", "2.31-1~bpo12+1"},
	} {
		b.Run(c.eco, func(b *testing.B) {
			for b.Loop() {
				if _, err := Compare(c.eco, c.a, c.b); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEvaluate(b *testing.B) {
	aff := &model.Affected{Ranges: []model.Range{{Type: "ECOSYSTEM", Events: []model.Event{
		{Introduced: "0"}, {Fixed: "2.9.10.1"}, {Introduced: "2.10.0"}, {Fixed: "2.10.5.1"}, {Introduced: "2.11.0"}, {Fixed: "2.11.4"},
	}}}}
	b.Run("uncached", func(b *testing.B) {
		for b.Loop() {
			Evaluate("Maven", "2.10.3", aff)
		}
	})
	b.Run("cached", func(b *testing.B) {
		c := NewCache()
		for b.Loop() {
			c.Evaluate("Maven", "2.10.3", aff)
		}
	})
}
