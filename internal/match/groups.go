package match

import "slices"

// groups is a union-find over vulnerability ids: advisory record ids and
// their aliases. Two records that share any id are one vulnerability.
type groups struct {
	node   map[string]int // id → node
	parent []int
	ids    []string // node → id

	// Built by the first membersOf: the nodes grouped by root (order), the
	// start of each root's run in order (start[root]…start[root+1]), and the
	// sorted ids of the groups asked for so far.
	order   []int
	start   []int
	members map[int][]string
}

func newGroups(capacity int) *groups {
	return &groups{node: make(map[string]int, capacity), parent: make([]int, 0, capacity), ids: make([]string, 0, capacity)}
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
			// The smaller node becomes the root.
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
	if g.start == nil {
		n := len(g.parent)
		g.start = make([]int, n+1)
		roots := make([]int, n)
		for i := range n {
			roots[i] = g.find(i)
			g.start[roots[i]+1]++
		}
		for i := 1; i <= n; i++ {
			g.start[i] += g.start[i-1]
		}
		next := slices.Clone(g.start[:n])
		g.order = make([]int, n)
		for i, r := range roots {
			g.order[next[r]] = i
			next[r]++
		}
		g.members = map[int][]string{}
	}
	if m, ok := g.members[root]; ok {
		return m
	}
	nodes := g.order[g.start[root]:g.start[root+1]]
	m := make([]string, len(nodes))
	for i, n := range nodes {
		m[i] = g.ids[n]
	}
	slices.Sort(m)
	g.members[root] = m
	return m
}

// Groups folds advisory ids and aliases into vulnerabilities exactly as
// Join does, for an advisory store that must read whole groups
// (snapshot.Index.Select).
type Groups struct{ g *groups }

// NewGroups returns empty groups sized for about capacity ids.
func NewGroups(capacity int) *Groups { return &Groups{newGroups(capacity)} }

// Add records that id and its aliases name one vulnerability.
func (g *Groups) Add(id string, aliases []string) { g.g.add(id, aliases) }

// Of returns the group of an id that was added.
func (g *Groups) Of(id string) int { return g.g.of(id) }
