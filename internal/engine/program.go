package engine

import (
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/model"
)

// program is a policy compiled for one run: closures for every condition,
// action value and profile entry, the settings the engine reads and the
// run's constants. It is immutable once built and shared by all workers.
type program struct {
	policy   *ir.Policy
	rules    []crule
	prof     profile
	risk     riskWeights
	set      settings
	at       time.Time
	atText   string
	excs     *exceptionIndex
	sig      *signalIndex
	nvd      []model.NVDCVE      // sorted by id
	sbomTags map[string][]string // SBOM digest → document-level tags
	explain  bool
	keep     bool // keep canonical bytes (Request.Keep)
	enforced bool
}

type crule struct {
	r        *ir.Rule
	when     fn
	then     []caction
	els      []caction
	cond     Condition
	operands []operand
}

type caction struct {
	a     *ir.Action
	value fn
	until fn
}

type operand struct {
	text string
	f    fn
}

// settings are the keys of the settings block the engine reads
// (ir.Settings). Absent numbers are nil.
type settings struct {
	defaultStatus   string
	blockKEV        bool
	epssThreshold   *decimal.D
	scoreThreshold  *decimal.D
	maxCritical     *decimal.D
	maxHigh         *decimal.D
	maxMedium       *decimal.D
	unknownsBudget  *decimal.D // unknown severity
	unknownsVEX     *decimal.D
	unknownsReach   *decimal.D
	unknownsEPSS    *decimal.D
	maxFeedAge      *decimal.D // days
	uncheckedBudget *decimal.D // components not checked (Coverage)
	newFindingsOnly bool
	severityProfile string
	shadow          bool
}

func readSettings(fs ir.Fields) (settings, error) {
	s := settings{defaultStatus: VerdictPassed, severityProfile: "severity"}
	for _, f := range fs {
		v := f.Value
		num := func(dst **decimal.D) error {
			if v.Kind != ir.ValNumber {
				return errorf("settings.%s must be a number", f.Key)
			}
			d := v.Num
			*dst = &d
			return nil
		}
		boolean := func(dst *bool) error {
			if v.Kind != ir.ValBool {
				return errorf("settings.%s must be true or false", f.Key)
			}
			*dst = v.Bool
			return nil
		}
		var err error
		switch f.Key {
		case "default_status":
			if v.Kind != ir.ValString || !isVerdict(v.Str) {
				return s, errorf("settings.default_status must be one of passed, warned, blocked, quieted, ignored")
			}
			s.defaultStatus = v.Str
		case "block_kev":
			err = boolean(&s.blockKEV)
		case "shadow":
			err = boolean(&s.shadow)
		case "new_findings_only":
			err = boolean(&s.newFindingsOnly)
		case "epss_threshold":
			err = num(&s.epssThreshold)
		case "score_threshold":
			err = num(&s.scoreThreshold)
		case "max_critical":
			err = num(&s.maxCritical)
		case "max_high":
			err = num(&s.maxHigh)
		case "max_medium":
			err = num(&s.maxMedium)
		case "unknowns_budget":
			err = num(&s.unknownsBudget)
		case "unknowns_budget_vex":
			err = num(&s.unknownsVEX)
		case "unknowns_budget_reachability":
			err = num(&s.unknownsReach)
		case "unknowns_budget_epss":
			err = num(&s.unknownsEPSS)
		case "max_feed_age_days":
			err = num(&s.maxFeedAge)
		case "unchecked_budget":
			err = num(&s.uncheckedBudget)
		case "severity_profile":
			if v.Kind != ir.ValString {
				return s, errorf("settings.severity_profile must be a string")
			}
			s.severityProfile = v.Str
		}
		// Other keys are for other readers (the checker rejects unknown ones).
		if err != nil {
			return s, err
		}
	}
	return s, nil
}

func isVerdict(s string) bool {
	switch s {
	case VerdictPassed, VerdictWarned, VerdictBlocked, VerdictQuieted, VerdictIgnored:
		return true
	}
	return false
}

func isVEXStatus(s string) bool {
	switch s {
	case model.VEXAffected, model.VEXNotAffected, model.VEXFixed, model.VEXUnderInvestigation, model.VEXUnknown:
		return true
	}
	return false
}

