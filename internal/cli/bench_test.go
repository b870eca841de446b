package cli

import (
	"bytes"
	"io"
	"path/filepath"
	"testing"

	"github.com/stella-policy/stella/internal/testenv"
)

// BenchmarkSimulate runs `stella policy simulate` in process on the real
// data's headline case — the baseline policy, the 3,952-package newrelic
// SBOM and every shared OSV record, JSON output with explain traces — from
// loose files and from a snapshot of them: the cases docs/performance.md
// times end to end, here for -cpuprofile and -memprofile.
func BenchmarkSimulate(b *testing.B) {
	data := testenv.RequireData(b)
	policy := filepath.Join(data, "policies", "baseline.stella")
	sbom := filepath.Join(data, "sbom", "spdx", "trivy-newrelic_synthetics-minion-runner.spdx.json")
	snap := filepath.Join(b.TempDir(), "snap")
	var stderr bytes.Buffer
	if c := Main([]string{"-q", "snapshot", "create", "--sbom", sbom, "--advisories", filepath.Join(data, "osv"), "-o", snap},
		nil, io.Discard, &stderr); c != 0 {
		b.Fatalf("snapshot create: exit %d: %s", c, stderr.String())
	}
	for _, bc := range []struct {
		name   string
		inputs []string
	}{
		{"newrelic", []string{"--sbom", sbom, "--advisories", filepath.Join(data, "osv")}},
		{"newrelic-snapshot", []string{"--snapshot", snap}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			args := append([]string{"-q", "policy", "simulate", policy, "--format", "json", "--fail-on", "never"}, bc.inputs...)
			b.ReportAllocs()
			for b.Loop() {
				if c := Main(args, nil, io.Discard, io.Discard); c != 0 {
					b.Fatalf("exit %d", c)
				}
			}
		})
	}
}
