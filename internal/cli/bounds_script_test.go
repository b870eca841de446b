package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// gencostCmd is the script command `gencost DIR RULES FINDINGS`: it writes
// DIR/policy.stella with RULES rules, DIR/sbom.cdx.json with FINDINGS
// versions of one npm package and DIR/osv.json, one advisory affecting
// them all, so an evaluation has exactly FINDINGS findings (the cost
// bounds of docs/performance.md "Bounds", bounds.txtar).
func gencostCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: gencost DIR RULES FINDINGS")
	}
	dir := ts.MkAbs(args[0])
	rules, err := strconv.Atoi(args[1])
	ts.Check(err)
	findings, err := strconv.Atoi(args[2])
	ts.Check(err)
	ts.Check(os.MkdirAll(dir, 0o755))

	var b strings.Builder
	b.WriteString("policy \"Costly\" syntax \"stella-dsl@1\" {\n")
	for i := range rules {
		fmt.Fprintf(&b, "  rule r%d {\n    when severity.normalized >= \"High\"\n    then annotate r%d := advisory.id\n    because \"Generated.\"\n  }\n", i, i)
	}
	b.WriteString("}\n")
	ts.Check(os.WriteFile(filepath.Join(dir, "policy.stella"), []byte(b.String()), 0o644))

	b.Reset()
	b.WriteString(`{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1, "components": [`)
	for i := range findings {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n{\"type\": \"library\", \"bom-ref\": \"c%d\", \"name\": \"lib\", \"version\": \"1.0.%d\", \"purl\": \"pkg:npm/lib@1.0.%d\"}", i, i, i)
	}
	b.WriteString("\n]}\n")
	ts.Check(os.WriteFile(filepath.Join(dir, "sbom.cdx.json"), []byte(b.String()), 0o644))

	osv := `{"id": "GHSA-cost-0000-0001", "modified": "2024-01-01T00:00:00Z", "published": "2024-01-01T00:00:00Z",
"affected": [{"package": {"ecosystem": "npm", "name": "lib"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}],
"database_specific": {"severity": "HIGH"}}
`
	ts.Check(os.WriteFile(filepath.Join(dir, "osv.json"), []byte(osv), 0o644))
}
