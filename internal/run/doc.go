// Package run owns the one evaluation path of stella (docs/architecture.md,
// "The run layer"): everything between a command's flags and the engine.
// Evaluate takes a Spec — the policy (and a baseline), a snapshot or loose
// input files, env, evaluation time, shadow — freezes and joins the inputs,
// chooses the evaluation time, builds the engine request and evaluates;
// Record builds the run record and its signed policy.run@1 statement and
// stores them. policy simulate, run, diff, replay, sealed runs, policy test
// and internal/synth all evaluate through here; nothing else builds an
// engine.Request.
package run
