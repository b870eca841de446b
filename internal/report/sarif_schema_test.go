package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"testing"

	gosarif "github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/stella-policy/stella/internal/delta"
)

// TestSARIFValidates validates the SARIF log against the OASIS SARIF 2.1.0
// JSON schema that go-sarif embeds (no network): the log is read into
// go-sarif's model of the schema and validated, and every member the log
// has must survive that reading, so a member the schema does not define
// (dropped by the model) fails too. The golden log has relative artifact
// uris under --sarif-base (uriBaseId SRCROOT), informationUri and helpUri;
// with a delta, each result's baselineState.
func TestSARIFValidates(t *testing.T) {
	r := result(t)
	// With a delta (the fixture against a baseline without its first
	// finding and with the second one warned): results carry baselineState.
	base := *r
	base.Findings = slices.Clone(r.Findings[1:])
	base.Findings[0].Verdict = "warned"
	o := opts
	o.Delta = delta.Compare(delta.Baseline{Kind: "run", Ref: "run:x"}, &base, r, nil, nil)
	var buf bytes.Buffer
	if err := Write(&buf, "sarif", r, o); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	rep, err := gosarif.FromBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	// go-sarif's model always writes these members; absent from the log,
	// they take the schema's defaults.
	for _, run := range rep.Runs {
		if run.Language == "" {
			run.Language = "en-US"
		}
		if len(run.NewlineSequences) == 0 {
			run.NewlineSequences = []string{"\r\n", "\n"}
		}
		if run.Tool != nil && run.Tool.Driver != nil && run.Tool.Driver.Language == "" {
			run.Tool.Driver.Language = "en-US"
		}
	}
	if err := rep.Validate(); err != nil {
		t.Fatalf("SARIF 2.1.0 schema: %v", err)
	}
	back, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var ours, theirs any
	if err := json.Unmarshal(raw, &ours); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(back, &theirs); err != nil {
		t.Fatal(err)
	}
	if missing := lost("", ours, theirs); len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("members not in the SARIF 2.1.0 model (or changed by it): %v", missing)
	}
	run := ours.(map[string]any)["runs"].([]any)[0].(map[string]any)
	loc := run["results"].([]any)[0].(map[string]any)["locations"].([]any)[0].(map[string]any)
	art := loc["physicalLocation"].(map[string]any)["artifactLocation"].(map[string]any)
	if art["uri"] != "testdata/simulate/app.cdx.json" || art["uriBaseId"] != sarifBaseID {
		t.Errorf("artifactLocation = %v, want the relative uri with uriBaseId %s", art, sarifBaseID)
	}
	var states []string
	for _, res := range run["results"].([]any) {
		states = append(states, fmt.Sprint(res.(map[string]any)["baselineState"]))
	}
	want := []string{"new", "updated"}
	for range r.Findings[2:] {
		want = append(want, "unchanged")
	}
	if !slices.Equal(states, want) {
		t.Errorf("baselineState = %v, want %v", states, want)
	}
}

// lost lists the JSON pointers of members of a that b lacks or holds
// another scalar for (b may have more: go-sarif adds empty defaults).
func lost(at string, a, b any) []string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return []string{at}
		}
		var out []string
		for k, v := range x {
			out = append(out, lost(at+"/"+k, v, y[k])...)
		}
		return out
	case []any:
		y, ok := b.([]any)
		if !ok || len(y) != len(x) {
			return []string{at}
		}
		var out []string
		for i := range x {
			out = append(out, lost(fmt.Sprintf("%s/%d", at, i), x[i], y[i])...)
		}
		return out
	}
	if !reflect.DeepEqual(a, b) {
		return []string{at}
	}
	return nil
}
