package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/engine"
)

// The structure of the SARIF 2.1.0 schema (OASIS sarif-schema-2.1.0.json)
// for every object stella writes: the members each definition allows (the
// schema sets additionalProperties false on all of them), the required
// ones, and what each member holds. Objects stella never writes are not
// listed, so writing one fails the test until it is added here from the
// schema.
type def struct {
	props    map[string]string // member → definition name, or a primitive: string, integer, boolean, uri, uri-reference, bag
	required []string
	anyOf    [][]string // at least one of each group must be present
	enums    map[string][]string
	arrays   map[string]string // member → element definition (for array members)
}

var sarif = map[string]def{
	"log": {
		props:    map[string]string{"$schema": "uri", "version": "string", "runs": "array", "inlineExternalProperties": "array", "properties": "bag"},
		required: []string{"version", "runs"},
		enums:    map[string][]string{"version": {"2.1.0"}},
		arrays:   map[string]string{"runs": "run"},
	},
	"run": {
		props: map[string]string{"tool": "tool", "invocations": "array", "conversion": "object", "language": "string",
			"versionControlProvenance": "array", "originalUriBaseIds": "object", "artifacts": "array", "logicalLocations": "array",
			"graphs": "array", "results": "array", "automationDetails": "runAutomationDetails", "runAggregates": "array",
			"baselineGuid": "string", "redactionTokens": "array", "defaultEncoding": "string", "defaultSourceLanguage": "string",
			"newlineSequences": "array", "columnKind": "string", "externalPropertyFileReferences": "object", "threadFlowLocations": "array",
			"taxonomies": "array", "addresses": "array", "translations": "array", "policies": "array", "webRequests": "array",
			"webResponses": "array", "specialLocations": "object", "properties": "bag"},
		required: []string{"tool"},
		arrays:   map[string]string{"results": "result"},
	},
	"runAutomationDetails": {
		props: map[string]string{"description": "message", "id": "string", "guid": "string", "correlationGuid": "string", "properties": "bag"},
	},
	"tool": {
		props:    map[string]string{"driver": "toolComponent", "extensions": "array", "properties": "bag"},
		required: []string{"driver"},
	},
	"toolComponent": {
		props: map[string]string{"guid": "string", "name": "string", "organization": "string", "product": "string", "productSuite": "string",
			"shortDescription": "multiformatMessageString", "fullDescription": "multiformatMessageString", "fullName": "string",
			"version": "string", "semanticVersion": "string", "dottedQuadFileVersion": "string", "releaseDateUtc": "string",
			"downloadUri": "uri", "informationUri": "uri", "globalMessageStrings": "object", "notifications": "array", "rules": "array",
			"taxa": "array", "locations": "array", "language": "string", "contents": "array", "isComprehensive": "boolean",
			"localizedDataSemanticVersion": "string", "minimumRequiredLocalizedDataSemanticVersion": "string",
			"associatedComponent": "object", "translationMetadata": "object", "supportedTaxonomies": "array", "properties": "bag"},
		required: []string{"name"},
		arrays:   map[string]string{"rules": "reportingDescriptor"},
	},
	"reportingDescriptor": {
		props: map[string]string{"id": "string", "deprecatedIds": "array", "guid": "string", "deprecatedGuids": "array", "name": "string",
			"deprecatedNames": "array", "shortDescription": "multiformatMessageString", "fullDescription": "multiformatMessageString",
			"messageStrings": "object", "defaultConfiguration": "reportingConfiguration", "helpUri": "uri",
			"help": "multiformatMessageString", "relationships": "array", "properties": "bag"},
		required: []string{"id"},
	},
	"reportingConfiguration": {
		props: map[string]string{"enabled": "boolean", "level": "string", "rank": "number", "parameters": "bag", "properties": "bag"},
		enums: map[string][]string{"level": {"none", "note", "warning", "error"}},
	},
	"multiformatMessageString": {
		props:    map[string]string{"text": "string", "markdown": "string", "properties": "bag"},
		required: []string{"text"},
	},
	"message": {
		props: map[string]string{"text": "string", "markdown": "string", "id": "string", "arguments": "array", "properties": "bag"},
		anyOf: [][]string{{"text", "id"}},
	},
	"result": {
		props: map[string]string{"ruleId": "string", "ruleIndex": "integer", "rule": "object", "kind": "string", "level": "string",
			"message": "message", "analysisTarget": "object", "locations": "array", "guid": "string", "correlationGuid": "string",
			"occurrenceCount": "integer", "partialFingerprints": "stringMap", "fingerprints": "stringMap", "stacks": "array",
			"codeFlows": "array", "graphs": "array", "graphTraversals": "array", "relatedLocations": "array", "suppressions": "array",
			"baselineState": "string", "rank": "number", "attachments": "array", "hostedViewerUri": "uri", "workItemUris": "array",
			"provenance": "object", "fixes": "array", "taxa": "array", "webRequest": "object", "webResponse": "object", "properties": "bag"},
		required: []string{"message"},
		enums: map[string][]string{"level": {"none", "note", "warning", "error"},
			"kind": {"notApplicable", "pass", "fail", "review", "open", "informational"}},
		arrays: map[string]string{"locations": "location", "suppressions": "suppression"},
	},
	"location": {
		props: map[string]string{"id": "integer", "physicalLocation": "physicalLocation", "logicalLocations": "array", "message": "message",
			"annotations": "array", "relationships": "array", "properties": "bag"},
		arrays: map[string]string{"logicalLocations": "logicalLocation"},
	},
	"physicalLocation": {
		props: map[string]string{"address": "object", "artifactLocation": "artifactLocation", "region": "region", "contextRegion": "region",
			"properties": "bag"},
		anyOf: [][]string{{"address", "artifactLocation"}},
	},
	"artifactLocation": {
		props: map[string]string{"uri": "uri-reference", "uriBaseId": "string", "index": "integer", "description": "message", "properties": "bag"},
	},
	"region": {
		props: map[string]string{"startLine": "positive", "startColumn": "positive", "endLine": "positive", "endColumn": "positive",
			"charOffset": "integer", "charLength": "integer", "byteOffset": "integer", "byteLength": "integer", "snippet": "object",
			"message": "message", "sourceLanguage": "string", "properties": "bag"},
	},
	"logicalLocation": {
		props: map[string]string{"name": "string", "index": "integer", "fullyQualifiedName": "string", "decoratedName": "string",
			"parentIndex": "integer", "kind": "string", "properties": "bag"},
	},
	"suppression": {
		props: map[string]string{"guid": "string", "kind": "string", "status": "string", "justification": "string", "location": "location",
			"properties": "bag"},
		required: []string{"kind"},
		enums:    map[string][]string{"kind": {"inSource", "external"}, "status": {"accepted", "underReview", "rejected"}},
	},
}

