// Package inspect owns the inspection commands (docs/cli.md): what stella
// makes of one thing without a policy — a CVSS vector's scores (`stella
// cvss`, CVSS), the order of two versions in an ecosystem (`stella version
// compare`, Compare and Pairs), SBOMs joined with advisories and VEX
// (`stella match`, Match), and the binary itself (`stella version`,
// Version). It computes the values the commands print; their tables are
// internal/report's.
package inspect

import "github.com/stella-policy/stella/internal/buildinfo"

// Version is what `stella version` prints: the version, commit, Go version
// and platform of this binary.
func Version() buildinfo.Info { return buildinfo.Get() }
