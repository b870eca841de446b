package report

import (
	"io"
	"strings"

	"github.com/stella-policy/stella/internal/buildinfo"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/model"
)

// OpenVEX 0.2.0.

const openvexContext = "https://openvex.dev/ns/v0.2.0"

type vexDoc struct {
	Context    string         `json:"@context"`
	ID         string         `json:"@id"`
	Author     string         `json:"author"`
	Role       string         `json:"role"`
	Timestamp  string         `json:"timestamp"`
	Version    int            `json:"version"`
	Tooling    string         `json:"tooling,omitempty"`
	Statements []vexStatement `json:"statements"`
}

type vexStatement struct {
	Vulnerability   vexVuln      `json:"vulnerability"`
	Products        []vexProduct `json:"products"`
	Status          string       `json:"status"`
	Justification   string       `json:"justification,omitempty"`
	ImpactStatement string       `json:"impact_statement,omitempty"`
	ActionStatement string       `json:"action_statement,omitempty"`
	StatusNotes     string       `json:"status_notes,omitempty"`
}

type vexVuln struct {
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
}

type vexProduct struct {
	ID string `json:"@id"`
}

// OpenVEX writes the decisions as an OpenVEX document: one statement per
// finding, in finding order, with the finding's VEX status (unknown becomes
// under_investigation, OpenVEX having no unknown). A not_affected statement
// carries the justification of the statement that decided it, else an
// impact statement naming the rule; an affected one carries an action
// statement (the fixed versions, or the policy verdict). The document id
// and timestamp come from the result, so the same result gives the same
// document.
func OpenVEX(w io.Writer, r *engine.Result, o Options) error {
	tool := "stella " + buildinfo.Version
	doc := vexDoc{
		Context:    openvexContext,
		ID:         "urn:stella:vex:" + canon.Short(r.Digests.Result, 64),
		Author:     "stella policy " + r.Policy.ID,
		Role:       "policy engine",
		Timestamp:  r.EvaluationTime,
		Version:    1,
		Tooling:    tool,
		Statements: []vexStatement{},
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		st := vexStatement{
			Vulnerability: vexVuln{Name: f.AdvisoryID, Aliases: f.Aliases},
			Products:      []vexProduct{{ID: f.Purl}},
			Status:        f.VEXStatus,
			StatusNotes:   "verdict " + f.Verdict + ruleSuffix(f) + "; finding " + f.FindingID,
		}
		switch f.VEXStatus {
		case model.VEXUnknown:
			st.Status = model.VEXUnderInvestigation
		case model.VEXNotAffected:
			if j := decidingJustification(f); j != "" {
				st.Justification = j
			} else {
				st.ImpactStatement = "not affected per policy" + ruleSuffix(f)
			}
		case model.VEXAffected:
			if len(f.FixedIn) > 0 {
				st.ActionStatement = "upgrade to a fixed version: " + strings.Join(f.FixedIn, ", ")
			} else {
				st.ActionStatement = "no fixed version known; verdict " + f.Verdict + ruleSuffix(f)
			}
		}
		doc.Statements = append(doc.Statements, st)
	}
	return JSON(w, doc)
}

func ruleSuffix(f *engine.Finding) string {
	if f.Rule == "" {
		return ""
	}
	return " (rule " + f.Rule + ")"
}

// decidingJustification is the justification of the statement that decided
// the VEX consensus, when the trace has it.
func decidingJustification(f *engine.Finding) string {
	if f.Explain == nil {
		return ""
	}
	for _, v := range f.Explain.Evidence.VEX {
		if v.StatementID == f.Explain.Evidence.Consensus.Statement {
			return v.Justification
		}
	}
	return ""
}
