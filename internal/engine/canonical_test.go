package engine

import (
	"bytes"
	"testing"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/model"
)

// TestCanonicalMatchesCanon holds canon.Append, the encoder the engine
// digests with, to canon.Marshal (RFC 8785 through encoding/json and jcs)
// on a full result and on awkward strings, and the canonical bytes findings
// and traces carry to their canon.Marshal bytes.
func TestCanonicalMatchesCanon(t *testing.T) {
	fx := synthetic(300)
	// Strings that need escaping, non-ASCII, and invalid UTF-8.
	fx.pairs[0].Advisory.Summary = "quote \" backslash \\ tab \t nl \n cr \r bs \b ff \f nul \x00 unit \x1f del \x7f <&> é 😀 \u2028 bad \xff end"
	fx.pairs[1].VEX = append(fx.pairs[1].VEX, &model.VEXStatement{ID: "ünïcode \"id\"", Issuer: "Ω", Status: "affected",
		Vulnerability: "x", Timestamp: "2025-01-01T00:00:00Z"})
	res, err := Evaluate(t.Context(), Request{Policy: fx.pol, Inputs: &fx.inputs, Match: &match.Result{Pairs: fx.pairs}, Env: fx.env, At: at, Keep: true})
	if err != nil {
		t.Fatal(err)
	}
	want, err := canon.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	got, err := canon.Append(nil, res)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		lo := max(0, i-80)
		t.Fatalf("differs at byte %d:\n got  %s\n want %s", i, got[lo:min(len(got), i+80)], want[lo:min(len(want), i+80)])
	}

	// The digests are what their documentation says.
	digests := res.Digests
	shell := *res
	shell.Digests.Result = ""
	shell.Findings = make([]Finding, len(res.Findings))
	for i, f := range res.Findings {
		f.Explain = nil
		shell.Findings[i] = f
	}
	if d := digestOf(t, &shell); d != digests.Result {
		t.Errorf("result digest %s, want %s", digests.Result, d)
	}
	bare := make([]Finding, len(res.Findings))
	ids := make([]string, len(res.Findings))
	for i, f := range res.Findings {
		f.Explain = nil
		bare[i], ids[i] = f, f.ExplainID
		x := *res.Findings[i].Explain
		x.ExplainID = ""
		if d := digestOf(t, x); d != f.ExplainID {
			t.Fatalf("explain id %s, want %s", f.ExplainID, d)
		}
	}
	// The bytes the findings and traces carry are their canonical JSON;
	// without Keep they carry none and encode on demand to the same bytes.
	lean, err := Evaluate(t.Context(), Request{Policy: fx.pol, Inputs: &fx.inputs, Match: &match.Result{Pairs: fx.pairs}, Env: fx.env, At: at})
	if err != nil || lean.Digests != res.Digests {
		t.Fatalf("without Keep: %v, digests %+v, want %+v", err, lean.Digests, res.Digests)
	}
	for i := range res.Findings {
		f, l := &res.Findings[i], &lean.Findings[i]
		if f.canonical == nil || f.Explain.canonical == nil || l.canonical != nil || l.Explain.canonical != nil {
			t.Fatalf("finding %d: kept bytes with Keep %v/%v, without %v/%v", i, f.canonical != nil, f.Explain.canonical != nil, l.canonical != nil, l.Explain.canonical != nil)
		}
		lb, _ := l.Canonical()
		fb, _ := f.Canonical()
		lx, _ := l.Explain.Canonical()
		fx, _ := f.Explain.Canonical()
		if !bytes.Equal(lb, fb) || !bytes.Equal(lx, fx) {
			t.Fatalf("finding %d: bytes encoded on demand differ from the kept ones", i)
		}
	}
	for i := range res.Findings {
		f := &res.Findings[i]
		wantX, _ := canon.Marshal(f.Explain)
		if got, err := f.Explain.Canonical(); err != nil || !bytes.Equal(got, wantX) {
			t.Fatalf("finding %d: trace bytes %v\n got  %.200s\n want %.200s", i, err, got, wantX)
		}
		wantF, _ := canon.Marshal(bare[i])
		if got, err := f.Canonical(); err != nil || !bytes.Equal(got, wantF) {
			t.Fatalf("finding %d: bytes %v\n got  %.200s\n want %.200s", i, err, got, wantF)
		}
	}
	if d := digestOf(t, bare); d != digests.Findings {
		t.Errorf("findings digest %s, want %s", digests.Findings, d)
	}
	if d := digestOf(t, ids); d != digests.Explains {
		t.Errorf("explains digest %s, want %s", digests.Explains, d)
	}
	// Normalized inputs (with their raw-JSON fields) encode the same way.
	fx.inputs.Advisories = []model.Advisory{*fx.pairs[0].Advisory}
	fx.inputs.Advisories[0].Affected[0].DatabaseSpecific = []byte(`{"b": 1, "a": [true, null, "x"]}`)
	want, _ = canon.Marshal(&fx.inputs)
	if got, err = canon.Append(nil, &fx.inputs); err != nil || !bytes.Equal(got, want) {
		t.Errorf("inputs: %v\n got  %.300s\n want %.300s", err, got, want)
	}
}

func digestOf(t *testing.T, v any) string {
	t.Helper()
	_, d, err := canon.DigestOf(v)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
