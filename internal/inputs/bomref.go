package inputs

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// checkRefs holds a CycloneDX document to its rule that a bom-ref names
// one component (docs/inputs.md "Duplicate bom-refs"). A bom-ref given to
// several components of one package (one purl, else one name and version)
// is warned: whichever is meant, it is that package. A bom-ref given to
// components of different packages is an error when the document's
// dependency graph or vulnerabilities refer to it, since which one they
// mean is a guess; otherwise it is warned and none of those components
// keeps the bare bom-ref (ambiguous), so a VEX statement naming it from
// another document identifies none of them rather than one by chance.
func (c *cdxReader) checkRefs() error {
	// Sorting the components' indices by bom-ref finds the repeated ones
	// without a map of every bom-ref (docs/inputs.md "Memory").
	idx := make([]int32, 0, len(c.given))
	for i, ref := range c.given {
		if ref != "" {
			idx = append(idx, int32(i))
		}
	}
	slices.SortFunc(idx, func(a, b int32) int { return cmp.Or(strings.Compare(c.given[a], c.given[b]), cmp.Compare(a, b)) })
	var dups [][]int32 // each run of one bom-ref, in document order
	for i := 0; i < len(idx); {
		j := i + 1
		for j < len(idx) && c.given[idx[j]] == c.given[idx[i]] {
			j++
		}
		if j-i > 1 {
			dups = append(dups, idx[i:j])
		}
		i = j
	}
	if dups == nil {
		return nil
	}
	slices.SortFunc(dups, func(a, b []int32) int { return cmp.Compare(a[1], b[1]) })
	ptrs := c.pointers()
	var refs map[string]string // what refers to each bom-ref, built when needed
	for _, is := range dups {
		ref := c.given[is[0]]
		same := true
		var places []string
		for k, i := range is {
			same = same && c.describe(i) == c.describe(is[0])
			if k < maxPlaces {
				places = append(places, ptrs[i]+" "+c.describe(i))
			}
		}
		if len(is) > maxPlaces {
			places = append(places, fmt.Sprintf("and %d more", len(is)-maxPlaces))
		}
		at, list := ptrs[is[1]]+"/bom-ref", strings.Join(places, ", ")
		if same {
			c.w.list = append(c.w.list, c.d.atPointer(at, "bom-ref %q is given to %d components of one package (%s): read as that package", ref, len(is), list))
			continue
		}
		if refs == nil {
			refs = c.references()
		}
		if by := refs[ref]; by != "" {
			return invalid("", c.d.atPointer(at, "bom-ref %q is given to %d different components (%s) and %s refers to it: which one is meant is ambiguous; give each component its own bom-ref", ref, len(is), list, by))
		}
		c.w.list = append(c.w.list, c.d.atPointer(at, "bom-ref %q is given to %d different components (%s): none keeps it, so a VEX statement naming it identifies none of them", ref, len(is), list))
		if c.ambiguous == nil {
			c.ambiguous = map[string]bool{}
		}
		c.ambiguous[ref] = true
	}
	return nil
}

// describe names component i by its purl, else its name and version.
func (c *cdxReader) describe(i int32) string {
	mc := &c.comps[i]
	if mc.Purl != "" {
		return mc.Purl
	}
	if mc.Version != "" {
		return mc.Name + "@" + mc.Version
	}
	return mc.Name
}

// pointers are the JSON pointers of the components, from their parents.
func (c *cdxReader) pointers() []string {
	out := make([]string, len(c.comps))
	next := map[int]int{} // parent → the index of its next child
	for i, p := range c.parents {
		k := next[p]
		next[p] = k + 1
		out[i] = "/components/" + strconv.Itoa(k)
		if p >= 0 {
			out[i] = out[p] + out[i]
		}
	}
	return out
}

// maxPlaces is how many components a duplicate bom-ref's message names.
const maxPlaces = 5

// references maps each bom-ref the document refers to onto the first
// reference: a vulnerability's affects (a bom-ref, or a BOM-Link to this
// BOM), else the dependency graph.
func (c *cdxReader) references() map[string]string {
	out := map[string]string{}
	for from, to := range c.deps {
		out[from] = "the dependency graph"
		for _, r := range to {
			out[r] = "the dependency graph"
		}
	}
	if c.bom.Vulnerabilities == nil {
		return out
	}
	for i := len(*c.bom.Vulnerabilities) - 1; i >= 0; i-- { // the first wins
		v := (*c.bom.Vulnerabilities)[i]
		if v.Affects == nil {
			continue
		}
		for j := len(*v.Affects) - 1; j >= 0; j-- {
			if local, _ := c.localRef((*v.Affects)[j].Ref); local != "" {
				out[local] = fmt.Sprintf("/vulnerabilities/%d/affects/%d", i, j)
			}
		}
	}
	return out
}
