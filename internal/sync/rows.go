package sync

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/store"
)

// Mismatch is one synced value that is not what the signed content it is
// derived from says (docs/sync.md "What audit verify checks"): a summary
// column of policy.runs against the run's record, a column of
// policy.findings against the finding's canonical data, a record against
// the audit event that recorded it or the predicate its attestation signs,
// a run's findings against the digests its record holds; or a run a
// verified chain recorded that has no row (column "row").
type Mismatch struct {
	Table    string `json:"table"`
	Row      string `json:"row"` // the row's key: run id, or run id and finding id
	Column   string `json:"column"`
	Expected string `json:"expected"`
	Got      string `json:"got"`
}

// uncheckedVersion is the schema version that added policy.runs.unchecked.
const uncheckedVersion = 8

// maxMismatches bounds the list a report carries; Differ counts them all.
const maxMismatches = 200

// rowCheck collects the mismatches of one verification.
type rowCheck struct {
	rep *AuditReport
	// events are the run events of the verified chains, by run id.
	events map[string][]store.RunEvent
	// recorded are the run events each run's row must exist for: those
	// after the last store.pruned event of their chain, in chain order.
	recorded []recordedRun
	pruned   map[string]int64 // by site: the seq of its last store.pruned event
}

// recordedRun is a run event of a verified chain.
type recordedRun struct {
	site, typ, run string
	seq            int64
}

// event notes a verified event of site's chain.
func (c *rowCheck) event(site string, e store.Event) {
	if e.Type == "store.pruned" {
		c.pruned[site] = e.Seq
	}
	if re, ok := store.ParseRunEvent(e.Type, e.Payload); ok {
		c.events[e.Subject] = append(c.events[e.Subject], re)
		c.recorded = append(c.recorded, recordedRun{site: site, typ: e.Type, run: e.Subject, seq: e.Seq})
	}
}

func (c *rowCheck) add(table, row, column, want, got string) {
	c.rep.Differ++
	if len(c.rep.Mismatches) < maxMismatches {
		c.rep.Mismatches = append(c.rep.Mismatches, Mismatch{Table: table, Row: row, Column: column, Expected: want, Got: got})
	}
}

// check adds a mismatch when want and got differ.
func (c *rowCheck) check(table, row, column, want, got string) {
	if want != got {
		c.add(table, row, column, want, got)
	}
}

// verifyRows recomputes every summary column of the tenant's synced runs
// and findings from the canonical bytes they were derived from — each
// run's record, each finding's data — and checks each record against the
// audit events of the verified chains and against its attestation, and
// each run's findings against its record's digests and count.
func verifyRows(ctx context.Context, conn *pgx.Conn, tenant string, schema int, c *rowCheck) error {
	recs, err := c.runs(ctx, conn, tenant, schema)
	if err != nil {
		return err
	}
	if err := c.findings(ctx, conn, tenant, recs); err != nil {
		return err
	}
	return c.missingRuns(ctx, conn, tenant, recs)
}

// missingRuns lists the runs the verified chains recorded that policy.runs
// does not hold, as the local store does (docs/store.md "Audit log"):
// events before their chain's last store.pruned are exempt (the run may
// have been pruned before it was synced), and so are sites that never
// synced their runs (no cursor of runs in policy.sync_cursors).
func (c *rowCheck) missingRuns(ctx context.Context, conn *pgx.Conn, tenant string, recs map[string]*store.RunRecord) error {
	synced, err := syncedSites(ctx, conn, tenant, "runs")
	if err != nil {
		return err
	}
	for _, r := range c.recorded {
		if _, ok := recs[r.run]; ok || r.seq < c.pruned[r.site] || !slices.Contains(synced, r.site) {
			continue
		}
		c.add("policy.runs", r.run, "row", fmt.Sprintf("the run (%s event %d of site %s)", r.typ, r.seq, r.site), "missing (deleted?)")
	}
	return nil
}

