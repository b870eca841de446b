package purl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/testenv"
)

// TestConformanceSBOMPurls parses every purl in the shared real SBOMs: each
// must parse, its canonical form must be a fixed point, and every purl of a
// language or distribution type that OSV knows must map to an ecosystem.
func TestConformanceSBOMPurls(t *testing.T) {
	data := testenv.RequireData(t)
	files, err := filepath.Glob(filepath.Join(data, "sbom", "*", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no SBOMs under %s: %v", data, err)
	}
	mapped := map[string]int{}
	total := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, s := range purlStrings(doc, nil) {
			total++
			p, err := Parse(s)
			if err != nil {
				t.Errorf("%s: %v", filepath.Base(f), err)
				continue
			}
			c := p.String()
			if q, err := Parse(c); err != nil || q.String() != c {
				t.Errorf("%s: canonical %q of %q is not stable", filepath.Base(f), c, s)
			}
			eco, name, ok := OSV(p)
			switch p.Type {
			case "oci":
				if ok {
					t.Errorf("%s: OSV(%q) = %q, want no ecosystem", filepath.Base(f), s, eco)
				}
				continue
			}
			if !ok || name == "" {
				t.Errorf("%s: OSV(%q) found no ecosystem", filepath.Base(f), s)
				continue
			}
			mapped[eco]++
		}
	}
	if total < 10000 {
		t.Errorf("only %d purls found; the data set has more than 20,000", total)
	}
	for _, eco := range []string{"npm", "Maven", "Go", "PyPI", "Packagist", "RubyGems", "Debian:11", "Ubuntu:14.04:LTS", "Ubuntu:20.04:LTS", "Alpine:v3.15", "Alpine:v3.16"} {
		if mapped[eco] == 0 {
			t.Errorf("no purl mapped to %s", eco)
		}
	}
}

// purlStrings collects the values of every "purl" key and every SPDX
// external reference locator that is a purl.
func purlStrings(v any, out []string) []string {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && (k == "purl" || k == "referenceLocator") && strings.HasPrefix(s, "pkg:") {
				out = append(out, s)
				continue
			}
			out = purlStrings(e, out)
		}
	case []any:
		for _, e := range x {
			out = purlStrings(e, out)
		}
	}
	return out
}
