package policyset

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/ir"
)

// Dependency kinds (docs/governance.md "Dependencies").
const (
	DepExplicit = "EXPLICIT"       // metadata depends_on
	DepScope    = "IMPLICIT_SCOPE" // the from policy's scope lies inside the to policy's: it refines it
	DepShared   = "IMPLICIT_LIMIT" // both gate the same setting or carry the same profile on overlapping scopes
)

// Node is one policy of the graph. Missing marks a depends_on target that
// is not in the set.
type Node struct {
	Ref        string   `json:"ref"`
	Name       string   `json:"name"`
	Scope      string   `json:"scope"`
	Mode       string   `json:"enforcement"`
	DependsOn  []string `json:"dependsOn"`
	RequiredBy []string `json:"requiredBy"`
	Missing    bool     `json:"missing,omitempty"`
}

// Edge says From depends on To.
type Edge struct {
	From        string `json:"from"`
	To          string `json:"to"`
	Kind        string `json:"kind"`
	Explanation string `json:"explanation"`
}

// Graph is the dependency graph of a set.
type Graph struct {
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// policyID is the P-n of a member reference (P-n@v), or the reference.
func policyID(ref string) string {
	id, _, _ := strings.Cut(ref, "@")
	return id
}

// DependsOn lists the policy ids a policy's metadata depends_on names.
func DependsOn(p *ir.Policy) []string {
	val, ok := p.Metadata.Get("depends_on")
	if !ok {
		return nil
	}
	var out []string
	switch val.Kind {
	case ir.ValString:
		out = append(out, val.Str)
	case ir.ValList:
		for _, x := range val.List {
			if x.Kind == ir.ValString {
				out = append(out, x.Str)
			}
		}
	}
	return out
}

// Dependencies computes the graph of ms: explicit depends_on edges, an
// IMPLICIT_SCOPE edge from a policy to each other whose scope certainly
// contains its own (equal scopes: the later policy depends on the earlier),
// and an IMPLICIT_LIMIT edge between policies whose scopes overlap and that
// gate the same setting or carry an identical profile (the later depends on
// the earlier).
func Dependencies(ms []Member) Graph {
	g := Graph{Nodes: []Node{}, Edges: []Edge{}}
	index := map[string]int{}
	for i, m := range ms {
		index[policyID(m.Ref)] = i
		g.Nodes = append(g.Nodes, Node{Ref: m.Ref, Name: m.Policy.PolicyID, Scope: m.Scope.String(), Mode: m.Mode})
	}
	for i, m := range ms {
		for _, dep := range DependsOn(m.Policy) {
			to := dep
			if j, ok := index[dep]; ok {
				to = ms[j].Ref
			} else if !slices.ContainsFunc(g.Nodes, func(n Node) bool { return n.Ref == dep }) {
				g.Nodes = append(g.Nodes, Node{Ref: dep, Name: dep, Missing: true})
			}
			g.Edges = append(g.Edges, Edge{From: m.Ref, To: to, Kind: DepExplicit, Explanation: fmt.Sprintf("%s declares depends_on %s", m.Ref, dep)})
		}
		for j, o := range ms {
			if i == j {
				continue
			}
			in, out := Contains(o.Scope, m.Scope), Contains(m.Scope, o.Scope)
			if in && (!out || j < i) {
				g.Edges = append(g.Edges, Edge{From: m.Ref, To: o.Ref, Kind: DepScope,
					Explanation: fmt.Sprintf("%s's scope (%s) lies inside %s's (%s): it refines it", m.Ref, m.Scope, o.Ref, o.Scope)})
			}
			if j < i && Overlap(m.Scope, o.Scope) != No {
				if shared := sharedLimits(m.Policy, o.Policy); len(shared) > 0 {
					g.Edges = append(g.Edges, Edge{From: m.Ref, To: o.Ref, Kind: DepShared,
						Explanation: fmt.Sprintf("%s and %s share %s on overlapping scopes", m.Ref, o.Ref, strings.Join(shared, ", "))})
				}
			}
		}
	}
	slices.SortStableFunc(g.Edges, func(a, b Edge) int {
		return strings.Compare(a.From+"\x00"+a.To+"\x00"+a.Kind, b.From+"\x00"+b.To+"\x00"+b.Kind)
	})
	for i := range g.Nodes {
		n := &g.Nodes[i]
		n.DependsOn, n.RequiredBy = []string{}, []string{}
		for _, e := range g.Edges {
			if e.From == n.Ref && !slices.Contains(n.DependsOn, e.To) {
				n.DependsOn = append(n.DependsOn, e.To)
			}
			if e.To == n.Ref && !slices.Contains(n.RequiredBy, e.From) {
				n.RequiredBy = append(n.RequiredBy, e.From)
			}
		}
	}
	return g
}

// sharedLimits names the gates and settings both policies set and the
// profiles they carry identically.
func sharedLimits(a, b *ir.Policy) []string {
	var out []string
	for _, f := range a.Settings {
		if _, ok := b.Settings.Get(f.Key); ok {
			if _, ordered := strictness(f.Key, f.Value); ordered {
				out = append(out, "gate "+f.Key)
			}
		}
	}
	for _, pa := range a.Profiles {
		for _, pb := range b.Profiles {
			if pa.Name != pb.Name {
				continue
			}
			ca, erra := canon.Marshal(pa)
			cb, errb := canon.Marshal(pb)
			if erra == nil && errb == nil && string(ca) == string(cb) {
				out = append(out, "profile "+pa.Name)
			}
		}
	}
	return out
}

// WriteDOT writes the graph in Graphviz DOT.
func (g Graph) WriteDOT(w io.Writer) error {
	var b strings.Builder
	b.WriteString("digraph policies {\n  rankdir=LR;\n  node [shape=box];\n")
	for _, n := range g.Nodes {
		label := n.Ref + "\\n" + n.Name
		if !n.Missing {
			label += "\\n" + n.Mode + " · " + n.Scope
		}
		style := ""
		if n.Missing {
			style = ", style=dashed"
		}
		fmt.Fprintf(&b, "  %s [label=%s%s];\n", dotQuote(n.Ref), dotQuote(label), style)
	}
	for _, e := range g.Edges {
		style := ""
		if e.Kind != DepExplicit {
			style = ", style=dashed"
		}
		fmt.Fprintf(&b, "  %s -> %s [label=%s%s];\n", dotQuote(e.From), dotQuote(e.To), dotQuote(e.Kind), style)
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// dotQuote quotes a DOT ID; "\n" sequences already in s stay line breaks.
func dotQuote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// WriteMermaid writes the graph as a Mermaid flowchart.
func (g Graph) WriteMermaid(w io.Writer) error {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := map[string]string{}
	for i, n := range g.Nodes {
		ids[n.Ref] = fmt.Sprintf("n%d", i+1)
		label := n.Ref + "<br/>" + n.Name
		if !n.Missing {
			label += "<br/>" + n.Mode + " · " + n.Scope
		}
		fmt.Fprintf(&b, "  %s[%q]\n", ids[n.Ref], strings.ReplaceAll(label, `"`, "#quot;"))
	}
	for _, e := range g.Edges {
		arrow := "-->"
		if e.Kind != DepExplicit {
			arrow = "-.->"
		}
		fmt.Fprintf(&b, "  %s %s|%s| %s\n", ids[e.From], arrow, e.Kind, ids[e.To])
	}
	_, err := io.WriteString(w, b.String())
	return err
}
