package match

import (
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/model"
)

func TestAttachVEX(t *testing.T) {
	libc := comp(t, "pkg:deb/debian/libc6@2.31-13?arch=amd64&distro=debian-11")
	libc.Ref = "libc-ref"
	root := comp(t, "pkg:oci/app@sha256%3Aabc")
	in := &model.Inputs{
		SBOMs: []model.SBOM{{Name: "app", Digest: "sha256:sbom", Serial: "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", Version: 2, Root: &root, Components: []model.Component{
			libc,
			comp(t, "pkg:npm/lodash@4.17.20"),
		}}},
		Advisories: []model.Advisory{
			adv("DSA-1", []string{"CVE-2023-1"}, aff("Debian:11", "libc6", ecoRng("introduced=0", "fixed=2.31-14"))),
			adv("GHSA-aaaa", []string{"CVE-2020-8203"}, aff("npm", "lodash", semver("introduced=0", "fixed=4.17.21"))),
		},
	}
	stmt := func(id, vuln string, products ...model.Product) model.VEXStatement {
		return model.VEXStatement{ID: id, Vulnerability: vuln, Products: products, Status: model.VEXNotAffected}
	}
	p := func(s string) model.Product { return model.Product{Purl: s} }
	tests := []struct {
		name   string
		st     model.VEXStatement
		attach string // purl of the component it must attach to, or ""
		reason string // when it attaches to nothing
	}{
		{"bare purl matches every version and qualifier", stmt("a", "CVE-2023-1", p("pkg:deb/debian/libc6")), "pkg:deb/debian/libc6@2.31-13?arch=amd64&distro=debian-11", ""},
		{"alias of the statement", model.VEXStatement{ID: "a2", Vulnerability: "OTHER-1", Aliases: []string{"dsa-1"}, Products: []model.Product{p("pkg:deb/debian/libc6")}}, "pkg:deb/debian/libc6@2.31-13?arch=amd64&distro=debian-11", ""},
		{"advisory id", stmt("b", "GHSA-aaaa", p("pkg:npm/lodash@4.17.20")), "pkg:npm/lodash@4.17.20", ""},
		{"given qualifier matches", stmt("c", "CVE-2023-1", p("pkg:deb/debian/libc6@2.31-13?distro=debian-11")), "pkg:deb/debian/libc6@2.31-13?arch=amd64&distro=debian-11", ""},
		{"given qualifier differs", stmt("d", "CVE-2023-1", p("pkg:deb/debian/libc6@2.31-13?distro=debian-11.6")), "", QualifierMismatch},
		{"other version", stmt("e", "CVE-2023-1", p("pkg:deb/debian/libc6@2.31-12")), "", VersionMismatch},
		{"other package", stmt("f", "CVE-2023-1", p("pkg:deb/debian/bash")), "", UnknownProduct},
		{"unknown vulnerability", stmt("g", "CVE-1999-0001", p("pkg:deb/debian/libc6")), "", UnknownVulnerability},
		{"vulnerability of another component", stmt("h", "CVE-2020-8203", p("pkg:deb/debian/libc6")), "", UnknownProduct},
		{"bom-ref", stmt("i", "CVE-2023-1", model.Product{BOMRef: "libc-ref"}), "pkg:deb/debian/libc6@2.31-13?arch=amd64&distro=debian-11", ""},
		{"BOM-Link", stmt("j", "CVE-2023-1", model.Product{BOMRef: "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/2#libc%2Dref"}), "pkg:deb/debian/libc6@2.31-13?arch=amd64&distro=debian-11", ""},
		{"BOM-Link serial in upper case", stmt("j2", "CVE-2023-1", model.Product{BOMRef: "urn:cdx:3E671687-395B-41F5-A30F-A58921A69B79/2#libc-ref"}), "pkg:deb/debian/libc6@2.31-13?arch=amd64&distro=debian-11", ""},
		{"BOM-Link to another BOM", stmt("j3", "CVE-2023-1", model.Product{BOMRef: "urn:cdx:33333333-3333-4333-8333-333333333333/2#libc-ref"}), "", OtherBOM},
		{"BOM-Link to another version", stmt("j4", "CVE-2023-1", model.Product{BOMRef: "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#libc-ref"}), "", OtherBOM},
		{"BOM-Link without a version", stmt("j5", "CVE-2023-1", model.Product{BOMRef: "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79#libc-ref"}), "", OtherBOM},
		{"BOM-Link to another BOM, resolved to a purl", stmt("j6", "CVE-2023-1", model.Product{BOMRef: "urn:cdx:33333333-3333-4333-8333-333333333333/1#pkg:deb/debian/libc6", Purl: "pkg:deb/debian/libc6"}), "", OtherBOM},
		{"BOM-Link to another BOM and a purl product", stmt("j7", "CVE-2023-1", model.Product{BOMRef: "urn:cdx:33333333-3333-4333-8333-333333333333/1#libc-ref"}, p("pkg:deb/debian/libc6")), "pkg:deb/debian/libc6@2.31-13?arch=amd64&distro=debian-11", ""},
		{"bom-ref of nothing", stmt("k", "CVE-2023-1", model.Product{BOMRef: "other"}), "", UnknownProduct},
		{"product version", stmt("l", "CVE-2020-8203", model.Product{Purl: "pkg:npm/lodash", Version: "4.17.20"}), "pkg:npm/lodash@4.17.20", ""},
		{"product version differs", stmt("m", "CVE-2020-8203", model.Product{Purl: "pkg:npm/lodash", Version: "4.17.19"}), "", VersionMismatch},
		{"product vers range", stmt("n", "CVE-2020-8203", model.Product{Purl: "pkg:npm/lodash", Range: "vers:npm/>=4.0.0|<4.17.21"}), "pkg:npm/lodash@4.17.20", ""},
		{"product vers range excludes", stmt("o", "CVE-2020-8203", model.Product{Purl: "pkg:npm/lodash", Range: "vers:npm/>=4.17.21"}), "", VersionMismatch},
		{"CSAF id only", stmt("p", "CVE-2020-8203", model.Product{ID: "CSAFPID-0001"}), "", UnknownProduct},
		{"subcomponent in the SBOM's subject", model.VEXStatement{ID: "q", Vulnerability: "CVE-2020-8203", Products: []model.Product{p("pkg:oci/app")}, Subcomponents: []model.Product{p("pkg:npm/lodash")}}, "pkg:npm/lodash@4.17.20", ""},
		{"subcomponent of another product", model.VEXStatement{ID: "r", Vulnerability: "CVE-2020-8203", Products: []model.Product{p("pkg:oci/other")}, Subcomponents: []model.Product{p("pkg:npm/lodash")}}, "", UnknownProduct},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := *in
			in.VEX = []model.VEXStatement{tt.st}
			res, err := Join(&in, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range res.Pairs {
				if len(p.VEX) > 0 {
					got = append(got, p.Component.Purl)
				}
			}
			switch {
			case tt.attach != "":
				if len(got) != 1 || got[0] != tt.attach || len(res.Unmatched) != 0 {
					t.Errorf("attached to %q, unmatched %+v; want %s", got, res.Unmatched, tt.attach)
				}
			default:
				if len(got) != 0 || len(res.Unmatched) != 1 || res.Unmatched[0].Reason != tt.reason || res.Unmatched[0].Detail == "" {
					t.Errorf("attached to %q, unmatched %+v; want reason %s", got, res.Unmatched, tt.reason)
				}
			}
		})
	}
}

