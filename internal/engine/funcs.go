package engine

import (
	"slices"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/model"
)

// builtin compiles a call of one catalogue function from its compiled
// arguments. Predicate arguments (vex.any, vex.all) are compiled like any
// other expression; the function sets the element in scope before running
// them.
type builtin func(args []fn) fn

// builtins implements every function of the catalogue.
var builtins = map[string]builtin{
	"age_days": func(args []fn) fn {
		return func(s *state) Val { return daysBetween(args[0](s), s.p.at, false) }
	},
	"days_until": func(args []fn) fn {
		return func(s *state) Val { return daysBetween(args[0](s), s.p.at, true) }
	},
	"coalesce": func(args []fn) fn {
		return func(s *state) Val {
			for _, a := range args {
				if v := a(s); v.K != KNull {
					return v
				}
			}
			return Null
		}
	},
	"cvss": func([]fn) fn {
		return func(s *state) Val {
			if !s.sev.cvssKnown {
				return Null
			}
			return Num(s.sev.cvss)
		}
	},
	"exists": func(args []fn) fn {
		return func(s *state) Val { return Bool(args[0](s).K != KNull) }
	},
	"lowercase": func(args []fn) fn {
		return func(s *state) Val {
			v := args[0](s)
			if v.K != KStr {
				return Null
			}
			return Str(strings.ToLower(v.S))
		}
	},
	"normalize_cvss": func(args []fn) fn {
		return func(s *state) Val {
			v := args[0](s)
			switch v.K {
			case KNum:
				return Num(v.N.Clamp(decimal.Zero, decimal.Ten).Round3())
			case KStr:
				if _, base, ok := scoreVector(v.S); ok {
					return Num(base)
				}
			}
			return Null
		}
	},
	"percent_of": func(args []fn) fn {
		return func(s *state) Val {
			part, whole := args[0](s), args[1](s)
			if part.K != KNum || whole.K != KNum || whole.N == 0 {
				return Null
			}
			q, ok := part.N.Mul(decimal.Int(100)).Div(whole.N)
			if !ok {
				return Null
			}
			return Num(q.Round3())
		}
	},
	"reach_state": func(args []fn) fn {
		return func(s *state) Val {
			v := args[0](s)
			if v.K != KStr {
				return Null
			}
			if code, ok := ir.ReachStateCode(v.S); ok {
				return Str(code)
			}
			return Null
		}
	},
	"risk_score": func([]fn) fn {
		return func(s *state) Val {
			r := s.risk()
			if r.Score == nil {
				return Null
			}
			return Num(*r.Score)
		}
	},
	"severity_band": func(args []fn) fn {
		return func(s *state) Val {
			v := args[0](s)
			switch v.K {
			case KStr:
				if r, ok := ir.BandRank(v.S); ok {
					return Str(ir.Bands[r])
				}
			case KNum:
				return Str(ir.Bands[bandOf(v.N)])
			}
			return Null
		}
	},
	"advisory.has_tag": func(args []fn) fn {
		return func(s *state) Val {
			v := args[0](s)
			return Bool(v.K == KStr && slices.Contains(s.f.tags, v.S))
		}
	},
	"sbom.has_tag": func(args []fn) fn {
		return func(s *state) Val {
			v := args[0](s)
			return Bool(v.K == KStr && slices.Contains(s.f.compTags, v.S))
		}
	},
	"vex.all": func(args []fn) fn {
		pred := args[0]
		return func(s *state) Val {
			if len(s.vex.accepted) == 0 {
				return Bool(false)
			}
			outer := s.elem
			defer func() { s.elem = outer }()
			for _, st := range s.vex.accepted {
				s.elem = st
				if !pred(s).Truthy() {
					return Bool(false)
				}
			}
			return Bool(true)
		}
	},
	"vex.any": func(args []fn) fn {
		pred := args[0]
		return func(s *state) Val {
			outer := s.elem
			defer func() { s.elem = outer }()
			for _, st := range s.vex.accepted {
				s.elem = st
				if pred(s).Truthy() {
					return Bool(true)
				}
			}
			return Bool(false)
		}
	},
	"vex.latest": func([]fn) fn {
		return func(s *state) Val { return stmtVal(s.vex.latest) }
	},
}

func (c *compiler) call(e ir.Expr) (fn, error) {
	b, ok := builtins[e.Fn]
	if !ok {
		return nil, errorf("unknown function %s", e.Fn)
	}
	f, ok := ir.LookupFunc(e.Fn)
	if !ok {
		return nil, errorf("unknown function %s", e.Fn)
	}
	if n := len(e.Args); n < f.Min || (f.MaxArgs() >= 0 && n > f.MaxArgs()) {
		return nil, errorf("%s: %d arguments", e.Fn, n)
	}
	args, err := c.exprs(e.Args)
	if err != nil {
		return nil, err
	}
	return b(args), nil
}

// daysBetween is age_days (t to at) or, with until, days_until (at to t):
// whole days, rounded down; null for a value that is not a time.
func daysBetween(v Val, at time.Time, until bool) Val {
	if v.K != KStr {
		return Null
	}
	t, ok := model.ParseTime(v.S)
	if !ok {
		return Null
	}
	if until {
		return Num(decimal.Int(WholeDays(at, t)))
	}
	return Num(decimal.Int(WholeDays(t, at)))
}

// WholeDays is the whole days from t to at, rounded down (negative when at
// is earlier), exact for any two times: time.Sub saturates at about 292
// years, which a far-past or far-future date in the inputs exceeds.
func WholeDays(t, at time.Time) int64 {
	s := at.Unix() - t.Unix()
	if at.Nanosecond() < t.Nanosecond() {
		s-- // the seconds rounded down
	}
	d := s / 86400
	if s%86400 < 0 {
		d-- // round down, not towards zero
	}
	return d
}
