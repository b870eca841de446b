// Package engine owns policy evaluation: it joins the matched component ×
// advisory pairs with VEX, signals, reachability and exceptions, runs the
// compiled rules of an ir.Policy over each of them, and returns a Result with
// findings, explain traces, gates, a summary and digests.
//
// Evaluation is a pure function of its Request: time enters only as the
// evaluation timestamp, and nothing here reads the clock, randomness, the
// environment, the network, the filesystem or Go map iteration order. Every
// list in a Result has a defined order, and parallel evaluation produces the
// same bytes as sequential. The JSON shape of a Result is documented in
// docs/output.md; the semantics in docs/dsl.md.
package engine