// compileProgram compiles p for one run.
func compileProgram(p *ir.Policy, sm *ir.SourceMap, c *compiler) (*program, error) {
	set, err := readSettings(p.Settings)
	if err != nil {
		return nil, err
	}
	prog := &program{policy: p, set: set}
	if prog.risk, err = riskWeightsOf(p); err != nil {
		return nil, err
	}
	prog.prof.name = set.severityProfile
	for _, pr := range p.Profiles {
		if pr.Name != set.severityProfile {
			continue
		}
		prog.prof.maps = pr.Maps
		for _, env := range pr.Envs {
			for _, e := range env.Entries {
				f, err := c.expr(e.When)
				if err != nil {
					return nil, errorf("profile %s env %s: %v", pr.Name, env.Name, err)
				}
				prog.prof.envs = append(prog.prof.envs, envDelta{block: env.Name, text: ir.FormatExpr(e.When), when: f, delta: e.Delta})
			}
		}
	}
	for i := range p.Rules {
		r := &p.Rules[i]
		cr := crule{r: r}
		if cr.when, err = c.expr(r.When); err != nil {
			return nil, errorf("rule %s: %v", r.Name, err)
		}
		if cr.then, err = c.actions(r.Then); err != nil {
			return nil, errorf("rule %s: %v", r.Name, err)
		}
		if cr.els, err = c.actions(r.Else); err != nil {
			return nil, errorf("rule %s: %v", r.Name, err)
		}
		cr.cond = condition(r, i, sm)
		var ops []ir.Expr
		collectOperands(r.When, &ops)
		seen := map[string]bool{}
		for _, o := range ops {
			text := ir.FormatExpr(o)
			if seen[text] {
				continue
			}
			seen[text] = true
			f, err := c.expr(o)
			if err != nil {
				return nil, errorf("rule %s: %v", r.Name, err)
			}
			cr.operands = append(cr.operands, operand{text, f})
		}
		prog.rules = append(prog.rules, cr)
	}
	return prog, nil
}

func (c *compiler) actions(as []ir.Action) ([]caction, error) {
	var out []caction
	for i := range as {
		a := &as[i]
		ca := caction{a: a}
		switch a.Kind {
		case ir.ActStatus, ir.ActSeverity, ir.ActAnnotate, ir.ActEscalate:
			if a.Value == nil {
				return nil, errorf("%s action without a value", a.Kind)
			}
			f, err := c.expr(*a.Value)
			if err != nil {
				return nil, err
			}
			ca.value = f
		case ir.ActIgnore:
			if a.Until != nil {
				f, err := c.expr(*a.Until)
				if err != nil {
					return nil, err
				}
				ca.until = f
			}
		case ir.ActWarn, ir.ActRequireVex:
		default:
			return nil, errorf("unknown action %q", a.Kind)
		}
		out = append(out, ca)
	}
	return out, nil
}

// condition is a rule's condition text and position: from the source map
// when it belongs to this policy, else printed from the IR.
func condition(r *ir.Rule, i int, sm *ir.SourceMap) Condition {
	if sm != nil {
		for j := range sm.Rules {
			// The source map lists rules in IR order; search by name in
			// case it does not.
			k := (i + j) % len(sm.Rules)
			if rs := sm.Rules[k]; rs.Name == r.Name {
				return Condition{Text: rs.WhenText, File: sourceName(sm.File), Line: rs.When.Start.Line, Col: rs.When.Start.Col}
			}
		}
	}
	return Condition{Text: ir.FormatExpr(r.When)}
}

// sourceName is the policy file's name without its directory: where a
// policy was read from (./p.stella, /home/ci/repo/p.stella) must not change
// a trace, and so the digests over the traces.
func sourceName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// collectOperands lists the sub-expressions of a condition whose values the
// trace shows: references, member and index reads and calls, outside
// predicate arguments (whose element is only bound inside the call).
func collectOperands(e ir.Expr, out *[]ir.Expr) {
	switch e.Op {
	case ir.OpRef, ir.OpMember, ir.OpIndex, ir.OpCall:
		*out = append(*out, e)
	case ir.OpNot, ir.OpAnd, ir.OpOr, ir.OpEq, ir.OpNe, ir.OpLt, ir.OpLe, ir.OpGt, ir.OpGe, ir.OpIn, ir.OpList:
		for _, a := range e.Args {
			collectOperands(a, out)
		}
	}
}
