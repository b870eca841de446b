package inputs

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/cvss"
	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/model"
)

// NVD CVE API 2.0 (docs/inputs.md, "NVD"): the response of
// /rest/json/cves/2.0 and the yearly/modified feed files, which have the same
// shape: {"format": "NVD_CVE", "version": "2.0", "vulnerabilities": [{"cve":
// {...}}]}. Only the members severity resolution and the advisory facts read
// are decoded; everything else is passed over.

type nvdDoc struct {
	Format          string `json:"format"`
	Version         string `json:"version"`
	Vulnerabilities []struct {
		CVE *nvdCVE `json:"cve"`
	} `json:"vulnerabilities"`
}

type nvdCVE struct {
	ID           string `json:"id"`
	Published    string `json:"published"`
	LastModified string `json:"lastModified"`
	VulnStatus   string `json:"vulnStatus"`
	Metrics      struct {
		V40 []nvdMetric `json:"cvssMetricV40"`
		V31 []nvdMetric `json:"cvssMetricV31"`
		V30 []nvdMetric `json:"cvssMetricV30"`
		V2  []nvdMetric `json:"cvssMetricV2"`
	} `json:"metrics"`
	Weaknesses []struct {
		Description []struct {
			Value string `json:"value"`
		} `json:"description"`
	} `json:"weaknesses"`
}

type nvdMetric struct {
	Source   string `json:"source"`
	Type     string `json:"type"`
	CVSSData struct {
		Version      string          `json:"version"`
		VectorString string          `json:"vectorString"`
		BaseScore    json.RawMessage `json:"baseScore"`
		BaseSeverity string          `json:"baseSeverity"`
	} `json:"cvssData"`
	BaseSeverity string `json:"baseSeverity"` // v2 keeps it beside cvssData
}

// nvdVersions are the metric lists of a record, most specific first, with
// the CVSS version each must carry.
var nvdVersions = []struct{ member, version string }{
	{"cvssMetricV40", cvss.V40}, {"cvssMetricV31", cvss.V31}, {"cvssMetricV30", cvss.V30}, {"cvssMetricV2", cvss.V2},
}

// readNVD reads one NVD CVE API 2.0 document; duplicates are merged as
// known at notAfter (MergeNVD).
func readNVD(d *doc, in *Input, notAfter time.Time) error {
	cves, warns, err := parseNVD(d)
	if err != nil {
		return err
	}
	in.NVD, in.Warnings = MergeNVD(cves, d.name, append(in.Warnings, warns...), notAfter)
	in.SpecVersion = "2.0"
	return nil
}

// parseNVD decodes and checks one document. A malformed document is an
// error naming the file and the JSON pointer of the first problem; a metric
// whose vector does not score is left out with a warning.
func parseNVD(d *doc) ([]model.NVDCVE, []Problem, error) {
	var nd nvdDoc
	if err := decodeJSON(d, &nd); err != nil {
		return nil, nil, err
	}
	if nd.Format != "NVD_CVE" {
		return nil, nil, invalid("", d.atPointer("/format", "format is %q, want \"NVD_CVE\" (an NVD CVE API 2.0 response or feed file)", nd.Format))
	}
	if nd.Version != "" && !strings.HasPrefix(nd.Version, "2.") {
		return nil, nil, invalid("", d.atPointer("/version", "version is %q; only the NVD CVE API 2.0 shape is read", nd.Version))
	}
	w := &warnings{d: d}
	out := make([]model.NVDCVE, 0, len(nd.Vulnerabilities))
	for i, v := range nd.Vulnerabilities {
		at := ptr("vulnerabilities", i, "cve")
		c := v.CVE
		if c == nil {
			return nil, nil, invalid("", d.atPointer(at, "vulnerability without a cve object"))
		}
		if !cvePattern.MatchString(c.ID) {
			return nil, nil, invalid("", d.atPointer(at+"/id", "invalid CVE id %q", c.ID))
		}
		r := model.NVDCVE{ID: c.ID, Status: c.VulnStatus}
		var err error
		if r.Published, err = normTime(c.Published); err != nil {
			return nil, nil, invalid("", d.atPointer(at+"/published", "%v", err))
		}
		if r.LastModified, err = normTime(c.LastModified); err != nil {
			return nil, nil, invalid("", d.atPointer(at+"/lastModified", "%v", err))
		}
		lists := [][]nvdMetric{c.Metrics.V40, c.Metrics.V31, c.Metrics.V30, c.Metrics.V2}
		for k, list := range lists {
			want := nvdVersions[k]
			for j, m := range list {
				mat := at + ptr("metrics", want.member, j)
				if m.CVSSData.Version != want.version {
					return nil, nil, invalid("", d.atPointer(mat+"/cvssData/version", "CVSS version is %q, want %q in %s", m.CVSSData.Version, want.version, want.member))
				}
				if m.Type != "Primary" && m.Type != "Secondary" {
					return nil, nil, invalid("", d.atPointer(mat+"/type", "metric type is %q, want \"Primary\" or \"Secondary\"", m.Type))
				}
				score, err := decimal.Parse(string(m.CVSSData.BaseScore))
				if err != nil || score < 0 || score > decimal.Ten {
					return nil, nil, invalid("", d.atPointer(mat+"/cvssData/baseScore", "baseScore must be a number between 0 and 10"))
				}
				if _, err := cvss.ParseVersion(want.version, m.CVSSData.VectorString); err != nil {
					w.add(mat+"/cvssData/vectorString", "%v; the metric is left out", err)
					continue
				}
				sev := m.CVSSData.BaseSeverity
				if sev == "" {
					sev = m.BaseSeverity
				}
				r.Metrics = append(r.Metrics, model.NVDMetric{Source: m.Source, Type: m.Type, Version: want.version,
					Vector: m.CVSSData.VectorString, BaseScore: score, BaseSeverity: strings.ToUpper(sev)})
			}
		}
		slices.SortStableFunc(r.Metrics, func(a, b model.NVDMetric) int {
			return cmp.Or(cmp.Compare(metricTypeRank(a.Type), metricTypeRank(b.Type)),
				cmp.Compare(nvdVersionRank(a.Version), nvdVersionRank(b.Version)), strings.Compare(a.Source, b.Source),
				strings.Compare(a.Vector, b.Vector))
		})
		var cwes []string
		for _, wk := range c.Weaknesses {
			for _, desc := range wk.Description {
				if strings.HasPrefix(desc.Value, "CWE-") {
					cwes = append(cwes, desc.Value)
				}
			}
		}
		r.CWEs = slices.Compact(sortedSet(cwes))
		out = append(out, r)
	}
	return out, w.list, nil
}

