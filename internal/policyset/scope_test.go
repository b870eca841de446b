package policyset

import (
	"testing"

	"github.com/stella-policy/stella/internal/ir"
)

func TestOverlapAndContains(t *testing.T) {
	all := ir.Scope{}
	prod := ir.Scope{Env: []ir.EnvSelector{{Key: "stage", Values: []string{"prod"}}}}
	prodOrDev := ir.Scope{Env: []ir.EnvSelector{{Key: "stage", Values: []string{"dev", "prod"}}}}
	dev := ir.Scope{Env: []ir.EnvSelector{{Key: "stage", Values: []string{"dev"}}}}
	npm := ir.Scope{Purls: []string{"pkg:npm/*"}}
	npmEco := ir.Scope{Ecosystems: []string{"npm"}}
	pypiEco := ir.Scope{Ecosystems: []string{"PyPI"}}
	lodash := ir.Scope{Purls: []string{"pkg:npm/lodash"}}
	lodash1 := ir.Scope{Purls: []string{"pkg:npm/lodash@1.0.0"}}
	lodash2 := ir.Scope{Purls: []string{"pkg:npm/lodash@2.0.0"}}
	maven := ir.Scope{Purls: []string{"pkg:maven/org.apache/*"}}
	tagA := ir.Scope{Tags: []string{"a"}}
	tagB := ir.Scope{Tags: []string{"b"}}
	debian := ir.Scope{Ecosystems: []string{"Debian"}}
	debian12 := ir.Scope{Ecosystems: []string{"Debian:12"}}
	cases := []struct {
		name       string
		a, b       ir.Scope
		overlap    Tri
		aInB, bInA bool
	}{
		{"all and all", all, all, Yes, true, true},
		{"all and prod", all, prod, Yes, false, true},
		{"prod and dev", prod, dev, No, false, false},
		{"prod within prod or dev", prod, prodOrDev, Yes, true, false},
		{"tags never separate", tagA, tagB, Yes, false, false},
		{"npm glob and npm ecosystem", npm, npmEco, Yes, false, false},
		{"npm glob and PyPI ecosystem", npm, pypiEco, No, false, false},
		{"npm and maven", npm, maven, No, false, false},
		{"lodash within npm", lodash, npm, Yes, true, false},
		{"one version within the package", lodash1, lodash, Yes, true, false},
		{"two versions", lodash1, lodash2, No, false, false},
		{"Debian covers Debian:12", debian12, debian, Yes, true, false},
		{"npm and PyPI ecosystems", npmEco, pypiEco, No, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Overlap(tc.a, tc.b); got != tc.overlap {
				t.Errorf("Overlap = %d, want %d", got, tc.overlap)
			}
			if got := Overlap(tc.b, tc.a); got != tc.overlap {
				t.Errorf("Overlap reversed = %d, want %d", got, tc.overlap)
			}
			if got := Contains(tc.b, tc.a); got != tc.aInB {
				t.Errorf("a in b = %v, want %v", got, tc.aInB)
			}
			if got := Contains(tc.a, tc.b); got != tc.bInA {
				t.Errorf("b in a = %v, want %v", got, tc.bInA)
			}
		})
	}
}

func TestComponentMatches(t *testing.T) {
	s := ir.Scope{Tags: []string{"payments"}, Purls: []string{"pkg:npm/*"}, Ecosystems: []string{"npm"}}
	if !ComponentMatches(s, "pkg:npm/lodash@4.17.20", []string{"payments", "web"}, "npm") {
		t.Error("an npm component tagged payments is in scope")
	}
	if ComponentMatches(s, "pkg:npm/lodash@4.17.20", []string{"web"}, "npm") {
		t.Error("a component without the tag is not")
	}
	if ComponentMatches(s, "pkg:pypi/requests@2", []string{"payments"}, "PyPI") {
		t.Error("a PyPI component is not")
	}
	if !EnvMatches(ir.Scope{Env: []ir.EnvSelector{{Key: "stage", Values: []string{"prod"}}}}, map[string]string{"stage": "prod"}) ||
		EnvMatches(ir.Scope{Env: []ir.EnvSelector{{Key: "stage", Values: []string{"prod"}}}}, map[string]string{}) {
		t.Error("env selectors")
	}
}
