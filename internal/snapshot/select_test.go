package snapshot

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/testenv"
)

// TestSelect: Select reads the records a component's package names, the
// records that may name a package by purl only, every record of their alias
// groups (transitively, withdrawn ones aside), every withdrawn record and the
// newest ones — and nothing else.
func TestSelect(t *testing.T) {
	aff := func(eco, name string) []model.Affected { return []model.Affected{{Ecosystem: eco, Name: name}} }
	advs := []model.Advisory{
		{ID: "A-1", Source: "A", Aliases: []string{"CVE-1"}, Affected: aff("npm", "left-pad"), Modified: "2024-01-01T00:00:00Z"},
		{ID: "B-1", Source: "B", Aliases: []string{"CVE-1", "CVE-2"}, Affected: aff("Go", "example.com/m"), Modified: "2024-01-01T00:00:00Z"},
		{ID: "C-1", Source: "C", Aliases: []string{"CVE-2"}, Affected: aff("PyPI", "x"), Modified: "2024-01-01T00:00:00Z"},
		{ID: "D-1", Source: "D", Aliases: []string{"CVE-3"}, Affected: aff("PyPI", "y"), Withdrawn: "2024-01-01T00:00:00Z"},
		{ID: "E-1", Source: "E", Aliases: []string{"CVE-3"}, Affected: aff("PyPI", "z"), Modified: "2024-01-01T00:00:00Z"},
		{ID: "F-1", Source: "F", Affected: []model.Affected{{Purl: "pkg:npm/other"}}, Modified: "2024-01-01T00:00:00Z"},
		{ID: "G-1", Source: "G", Affected: aff("npm", "unused"), Modified: "2025-06-01T00:00:00.5Z"},
		{ID: "H-1", Source: "H", Affected: aff("npm", "unused"), Published: "2025-06-02"},
		{ID: "I-1", Source: "I", Affected: aff("npm", "unused"), Modified: "2025-06-01T00:00:00Z"},
	}
	data, recs := encodeAdvisories(advs)
	v3 := buildIndex(advs, recs, data)
	// Versions 2 (no record digests) and 1 (no selection data either)
	// select the same records, version 1 from the records' heads.
	v2 := olderIndex(v3, indexSchemaV2)
	v1 := olderIndex(v3, indexSchemaV1)
	for _, doc := range []*IndexDoc{v3, v2, v1} {
		x, err := openIndex(data, doc)
		if err != nil {
			t.Fatal(err)
		}
		sb := model.SBOM{Components: []model.Component{{Purl: "pkg:npm/left-pad@1.0.0"}}}
		got, err := x.Select([]model.SBOM{sb})
		if err != nil {
			t.Fatal(err)
		}
		if want := "A-1,B-1,C-1,D-1,F-1,G-1,H-1"; idsOf(got) != want {
			t.Errorf("%s: Select = %s, want %s", doc.Schema, idsOf(got), want)
		}
		if !reflect.DeepEqual(got[1], advs[1]) {
			t.Errorf("%s: B-1 = %+v", doc.Schema, got[1])
		}
		if err := x.Verify(); err != nil {
			t.Errorf("%s: Verify: %v", doc.Schema, err)
		}
	}
}

// olderIndex is doc as an index of an older version writes it.
func olderIndex(doc *IndexDoc, schema string) *IndexDoc {
	old := *doc
	old.Schema = schema
	old.Advisories = slices.Clone(doc.Advisories)
	for i := range old.Advisories {
		old.Advisories[i].Digest = ""
	}
	if schema == indexSchemaV1 {
		old.Select = nil
	}
	return &old
}

// TestIndexSelectTampered: a version 2 index whose selection data is not
// the records' own is refused — by its shape when a run opens it, by Verify
// (snapshot import and show) otherwise — and a version 1 index must not
// carry any.
// TestPending: a record withdrawn only after the evaluation time brings its
// alias partners into the selection, as match.Join groups it with them;
// at or after the withdrawal (and with no time) the selection stays.
func TestPending(t *testing.T) {
	aff := func(eco, name string) []model.Affected { return []model.Affected{{Ecosystem: eco, Name: name}} }
	advs := []model.Advisory{
		{ID: "D-1", Aliases: []string{"CVE-3"}, Affected: aff("npm", "left-pad"), Modified: "2024-01-01T00:00:00Z", Withdrawn: "2024-06-01T00:00:00Z"},
		{ID: "E-1", Aliases: []string{"CVE-3", "CVE-4"}, Affected: aff("PyPI", "z"), Modified: "2023-01-01T00:00:00Z"},
		{ID: "F-1", Aliases: []string{"CVE-4"}, Affected: aff("PyPI", "w"), Modified: "2023-01-01T00:00:00Z"},
		{ID: "G-1", Aliases: []string{"CVE-5"}, Affected: aff("PyPI", "v"), Modified: "2023-01-01T00:00:00Z"},
	}
	data, recs := encodeAdvisories(advs)
	x, err := openIndex(data, buildIndex(advs, recs, data))
	if err != nil {
		t.Fatal(err)
	}
	sb := model.SBOM{Components: []model.Component{{Purl: "pkg:npm/left-pad@1.0.0"}}}
	sel, err := x.Select([]model.SBOM{sb})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at   string
		want string
	}{
		{"2024-03-01T00:00:00Z", "D-1,E-1,F-1"}, // not withdrawn yet: its group, transitively
		{"2024-06-01T00:00:00Z", "D-1"},
		{"2024-09-01T00:00:00Z", "D-1"},
		{"", "D-1"},
	} {
		var at time.Time
		if tc.at != "" {
			at, _ = time.Parse(time.RFC3339, tc.at)
		}
		got, err := x.Pending(sel, at)
		if err != nil {
			t.Fatal(err)
		}
		if idsOf(got) != tc.want {
			t.Errorf("Pending at %q = %s, want %s", tc.at, idsOf(got), tc.want)
		}
	}
}