// validate checks v against definition name; errors carry a JSON path.
func validate(name, path string, v any) []error {
	d, ok := sarif[name]
	if !ok {
		return []error{fmt.Errorf("%s: no definition %q", path, name)}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return []error{fmt.Errorf("%s: want an object", path)}
	}
	var errs []error
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kind, ok := d.props[k]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: member %q is not allowed in %s", path, k, name))
			continue
		}
		errs = append(errs, checkMember(d, kind, path+"/"+k, k, obj[k])...)
	}
	for _, r := range d.required {
		if _, ok := obj[r]; !ok {
			errs = append(errs, fmt.Errorf("%s: %s requires %q", path, name, r))
		}
	}
	for _, group := range d.anyOf {
		if !slices.ContainsFunc(group, func(k string) bool { _, ok := obj[k]; return ok }) {
			errs = append(errs, fmt.Errorf("%s: %s needs one of %v", path, name, group))
		}
	}
	return errs
}

func checkMember(d def, kind, path, key string, v any) []error {
	bad := func(want string) []error { return []error{fmt.Errorf("%s: want %s, got %T", path, want, v)} }
	if allowed, ok := d.enums[key]; ok {
		if s, _ := v.(string); !slices.Contains(allowed, s) {
			return []error{fmt.Errorf("%s: %v is not one of %v", path, v, allowed)}
		}
	}
	switch kind {
	case "string":
		if _, ok := v.(string); !ok {
			return bad("a string")
		}
	case "uri", "uri-reference":
		s, ok := v.(string)
		if !ok {
			return bad("a string")
		}
		u, err := url.Parse(s)
		if err != nil || kind == "uri" && !u.IsAbs() {
			return []error{fmt.Errorf("%s: %q is not a valid %s", path, s, kind)}
		}
	case "integer", "positive":
		n, ok := v.(float64)
		if !ok || n != float64(int64(n)) || kind == "positive" && n < 1 {
			return bad("an integer" + map[bool]string{true: " ≥ 1"}[kind == "positive"])
		}
	case "number":
		if _, ok := v.(float64); !ok {
			return bad("a number")
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return bad("a boolean")
		}
	case "object":
		if _, ok := v.(map[string]any); !ok {
			return bad("an object")
		}
	case "bag":
		m, ok := v.(map[string]any)
		if !ok {
			return bad("a property bag")
		}
		if tags, ok := m["tags"]; ok {
			l, ok := tags.([]any)
			if !ok {
				return []error{fmt.Errorf("%s/tags: want an array of unique strings", path)}
			}
			seen := map[string]bool{}
			for _, t := range l {
				s, ok := t.(string)
				if !ok || seen[s] {
					return []error{fmt.Errorf("%s/tags: want unique strings", path)}
				}
				seen[s] = true
			}
		}
	case "stringMap":
		m, ok := v.(map[string]any)
		if !ok {
			return bad("an object of strings")
		}
		for k, e := range m {
			if _, ok := e.(string); !ok {
				return []error{fmt.Errorf("%s/%s: want a string", path, k)}
			}
		}
	case "array":
		l, ok := v.([]any)
		if !ok {
			return bad("an array")
		}
		var errs []error
		if elem, ok := d.arrays[key]; ok {
			for i, e := range l {
				errs = append(errs, validate(elem, fmt.Sprintf("%s/%d", path, i), e)...)
			}
		}
		return errs
	default:
		return validate(kind, path, v)
	}
	return nil
}

