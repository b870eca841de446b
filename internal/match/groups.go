package match

import "slices"

// groups is a union-find over vulnerability ids: advisory record ids and
// their aliases. Two records that share any id are one vulnerability.
type groups struct {
	node    map[string]int // id → node
	parent  []int
	ids     []string         // node → id
	members map[int][]string // root → sorted ids, built by the first membersOf
}

func newGroups() *groups {
	return &groups{node: map[string]int{}}
}

func (g *groups) id(s string) int {
	if n, ok := g.node[s]; ok {
		return n
	}
	n := len(g.parent)
	g.node[s] = n
	g.parent = append(g.parent, n)
	g.ids = append(g.ids, s)
	return n
}

func (g *groups) find(n int) int {
	for g.parent[n] != n {
		g.parent[n] = g.parent[g.parent[n]]
		n = g.parent[n]
	}
	return n
}

// add records that id and its aliases name one vulnerability.
func (g *groups) add(id string, aliases []string) {
	r := g.find(g.id(id))
	for _, a := range aliases {
		if a == "" {
			continue
		}
		if o := g.find(g.id(a)); o != r {
			// The smaller node becomes the root, so roots do not depend on
			// which of two groups was seen first within one add.
			if o < r {
				r, o = o, r
			}
			g.parent[o] = r
		}
	}
}

// of returns the group of an id that was added.
func (g *groups) of(id string) int {
	return g.find(g.node[id])
}

// membersOf returns the sorted ids of a group. The first call freezes the
// groups: add must not be called after it.
func (g *groups) membersOf(root int) []string {
	if g.members == nil {
		g.members = map[int][]string{}
		for n, s := range g.ids {
			r := g.find(n)
			g.members[r] = append(g.members[r], s)
		}
		for _, m := range g.members {
			slices.Sort(m)
		}
	}
	return g.members[root]
}
