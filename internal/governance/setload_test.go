package governance

import (
	"errors"
	"slices"
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

func TestParseSet(t *testing.T) {
	for _, tc := range []struct {
		set    string
		refs   []string
		active bool
		bad    bool
	}{
		{"active", nil, true, false},
		{"P-1,P-4", []string{"P-1", "P-4"}, false, false},
		{" P-1 , ,a.stella", []string{"P-1", "a.stella"}, false, false},
		{",", nil, false, true},
		{" ", nil, false, true},
	} {
		refs, active, err := ParseSet(tc.set)
		if tc.bad {
			if !fail.Is(err, fail.Invalid) {
				t.Errorf("ParseSet(%q): err %v, want invalid", tc.set, err)
			}
			continue
		}
		if err != nil || active != tc.active || !slices.Equal(refs, tc.refs) {
			t.Errorf("ParseSet(%q) = %q, %v, %v; want %q, %v", tc.set, refs, active, err, tc.refs, tc.active)
		}
	}
}