// TestSARIFSchema validates the SARIF output against the structure of the
// 2.1.0 schema, and checks what code-scanning consumers rely on: a rule per
// advisory with a numeric security-severity, ruleIndex pointing at the
// result's rule, stable partial fingerprints, locations at the SBOM.
func TestSARIFSchema(t *testing.T) {
	r := result(t)
	var doc map[string]any
	if err := json.Unmarshal(render(t, "sarif", r), &doc); err != nil {
		t.Fatal(err)
	}
	for _, err := range validate("log", "", doc) {
		t.Error(err)
	}
	// The validator itself rejects what the schema rejects.
	for _, bad := range []string{
		`{"version":"2.1.0","runs":[{"tool":{"driver":{}}}]}`,
		`{"version":"2.0.0","runs":[]}`,
		`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{}}]}]}`,
		`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"level":"fatal"}]}]}`,
		`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"extra":1}]}]}`,
	} {
		var v any
		if err := json.Unmarshal([]byte(bad), &v); err != nil {
			t.Fatal(err)
		}
		if len(validate("log", "", v)) == 0 {
			t.Errorf("validator accepts %s", bad)
		}
	}

	var log sarifLog
	if err := json.Unmarshal(render(t, "sarif", r), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Results) != len(r.Findings) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(r.Findings))
	}
	seen := map[string]bool{}
	for i, res := range run.Results {
		rule := run.Tool.Driver.Rules[res.RuleIndex]
		if rule.ID != res.RuleID {
			t.Errorf("result %d: ruleIndex %d names %s, not %s", i, res.RuleIndex, rule.ID, res.RuleID)
		}
		fp := res.PartialFingerprints["stellaFinding/v1"]
		if fp != r.Findings[i].FindingID || seen[fp] {
			t.Errorf("result %d: fingerprint %q", i, fp)
		}
		seen[fp] = true
		if loc := res.Locations[0].PhysicalLocation; loc.ArtifactLocation.URI != "testdata/simulate/app.cdx.json" || loc.Region == nil {
			t.Errorf("result %d: location %+v", i, loc)
		}
	}
	for _, rule := range run.Tool.Driver.Rules {
		if rule.ID == "GO-2021-0113" {
			if rule.Properties.SecuritySeverity != "" {
				t.Errorf("%s has no score but security-severity %q", rule.ID, rule.Properties.SecuritySeverity)
			}
			continue
		}
		var f float64
		if _, err := fmt.Sscan(rule.Properties.SecuritySeverity, &f); err != nil || f <= 0 || f > 10 {
			t.Errorf("%s: security-severity %q", rule.ID, rule.Properties.SecuritySeverity)
		}
	}
}

