package ir

import (
	"slices"
	"strings"
	"testing"
)

// TestCatalogWellFormed checks the invariants the checker and the engine rely
// on: sorted unique names, a Doc on every entry, element types on lists and
// object references that resolve.
func TestCatalogWellFormed(t *testing.T) {
	checkAttrs := func(owner string, as []Attr) {
		t.Helper()
		if !slices.IsSortedFunc(as, func(a, b Attr) int { return strings.Compare(a.Name, b.Name) }) {
			t.Errorf("%s: attrs not sorted", owner)
		}
		for i, a := range as {
			if i > 0 && as[i-1].Name == a.Name {
				t.Errorf("%s.%s: duplicate", owner, a.Name)
			}
			checkType(t, owner+"."+a.Name, a.Type, a.Elem, a.Object, a.Doc)
		}
	}
	for i, ns := range Namespaces {
		if i > 0 && Namespaces[i-1].Name >= ns.Name {
			t.Errorf("namespaces not sorted at %s", ns.Name)
		}
		if ns.Doc == "" || ns.Open != (ns.OpenType != "") || ns.Open && len(ns.Attrs) > 0 {
			t.Errorf("namespace %s malformed", ns.Name)
		}
		checkAttrs(ns.Name, ns.Attrs)
	}
	for i, o := range Objects {
		if i > 0 && Objects[i-1].Name >= o.Name {
			t.Errorf("objects not sorted at %s", o.Name)
		}
		checkAttrs(o.Name, o.Attrs)
	}
	var builtins, methods []string
	for _, f := range Functions {
		if strings.Contains(f.Name, ".") {
			methods = append(methods, f.Name)
			if _, ok := LookupNamespace(strings.Split(f.Name, ".")[0]); !ok {
				t.Errorf("%s: unknown namespace", f.Name)
			}
		} else {
			builtins = append(builtins, f.Name)
		}
		checkType(t, f.Name, f.Result, f.ResultElem, f.ResultObject, f.Doc)
		if f.Min > len(f.Params) && !f.Variadic || f.Variadic && len(f.Params) == 0 {
			t.Errorf("%s: bad arity", f.Name)
		}
		for _, p := range f.Params {
			if _, ok := LookupObject(p.Scope); p.Scope != "" && !ok {
				t.Errorf("%s(%s): unknown scope %q", f.Name, p.Name, p.Scope)
			}
		}
	}
	if !slices.IsSorted(builtins) || !slices.IsSorted(methods) ||
		len(builtins)+len(methods) != len(Functions) || Functions[len(builtins)-1].Name != builtins[len(builtins)-1] {
		t.Errorf("functions not ordered: builtins then methods, each sorted")
	}
	want := []string{"age_days", "coalesce", "cvss", "days_until", "exists", "lowercase", "normalize_cvss", "percent_of", "reach_state", "risk_score", "severity_band"}
	if !slices.Equal(builtins, want) {
		t.Errorf("builtins = %v, want %v", builtins, want)
	}
	for i, s := range Settings {
		if i > 0 && Settings[i-1].Name >= s.Name {
			t.Errorf("settings not sorted at %s", s.Name)
		}
		if s.Doc == "" || (s.Type != TString && s.Type != TNumber && s.Type != TBool) {
			t.Errorf("setting %s malformed", s.Name)
		}
	}
}

func checkType(t *testing.T, what string, typ, elem Type, object, doc string) {
	t.Helper()
	if doc == "" {
		t.Errorf("%s: no Doc", what)
	}
	if (typ == TList) != (elem != "") {
		t.Errorf("%s: list element type mismatch", what)
	}
	if typ == TObject {
		if _, ok := LookupObject(object); !ok {
			t.Errorf("%s: unknown object %q", what, object)
		}
	} else if object != "" {
		t.Errorf("%s: object set on %s", what, typ)
	}
}

func TestLookups(t *testing.T) {
	ns, ok := LookupNamespace("env")
	if !ok {
		t.Fatal("env missing")
	}
	if a, ok := ns.Attr("anything"); !ok || a.Type != TString {
		t.Errorf("env.anything = %v %v", a, ok)
	}
	sev, _ := LookupNamespace("severity")
	if a, ok := sev.Attr("normalized"); !ok || a.Type != TBand {
		t.Errorf("severity.normalized = %v %v", a, ok)
	}
	if _, ok := sev.Attr("nope"); ok {
		t.Error("severity.nope resolved")
	}
	f, ok := LookupFunc("coalesce")
	if !ok || f.MaxArgs() != -1 || f.Param(5).Name != "value" {
		t.Errorf("coalesce = %+v", f)
	}
	if f, _ := LookupFunc("vex.latest"); f.MaxArgs() != 0 || f.ResultObject != "vex.statement" {
		t.Errorf("vex.latest = %+v", f)
	}
	if r, ok := BandRank("critical"); !ok || r != 4 {
		t.Errorf("BandRank(critical) = %d %v", r, ok)
	}
	if _, ok := BandRank("Severe"); ok {
		t.Error("Severe is a band")
	}
	if _, ok := LookupSetting("shadow"); !ok {
		t.Error("shadow setting missing")
	}
}