func metricTypeRank(t string) int {
	if t == "Primary" {
		return 0
	}
	return 1
}

func nvdVersionRank(v string) int {
	for i, nv := range nvdVersions {
		if nv.version == v {
			return i
		}
	}
	return len(nvdVersions)
}

// MergeNVD sorts CVE records by id and keeps one per id: the one modified
// last (a "modified" feed overrides a yearly one), or on a tie the one seen
// first; where says where the dropped duplicates came from in warnings. A
// copy modified more than model.FutureSkew after notAfter (when set) is not
// yet known then and wins only when every copy is, as for advisories
// (docs/inputs.md "Duplicates dated in the future").
func MergeNVD(cves []model.NVDCVE, where string, warns []Problem, notAfter time.Time) ([]model.NVDCVE, []Problem) {
	slices.SortStableFunc(cves, func(a, b model.NVDCVE) int {
		return cmp.Or(strings.Compare(a.ID, b.ID), -strings.Compare(a.LastModified, b.LastModified))
	})
	out := cves[:0]
	dups, future := 0, 0
	for i := 0; i < len(cves); {
		j := i + 1
		for j < len(cves) && cves[j].ID == cves[i].ID {
			j++
		}
		best := i // the last modified, unless it is future and an older copy is not
		for k := i; k < j-1 && model.FutureString(cves[k].LastModified, notAfter); k++ {
			if !model.FutureString(cves[k+1].LastModified, notAfter) {
				best = k + 1
				future++
			}
		}
		out = append(out, cves[best])
		dups += j - i - 1
		i = j
	}
	if dups > 0 {
		msg := fmt.Sprintf("%d CVE records given more than once; the last modified of each is kept", dups)
		if future > 0 {
			msg += fmt.Sprintf(", except for %d whose last modified copy is dated more than a day after %s (not yet known then): the last modified before it is kept",
				future, notAfter.UTC().Format(time.RFC3339))
		}
		warns = append(warns, Problem{File: where, Msg: msg})
	}
	return out, warns
}

// readNVDDir reads every *.json and *.json.gz file under a directory (the
// yearly feeds and the modified feed, as published) as NVD documents.
func readNVDDir(p string, lim Limits, notAfter time.Time) (*Input, error) {
	in := &Input{Path: p, Kind: KindNVD, Format: NVDJSON, MediaType: mediaDir, SpecVersion: "2.0"}
	ms, err := walkMembers(p, lim, func(name string) bool {
		n := strings.ToLower(name)
		return strings.HasSuffix(n, ".json") || strings.HasSuffix(n, ".json.gz")
	})
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, invalid("", Problem{File: p, Msg: "no *.json or *.json.gz files (NVD CVE API 2.0 documents)"})
	}
	in.Files = len(ms)
	type result struct {
		cves   []model.NVDCVE
		warns  []Problem
		digest string
		err    error
	}
	results := make([]result, len(ms))
	eachMember(len(ms), func(i int) {
		r := &results[i]
		var d *doc
		if d, r.digest, r.err = readDoc(ms[i], lim, true); r.err != nil {
			return
		}
		if r.err = d.checkText(lim.MaxDepth); r.err != nil {
			return
		}
		r.err = safely(d.name, func() error {
			var err error
			r.cves, r.warns, err = parseNVD(d)
			return err
		})
	})
	var all []model.NVDCVE
	rels := make([]string, len(ms))
	digests := make([]string, len(ms))
	for i, r := range results {
		if r.err != nil {
			return nil, r.err
		}
		rels[i], digests[i] = ms[i].rel, r.digest
		all = append(all, r.cves...)
		in.Warnings = append(in.Warnings, r.warns...)
	}
	in.RawDigest = listingDigest(rels, digests)
	in.NVD, in.Warnings = MergeNVD(all, p, in.Warnings, notAfter)
	return in, nil
}
