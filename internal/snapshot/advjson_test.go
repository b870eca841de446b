package snapshot

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/testenv"
)

// jsonFields lists the JSON names of a struct type's fields.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		name, _, _ := bytes.Cut([]byte(t.Field(i).Tag.Get("json")), []byte(","))
		out = append(out, string(name))
	}
	slices.Sort(out)
	return out
}

// TestAdvisoryJSONFields fails when a field is added to the advisory model
// without teaching appendAdvisory about it.
func TestAdvisoryJSONFields(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want []string
	}{
		{model.Advisory{}, []string{"affected", "aliases", "cwes", "databaseSeverity", "file", "id", "modified", "published", "references", "related", "severity", "source", "summary", "tags", "withdrawn"}},
		{model.Affected{}, []string{"databaseSpecific", "ecosystem", "ecosystemSpecific", "name", "purl", "ranges", "versions"}},
		{model.Range{}, []string{"events", "repo", "type"}},
		{model.Event{}, []string{"fixed", "introduced", "last_affected", "limit"}},
		{model.Reference{}, []string{"type", "url"}},
		{model.Severity{}, []string{"score", "type"}},
	} {
		if got := jsonFields(reflect.TypeOf(tt.v)); !slices.Equal(got, tt.want) {
			t.Errorf("%T has JSON fields %v; appendAdvisory writes %v: update it", tt.v, got, tt.want)
		}
	}
}

func TestAdvisoryJSON(t *testing.T) {
	cases := []model.Advisory{
		{},
		{ID: "X-1", Source: "X", Affected: []model.Affected{}},
		{ID: "esc-\"\\\b\f\n\r\t\x01\x1f\x7f\u2028\u2029é😀<>&", Summary: "bad \xff utf-8", Affected: []model.Affected{{
			Ecosystem: "npm", Name: "x", Ranges: []model.Range{{Type: "SEMVER", Events: []model.Event{{}, {Introduced: "0"}, {Fixed: "1", Limit: "2"}}}, {Type: "GIT"}},
			EcosystemSpecific: json.RawMessage(`{"a":[1,"b"]}`), DatabaseSpecific: json.RawMessage(`{"z":null}`), Versions: []string{"1", "2"},
		}}, Severity: []model.Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N"}}, References: []model.Reference{{Type: "WEB", URL: "https://x/?a=1&b=2"}},
			Aliases: []string{"A"}, Related: []string{"R"}, Tags: []string{"kev"}, Withdrawn: "2024-01-01T00:00:00Z", File: "f"},
	}
	if data := testenv.DataDir(); data != "" {
		for _, d := range []string{"go-vulndb", "pypi-pysec", "ghsa-npm", "ghsa-maven"} {
			in, err := inputs.Read(filepath.Join(data, "osv", d), inputs.Options{})
			if err != nil {
				t.Fatal(err)
			}
			cases = append(cases, in.Advisories...)
		}
	}
	for i := range cases {
		want, err := canon.Marshal(&cases[i])
		if err != nil {
			t.Fatal(err)
		}
		if got := appendAdvisory(nil, &cases[i]); !bytes.Equal(got, want) {
			t.Fatalf("advisory %q:\n got %s\nwant %s", cases[i].ID, got, want)
		}
	}
}
