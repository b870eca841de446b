package engine

import (
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/model"
)

// fields implements every namespace field of the catalogue except env and
// run, whose values are constants of the run (see compiler.ref).
var fields = map[string]fn{
	"advisory.aliases":       func(s *state) Val { return strList(s.f.aliases) },
	"advisory.cwes":          func(s *state) Val { return strList(s.f.cwes) },
	"advisory.fix_available": func(s *state) Val { return s.f.fixAvailable },
	"advisory.fixed_in":      func(s *state) Val { return strList(s.f.fixedIn) },
	"advisory.withdrawn":     func(s *state) Val { return optStr(s.f.adv.Withdrawn) },

	"kev.date_added": func(s *state) Val {
		if s.f.kev == nil {
			return Null
		}
		return optStr(s.f.kev.DateAdded)
	},
	"kev.due_date": func(s *state) Val {
		if s.f.kev == nil {
			return Null
		}
		return optStr(s.f.kev.DueDate)
	},
	"kev.ransomware": func(s *state) Val {
		if s.f.kev == nil {
			return Null
		}
		return Bool(strings.EqualFold(s.f.kev.KnownRansomwareUse, "Known"))
	},
	"advisory.id":        func(s *state) Val { return Str(s.f.adv.ID) },
	"advisory.modified":  func(s *state) Val { return optStr(s.f.adv.Modified) },
	"advisory.published": func(s *state) Val { return optStr(s.f.adv.Published) },
	"advisory.source":    func(s *state) Val { return Str(s.f.source) },
	"advisory.summary":   func(s *state) Val { return optStr(s.f.adv.Summary) },
	"advisory.tags":      func(s *state) Val { return strList(s.f.tags) },

	"reachability.evidence": func(s *state) Val {
		if s.f.reach == nil {
			return List(nil)
		}
		return strList(s.f.reach.Evidence)
	},
	"reachability.score": func(s *state) Val {
		if s.f.reach == nil {
			return Null
		}
		return Num(s.f.reach.Score)
	},
	"reachability.state": func(s *state) Val {
		if s.f.reach == nil {
			return Null
		}
		return Str(s.f.reach.State)
	},

	"sbom.direct": func(s *state) Val {
		switch s.f.comp.Relation {
		case "direct":
			return Bool(true)
		case "transitive":
			return Bool(false)
		}
		return Null
	},
	"sbom.ecosystem": func(s *state) Val { return optStr(s.f.comp.Ecosystem) },
	"sbom.licenses":  func(s *state) Val { return strList(s.f.comp.Licenses) },
	"sbom.name":      func(s *state) Val { return Str(componentName(s.f.comp)) },
	"sbom.purl":      func(s *state) Val { return Str(s.f.comp.Purl) },
	"sbom.scope":     func(s *state) Val { return optStr(s.f.comp.Scope) },
	"sbom.tags":      func(s *state) Val { return strList(s.f.compTags) },
	"sbom.type":      func(s *state) Val { return Str(s.f.comp.Type) },
	"sbom.version":   func(s *state) Val { return optStr(s.f.comp.Version) },

	"severity.base": func(s *state) Val {
		if !s.sev.baseKnown {
			return Null
		}
		return Num(s.sev.base)
	},
	"severity.normalized": func(s *state) Val {
		if !s.sev.known {
			return Null
		}
		return Str(ir.Bands[s.sev.band])
	},
	"severity.score": func(s *state) Val {
		if !s.sev.known {
			return Null
		}
		return Num(s.sev.score)
	},
	"severity.qualitative": func(s *state) Val { return Bool(s.sev.qualitative) },
	"severity.record":      func(s *state) Val { return optStr(s.sev.record) },
	"severity.source":      func(s *state) Val { return optStr(s.sev.source) },
	"severity.step":        func(s *state) Val { return Str(s.sev.step) },
	"severity.unknown":     func(s *state) Val { return Bool(!s.sev.baseKnown) },
	"severity.vector":      func(s *state) Val { return optStr(s.sev.vector) },

	"signals.epss":            func(s *state) Val { return optNum(s.f.sig.EPSS) },
	"signals.epss_percentile": func(s *state) Val { return optNum(s.f.sig.EPSSPercentile) },
	"signals.kev": func(s *state) Val {
		if !s.f.kevKnown {
			return Null
		}
		return Bool(s.f.isKEV)
	},
	"signals.kev_date_added": func(s *state) Val {
		if s.f.kev == nil {
			return Null
		}
		return optStr(s.f.kev.DateAdded)
	},
	"signals.kev_due_date": func(s *state) Val {
		if s.f.kev == nil {
			return Null
		}
		return optStr(s.f.kev.DueDate)
	},
	"signals.kev_ransomware": func(s *state) Val {
		if s.f.kev == nil {
			return Null
		}
		return Bool(strings.EqualFold(s.f.kev.KnownRansomwareUse, "Known"))
	},

	"vex.count": func(s *state) Val { return Num(decimal.Int(int64(len(s.vex.accepted)))) },
	"vex.justification": func(s *state) Val {
		if s.vex.latest == nil {
			return Null
		}
		return optStr(s.vex.latest.Justification)
	},
	"vex.status": func(s *state) Val {
		if s.vex.latest == nil {
			return Null
		}
		return Str(s.vex.latest.Status)
	},
}

// componentName is sbom.name: the OSV package name when the purl maps to
// one (it carries the namespace, "org.apache:log4j"), else the purl name.
func componentName(c *model.Component) string {
	if c.Package != "" {
		return c.Package
	}
	return c.Name
}

func (c *compiler) ref(e ir.Expr) (fn, error) {
	switch e.NS {
	case "env":
		key := strings.ToLower(e.Name)
		i, ok := slices.BinarySearchFunc(c.env, key, func(kv KV, k string) int { return strings.Compare(kv.Key, k) })
		if !ok {
			return constant(Null), nil
		}
		return constant(Str(c.env[i].Value)), nil
	case "run":
		switch e.Name {
		case "policy_id":
			return constant(Str(c.policyID)), nil
		case "timestamp":
			return constant(Str(c.evalTime)), nil
		}
	default:
		if f, ok := fields[e.NS+"."+e.Name]; ok {
			return f, nil
		}
	}
	return nil, errorf("unknown field %s.%s", e.NS, e.Name)
}
