package inputs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/testenv"
)

var sniffCases = []string{
	`{"bomFormat":"CycloneDX","specVersion":"1.4","components":[{"name":"x"}],"vulnerabilities":[]}`,
	`{"spdxVersion":"SPDX-2.3","packages":[{"SPDXID":"a","name":"n","versionInfo":"1"}],"x":{"y":[1,2.5,-3e2,true,false,null]}}`,
	`{"@context":"https://openvex.dev/ns/v0.2.0","author":"a","statements":[]}`,
	`{"document":{"csaf_version":"2.0"},"vulnerabilities":[{}]}`,
	`{"schema":"stella.reachability/v1","facts":[]}`, `{"id":"GHSA-1","affected":[],"modified":"2024"}`,
	`{"catalogVersion":"1","vulnerabilities":[]}`, `{"bomFormat":1}`, `{"bomFormat":"Cyclone\u0044X"}`, `{}`,
	`{"BOMFormat":"CycloneDX"}`, `{"bomFormat":"a","bomFormat":"b"}`, `{"x":1,"x":2}`, `{"bomFormat":null}`,
	`{"a":"\ud800"}`, "{\"a\":\"\xff\"}", `{"a":1} x`, `{"a":[1,]}`, `{"a" 1}`, `{"a":01}`, `{"components":[ ]}`,
}

func TestSniffTopMatchesEncodingJSON(t *testing.T) {
	fast := 0
	for _, c := range sniffCases {
		if checkSniff(t, []byte(c)) {
			fast++
		}
	}
	if fast < 8 {
		t.Errorf("the fast path sniffed only %d cases", fast)
	}
}

// TestConformanceSniffTop: every shared JSON input (SBOMs, VEX, signals,
// some OSV records) is sniffed on the fast path as encoding/json sniffs it.
func TestConformanceSniffTop(t *testing.T) {
	data := testenv.RequireData(t)
	n := 0
	for _, dir := range []string{"sbom", "vex", "signals", "osv/ghsa-npm"} {
		err := filepath.WalkDir(filepath.Join(data, dir), func(p string, e os.DirEntry, err error) error {
			if err != nil || e.IsDir() || !strings.HasSuffix(p, ".json") {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if len(b) > 0 && b[0] == '{' {
				n++
				if !checkSniff(t, b) {
					t.Errorf("%s: left to encoding/json", p)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n < 100 {
		t.Errorf("sniffed only %d shared files", n)
	}
}

func FuzzSniffTop(f *testing.F) {
	for _, c := range sniffCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkSniff(t, b) })
}

// checkSniff compares the fast path with encoding/json on b and reports
// whether the fast path took it.
func checkSniff(t *testing.T, b []byte) bool {
	t.Helper()
	got, ok := sniffTop(b)
	if !ok {
		return false
	}
	var want sniff
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("%.200q: sniffed what encoding/json rejects: %v", b, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%.200q:\n fast %+v\n json %+v", b, got, want)
	}
	return true
}
