package governance

import (
	"errors"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/run"
)

func TestLoadSet(t *testing.T) {
	w := newWorld(t, 1)
	loaded := map[string]*run.Policy{"gate.stella": {ID: "gate"}, "P-1": {ID: "P-1", Version: 2}, "P-3@1": {ID: "P-3", Version: 1}}
	load := func(ref string) (*run.Policy, error) {
		if p, ok := loaded[ref]; ok {
			return p, nil
		}
		return nil, errors.New("cannot load " + ref)
	}
	cases := []struct {
		name   string
		refs   []string
		active bool
		want   string // member names, or the error
	}{
		{"a file keeps its name, a version is named P-n@v", []string{"gate.stella", "P-1", "P-3@1"}, false, "gate.stella P-1@2 P-3@1"},
		{"with no active policy, the named ones", []string{"P-1"}, true, "P-1@2"},
		{"a load error passes through", []string{"P-1", "nope.stella"}, false, "cannot load nope.stella"},
		{"nothing to load", nil, true, "no policies: the tenant has no active policy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := LoadSet(w.ctx, w.st, tc.refs, tc.active, load)
			var got []string
			for _, m := range ms {
				got = append(got, m.Ref)
			}
			if err != nil {
				got = []string{err.Error()}
			}
			if !strings.Contains(strings.Join(got, " "), tc.want) {
				t.Fatalf("got %v, want %q", got, tc.want)
			}
			if tc.refs == nil && !fail.Is(err, fail.NotFound) {
				t.Fatalf("kind %v, want not found", fail.KindOf(err))
			}
		})
	}
}
