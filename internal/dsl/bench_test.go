package dsl

import (
	"fmt"
	"strings"
	"testing"
)

// generated returns a policy with n rules mixing every kind of condition and
// action, as a large organisation's policy might.
func generated(n int) []byte {
	var b strings.Builder
	b.WriteString(`policy "Generated" syntax "stella-dsl@1" {
  metadata { description = "generated for the benchmark"; tags = ["bench"] }
  settings { max_critical = 0; block_kev = true }
  profile severity {
    map vendor_weight { source "GHSA" => +0.5; source "OSV" => 0.0 }
    env exposure { if env.exposure == "internet" then +0.5 }
  }
`)
	bands := []string{"Low", "Medium", "High", "Critical"}
	for i := range n {
		fmt.Fprintf(&b, "  rule r%04d priority %d {\n", i, i%50)
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "    when severity.normalized >= %q and env.team == \"t%d\"\n    then status := \"blocked\"\n", bands[i%4], i)
		case 1:
			fmt.Fprintf(&b, "    when vex.any(status in [\"not_affected\", \"fixed\"]) and sbom.name == \"pkg-%d\"\n    then status := vex.status\n         annotate w := vex.latest().statementId\n", i)
		case 2:
			fmt.Fprintf(&b, "    when coalesce(signals.epss, 0) > 0.%d and not sbom.has_tag(\"t%d\")\n    then escalate to severity_band(\"High\")\n    else warn message \"m%d\"\n", i%9+1, i, i)
		case 3:
			fmt.Fprintf(&b, "    when advisory.id == \"GHSA-%04d\" or \"CVE-%d\" in advisory.aliases\n    then ignore until \"2030-01-01T00:00:00Z\"\n", i, i)
		default:
			fmt.Fprintf(&b, "    when reachability.state == reach_state(\"CU\") and sbom.purl == \"pkg:npm/p%d@1.0.0\"\n    then requireVex { vendors = [\"V%d\"] }\n", i, i)
		}
		fmt.Fprintf(&b, "    because \"reason %d\"\n  }\n", i)
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

// BenchmarkCompile1000 compiles a generated 1,000-rule policy: parse, check,
// lower, analyze and encode with its digest.
func BenchmarkCompile1000(b *testing.B) {
	src := generated(1000)
	if r := CompileResult("gen", src); r.Policy == nil || HasErrors(r.Diagnostics) {
		b.Fatalf("generated policy does not compile: %v", r.Diagnostics[:min(5, len(r.Diagnostics))])
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		CompileResult("gen", src)
	}
}