// sarifLevels renders r as SARIF under o: each result's level and message,
// by finding id, and the notifications' levels.
func sarifLevels(t *testing.T, r *engine.Result, o Options) (map[string]string, map[string]string, []string) {
	t.Helper()
	var buf bytes.Buffer
	if err := SARIF(&buf, r, o); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				Level      string    `json:"level"`
				Message    sarifText `json:"message"`
				Properties struct {
					FindingID string `json:"findingId"`
				} `json:"properties"`
			} `json:"results"`
			Invocations []sarifInvocation `json:"invocations"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	levels, msgs := map[string]string{}, map[string]string{}
	for _, res := range log.Runs[0].Results {
		levels[res.Properties.FindingID], msgs[res.Properties.FindingID] = res.Level, res.Message.Text
	}
	var notes []string
	for _, inv := range log.Runs[0].Invocations {
		for _, n := range inv.Notifications {
			notes = append(notes, n.Level+" "+n.Message.Text)
		}
	}
	return levels, msgs, notes
}

// TestSARIFKnownBlocked: a blocked finding the baseline blocked too, which
// the gate does not fail on — not listed by the new_findings_only gate, or
// unchanged in the delta under --fail-on new-blocked — is a warning, not an
// error code scanning fails on, and says why (as JUnit passes it,
// docs/output.md "SARIF"); a new one stays an error. Under --fail-on
// new-blocked a gate blocking in the baseline too is no error either.
func TestSARIFKnownBlocked(t *testing.T) {
	// Without a baseline nothing moves.
	if levels, _, _ := sarifLevels(t, knownBlocked(), Options{}); levels["f1"] != "error" || levels["f2"] != "error" || levels["f3"] != "warning" {
		t.Errorf("no baseline: levels %v", levels)
	}

	r := knownBlockedNewOnly()
	levels, msgs, _ := sarifLevels(t, r, Options{})
	if levels["f1"] != "error" || levels["f2"] != "warning" || levels["f3"] != "warning" {
		t.Errorf("new_findings_only: levels %v, want f1 error (new), f2 warning (the baseline blocked it)", levels)
	}
	if want := "; the baseline blocked it too (new_findings_only): it does not fail the run"; !strings.HasSuffix(msgs["f2"], want) || strings.Contains(msgs["f1"], want) {
		t.Errorf("new_findings_only: messages %q", msgs)
	}

	r, d := knownBlockedDelta()
	levels, msgs, notes := sarifLevels(t, r, Options{FailOn: "new-blocked", Delta: d})
	if levels["f1"] != "error" || levels["f2"] != "warning" || levels["f3"] != "warning" {
		t.Errorf("--fail-on new-blocked: levels %v, want f1 error, f2 and f3 (max-high blocked the baseline too) warning", levels)
	}
	if !strings.HasSuffix(msgs["f2"], "(--fail-on new-blocked): it does not fail the run") {
		t.Errorf("--fail-on new-blocked: f2 says %q", msgs["f2"])
	}
	if len(notes) != 1 || !strings.HasPrefix(notes[0], "error gate unchecked-budget") {
		t.Errorf("--fail-on new-blocked: notifications %q, want the newly blocking gate as an error", notes)
	}
	// --fail-on blocked with the same delta: the verdict decides, all errors.
	if levels, _, _ := sarifLevels(t, r, Options{Delta: d}); levels["f2"] != "error" || levels["f3"] != "error" {
		t.Errorf("--fail-on blocked: levels %v", levels)
	}
}
