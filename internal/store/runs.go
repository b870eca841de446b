package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/fail"
)

// RecordSchema is the schemaVersion of a run record and the name of the
// attestation predicate that carries it.
const RecordSchema = "policy.run@1"

// Run modes and statuses.
const (
	ModeRun      = "run"
	ModeSimulate = "simulate"

	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// RunRecord is the run record (docs/runs.md), built by internal/run
// (run.NewRecord) and stored as it is. It holds no wall-clock field
// unless Timing is set, so that the same evaluation gives the same bytes on
// any machine; the store keeps the times of a run in separate columns.
type RunRecord struct {
	SchemaVersion string        `json:"schemaVersion"`
	RunID         string        `json:"runId"`
	Tenant        string        `json:"tenantId"`
	Mode          string        `json:"mode"`
	Shadow        bool          `json:"shadow"`
	Policy        RecordPolicy  `json:"policy"`
	Inputs        RecordInputs  `json:"inputs"`
	Status        string        `json:"status"`
	Verdict       string        `json:"verdict,omitempty"`
	Stats         RecordStats   `json:"stats"`
	Outputs       RecordOutputs `json:"outputs"`
	Engine        RecordEngine  `json:"engine"`
	Error         string        `json:"error,omitempty"`
	Timing        *RecordTiming `json:"timing,omitempty"`
	// Set lists the members of a policy set run; Policy is then
	// {policyId: "set", irDigest: the set's digest}.
	Set *RecordSet `json:"set,omitempty"`
}

// RecordSet is the policy set a run evaluated (docs/governance.md,
// "Recording a set"): every member's version, IR digest and enforcement
// mode, in set order.
type RecordSet struct {
	Digest  string         `json:"digest"` // policyset.Digest
	Members []RecordMember `json:"members"`
}

// RecordMember is one policy of a recorded set.
type RecordMember struct {
	Policy          string `json:"policy"`            // as the set names it: P-n@v, or the file
	PolicyID        string `json:"policyId"`          // P-n, or the policy's own name for a file
	Version         int    `json:"version,omitempty"` // 0 for a policy file
	IRDigest        string `json:"irDigest"`
	SourceMapDigest string `json:"sourceMapDigest,omitempty"`
	Enforcement     string `json:"enforcement"`
	Scope           string `json:"scope"`
	Applies         bool   `json:"applies"` // evaluated: not disabled, and the run's env in its scope
	Lifecycle       string `json:"lifecycle,omitempty"`
	ApprovalSet     string `json:"approvalSet,omitempty"`
}

// RecordPolicy identifies the evaluated policy version.
type RecordPolicy struct {
	PolicyID string `json:"policyId"`          // P-n, or the policy's own name for a file
	Version  int    `json:"version,omitempty"` // 0 for a policy file
	IRDigest string `json:"irDigest"`
	Syntax   string `json:"syntax"`
	// Lifecycle is the version's state at the site when it ran (effective
	// under the trust config in force), ApprovalSet the digest of the
	// approvals that counted (docs/governance.md); both empty for a policy
	// file outside governance.
	Lifecycle   string `json:"lifecycle,omitempty"`
	ApprovalSet string `json:"approvalSet,omitempty"`
}

// RecordInputs are the run's input cursors: the snapshot and the digest of
// every input, the environment and the evaluation time.
type RecordInputs struct {
	engine.InputsRef
	Env            []engine.KV `json:"env"`
	EvaluationTime string      `json:"evaluationTime"`
	// UncheckedBudget is the budget the run's unchecked-budget gate
	// applied and where it came from (docs/runs.md "What a record
	// proves"); absent when no budget gated, and in records made before
	// it was recorded.
	UncheckedBudget *RecordBudget `json:"uncheckedBudget,omitempty"`
}

// Sources of a recorded unchecked budget (RecordBudget.Source).
const (
	BudgetPolicy = "policy" // the policy's settings unchecked_budget (in its IR)
	BudgetFlag   = "--unchecked-budget"
	BudgetEnv    = "STELLA_UNCHECKED_BUDGET"
	BudgetConfig = "config" // unchecked-budget in the config file
)

// RecordBudget is the effective unchecked budget of a run: the smaller of
// the policy's setting and the request's (docs/output.md "Coverage").
type RecordBudget struct {
	Budget decimal.D `json:"budget"`
	Source string    `json:"source"` // BudgetPolicy, BudgetFlag, BudgetEnv or BudgetConfig
}

// String is the budget and its source: "0 (--unchecked-budget)".
func (b *RecordBudget) String() string { return b.Budget.String() + " (" + b.Source + ")" }

// RecordStats size the run.
type RecordStats struct {
	Components      int                  `json:"components"`
	Advisories      int                  `json:"advisories"`
	Findings        int                  `json:"findings"`
	ByVerdict       engine.VerdictCounts `json:"byVerdict"`
	RulesFired      int                  `json:"rulesFired"` // rules that matched at least once
	RuleEvaluations int                  `json:"ruleEvaluations"`
	Unknowns        int                  `json:"unknowns"`
	// Unchecked counts the components no advisory input could check
	// (docs/output.md "Coverage"); nil in records made before it was
	// recorded.
	Unchecked *int `json:"unchecked,omitempty"`
}

// RecordOutputs are the digests of the run's outputs (engine.Digests).
type RecordOutputs struct {
	Findings string `json:"findingsDigest"`
	Explains string `json:"explainsDigest"`
	Result   string `json:"resultDigest"`
}

// RecordEngine names the evaluator.
type RecordEngine struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// RecordTiming carries wall-clock times, only when asked for.
type RecordTiming struct {
	StartedAt   string `json:"startedAt"`
	CompletedAt string `json:"completedAt"`
	DurationMS  int64  `json:"durationMs"`
}

// RunMeta is what a caller knows about a run besides the engine's result.
type RunMeta struct {
	Mode           string      // ModeRun or ModeSimulate
	PolicyID       string      // P-n, or the policy's own name for a file
	PolicyVersion  int         // 0 for a policy file
	IR             []byte      // canonical IR bytes, stored so the run can be replayed
	SourceMap      []byte      // the policy's source map (JSON), or nil
	SnapshotID     string      // the snapshot evaluated (stored or a directory), or "" for inputs frozen in memory
	Shadow         bool        // findings recorded with enforced=false
	Env            []engine.KV // sorted by key
	EvaluationTime string      // RFC 3339 UTC
	StartedAt      time.Time
	CompletedAt    time.Time
	Actor          string // who ran it, for the audit log ("cli" by default)
	WithTiming     bool   // put the wall-clock times into the record
	Lifecycle      string // the version's lifecycle state here (RecordPolicy)
	ApprovalSet    string // the digest of its counted approvals (RecordPolicy)
	// UncheckedBudget is the request's unchecked budget (nil: none),
	// UncheckedSource where it came from (BudgetFlag, BudgetEnv or
	// BudgetConfig).
	UncheckedBudget *int
	UncheckedSource string
	// Set, for a policy set run: its members; IR is then the set's
	// canonical member list (policyset.Digest) and SetIR, SetSourceMaps
	// are each member's IR and source map (nil when none), in set order.
	Set           *RecordSet
	SetIR         [][]byte
	SetSourceMaps [][]byte
}

// Run is a stored run.
type Run struct {
	RunID          string `json:"runId"`
	PolicyID       string `json:"policyId"`
	PolicyVersion  int    `json:"policyVersion,omitempty"`
	IRDigest       string `json:"irDigest"`
	Mode           string `json:"mode"`
	Shadow         bool   `json:"shadow"`
	SnapshotID     string `json:"snapshotId,omitempty"`
	InputsHash     string `json:"inputsHash"`
	EvaluationTime string `json:"evaluationTime"`
	Status         string `json:"status"`
	Verdict        string `json:"verdict,omitempty"`
	Findings       int    `json:"findings"`
	// Unchecked is the record's stats.unchecked, or for a record made
	// before it was recorded its result's summary.unchecked; nil when
	// neither has it (docs/runs.md "What a record proves").
	Unchecked       *int            `json:"unchecked,omitempty"`
	FindingsDigest  string          `json:"findingsDigest,omitempty"`
	ExplainsDigest  string          `json:"explainsDigest,omitempty"`
	Error           string          `json:"error,omitempty"`
	StartedAt       string          `json:"startedAt"`
	CompletedAt     string          `json:"completedAt"`
	DurationMS      int64           `json:"durationMs"`
	Signed          bool            `json:"signed"`
	SourceMapDigest string          `json:"sourceMapDigest,omitempty"`
	Record          json.RawMessage `json:"record,omitempty"`
	Attestation     json.RawMessage `json:"attestation,omitempty"`
	result          []byte
}

// RecordRequest is everything RecordRun stores.
type RecordRequest struct {
	Meta        RunMeta
	Record      *RunRecord
	Result      *engine.Result // nil for a failed run
	Attestation []byte         // DSSE envelope JSON, or nil when unsigned
	Labels      []string       // run labels (ValidLabel), added also to an existing run
	Components  []byte         // the component inventory (JSON), kept unless the run has one
	SignHead    HeadSigner     // signs the audit head the run leaves (KeySigner of the run's key), or nil
	// Guard, when set, runs first in RecordRun's transaction: an error
	// refuses the run with nothing written. A rule over the runs already
	// recorded (governance.RunTimeGuard) holds there even against a run
	// recorded at the same time by another process.
	Guard func(*Tx) error
}

// RecordRun stores a run in one transaction: the IR blob, the run row, its
// findings and explain traces, and the audit events policy.run.started and
// policy.run.completed (or policy.run.failed), plus policy.run.shadow for a
// shadow run. Recording a run id that is already stored with the same
// outputs only appends the audit events (and stores the attestation when
// the stored run has none and the record is the same) and reports
// existing=true; a stored failure is replaced by a success.
func (s *Store) RecordRun(ctx context.Context, req RecordRequest) (run *Run, existing bool, err error) {
	rec := req.Record
	if rec == nil {
		return nil, false, fail.New(fail.Internal, "record run: no record")
	}
	rows, explains, err := findingRows(req.Result, rec)
	if err != nil {
		return nil, false, err
	}
	recBytes, err := canon.Marshal(rec)
	if err != nil {
		return nil, false, err
	}
	var resBytes []byte
	if req.Result != nil {
		head := *req.Result
		head.Findings = nil
		if resBytes, err = canon.Marshal(head); err != nil {
			return nil, false, err
		}
	}
	actor := req.Meta.Actor
	if actor == "" {
		actor = "cli"
	}
	err = s.Update(ctx, func(tx *Tx) error {
		if req.Guard != nil {
			if err := req.Guard(tx); err != nil {
				return err
			}
		}
		tx.SignHead(req.SignHead)
		old, err := tx.Run(ctx, rec.RunID)
		switch {
		case err == nil:
			existing = true
		case !fail.Is(err, fail.NotFound):
			return err
		}
		payload := auditPayload(rec)
		if _, err := tx.Append(ctx, "policy.run.started", actor, rec.RunID, payload); err != nil {
			return err
		}
		if existing {
			switch {
			case rec.Status == StatusFailed:
				// A failed attempt never replaces a stored run.
			case old.Status == StatusSucceeded:
				if old.FindingsDigest != rec.Outputs.Findings || old.ExplainsDigest != rec.Outputs.Explains {
					return fail.New(fail.Integrity, "run %s is already recorded with different outputs (findings %s, now %s): the evaluation did not reproduce (a stella build with the same version but different code gives the same run id)", rec.RunID, old.FindingsDigest, rec.Outputs.Findings)
				}
				// A run recorded unsigned is signed by the first recording
				// that brings an attestation of the very same record.
				if old.Attestation == nil && req.Attestation != nil && bytes.Equal(old.Record, recBytes) {
					if _, err := tx.exec(ctx, `UPDATE runs SET attestation = ? WHERE tenant = ? AND run_id = ? AND attestation IS NULL`,
						req.Attestation, tx.tenant, rec.RunID); err != nil {
						return err
					}
				}
			default: // a stored failure, now succeeded
				if _, err := tx.exec(ctx, `DELETE FROM runs WHERE tenant = ? AND run_id = ?`, tx.tenant, rec.RunID); err != nil {
					return err
				}
				existing = false
			}
		}
		if !existing {
			if err := tx.insertRun(ctx, req, recBytes, resBytes, rows, explains); err != nil {
				return err
			}
		}
		if rec.Status == StatusFailed {
			_, err = tx.Append(ctx, "policy.run.failed", actor, rec.RunID, payload)
			return err
		}
		if err := tx.putLabels(ctx, rec.RunID, req.Labels, time.Now()); err != nil {
			return err
		}
		if err := tx.putComponents(ctx, rec.RunID, req.Components); err != nil {
			return err
		}
		if rec.Shadow {
			if _, err := tx.Append(ctx, "policy.run.shadow", actor, rec.RunID, payload); err != nil {
				return err
			}
		}
		_, err = tx.Append(ctx, "policy.run.completed", actor, rec.RunID, payload)
		if err != nil {
			return err
		}
		run, err = tx.Run(ctx, rec.RunID)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return run, existing, nil
}

// auditPayload is what the policy.run.* events say about a run.
func auditPayload(rec *RunRecord) map[string]any {
	p := map[string]any{
		"runId":      rec.RunID,
		"policyId":   rec.Policy.PolicyID,
		"irDigest":   rec.Policy.IRDigest,
		"mode":       rec.Mode,
		"shadow":     rec.Shadow,
		"status":     rec.Status,
		"inputsHash": rec.Inputs.InputsHash,
	}
	if rec.Policy.Version > 0 {
		p["version"] = rec.Policy.Version
	}
	if rec.Inputs.SnapshotID != "" {
		p["snapshotId"] = rec.Inputs.SnapshotID
	}
	if rec.Verdict != "" {
		p["verdict"] = rec.Verdict
		p["findingsDigest"] = rec.Outputs.Findings
	}
	if rec.Error != "" {
		p["error"] = rec.Error
	}
	return p
}

type findingRow struct {
	*engine.Finding
	data []byte
}

type explainRow struct {
	id   string
	data []byte
}

// findingRows takes the findings (without traces) and the distinct traces
// as the engine encoded them (engine.Finding.Canonical, Explain.Canonical):
// the store writes the bytes the digests were computed over as they are.
// Their ids and digests are re-checked where stored runs are read back
// (Check, VerifiedOutputs), not here.
func findingRows(res *engine.Result, rec *RunRecord) ([]findingRow, []explainRow, error) {
	if res == nil {
		return nil, nil, nil
	}
	rows := make([]findingRow, len(res.Findings))
	var explains []explainRow
	seen := map[string]bool{}
	for i := range res.Findings {
		f := &res.Findings[i]
		if f.Explain == nil {
			return nil, nil, fail.New(fail.Internal, "record run: finding %s has no explain trace", f.FindingID)
		}
		if rec.Shadow && f.Enforced {
			return nil, nil, fail.New(fail.Internal, "record run: shadow run with enforced finding %s", f.FindingID)
		}
		data, err := f.Canonical()
		if err != nil {
			return nil, nil, err
		}
		rows[i] = findingRow{Finding: f, data: data}
		if !seen[f.ExplainID] {
			seen[f.ExplainID] = true
			exData, err := f.Explain.Canonical()
			if err != nil {
				return nil, nil, err
			}
			explains = append(explains, explainRow{id: f.ExplainID, data: exData})
		}
	}
	return rows, explains, nil
}

// ExplainsDigest is a run's explains digest: the digest of the canonical
// JSON array of its findings' explain ids, in finding order. Each id is the
// content address of its trace, so the digest covers every trace.
func ExplainsDigest(ids []string) string {
	if ids == nil {
		ids = []string{}
	}
	b, _ := canon.Marshal(ids)
	return canon.Digest(b)
}

// explainIDFast is canon.SelfDigest of a trace that claims id: canonical JSON
// escapes every quote inside a string, so the only place the bytes
// "explainId":"<id>" can occur is the key itself, and blanking it there
// gives the bytes the id was computed over.
func explainIDFast(data []byte, id string) string {
	key := []byte(`"explainId":"` + id + `"`)
	if id == "" || bytes.Count(data, key) != 1 {
		return canon.SelfDigest(data, "explainId")
	}
	return canon.Digest(bytes.Replace(data, key, []byte(`"explainId":""`), 1))
}

func (t *Tx) insertRun(ctx context.Context, req RecordRequest, recBytes, resBytes []byte, rows []findingRow, explains []explainRow) error {
	rec, m := req.Record, req.Meta
	media := MediaIR
	if m.Set != nil {
		media = MediaSet
	}
	irDigest, err := t.PutBlob(ctx, media, m.IR)
	if err != nil {
		return err
	}
	var version, snapshot, attestation, result, sourceMap any
	if m.SourceMap != nil {
		d, err := t.PutBlob(ctx, MediaSourceMap, m.SourceMap)
		if err != nil {
			return err
		}
		sourceMap = d
	}
	if rec.Policy.Version > 0 {
		version = rec.Policy.Version
	}
	if m.SnapshotID != "" {
		// Only a stored snapshot is referenced (and so kept by prune); the
		// record names the snapshot either way, and replay finds it once it
		// is imported.
		var n int
		if err := t.queryRow(ctx, `SELECT count(*) FROM snapshots WHERE tenant = ? AND snapshot_id = ?`, t.tenant, m.SnapshotID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			snapshot = m.SnapshotID
		}
	}
	if req.Attestation != nil {
		attestation = req.Attestation
	}
	if resBytes != nil {
		result = resBytes
	}
	_, err = t.exec(ctx, `INSERT INTO runs (tenant, run_id, policy_id, policy_version, ir_digest, mode, shadow, snapshot_id,
		inputs_hash, evaluation_time, status, verdict, findings_count, findings_digest, explains_digest, record, result,
		attestation, error, started_at, completed_at, duration_ms, source_map_digest)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.tenant, rec.RunID, rec.Policy.PolicyID, version, irDigest, rec.Mode, boolInt(rec.Shadow), snapshot,
		rec.Inputs.InputsHash, rec.Inputs.EvaluationTime, rec.Status, rec.Verdict, len(rows), rec.Outputs.Findings,
		rec.Outputs.Explains, recBytes, result, attestation, rec.Error,
		timeText(m.StartedAt), timeText(m.CompletedAt), m.CompletedAt.Sub(m.StartedAt).Milliseconds(), sourceMap)
	if err != nil {
		return err
	}
	ex, err := t.tx.PrepareContext(ctx, `INSERT INTO explains (tenant, digest, data) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return err
	}
	defer ex.Close()
	for _, e := range explains {
		if _, err := ex.ExecContext(ctx, t.tenant, e.id, e.data); err != nil {
			return err
		}
	}
	stmt, err := t.tx.PrepareContext(ctx, `INSERT INTO findings (tenant, run_id, finding_id, purl, advisory_id, vex_status,
		verdict, severity_band, severity_score, rule, enforced, explain_id, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, f := range rows {
		if _, err := stmt.ExecContext(ctx, t.tenant, rec.RunID, f.FindingID, f.Purl, f.AdvisoryID, f.VEXStatus, f.Verdict,
			f.Severity.Band, scoreText(f.Severity.Score), f.Rule, boolInt(f.Enforced), f.ExplainID, f.data); err != nil {
			return fmt.Errorf("finding %s: %w", f.FindingID, err)
		}
	}
	return t.insertSetMembers(ctx, rec.RunID, m)
}

// insertSetMembers stores the members of a set run and their IR and source
// maps (migration 0008).
func (t *Tx) insertSetMembers(ctx context.Context, runID string, m RunMeta) error {
	if m.Set == nil {
		return nil
	}
	if len(m.SetIR) != len(m.Set.Members) || len(m.SetSourceMaps) != len(m.Set.Members) {
		return fail.New(fail.Internal, "record run: %d set members, %d IRs, %d source maps", len(m.Set.Members), len(m.SetIR), len(m.SetSourceMaps))
	}
	for i, mb := range m.Set.Members {
		d, err := t.PutBlob(ctx, MediaIR, m.SetIR[i])
		if err != nil {
			return err
		}
		if d != mb.IRDigest {
			return fail.New(fail.Internal, "record run: member %s: IR digest %s, recorded %s", mb.Policy, d, mb.IRDigest)
		}
		var version, sourceMap any
		if mb.Version > 0 {
			version = mb.Version
		}
		if m.SetSourceMaps[i] != nil {
			if sourceMap, err = t.PutBlob(ctx, MediaSourceMap, m.SetSourceMaps[i]); err != nil {
				return err
			}
		}
		if _, err := t.exec(ctx, `INSERT INTO run_set_members (tenant, run_id, position, policy_id, policy_version, ir_digest,
			source_map_digest, enforcement) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			t.tenant, runID, i, mb.PolicyID, version, mb.IRDigest, sourceMap, mb.Enforcement); err != nil {
			return err
		}
	}
	return nil
}

// scoreText is the severity score as the canonical finding writes it: a
// decimal, or "" when the score is unknown (null).
func scoreText(score *decimal.D) string {
	if score == nil {
		return ""
	}
	return score.String()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

const runColumns = `run_id, policy_id, coalesce(policy_version, 0), ir_digest, mode, shadow, coalesce(snapshot_id, ''),
	inputs_hash, evaluation_time, status, verdict, findings_count, findings_digest, explains_digest, error,
	started_at, completed_at, duration_ms, attestation IS NOT NULL, coalesce(source_map_digest, ''),
	coalesce(json_extract(CAST(record AS TEXT), '$.stats.unchecked'), json_extract(CAST(result AS TEXT), '$.summary.unchecked'))`

func scanRun(sc interface{ Scan(...any) error }, extra ...any) (*Run, error) {
	var r Run
	dest := []any{&r.RunID, &r.PolicyID, &r.PolicyVersion, &r.IRDigest, &r.Mode, &r.Shadow, &r.SnapshotID,
		&r.InputsHash, &r.EvaluationTime, &r.Status, &r.Verdict, &r.Findings, &r.FindingsDigest, &r.ExplainsDigest, &r.Error,
		&r.StartedAt, &r.CompletedAt, &r.DurationMS, &r.Signed, &r.SourceMapDigest, &r.Unchecked}
	if err := sc.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	return &r, nil
}

// Run returns a stored run with its record, result and attestation.
func (t *Tx) Run(ctx context.Context, runID string) (*Run, error) {
	var rec, res, att []byte
	r, err := scanRun(t.queryRow(ctx, `SELECT `+runColumns+`, record, result, attestation FROM runs WHERE tenant = ? AND run_id = ?`,
		t.tenant, runID), &rec, &res, &att)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fail.New(fail.NotFound, "run %s not found (tenant %s; see `stella policy history`)", runID, t.tenant)
	}
	if err != nil {
		return nil, err
	}
	r.Record, r.result = rec, res
	if att != nil {
		r.Attestation = att
	}
	return r, nil
}

// VerdictTotals sums the findings of the tenant's succeeded runs by
// verdict, as their records' stats count them, in one query (`policy
// metrics`, docs/runs.md "Metrics").
func (t *Tx) VerdictTotals(ctx context.Context) (engine.VerdictCounts, error) {
	var v engine.VerdictCounts
	sum := func(verdict string) string {
		return `coalesce(sum(json_extract(CAST(record AS TEXT), '$.stats.byVerdict.` + verdict + `')), 0)`
	}
	err := t.queryRow(ctx, `SELECT `+sum("passed")+`, `+sum("warned")+`, `+sum("blocked")+`, `+sum("quieted")+`, `+sum("ignored")+
		` FROM runs WHERE tenant = ? AND status = ?`, t.tenant, StatusSucceeded).Scan(&v.Passed, &v.Warned, &v.Blocked, &v.Quieted, &v.Ignored)
	return v, err
}

// ResolveRun returns the id of the run that ref names: a full run id,
// "latest" (the tenant's most recently started run), or a unique prefix of
// a run id.
func (t *Tx) ResolveRun(ctx context.Context, ref string) (string, error) {
	if ref == "latest" {
		var id string
		err := t.queryRow(ctx, `SELECT run_id FROM runs WHERE tenant = ? ORDER BY started_at DESC, rowid DESC LIMIT 1`, t.tenant).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return "", fail.New(fail.NotFound, "no runs recorded (tenant %s)", t.tenant)
		}
		return id, err
	}
	rows, err := t.query(ctx, `SELECT run_id FROM runs WHERE tenant = ? AND (run_id = ? OR run_id LIKE ? ESCAPE '\')
		ORDER BY run_id = ? DESC, run_id LIMIT 2`, t.tenant, ref, likeEscape(ref)+"%", ref)
	if err != nil {
		return "", err
	}
	ids, err := scanStrings(rows)
	if err != nil {
		return "", err
	}
	switch {
	case len(ids) == 0:
		return "", fail.New(fail.NotFound, "run %s not found (tenant %s; see `stella policy history`)", ref, t.tenant)
	case ids[0] == ref || len(ids) == 1:
		return ids[0], nil
	}
	return "", fail.New(fail.Invalid, "run prefix %s is ambiguous: %s, %s…", ref, ids[0], ids[1])
}

// RunRef returns the run that ref names (ResolveRun, then Run).
func (t *Tx) RunRef(ctx context.Context, ref string) (*Run, error) {
	id, err := t.ResolveRun(ctx, ref)
	if err != nil {
		return nil, err
	}
	return t.Run(ctx, id)
}

// LatestEnforced is the tenant's enforced run (mode run, not shadow;
// succeeded or failed) recorded at this site with the latest evaluation
// time, and that time; "" and the zero time when none is recorded
// (docs/governance.md "Runs at a governed site": an enforced run at a
// governed site is not backdated before it). Runs imported from a bundle
// (policy.run.imported) do not count: their time is another site's, and
// one dated ahead would hold every run here to it. Evaluation times are
// RFC 3339 UTC, so their whole-second prefix orders them; fractions of a
// second are compared parsed, and a time that does not parse is an
// integrity error rather than a run left out.
func (t *Tx) LatestEnforced(ctx context.Context) (string, time.Time, error) {
	const local = `tenant = ? AND mode = ? AND shadow = 0 AND run_id NOT IN
		(SELECT subject FROM audit_events WHERE tenant = ? AND type = 'policy.run.imported')`
	rows, err := t.query(ctx, `SELECT run_id, evaluation_time FROM runs WHERE `+local+`
		AND substr(evaluation_time, 1, 19) = (SELECT max(substr(evaluation_time, 1, 19)) FROM runs WHERE `+local+`)
		ORDER BY run_id`, t.tenant, ModeRun, t.tenant, t.tenant, ModeRun, t.tenant)
	if err != nil {
		return "", time.Time{}, err
	}
	defer rows.Close()
	var id string
	var latest time.Time
	for rows.Next() {
		var runID, at string
		if err := rows.Scan(&runID, &at); err != nil {
			return "", time.Time{}, err
		}
		ts, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return "", time.Time{}, fail.New(fail.Integrity, "run %s: evaluation time %q: %v", runID, at, err)
		}
		if id == "" || ts.After(latest) {
			id, latest = runID, ts.UTC()
		}
	}
	return id, latest, rows.Err()
}

