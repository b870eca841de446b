package engine

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/text"
)

// vexState is the set of VEX statements attached to a finding, and which of
// them count. Statements are kept ordered by timestamp (statements without
// one first), then issuer, then id: the order of the explain trace.
type vexState struct {
	all      []*model.VEXStatement
	times    []time.Time // parsed timestamps of all
	rejected []string    // per statement of all: why it does not count ("" = it counts)
	accepted []*model.VEXStatement
	latest   *model.VEXStatement
}

// reset loads the statements of a finding evaluated at at. A statement
// dated more than model.FutureSkew after at is not yet known at that time: it is
// rejected, so that it can neither win the consensus (the latest statement
// wins) nor count (docs/dsl.md "VEX").
func (v *vexState) reset(stmts []*model.VEXStatement, at time.Time) {
	v.all = append(v.all[:0], stmts...)
	v.times = v.times[:0]
	v.rejected = v.rejected[:0]
	for _, st := range v.all {
		t, _ := model.ParseTime(st.Timestamp)
		v.times = append(v.times, t)
		v.rejected = append(v.rejected, "")
	}
	sort.Sort((*byStmt)(v))
	for i, t := range v.times {
		if model.Future(t, at) {
			v.rejected[i] = "dated " + v.all[i].Timestamp + ", after the evaluation time " + at.Format(time.RFC3339Nano) + ": not yet known"
		}
	}
	v.refresh()
}

// futureVEX warns about the statements dated after the evaluation time,
// which reset rejects, naming each (at most 10 and a count of the rest).
func futureVEX(stmts []model.VEXStatement, at time.Time) []string {
	var names []string
	for i := range stmts {
		st := &stmts[i]
		if t, ok := model.ParseTime(st.Timestamp); ok && model.Future(t, at) {
			names = append(names, st.ID+" ("+st.Format+" document "+st.Document+", about "+st.Vulnerability+", dated "+st.Timestamp+")")
		}
	}
	if len(names) == 0 {
		return nil
	}
	return []string{text.Count(len(names), "VEX statement is", "VEX statements are") + " dated more than a day after the evaluation time " + at.Format(time.RFC3339Nano) +
		" and not applied (not yet known then: an --as-of in the past, wrong data or a wrong clock): " + strings.Join(text.First(names, 10), "; ")}
}

// byStmt sorts the statements and their parsed times together.
type byStmt vexState

func (b *byStmt) Len() int { return len(b.all) }
func (b *byStmt) Less(i, j int) bool {
	return cmpStmt(b.all[i], b.all[j], b.times[i], b.times[j]) < 0
}
func (b *byStmt) Swap(i, j int) {
	b.all[i], b.all[j] = b.all[j], b.all[i]
	b.times[i], b.times[j] = b.times[j], b.times[i]
}

func cmpStmt(a, b *model.VEXStatement, ta, tb time.Time) int {
	return cmp.Or(ta.Compare(tb), strings.Compare(a.Issuer, b.Issuer), strings.Compare(a.ID, b.ID))
}

// refresh recomputes the accepted list and the winning statement: the
// accepted statement with the greatest timestamp, ties broken by the greater
// statement id.
func (v *vexState) refresh() {
	v.accepted = v.accepted[:0]
	v.latest = nil
	var lt time.Time
	for i, st := range v.all {
		if v.rejected[i] != "" {
			continue
		}
		v.accepted = append(v.accepted, st)
		t := v.times[i]
		if v.latest == nil || t.After(lt) || (t.Equal(lt) && st.ID > v.latest.ID) {
			v.latest, lt = st, t
		}
	}
}

// requireVex rejects, from now on, every not_affected statement whose issuer
// is not one of vendors (case-insensitive) or whose justification is not one
// of justifications. A nil list does not restrict. It returns how many
// statements it rejected.
func (v *vexState) requireVex(rule string, vendors, justifications []string) int {
	n := 0
	for i, st := range v.all {
		if v.rejected[i] != "" || st.Status != model.VEXNotAffected {
			continue
		}
		switch {
		case vendors != nil && !containsFold(vendors, st.Issuer):
			v.rejected[i] = "requireVex in rule " + rule + ": issuer " + quoteOrNone(st.Issuer) + " is not one of " + listText(vendors)
		case justifications != nil && !slices.Contains(justifications, st.Justification):
			v.rejected[i] = "requireVex in rule " + rule + ": justification " + quoteOrNone(st.Justification) + " is not one of " + listText(justifications)
		default:
			continue
		}
		n++
	}
	if n > 0 {
		v.refresh()
	}
	return n
}

// consensus is the VEX status of the accepted statements: the status of the
// winning statement, or unknown when none counts. Each issuer's position is
// its own latest accepted statement; an issuer whose position disagrees with
// the consensus is a conflict, listed, never dropped.
func (v *vexState) consensus() Consensus {
	c := Consensus{Status: model.VEXUnknown, Conflicts: []Conflict{}, Considered: len(v.accepted)}
	if v.latest == nil {
		return c
	}
	c.Status, c.Statement = v.latest.Status, v.latest.ID
	// v.all is ordered by time, so the last accepted statement of an issuer
	// is its position.
	pos := map[string]int{}
	var issuers []string
	for i, st := range v.all {
		if v.rejected[i] != "" {
			continue
		}
		if _, seen := pos[st.Issuer]; !seen {
			issuers = append(issuers, st.Issuer)
		}
		pos[st.Issuer] = i
	}
	for _, is := range issuers {
		st := v.all[pos[is]]
		if st.ID == v.latest.ID || st.Status == c.Status {
			continue
		}
		c.Conflicts = append(c.Conflicts, Conflict{StatementID: st.ID, Issuer: st.Issuer, Status: st.Status, Timestamp: st.Timestamp})
	}
	slices.SortFunc(c.Conflicts, func(a, b Conflict) int {
		return cmp.Or(strings.Compare(a.Issuer, b.Issuer), strings.Compare(a.StatementID, b.StatementID))
	})
	return c
}

func containsFold(list []string, s string) bool {
	for _, e := range list {
		if strings.EqualFold(e, s) {
			return true
		}
	}
	return false
}

func quoteOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return `"` + s + `"`
}

func listText(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = `"` + s + `"`
	}
	return "[" + strings.Join(q, ", ") + "]"
}