// idsOf are the ids of advs, comma-separated.
func idsOf(advs []model.Advisory) string {
	ids := make([]string, len(advs))
	for i, a := range advs {
		ids[i] = a.ID
	}
	return strings.Join(ids, ",")
}

func TestIndexSelectTampered(t *testing.T) {
	aff := func(eco, name string) []model.Affected { return []model.Affected{{Ecosystem: eco, Name: name}} }
	advs := []model.Advisory{
		{ID: "A-1", Source: "A", Aliases: []string{"CVE-1"}, Affected: aff("npm", "a")},
		{ID: "B-1", Source: "B", Aliases: []string{"CVE-1"}, Affected: aff("npm", "b")},
		{ID: "C-1", Source: "C", Affected: aff("npm", "c"), Withdrawn: "2024-01-01T00:00:00Z"},
	}
	data, recs := encodeAdvisories(advs)
	for _, tc := range []struct {
		name   string
		change func(d *IndexDoc)
		open   bool // refused by openIndex, else by Verify
		want   string
	}{
		{"group count", func(d *IndexDoc) { d.Select.Group = d.Select.Group[:2] }, true, "a group for each"},
		{"always out of range", func(d *IndexDoc) { d.Select.Always = []int{7} }, true, "select.always"},
		{"always unsorted", func(d *IndexDoc) { d.Select.Always = []int{2, 0} }, true, "select.always"},
		{"missing", func(d *IndexDoc) { d.Select = nil }, true, "a group for each"},
		{"v1 with select", func(d *IndexDoc) { d.Schema = indexSchemaV1 }, true, "has no select"},
		{"record without digest", func(d *IndexDoc) { d.Advisories[1].Digest = "" }, true, "has no valid digest"},
		{"v2 with digests", func(d *IndexDoc) { d.Schema = indexSchemaV2 }, true, "has a digest, which stella.advisory-index/v2 does not give"},
		{"record digest", func(d *IndexDoc) { d.Advisories[2].Digest = d.Advisories[0].Digest }, false, "the digest of record 2 (C-1) is not the one of its bytes"},
		{"withdrawn dropped", func(d *IndexDoc) { d.Select.Always = []int{} }, false, "selection (select) is not"},
		{"group split", func(d *IndexDoc) { d.Select.Group[1] = 99 }, false, "selection (select) is not"},
	} {
		doc := buildIndex(advs, slices.Clone(recs), data)
		tc.change(doc)
		x, err := openIndex(data, doc)
		if err == nil && !tc.open {
			err = x.Verify()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || (x != nil) == tc.open {
			t.Errorf("%s: got %v, want an error containing %q (at open: %v)", tc.name, err, tc.want, tc.open)
		}
	}
}

// TestConformanceSelect: over the shared data, the join of every shared SBOM
// with the advisories Select reads is the join with all of them.
func TestConformanceSelect(t *testing.T) {
	data := testenv.RequireData(t)
	sboms, _ := filepath.Glob(filepath.Join(data, "sbom", "*", "*.json"))
	s := fromFiles(t, Spec{SBOMs: sboms, Advisories: []string{filepath.Join(data, "osv")}})
	all := s.Inputs.Advisories
	for _, sb := range s.Inputs.SBOMs {
		sel, err := s.Index.Select([]model.SBOM{sb})
		if err != nil {
			t.Fatal(err)
		}
		full, err := match.Join(&model.Inputs{SBOMs: []model.SBOM{sb}, Advisories: all}, match.Options{})
		if err != nil {
			t.Fatal(err)
		}
		part, err := match.Join(&model.Inputs{SBOMs: []model.SBOM{sb}, Advisories: sel}, match.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(full, part) {
			t.Errorf("%s: the join over %d selected advisories differs from the join over all %d", sb.Name, len(sel), len(all))
		}
		t.Logf("%s: %d components, %d pairs, %d of %d advisories read", sb.Name, len(sb.Components), len(full.Pairs), len(sel), len(all))
	}
}

// BenchmarkSelect: what one Select costs for a small SBOM (40 components)
// against a large index — 200,000 synthetic npm advisories naming 100,000
// packages, in threes sharing an alias, the size of a whole OSV feed cache
// — and, with STELLA_TESTDATA, for two real SBOMs (43 and 3,951
// components) against the 7,553 shared advisories.
func BenchmarkSelect(b *testing.B) {
	const n = 200_000
	advs := make([]model.Advisory, n)
	for i := range advs {
		advs[i] = model.Advisory{ID: fmt.Sprintf("SYN-%07d", i), Source: "syn", Aliases: []string{fmt.Sprintf("CVE-%07d", i/3)},
			Affected: []model.Affected{{Ecosystem: "npm", Name: fmt.Sprintf("pkg-%06d", i/2)}},
			Modified: time.Date(2024, 1, 1, 0, 0, i, 0, time.UTC).Format(time.RFC3339)}
	}
	data, recs := encodeAdvisories(advs)
	x, err := openIndex(data, buildIndex(advs, recs, data))
	if err != nil {
		b.Fatal(err)
	}
	var small model.SBOM
	for k := range 40 {
		small.Components = append(small.Components, model.Component{Purl: fmt.Sprintf("pkg:npm/pkg-%06d@1.0.0", k*2500)})
	}
	b.Run("small-of-200k", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if as, err := x.Select([]model.SBOM{small}); err != nil || len(as) < 40 {
				b.Fatal(len(as), err)
			}
		}
	})
	dir := os.Getenv("STELLA_TESTDATA")
	if dir == "" {
		return
	}
	s, err := FromFiles(Spec{Advisories: []string{filepath.Join(dir, "osv")}})
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range []string{"cyclonedx/cern-lhc-vdm-editor-e564943.cdx.json", "spdx/trivy-newrelic_synthetics-minion-runner.spdx.json"} {
		in, err := inputs.Read(filepath.Join(dir, "sbom", f), inputs.Options{Kind: inputs.KindSBOM, Limits: inputs.DefaultLimits})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(strings.SplitN(filepath.Base(f), "-", 2)[0]+"-of-shared", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Index.Select([]model.SBOM{*in.SBOM}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestSelectPackages: Select finds a component's package among several
// base ecosystems (the runs found by binary search), including a
// versioned ecosystem under its base ("Debian:12" for Debian), and for an
// all-lowercase Go path the paths that differ only in case — nothing of
// another ecosystem with the same name.
func TestSelectPackages(t *testing.T) {
	aff := func(eco, name string) []model.Affected { return []model.Affected{{Ecosystem: eco, Name: name}} }
	advs := []model.Advisory{
		{ID: "A-1", Source: "A", Affected: aff("Debian:12", "openssl"), Modified: "2024-01-01T00:00:00Z"},
		{ID: "B-1", Source: "B", Affected: aff("Go", "github.com/Sirupsen/logrus"), Modified: "2024-01-01T00:00:00Z"},
		{ID: "C-1", Source: "C", Affected: aff("Go", "github.com/sirupsen/logrus"), Modified: "2024-01-01T00:00:00Z"},
		{ID: "D-1", Source: "D", Affected: aff("npm", "openssl"), Modified: "2024-01-01T00:00:00Z"},
		{ID: "E-1", Source: "E", Affected: aff("PyPI", "requests"), Modified: "2024-01-01T00:00:00Z"},
		{ID: "F-1", Source: "F", Affected: aff("npm", "zzz"), Modified: "2024-02-01T00:00:00Z"}, // the newest: always read
	}
	data, recs := encodeAdvisories(advs)
	x, err := openIndex(data, buildIndex(advs, recs, data))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		purls []string
		want  string
	}{
		{nil, "F-1"},
		{[]string{"pkg:npm/openssl@1.0.0"}, "D-1,F-1"},
		{[]string{"pkg:deb/debian/openssl@3.0.0?distro=debian-12"}, "A-1,F-1"},
		{[]string{"pkg:golang/github.com/sirupsen/logrus@v1.0.0"}, "B-1,C-1,F-1"},
		{[]string{"pkg:golang/github.com/Sirupsen/logrus@v1.0.0"}, "B-1,F-1"},
		{[]string{"pkg:pypi/Requests@2.0.0", "pkg:cargo/openssl@1.0.0"}, "E-1,F-1"},
	} {
		var sb model.SBOM
		for _, p := range tc.purls {
			sb.Components = append(sb.Components, model.Component{Purl: p})
		}
		got, err := x.Select([]model.SBOM{sb})
		if err != nil {
			t.Fatal(err)
		}
		if idsOf(got) != tc.want {
			t.Errorf("Select(%v) = %s, want %s", tc.purls, idsOf(got), tc.want)
		}
	}
}