// RunFilter selects runs for history. Zero values select everything.
type RunFilter struct {
	PolicyID string // exact policy id; also the set runs it was a member of
	Status   string // succeeded or failed; or a verdict: passed, warned, blocked
	Since    string // started at or after, RFC 3339
	Limit    int
}

// Runs lists runs, newest first, without their records.
func (t *Tx) Runs(ctx context.Context, f RunFilter) ([]*Run, error) {
	q := `SELECT ` + runColumns + ` FROM runs WHERE tenant = ?`
	args := []any{t.tenant}
	if f.PolicyID != "" {
		q += ` AND (policy_id = ? OR EXISTS (SELECT 1 FROM run_set_members m
			WHERE m.tenant = runs.tenant AND m.run_id = runs.run_id AND m.policy_id = ?))`
		args = append(args, f.PolicyID, f.PolicyID)
	}
	switch f.Status {
	case "":
	case StatusSucceeded, StatusFailed:
		q += ` AND status = ?`
		args = append(args, f.Status)
	case engine.VerdictPassed, engine.VerdictWarned, engine.VerdictBlocked:
		q += ` AND verdict = ?`
		args = append(args, f.Status)
	default:
		return nil, fail.New(fail.Invalid, "unknown status %q (want succeeded, failed, passed, warned or blocked)", f.Status)
	}
	if f.Since != "" {
		q += ` AND started_at >= ?`
		args = append(args, f.Since)
	}
	q += ` ORDER BY started_at DESC, run_id DESC`
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FindingFilter selects findings of a run. Zero values select everything.
type FindingFilter struct {
	FindingID string
	Purl      string // exact purl, or a prefix ending in "*"
	Vuln      string // advisory id or alias, in any case (docs/dsl.md: ids match case-insensitively)
}

// Match reports whether the filter keeps finding fd (what Findings selects
// in SQL, for findings held in memory).
func (f FindingFilter) Match(fd engine.Finding) bool {
	if f.FindingID != "" && fd.FindingID != f.FindingID {
		return false
	}
	if p, ok := strings.CutSuffix(f.Purl, "*"); ok {
		if !strings.HasPrefix(fd.Purl, p) {
			return false
		}
	} else if f.Purl != "" && fd.Purl != f.Purl {
		return false
	}
	return f.vuln(fd)
}

// vuln reports whether fd's advisory id or one of its aliases is f.Vuln, in
// any case, so `--vuln cve-2021-44906` finds CVE-2021-44906.
func (f FindingFilter) vuln(fd engine.Finding) bool {
	eq := func(id string) bool { return strings.EqualFold(id, f.Vuln) }
	return f.Vuln == "" || eq(fd.AdvisoryID) || slices.ContainsFunc(fd.Aliases, eq)
}

// Findings returns a run's findings, sorted by finding id, with their
// explain traces when withExplains is set.
func (t *Tx) Findings(ctx context.Context, runID string, f FindingFilter, withExplains bool) ([]engine.Finding, error) {
	q := `SELECT f.data, ` + explainCol(withExplains) + ` FROM findings f
		LEFT JOIN explains e ON e.tenant = f.tenant AND e.digest = f.explain_id
		WHERE f.tenant = ? AND f.run_id = ?`
	args := []any{t.tenant, runID}
	if f.FindingID != "" {
		q += ` AND f.finding_id = ?`
		args = append(args, f.FindingID)
	}
	if f.Purl != "" {
		if p, ok := strings.CutSuffix(f.Purl, "*"); ok {
			q += ` AND f.purl LIKE ? ESCAPE '\'`
			args = append(args, likeEscape(p)+"%")
		} else {
			q += ` AND f.purl = ?`
			args = append(args, f.Purl)
		}
	}
	q += ` ORDER BY f.finding_id`
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []engine.Finding
	for rows.Next() {
		var data, ex []byte
		if err := rows.Scan(&data, &ex); err != nil {
			return nil, err
		}
		var fd engine.Finding
		if err := json.Unmarshal(data, &fd); err != nil {
			return nil, fail.New(fail.Integrity, "run %s: stored finding does not decode: %v", runID, err)
		}
		if !f.vuln(fd) {
			continue
		}
		if withExplains {
			if ex == nil {
				return nil, fail.New(fail.Integrity, "run %s: finding %s: explain trace %s is missing", runID, fd.FindingID, fd.ExplainID)
			}
			fd.Explain = new(engine.Explain)
			if err := json.Unmarshal(ex, fd.Explain); err != nil {
				return nil, fail.New(fail.Integrity, "run %s: explain %s does not decode: %v", runID, fd.ExplainID, err)
			}
		}
		out = append(out, fd)
	}
	return out, rows.Err()
}

func explainCol(with bool) string {
	if with {
		return "e.data"
	}
	return "NULL"
}

// Result rebuilds the engine result of a succeeded run from its stored head
// and findings (with explain traces), exactly as it was recorded.
func (t *Tx) Result(ctx context.Context, r *Run) (*engine.Result, error) {
	if r.result == nil {
		full, err := t.Run(ctx, r.RunID)
		if err != nil {
			return nil, err
		}
		r = full
	}
	if r.result == nil {
		return nil, fail.New(fail.NotFound, "run %s has no result (status %s)", r.RunID, r.Status)
	}
	var res engine.Result
	if err := json.Unmarshal(r.result, &res); err != nil {
		return nil, fail.New(fail.Integrity, "run %s: stored result does not decode: %v", r.RunID, err)
	}
	fs, err := t.Findings(ctx, r.RunID, FindingFilter{}, true)
	if err != nil {
		return nil, err
	}
	if fs == nil {
		fs = []engine.Finding{}
	}
	res.Findings = fs
	return &res, nil
}

// RunSourceMap returns the stored source map of a run, or nil when it has none.
func (t *Tx) RunSourceMap(ctx context.Context, r *Run) ([]byte, error) {
	if r.SourceMapDigest == "" {
		return nil, nil
	}
	return t.Blob(ctx, r.SourceMapDigest)
}

// RunIR returns the stored IR of a run.
func (t *Tx) RunIR(ctx context.Context, r *Run) ([]byte, error) { return t.Blob(ctx, r.IRDigest) }

// Explain returns one stored explain trace by its id.
func (t *Tx) Explain(ctx context.Context, id string) ([]byte, error) {
	var data []byte
	err := t.queryRow(ctx, `SELECT data FROM explains WHERE tenant = ? AND digest = ?`, t.tenant, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fail.New(fail.NotFound, "explain %s not found", id)
	}
	return data, err
}

// String describes the member in one line: policy, IR digest, enforcement,
// scope, whether it applied, lifecycle state.
func (m RecordMember) String() string {
	s := fmt.Sprintf("%s %s %s scope %s", m.Policy, m.IRDigest, m.Enforcement, m.Scope)
	if !m.Applies {
		s += " (did not apply)"
	}
	if m.Lifecycle != "" {
		s += " " + m.Lifecycle
	}
	return s
}