// runs checks policy.runs and returns each run's decoded record (nil when
// it does not decode) by run id.
func (c *rowCheck) runs(ctx context.Context, conn *pgx.Conn, tenant string, schema int) (map[string]*store.RunRecord, error) {
	unchecked := "NULL::text"
	if schema >= uncheckedVersion {
		unchecked = "unchecked::text"
	}
	rows, err := conn.Query(ctx, `SELECT run_id, policy_id, coalesce(policy_version::text, ''), ir_digest, mode, shadow,
			coalesce(snapshot_id, ''), inputs_hash, evaluation_time, status, verdict, findings_count, findings_digest,
			explains_digest, env::text, record, attestation, error, `+unchecked+`
		FROM policy.runs WHERE tenant = $1 ORDER BY run_id COLLATE "C"`, tenant)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	recs := map[string]*store.RunRecord{}
	const t = "policy.runs"
	for rows.Next() {
		var id, policy, version, ir, mode, snap, inputs, status, verdict, fd, ed, env, record, errText string
		var shadow bool
		var at time.Time
		var count int64
		var att, unc *string
		if err := rows.Scan(&id, &policy, &version, &ir, &mode, &shadow, &snap, &inputs, &at, &status, &verdict, &count,
			&fd, &ed, &env, &record, &att, &errText, &unc); err != nil {
			return nil, err
		}
		c.rep.Runs++
		recs[id] = nil
		if cb, err := canon.Transform([]byte(record)); err != nil || !bytes.Equal(cb, []byte(record)) {
			c.add(t, id, "record", "canonical JSON", "not canonical JSON (edited?)")
			continue
		}
		var rec store.RunRecord
		if err := json.Unmarshal([]byte(record), &rec); err != nil {
			c.add(t, id, "record", "a run record", fmt.Sprintf("does not decode: %v", err))
			continue
		}
		recs[id] = &rec
		c.record(id, &rec, []byte(record), att)
		want := rec.Policy.Version
		c.check(t, id, "run_id", rec.RunID, id)
		c.check(t, id, "policy_id", pgText(rec.Policy.PolicyID), policy)
		c.check(t, id, "policy_version", strconv.Itoa(want), cmp.Or(version, "0"))
		c.check(t, id, "ir_digest", rec.Policy.IRDigest, ir)
		c.check(t, id, "mode", rec.Mode, mode)
		c.check(t, id, "shadow", strconv.FormatBool(rec.Shadow), strconv.FormatBool(shadow))
		if snap != "" { // NULL when the site did not hold the snapshot the record names
			c.check(t, id, "snapshot_id", rec.Inputs.SnapshotID, snap)
		}
		c.check(t, id, "inputs_hash", rec.Inputs.InputsHash, inputs)
		if et, err := time.Parse(time.RFC3339Nano, rec.Inputs.EvaluationTime); err != nil || !et.Equal(at) {
			c.add(t, id, "evaluation_time", rec.Inputs.EvaluationTime, at.UTC().Format(time.RFC3339Nano))
		}
		c.check(t, id, "status", rec.Status, status)
		c.check(t, id, "verdict", rec.Verdict, verdict)
		c.check(t, id, "findings_count", strconv.Itoa(rec.Stats.Findings), strconv.FormatInt(count, 10))
		c.check(t, id, "findings_digest", rec.Outputs.Findings, fd)
		c.check(t, id, "explains_digest", rec.Outputs.Explains, ed)
		c.check(t, id, "error", pgText(rec.Error), errText)
		if schema >= uncheckedVersion {
			got := "NULL"
			if unc != nil {
				got = *unc
			}
			c.check(t, id, "unchecked", intText(rec.Stats.Unchecked), got)
		}
		if obj, err := envObject(record); err == nil {
			c.check(t, id, "env", obj.(string), jsonText(env))
		}
	}
	return recs, rows.Err()
}

// record checks a run's record against the audit events that recorded
// the run and the predicate of its attestation.
func (c *rowCheck) record(id string, rec *store.RunRecord, record []byte, att *string) {
	const t = "policy.runs"
	evs := c.events[id]
	switch {
	case len(evs) == 0:
		c.add(t, id, "record", "a policy.run.completed/imported/failed audit event recording it", "no such event in the synced chains (a sync that did not finish? sync again)")
	case !slices.ContainsFunc(evs, func(e store.RunEvent) bool { return e.Records(rec) }):
		// Name what differs from the last event that recorded the run.
		e := evs[len(evs)-1]
		from := " (" + e.Type + " event)"
		n := c.rep.Differ
		for _, f := range [][3]string{
			{"record.status", e.Status, rec.Status},
			{"record.verdict", e.Verdict, rec.Verdict},
			{"record.outputs.findingsDigest", e.FindingsDigest, rec.Outputs.Findings},
			{"record.policy.irDigest", e.IRDigest, rec.Policy.IRDigest},
			{"record.inputs.inputsHash", e.InputsHash, rec.Inputs.InputsHash},
		} {
			if f[1] != f[2] {
				c.add(t, id, f[0], f[1]+from, f[2])
			}
		}
		if c.rep.Differ == n { // a failure event for a succeeded record, or the reverse
			c.add(t, id, "record.status", e.Status+from, rec.Status)
		}
	}
	if att != nil {
		if p := store.AttestedRecord([]byte(*att)); p == nil || !bytes.Equal(p, record) {
			c.add(t, id, "attestation", "a policy.run@1 statement whose predicate is the record", "another predicate")
		}
	}
}

