package attest

import "time"

// MaxClockSkew is how far ahead of a verifier's clock a signed or recorded
// time may be before it is refused as not yet valid: a bundle's createdAt
// or signed time anchor (docs/bundle.md "Time anchors"), the evaluation
// time of an enforced run at a governed site (docs/governance.md "Runs at
// a governed site"), the latest signed sync checkpoint (docs/sync.md "A
// chain cut at its end"). Clocks of two machines differ by this much
// without either being wrong.
const MaxClockSkew = 5 * time.Minute
