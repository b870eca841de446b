package inputs

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stella-policy/stella/internal/model"
)

// TestMergeNotAfter: of the copies of an advisory, one modified more than a
// day after the time the records are read for is not yet known then and
// does not win the merge (docs/inputs.md "Advisories").
func TestMergeNotAfter(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	adv := func(modified, summary string) model.Advisory {
		return model.Advisory{ID: "GHSA-x", Modified: modified, Summary: summary, Affected: []model.Affected{}}
	}
	cases := []struct {
		name     string
		notAfter time.Time
		copies   []model.Advisory
		from     []string
		want     string // the summary of the kept copy
		warn     string // in the one warning; "" for none
		where    string // the warning's file
		limited  bool
	}{
		{"no limit: the newest", time.Time{}, []model.Advisory{adv("2025-06-01T00:00:00Z", "old"), adv("2099-01-01T00:00:00Z", "future")}, nil,
			"future", "kept the record modified 2099-01-01T00:00:00Z, dropped one modified 2025-06-01T00:00:00Z", "osv", false},
		{"a future copy does not win", at, []model.Advisory{adv("2099-01-01T00:00:00Z", "future"), adv("2025-06-01T00:00:00Z", "old")}, nil,
			"old", "dropped one modified 2099-01-01T00:00:00Z, more than a day after 2026-01-01T00:00:00Z: not yet known then", "osv", true},
		{"within a day it counts", at, []model.Advisory{adv("2025-06-01T00:00:00Z", "old"), adv("2026-01-01T23:00:00Z", "new")}, nil,
			"new", "kept the record modified 2026-01-01T23:00:00Z", "osv", false},
		{"the newest known copy of three", at, []model.Advisory{adv("2025-01-01T00:00:00Z", "a"), adv("2027-01-01T00:00:00Z", "b"), adv("2025-06-01T00:00:00Z", "c")}, nil,
			"c", "not yet known then", "osv", true},
		{"every copy future: the newest", at, []model.Advisory{adv("2098-01-01T00:00:00Z", "a"), adv("2099-01-01T00:00:00Z", "b")}, nil,
			"b", "dropped one modified 2098-01-01T00:00:00Z", "osv", true},
		{"identical copies: no warning", at, []model.Advisory{adv("2099-01-01T00:00:00Z", "same"), adv("2099-01-01T00:00:00Z", "same")}, nil,
			"same", "", "", false},
		{"an undated copy is known", at, []model.Advisory{adv("", "undated"), adv("2099-01-01T00:00:00Z", "future")}, nil,
			"undated", "dropped one modified 2099-01-01T00:00:00Z", "osv", true},
		{"several inputs: the dropped copy's file", at, []model.Advisory{adv("2025-06-01T00:00:00Z", "old"), adv("2099-01-01T00:00:00Z", "future")}, []string{"a.json", "b.json"},
			"old", "(the kept one is from a.json), more than a day after", "b.json", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := Merge{Where: "osv", NotAfter: c.notAfter, From: c.from}
			got := m.Records(slices.Clone(c.copies))
			if len(got) != 1 || got[0].Summary != c.want {
				t.Fatalf("kept %+v, want the copy %q", got, c.want)
			}
			switch {
			case c.warn == "" && len(m.Warnings) > 0:
				t.Errorf("warnings %v, want none", m.Warnings)
			case c.warn != "" && (len(m.Warnings) == 0 || !strings.Contains(m.Warnings[len(m.Warnings)-1].Msg, c.warn) && !strings.Contains(m.Warnings[0].Msg, c.warn)):
				t.Errorf("warnings %v, want one saying %q", m.Warnings, c.warn)
			case c.warn != "" && m.Warnings[0].File != c.where:
				t.Errorf("the warning names %q, want %q", m.Warnings[0].File, c.where)
			}
			if m.Limited() != c.limited {
				t.Errorf("Limited() = %v, want %v (Newest %v)", m.Limited(), c.limited, m.Newest)
			}
		})
	}
}

// TestMergeNVDNotAfter: an NVD copy modified more than a day after the time
// the records are read for does not win over an older copy.
func TestMergeNVDNotAfter(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cve := func(modified, status string) model.NVDCVE {
		return model.NVDCVE{ID: "CVE-2025-0001", LastModified: modified, Status: status}
	}
	cases := []struct {
		name     string
		notAfter time.Time
		copies   []model.NVDCVE
		want     string
		warn     string
	}{
		{"no limit: the last modified", time.Time{}, []model.NVDCVE{cve("2025-06-01T00:00:00Z", "old"), cve("2099-01-01T00:00:00Z", "future")}, "future", "the last modified of each is kept"},
		{"a future copy does not win", at, []model.NVDCVE{cve("2099-01-01T00:00:00Z", "future"), cve("2025-06-01T00:00:00Z", "old"), cve("2025-01-01T00:00:00Z", "older")}, "old",
			"except for 1 whose last modified copy is dated more than a day after 2026-01-01T00:00:00Z"},
		{"every copy future: the last modified", at, []model.NVDCVE{cve("2098-01-01T00:00:00Z", "a"), cve("2099-01-01T00:00:00Z", "b")}, "b", "the last modified of each is kept"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, w := MergeNVD(slices.Clone(c.copies), "nvd", nil, c.notAfter)
			if len(got) != 1 || got[0].Status != c.want || len(w) != 1 || !strings.Contains(w[0].Msg, c.warn) {
				t.Errorf("kept %+v, warnings %v; want %q, %q", got, w, c.want, c.warn)
			}
		})
	}
}
