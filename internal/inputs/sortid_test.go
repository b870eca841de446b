package inputs

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/model"
)

// TestSortByID holds sortByID equal to a stable sort of the records by id
// (duplicates keep their order, from moves with them), on sorted, reversed,
// run-wise sorted and random inputs with many duplicate ids.
func TestSortByID(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 7))
	for trial := range 300 {
		n := rng.IntN(200)
		ids := rng.IntN(n+1) + 1
		advs := make([]model.Advisory, n)
		from := make([]string, n)
		for i := range advs {
			advs[i].ID = fmt.Sprintf("ID-%03d", rng.IntN(ids))
			advs[i].Modified = fmt.Sprint(i) // tells copies of one id apart
			from[i] = fmt.Sprintf("m%d", i)
		}
		switch trial % 4 {
		case 1:
			slices.SortStableFunc(advs, func(a, b model.Advisory) int { return strings.Compare(a.ID, b.ID) })
		case 2:
			slices.SortStableFunc(advs, func(a, b model.Advisory) int { return strings.Compare(b.ID, a.ID) })
		case 3:
			slices.SortStableFunc(advs[:n/2], func(a, b model.Advisory) int { return strings.Compare(a.ID, b.ID) })
			slices.SortStableFunc(advs[n/2:], func(a, b model.Advisory) int { return strings.Compare(a.ID, b.ID) })
		}
		for i := range from {
			from[i] = "from-" + advs[i].Modified
		}
		want := slices.Clone(advs)
		slices.SortStableFunc(want, func(a, b model.Advisory) int { return strings.Compare(a.ID, b.ID) })
		var withFrom bool
		if trial%2 == 0 {
			withFrom = true
		}
		got := slices.Clone(advs)
		var f []string
		if withFrom {
			f = slices.Clone(from)
		}
		sortByID(got, f)
		for i := range got {
			if got[i].ID != want[i].ID || got[i].Modified != want[i].Modified {
				t.Fatalf("trial %d: record %d is %s/%s, want %s/%s", trial, i, got[i].ID, got[i].Modified, want[i].ID, want[i].Modified)
			}
			if withFrom && f[i] != "from-"+got[i].Modified {
				t.Fatalf("trial %d: from %d is %s for record %s", trial, i, f[i], got[i].Modified)
			}
		}
	}
}
