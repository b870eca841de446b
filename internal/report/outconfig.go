package report

import (
	"fmt"
	"maps"
	"slices"
)

// gateKeys are the config keys whose value can change a verdict, what the
// gate sees or trusts, or the exit code (docs/config.md, "Values that
// change the gate").
var gateKeys = map[string]bool{
	"fail-on": true, "as-of": true, "shadow": true, "max-feed-age": true, "allow-unsigned-trust": true,
	"exceptions": true, "vex": true, "vex-format": true, "advisories": true, "sbom": true, "sbom-format": true,
	"skip-invalid": true, "snapshot": true, "set": true, "env": true, "reachability": true, "signals": true,
	"epss": true, "kev": true, "nvd": true, "baseline": true, "baseline-run": true, "baseline-sbom": true,
	"baseline-snapshot": true, "expect-ir-digest": true, "insecure-embedded-key": true, "trust-root": true,
	"time-anchor": true, "bundle": true, "cache-dir": true, "tenant": true, "db": true,
	"trust_file": true, "trust": true, "governance.quorum": true, "governance.exception_max_age": true,
	"governance.simulation_max_age": true, "bundle.trust_roots": true, "feeds.cache_dir": true,
	"unchecked-budget": true,
}

// GateKeys lists the keys ConfigNotice names, sorted.
func GateKeys() []string { return slices.Sorted(maps.Keys(gateKeys)) }

// ConfigNotice is what stderr says, even with --quiet, of the value val
// that source — an environment variable or the config file — gave key:
// "SOURCE sets KEY=VAL" (val escaped) when key is one of GateKeys, so a
// stella.yaml in a repository under test cannot weaken the gate unseen;
// "" for any other key.
func ConfigNotice(source, key, val string) string {
	if !gateKeys[key] {
		return ""
	}
	return fmt.Sprintf("%s sets %s=%s", source, key, Escape(val))
}
