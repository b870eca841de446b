// Package archtest owns the test that keeps the layer rules of
// docs/architecture.md ("Rules"): it reads the import graph with go list
// and fails when a package imports what its layer forbids. It has no code
// of its own.
package archtest
