// Package syntax owns the surface form of stella-dsl@1: positions, tokens,
// the scanner, the syntax tree (every node has a Span), the recursive-descent
// parser with its limits, the canonical printer behind `stella policy fmt`,
// and the Diagnostic type that every compiler phase reports with.
//
// It knows nothing about names or types; internal/dsl/check resolves those.
// The grammar is documented in docs/dsl.md.
package syntax