func TestAttachVEXOrder(t *testing.T) {
	in := &model.Inputs{
		SBOMs:      []model.SBOM{{Components: []model.Component{comp(t, "pkg:npm/lodash@4.17.20")}}},
		Advisories: []model.Advisory{adv("GHSA-aaaa", []string{"CVE-2020-8203"}, aff("npm", "lodash", semver("introduced=0")))},
		VEX: []model.VEXStatement{
			{ID: "a", Issuer: "z", Timestamp: "2024-03-01T00:00:00Z", Vulnerability: "CVE-2020-8203", Products: []model.Product{{Purl: "pkg:npm/lodash"}}},
			{ID: "b", Issuer: "b", Timestamp: "2024-01-01T00:00:00Z", Vulnerability: "CVE-2020-8203", Products: []model.Product{{Purl: "pkg:npm/lodash"}}},
			{ID: "c", Issuer: "a", Timestamp: "2024-01-01T00:00:00Z", Vulnerability: "GHSA-aaaa", Products: []model.Product{{Purl: "pkg:npm/lodash@4.17.20"}}},
			{ID: "d", Vulnerability: "CVE-2020-8203", Products: []model.Product{{Purl: "pkg:npm/lodash"}}},
		},
	}
	res, err := Join(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range res.Pairs[0].VEX {
		ids = append(ids, s.ID)
	}
	if got := strings.Join(ids, ","); got != "d,c,b,a" {
		t.Errorf("statement order = %s, want d,c,b,a (timestamp, then issuer)", got)
	}
}

// A BOM-Link applies only in the SBOM it names; a statement it keeps from
// applying anywhere is warned about by id and document.
func TestBOMLinkNamesOneSBOM(t *testing.T) {
	a, b := comp(t, "pkg:npm/e@1.0.0"), comp(t, "pkg:npm/e@1.0.0")
	a.Ref, b.Ref = "1", "1"
	a.SBOM, b.SBOM = "sha256:a", "sha256:b"
	in := model.Inputs{
		SBOMs: []model.SBOM{
			{Name: "a", Digest: "sha256:a", Serial: "urn:uuid:11111111-1111-4111-8111-111111111111", Version: 1, Components: []model.Component{a}},
			{Name: "b", Digest: "sha256:b", Components: []model.Component{b}},
		},
		Advisories: []model.Advisory{adv("GHSA-e", nil, aff("npm", "e", semver("introduced=0")))},
	}
	tests := []struct {
		link  string
		sboms []string // the SBOMs whose pair the statement attaches to
		warn  string
	}{
		{"urn:cdx:11111111-1111-4111-8111-111111111111/1#1", []string{"sha256:a"}, ""},
		{"1", []string{"sha256:a", "sha256:b"}, ""},
		{"urn:cdx:33333333-3333-4333-8333-333333333333/1#1", nil, "VEX statement s (cyclonedx document vex-doc) about GHSA-e not applied: BOM-Link urn:cdx:33333333-3333-4333-8333-333333333333/1#1 names BOM urn:uuid:33333333-3333-4333-8333-333333333333, "},
	}
	for _, tt := range tests {
		t.Run(tt.link, func(t *testing.T) {
			in := in
			in.VEX = []model.VEXStatement{{ID: "s", Format: "cyclonedx", Document: "vex-doc", Vulnerability: "GHSA-e", Status: model.VEXNotAffected,
				Products: []model.Product{{BOMRef: tt.link}}}}
			res, err := Join(&in, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range res.Pairs {
				if len(p.VEX) > 0 {
					got = append(got, p.Component.SBOM)
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.sboms, " ") {
				t.Errorf("attached in %q, want %q", got, tt.sboms)
			}
			warned := strings.Join(res.Warnings, "\n")
			if tt.warn == "" && strings.Contains(warned, "VEX statement") || !strings.Contains(warned, tt.warn) {
				t.Errorf("warnings %q, want %q", res.Warnings, tt.warn)
			}
		})
	}
}