// findings checks policy.findings: each row's columns against its data,
// and each run's findings against its record's count and digests.
func (c *rowCheck) findings(ctx context.Context, conn *pgx.Conn, tenant string, recs map[string]*store.RunRecord) error {
	rows, err := conn.Query(ctx, `SELECT run_id, finding_id, purl, advisory_id, vex_status, verdict, severity_band,
			coalesce(severity_score::text, ''), rule, enforced, explain_id, data
		FROM policy.findings WHERE tenant = $1 ORDER BY run_id COLLATE "C", finding_id COLLATE "C"`, tenant)
	if err != nil {
		return err
	}
	defer rows.Close()
	const t = "policy.findings"
	type outputs struct {
		data [][]byte
		ids  []string
	}
	out := map[string]*outputs{}
	for rows.Next() {
		var run, id, purl, adv, vex, verdict, band, score, rule, explain, data string
		var enforced bool
		if err := rows.Scan(&run, &id, &purl, &adv, &vex, &verdict, &band, &score, &rule, &enforced, &explain, &data); err != nil {
			return err
		}
		c.rep.Findings++
		key := run + " " + id
		o := out[run]
		if o == nil {
			o = &outputs{}
			out[run] = o
		}
		o.data, o.ids = append(o.data, []byte(data)), append(o.ids, explain)
		var f engine.Finding
		if err := json.Unmarshal([]byte(data), &f); err != nil {
			c.add(t, key, "data", "a finding", fmt.Sprintf("does not decode: %v", err))
			continue
		}
		c.check(t, key, "finding_id", pgText(f.FindingID), id)
		c.check(t, key, "purl", pgText(f.Purl), purl)
		c.check(t, key, "advisory_id", pgText(f.AdvisoryID), adv)
		c.check(t, key, "vex_status", f.VEXStatus, vex)
		c.check(t, key, "verdict", f.Verdict, verdict)
		c.check(t, key, "severity_band", f.Severity.Band, band)
		c.check(t, key, "severity_score", scoreOf(f.Severity.Score), normScore(score))
		c.check(t, key, "rule", pgText(f.Rule), rule)
		c.check(t, key, "enforced", strconv.FormatBool(f.Enforced), strconv.FormatBool(enforced))
		c.check(t, key, "explain_id", f.ExplainID, explain)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range sortedKeys(recs) {
		rec := recs[id]
		if rec == nil || rec.Status != store.StatusSucceeded {
			continue
		}
		o := out[id]
		if o == nil {
			o = &outputs{}
		}
		const t = "policy.runs"
		c.check(t, id, "findings (rows)", strconv.Itoa(rec.Stats.Findings), strconv.Itoa(len(o.ids)))
		c.check(t, id, "findings (digest of the rows)", rec.Outputs.Findings, canon.Digest(jsonArray(o.data)))
		c.check(t, id, "explains (digest of the rows' explain ids)", rec.Outputs.Explains, store.ExplainsDigest(o.ids))
	}
	return nil
}

// jsonArray joins canonical JSON values into an array, as the findings
// digest covers them (store.RunOutput).
func jsonArray(items [][]byte) []byte {
	return append(append([]byte("["), bytes.Join(items, []byte(","))...), ']')
}

// jsonText is the canonical text of a jsonb column's value, which
// PostgreSQL spaces and orders its own way.
func jsonText(s string) string {
	c, err := canon.Transform([]byte(s))
	if err != nil {
		return s
	}
	return string(c)
}

// intText is a recorded count, "NULL" when the record has none.
func intText(n *int) string {
	if n == nil {
		return "NULL"
	}
	return strconv.Itoa(*n)
}

// scoreOf is a finding's severity score as a decimal, "" when unknown.
func scoreOf(d *decimal.D) string {
	if d == nil {
		return ""
	}
	return d.String()
}

// normScore writes a numeric column's text as a decimal ("7.50" is 7.5).
func normScore(s string) string {
	if d, err := decimal.Parse(s); err == nil {
		return d.String()
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
