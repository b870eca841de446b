// Package run owns the one evaluation path of stella (docs/architecture.md,
// "The run layer"): everything between a command's flags and the engine.
// Evaluate takes a Spec — the policy (and a baseline), a snapshot or loose
// input files, env, evaluation time, shadow — freezes and joins the inputs,
// chooses the evaluation time, builds the engine request and evaluates;
// Record builds the run record and its signed policy.run@1 statement and
// stores them. policy simulate, run, diff, replay, sealed runs, policy test
// and internal/synth all evaluate through here; nothing else builds an
// engine.Request. It also owns what a recorded run is read back as: its
// explanation (explain.go), and its evidence archive — exported, opened,
// verified, replayed and explained with no database (evidence*.go).
package run
