package archtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/stella-policy/stella/"

// rule forbids packages matching from to import packages matching to. A
// pattern is a package path under the module; "x/..." is x and everything
// below it. except lists importers the rule does not apply to.
type rule struct {
	from, to string
	except   []string
	why      string
}

// rules are the layer rules of docs/architecture.md.
var rules = []rule{
	{from: "...", to: "internal/cli", except: []string{"cmd/stella"}, why: "only main calls the CLI"},
	{from: "internal/engine/...", to: "internal/dsl/...", why: "the IR is the contract between compiler and engine"},
	{from: "internal/engine/...", to: "internal/store", why: "the engine is pure"},
	{from: "internal/engine/...", to: "internal/run", why: "the engine is pure"},
	{from: "internal/engine/...", to: "internal/snapshot", why: "model is the contract between readers and engine"},
	{from: "internal/engine/...", to: "internal/inputs", why: "model is the contract between readers and engine"},
	{from: "internal/ir", to: "internal/dsl/...", why: "the IR does not know its compiler"},
	{from: "internal/ir", to: "internal/engine", why: "the IR does not know its evaluator"},
	{from: "internal/dsl/syntax", to: "internal/dsl/...", why: "syntax → check → compile → lint, each one way"},
	{from: "internal/dsl/check", to: "internal/dsl", why: "syntax → check → compile → lint, each one way"},
	{from: "internal/dsl/check", to: "internal/dsl/compile", why: "syntax → check → compile → lint, each one way"},
	{from: "internal/dsl/check", to: "internal/dsl/lint", why: "syntax → check → compile → lint, each one way"},
	{from: "internal/dsl/compile", to: "internal/dsl/lint", why: "syntax → check → compile → lint, each one way"},
	{from: "internal/store", to: "internal/governance", why: "the store keeps rows; governance decides over them"},
	{from: "internal/store", to: "internal/run", why: "the run layer records through the store, not back"},
	{from: "internal/store", to: "internal/bundle", why: "bundles are built over the store"},
	{from: "internal/store", to: "internal/sync", why: "sync reads the store"},
	{from: "internal/store", to: "internal/report", why: "rendering is above the store"},
	{from: "internal/report", to: "internal/store", why: "report renders domain values; it does not read the database"},
	{from: "internal/run", to: "internal/report", why: "the run layer evaluates and records; rendering is the commands'"},
	{from: "internal/run", to: "internal/governance", why: "authorization is decided before a run"},
	{from: "internal/run", to: "internal/bundle", why: "a bundle is imported before a run"},
	{from: "internal/canon", to: "internal/...", why: "canonical bytes are the bottom floor"},
	{from: "internal/fail", to: "internal/...", why: "error kinds are the bottom floor"},
	{from: "internal/model", to: "internal/inputs", why: "readers build the model, not back"},
	{from: "internal/match", to: "internal/engine", why: "the engine consumes the join"},
}

func match(pattern, pkg string) bool {
	if pattern == "..." {
		return true
	}
	if p, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == p || strings.HasPrefix(pkg, p+"/")
	}
	return pkg == pattern
}

// violations lists every import of graph (package → its imports, both
// relative to the module) that a rule forbids, sorted.
func violations(graph map[string][]string, rules []rule) []string {
	var out []string
	for from, imps := range graph {
		for _, to := range imps {
			for _, r := range rules {
				if match(r.from, from) && match(r.to, to) && from != to && !slices.ContainsFunc(r.except, func(e string) bool { return match(e, from) }) {
					out = append(out, fmt.Sprintf("%s imports %s: %s", from, to, r.why))
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// importGraph reads the module's packages and their imports within the
// module (tests excluded) with go list.
func importGraph(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", module+"...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	graph := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		from := strings.TrimPrefix(p.ImportPath, module)
		graph[from] = nil
		for _, imp := range p.Imports {
			if rel, ok := strings.CutPrefix(imp, module); ok {
				graph[from] = append(graph[from], rel)
			}
		}
	}
	if len(graph) < 10 {
		t.Fatalf("go list found %d packages", len(graph))
	}
	return graph
}

func TestLayers(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the import graph with go list")
	}
	for _, v := range violations(importGraph(t), rules) {
		t.Error(v)
	}
}

// TestRulesCatch shows that each kind of forbidden import fails the test:
// the real graph with one forbidden import added.
func TestRulesCatch(t *testing.T) {
	clean := map[string][]string{
		"cmd/stella":          {"internal/cli"},
		"internal/cli":        {"internal/run", "internal/report", "internal/store"},
		"internal/run":        {"internal/engine", "internal/store", "internal/dsl"},
		"internal/engine":     {"internal/ir", "internal/model", "internal/match"},
		"internal/dsl":        {"internal/dsl/syntax", "internal/dsl/check", "internal/dsl/compile", "internal/dsl/lint"},
		"internal/dsl/lint":   {"internal/ir"},
		"internal/dsl/syntax": {},
		"internal/store":      {"internal/engine", "internal/canon"},
	}
	if v := violations(clean, rules); len(v) > 0 {
		t.Fatalf("a clean graph has violations: %v", v)
	}
	tests := []struct{ from, to string }{
		{"internal/engine", "internal/dsl"},
		{"internal/engine", "internal/store"},
		{"internal/engine", "internal/cli"},
		{"internal/store", "internal/cli"},
		{"internal/report", "internal/cli"},
		{"internal/store", "internal/governance"},
		{"internal/store", "internal/run"},
		{"internal/dsl/syntax", "internal/dsl/check"},
		{"internal/dsl/check", "internal/dsl/compile"},
		{"internal/dsl/compile", "internal/dsl/lint"},
		{"internal/run", "internal/report"},
	}
	for _, tc := range tests {
		t.Run(path.Base(tc.from)+"→"+path.Base(tc.to), func(t *testing.T) {
			g := map[string][]string{}
			for k, v := range clean {
				g[k] = slices.Clone(v)
			}
			g[tc.from] = append(g[tc.from], tc.to)
			if v := violations(g, rules); len(v) == 0 {
				t.Fatalf("%s importing %s is not caught", tc.from, tc.to)
			}
		})
	}
}
