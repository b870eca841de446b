package lessons

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/dsl"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/store"
)

func gate(name string, observed, threshold int64, outcome string) engine.Gate {
	return engine.Gate{Name: name, Observed: decimal.Int(observed), Threshold: decimal.Int(threshold), Outcome: outcome, Action: engine.GateBlock}
}

func run(id, at, verdict string, gates ...engine.Gate) Run {
	return Run{ID: id, PolicyID: "P-1", EvaluationTime: at, Status: store.StatusSucceeded, Verdict: verdict, Label: "shop", Gates: gates,
		Verdicts: map[string]string{}}
}

func types(ls []store.Lesson) string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Type+" "+l.Band)
	}
	return strings.TrimSpace(strings.Join(out, ","))
}

func TestNearThresholdBands(t *testing.T) {
	cases := []struct {
		observed, threshold int64
		want                string
	}{
		{16, 20, ""},                      // 80%
		{17, 20, "near_threshold 85-90"},  // 85%
		{18, 20, "near_threshold 90-95"},  // 90%
		{19, 20, "near_threshold 95-100"}, // 95%
		{20, 20, "near_threshold 95-100"}, // 100%, still passing
		{21, 20, ""},                      // over: the gate blocks (a failure, not near)
	}
	for _, tc := range cases {
		outcome := engine.GatePass
		if tc.observed > tc.threshold {
			outcome = engine.GateBlock
		}
		got := types(Detect(run("r", "2024-03-10T00:00:00Z", engine.VerdictPassed, gate(engine.GateMaxHigh, tc.observed, tc.threshold, outcome)), nil, nil))
		if got != tc.want {
			t.Errorf("%d of %d: %q, want %q", tc.observed, tc.threshold, got, tc.want)
		}
	}
	// Score gates are not counts, and a zero limit has no utilization.
	if got := Detect(run("r", "2024-03-10T00:00:00Z", engine.VerdictPassed, gate(engine.GateScore, 9, 9, engine.GatePass), gate(engine.GateMaxHigh, 0, 0, engine.GatePass)), nil, nil); len(got) != 0 {
		t.Errorf("got %v", types(got))
	}
}

func TestDebounce(t *testing.T) {
	g := gate(engine.GateMaxHigh, 19, 20, engine.GatePass) // 95-100
	first := Detect(run("r1", "2024-03-10T00:00:00Z", engine.VerdictPassed, g), nil, nil)
	if len(first) != 1 || first[0].Gate != "P-1 max-high" {
		t.Fatalf("first: %+v", first)
	}
	cases := []struct {
		at   string
		g    engine.Gate
		want string
	}{
		{"2024-03-10T06:00:00Z", g, ""},                      // same band within 24 h
		{"2024-03-10T23:59:59Z", g, ""},                      // still within
		{"2024-03-11T00:00:00Z", g, "near_threshold 95-100"}, // 24 h later
		{"2024-03-10T06:00:00Z", gate(engine.GateMaxHigh, 18, 20, engine.GatePass), "near_threshold 90-95"},    // another band
		{"2024-03-10T06:00:00Z", gate(engine.GateMaxMedium, 19, 20, engine.GatePass), "near_threshold 95-100"}, // another gate
		{"2024-03-09T23:00:00Z", g, "near_threshold 95-100"},                                                   // evaluated before the recorded one
	}
	for _, tc := range cases {
		if got := types(Detect(run("r2", tc.at, engine.VerdictPassed, tc.g), nil, first)); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.at, tc.g.Name, got, tc.want)
		}
	}
}

func TestFailureAndSuccess(t *testing.T) {
	blocked := run("r1", "2024-03-10T00:00:00Z", engine.VerdictBlocked)
	blocked.Blocked = []Finding{{ID: "finding:1", Purl: "pkg:npm/a@1", Advisory: "GHSA-1", Band: "High"}, {ID: "finding:2", Purl: "pkg:npm/b@1", Advisory: "GHSA-2", Band: "Critical"}}
	ls := Detect(blocked, nil, nil)
	if types(ls) != "failure" || ls[0].Severity != "Critical" {
		t.Fatalf("failure: %+v", ls)
	}
	var ev struct{ Advisories []string }
	if err := json.Unmarshal(ls[0].Evidence, &ev); err != nil || strings.Join(ev.Advisories, ",") != "GHSA-1,GHSA-2" {
		t.Fatalf("evidence %s", ls[0].Evidence)
	}
	fixed := run("r2", "2024-03-11T00:00:00Z", engine.VerdictWarned)
	fixed.Verdicts["finding:1"] = engine.VerdictWarned // finding:2 absent: upgraded
	ls = Detect(fixed, &blocked, nil)
	if types(ls) != "critical_success" || !strings.Contains(string(ls[0].Evidence), `"now":"absent"`) || !strings.Contains(string(ls[0].Evidence), `"now":"warned"`) {
		t.Fatalf("success: %+v %s", ls, ls[0].Evidence)
	}
	// No success after a run that was not blocked, nor while still blocked.
	if ls := Detect(fixed, &fixed, nil); len(ls) != 0 {
		t.Errorf("after a pass: %v", types(ls))
	}
	again := run("r3", "2024-03-12T00:00:00Z", engine.VerdictBlocked)
	if types(Detect(again, &blocked, nil)) != "failure" {
		t.Error("blocked after blocked: only a failure")
	}
	// A failed run is a failure lesson too.
	failed := Run{ID: "r4", PolicyID: "P-1", EvaluationTime: "2024-03-12T00:00:00Z", Status: store.StatusFailed, Error: "bad input"}
	if types(Detect(failed, nil, nil)) != "failure" {
		t.Error("a failed run")
	}
}

func TestDetectIsDeterministic(t *testing.T) {
	r := run("r", "2024-03-10T00:00:00Z", engine.VerdictBlocked, gate(engine.GateMaxHigh, 9, 10, engine.GatePass))
	r.Blocked = []Finding{{ID: "finding:1", Advisory: "GHSA-1", Band: "High"}}
	a, b := Detect(r, nil, nil), Detect(r, nil, nil)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatal("two detections differ")
	}
}

func TestProposeNearThreshold(t *testing.T) {
	src := []byte("policy \"g\" syntax \"stella-dsl@1\" {\n  settings { max_high = 20 }\n}\n")
	l := store.Lesson{ID: "L-2", Type: NearThreshold, PolicyID: "P-1", Gate: "P-1 max-high", SourceRun: "run:x",
		Evidence: []byte(`{"observed":19,"threshold":20}`)}
	out, change, err := Propose(l, "g.stella", src)
	if err != nil {
		t.Fatal(err)
	}
	if change != "settings.max_high := 19 (was 20)" || !strings.Contains(string(out), "max_high = 19") || !strings.Contains(string(out), `lesson = { id = "L-2"`) {
		t.Fatalf("%s\n%s", change, out)
	}
	if res := dsl.CompileResult("g.stella", out); res.Policy == nil {
		t.Fatalf("the proposal does not compile: %v", res.Diagnostics)
	}
	// Without a settings block one is added.
	out, _, err = Propose(l, "g.stella", []byte("policy \"g\" syntax \"stella-dsl@1\" {\n}\n"))
	if err != nil || !strings.Contains(string(out), "settings { max_high = 19 }") {
		t.Fatalf("%v\n%s", err, out)
	}
}
