package sync

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
)

// Column types: how a local SQLite value becomes a PostgreSQL one.
const (
	tText      = "text"        // TEXT → text
	tBlobText  = "blobtext"    // BLOB holding JSON → text
	tBytea     = "bytea"       // BLOB → bytea
	tInt       = "int"         // INTEGER → integer or bigint
	tBool      = "bool"        // INTEGER 0/1 → boolean
	tTime      = "timestamptz" // RFC 3339 TEXT → timestamptz
	tNumeric   = "numeric"     // decimal TEXT, "" for unknown → numeric or NULL
	tEnvObject = "env"         // derived: runs.record's inputs.env as a jsonb object
	tUnchecked = "unchecked"   // derived: runs.record's stats.unchecked, NULL when it has none
)

// How the shared database treats a key that is already there.
type kind int

const (
	// immutable rows never change: the same key sent again with different
	// content (the compare columns) is an integrity failure.
	immutable kind = iota
	// owned rows belong to one site (the site is part of their key) and may
	// change there: the site's current content replaces the stored one.
	owned
	// runs are immutable once succeeded; a stored failure is replaced by a
	// success, as in the local store.
	runs
)

type column struct {
	name string
	typ  string
}

// table describes one synced table. Local and remote columns have the same
// names; the remote table adds source_site (and synced_at, set there).
type table struct {
	name    string
	cols    []column
	key     []string // the remote primary key
	kind    kind
	compare []string // immutable and runs: the columns that must agree
	blobs   bool     // bulk content, synced only with --with-blobs
	// addressed rows are keyed by the digest of their data column; it is
	// checked before they are sent.
	addressed bool
}

// tables lists every synced table in the order a sync sends them: what
// others refer to first, the audit log (which describes the rest) last.
var tables = []*table{
	{name: "policies", kind: owned, key: []string{"tenant", "source_site", "policy_id"},
		cols: cols("tenant policy_id name", tText, "created_at", tTime)},
	{name: "policy_versions", kind: immutable, key: []string{"tenant", "source_site", "policy_id", "version"},
		compare: []string{"ir_digest", "source_digest"},
		cols: cols("tenant policy_id", tText, "version", tInt, "ir_digest source_digest source_map_digest author", tText,
			"created_at", tTime)},
	{name: "policy_lifecycle", kind: owned, key: []string{"tenant", "source_site", "policy_id", "version"},
		cols: cols("tenant policy_id", tText, "version", tInt, "state reviewers", tText, "updated_at", tTime, "updated_by", tInt)},
	{name: "snapshots", kind: immutable, key: []string{"tenant", "snapshot_id"},
		cols: cols("tenant snapshot_id summary source", tText, "imported_at", tTime)},
	{name: "snapshot_files", kind: immutable, key: []string{"tenant", "snapshot_id", "path"}, compare: []string{"digest"},
		cols: cols("tenant snapshot_id path digest", tText)},
	{name: "blobs", kind: immutable, key: []string{"tenant", "digest"}, blobs: true, addressed: true, compare: []string{"data"},
		cols: cols("tenant digest media_type", tText, "size", tInt, "data", tBytea)},
	{name: "runs", kind: runs, key: []string{"tenant", "run_id"},
		compare: []string{"ir_digest", "inputs_hash", "verdict", "findings_digest", "explains_digest"},
		cols: cols("tenant run_id policy_id", tText, "policy_version", tInt, "ir_digest source_map_digest mode", tText,
			"shadow", tBool, "snapshot_id inputs_hash", tText, "evaluation_time", tTime, "status verdict", tText,
			"findings_count", tInt, "findings_digest explains_digest", tText, "env", tEnvObject, "unchecked", tUnchecked,
			"record result attestation", tBlobText, "error", tText, "started_at completed_at", tTime, "duration_ms", tInt)},
	{name: "explains", kind: immutable, key: []string{"tenant", "digest"}, compare: []string{"data"},
		cols: cols("tenant digest", tText, "data", tBlobText)},
	{name: "findings", kind: immutable, key: []string{"tenant", "run_id", "finding_id"}, compare: []string{"data"},
		cols: cols("tenant run_id finding_id purl advisory_id vex_status verdict severity_band", tText,
			"severity_score", tNumeric, "rule", tText, "enforced", tBool, "explain_id", tText, "data", tBlobText)},
	{name: "governance_statements", kind: immutable, key: []string{"tenant", "source_site", "digest"},
		compare: []string{"envelope"},
		cols:    cols("tenant digest", tText, "seq", tInt, "action subject key_id principal public_pem", tText, "envelope", tBytea)},
	{name: "governance_attachments", kind: immutable, key: []string{"tenant", "digest"}, blobs: true, addressed: true, compare: []string{"data"},
		cols: cols("tenant digest", tText, "size", tInt, "data", tBytea)},
	{name: "exceptions", kind: owned, key: []string{"tenant", "source_site", "exception_id"},
		cols: cols("tenant exception_id status policy_id", tText, "expires", tTime, "data", tText,
			"created_at updated_at", tTime, "expired_seq", tInt)},
	{name: "lessons", kind: owned, key: []string{"tenant", "source_site", "lesson_id"},
		cols: cols("tenant lesson_id type severity source_run policy_id", tText, "policy_version", tInt, "evaluation_time", tTime,
			"gate band label title description proposed_action", tText, "evidence", tBlobText,
			"status draft deferred_until reason", tText, "created_at updated_at", tTime)},
	{name: "audit_events", kind: immutable, key: []string{"tenant", "source_site", "seq"}, compare: []string{"event_hash"},
		cols: cols("tenant", tText, "seq", tInt, "type at actor subject payload previous_hash event_hash", tText)},
}

// cols builds a column list from pairs of (space-separated names, type).
func cols(pairs ...string) []column {
	var out []column
	for i := 0; i+1 < len(pairs); i += 2 {
		for _, n := range strings.Fields(pairs[i]) {
			out = append(out, column{name: n, typ: pairs[i+1]})
		}
	}
	return out
}

// TableNames lists the synced tables in sync order.
func TableNames() []string {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.name
	}
	return names
}

func tableNamed(name string) *table {
	for _, t := range tables {
		if t.name == name {
			return t
		}
	}
	return nil
}

// remoteCols are the columns sent to the shared database: the table's and
// source_site.
func (t *table) remoteCols() []string {
	out := make([]string, 0, len(t.cols)+1)
	for _, c := range t.cols {
		out = append(out, c.name)
	}
	return append(out, "source_site")
}

// row is one converted row, in remoteCols order.
type row []any

// converter turns local rows (in the column order of a store.ChangePage) into
// remote rows.
type converter struct {
	t    *table
	site string
	idx  []int // for each of t.cols, its index in the local columns (-1 for derived)
	key  []int // indexes into a row of the key columns other than source_site
}

func newConverter(t *table, site string, local []string) (*converter, error) {
	pos := make(map[string]int, len(local))
	for i, n := range local {
		pos[n] = i
	}
	c := &converter{t: t, site: site}
	for _, col := range t.cols {
		src := col.name
		if col.typ == tEnvObject || col.typ == tUnchecked {
			src = "record"
		}
		i, ok := pos[src]
		if !ok {
			return nil, fail.New(fail.Internal, "sync %s: the local table has no column %s", t.name, src)
		}
		c.idx = append(c.idx, i)
	}
	remote := t.remoteCols()
	for _, k := range t.key {
		if k == "source_site" {
			continue
		}
		for i, n := range remote {
			if n == k {
				c.key = append(c.key, i)
			}
		}
	}
	return c, nil
}

// convert maps one local row. Malformed local values are integrity errors
// naming the table, the row's key and the column.
func (c *converter) convert(vals []any) (row, error) {
	out := make(row, 0, len(c.t.cols)+1)
	for i, col := range c.t.cols {
		v, err := convertValue(col.typ, vals[c.idx[i]])
		if err != nil {
			return nil, fail.New(fail.Integrity, "local %s row %s: column %s: %v", c.t.name, c.keyText(vals), col.name, err)
		}
		out = append(out, v)
	}
	if c.t.addressed {
		if err := c.checkDigest(out); err != nil {
			return nil, err
		}
	}
	return append(out, c.site), nil
}

// checkDigest refuses a content-addressed row whose data does not hash to
// its digest: a corrupted local store is never copied.
func (c *converter) checkDigest(r row) error {
	var digest string
	var data []byte
	for i, col := range c.t.cols {
		switch col.name {
		case "digest":
			digest, _ = r[i].(string)
		case "data":
			data, _ = r[i].([]byte)
		}
	}
	if got := canon.Digest(data); got != digest {
		return fail.New(fail.Integrity, "local %s row %s: its data hashes to %s; nothing was sent (run `stella store check`)", c.t.name, digest, got)
	}
	return nil
}

// keyText names a local row by its key, for messages.
func (c *converter) keyText(vals []any) string {
	var parts []string
	for _, k := range c.t.key {
		if k == "source_site" || k == "tenant" {
			continue
		}
		for i, col := range c.t.cols {
			if col.name == k {
				parts = append(parts, fmt.Sprint(vals[c.idx[i]]))
			}
		}
	}
	return strings.Join(parts, "/")
}

// fingerprint identifies a local row for the cursor check: its key and,
// for immutable rows, a digest of the columns that must agree (an audit
// event's seq alone would not tell two forks of a chain apart).
func (c *converter) fingerprint(vals []any) string {
	k := c.keyText(vals)
	if c.t.kind != immutable {
		return k
	}
	h := sha256.New()
	for _, name := range c.t.compare {
		for i, col := range c.t.cols {
			if col.name != name {
				continue
			}
			switch v := vals[c.idx[i]].(type) {
			case string:
				io.WriteString(h, v)
			case []byte:
				h.Write(v)
			default:
				fmt.Fprint(h, v)
			}
			h.Write([]byte{0})
		}
	}
	return k + "@" + hex.EncodeToString(h.Sum(nil))[:16]
}

// keyOf is the identity of a converted row within a batch.
func (c *converter) keyOf(r row) string {
	var b strings.Builder
	for _, i := range c.key {
		fmt.Fprintf(&b, "%v\x00", r[i])
	}
	return b.String()
}

func convertValue(typ string, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case tText:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want text, have %T", v)
		}
		return pgText(s), nil
	case tBlobText:
		switch b := v.(type) {
		case []byte:
			return pgText(string(b)), nil
		case string:
			return pgText(b), nil
		}
		return nil, fmt.Errorf("want JSON bytes, have %T", v)
	case tBytea:
		switch b := v.(type) {
		case []byte:
			return b, nil
		case string:
			return []byte(b), nil
		}
		return nil, fmt.Errorf("want bytes, have %T", v)
	case tInt:
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("want an integer, have %T", v)
		}
		return n, nil
	case tBool:
		n, ok := v.(int64)
		if !ok || (n != 0 && n != 1) {
			return nil, fmt.Errorf("want 0 or 1, have %v", v)
		}
		return n == 1, nil
	case tTime:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want an RFC 3339 time, have %T", v)
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Errorf("want an RFC 3339 time, have %q", s)
		}
		return t, nil
	case tNumeric:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a decimal, have %T", v)
		}
		if s == "" {
			return nil, nil
		}
		var n pgtype.Numeric
		if err := n.Scan(s); err != nil {
			return nil, fmt.Errorf("want a decimal, have %q", s)
		}
		return n, nil
	case tEnvObject:
		return envObject(v)
	case tUnchecked:
		return uncheckedOf(v)
	}
	return nil, fmt.Errorf("unknown column type %s", typ)
}

// pgText makes s storable as PostgreSQL text, which cannot hold U+0000 or
// invalid UTF-8: both become U+FFFD. Canonical JSON never has either, and
// hashes over canonical JSON are unaffected (its encoder already wrote
// invalid bytes as U+FFFD), so only raw text from hostile inputs changes.
func pgText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// recordBytes is the local record column's value.
func recordBytes(v any) ([]byte, error) {
	switch b := v.(type) {
	case []byte:
		return b, nil
	case string:
		return []byte(b), nil
	}
	return nil, fmt.Errorf("want a JSON run record, have %T", v)
}

// uncheckedOf is a run record's stats.unchecked, nil when it has none
// (a record made before it was recorded, or a failed run's).
func uncheckedOf(v any) (any, error) {
	var rec struct {
		Stats struct {
			Unchecked *int64 `json:"unchecked"`
		} `json:"stats"`
	}
	data, err := recordBytes(v)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("run record is not JSON: %v", err)
	}
	if rec.Stats.Unchecked == nil {
		return nil, nil
	}
	return *rec.Stats.Unchecked, nil
}

// envObject extracts inputs.env ([{key, value}…], sorted by key) from a run
// record as a JSON object for the jsonb env column. PostgreSQL's jsonb
// cannot hold U+0000, so it becomes U+FFFD there; the record keeps the
// exact text.
func envObject(v any) (any, error) {
	data, err := recordBytes(v)
	if err != nil {
		return nil, err
	}
	var rec struct {
		Inputs struct {
			Env []struct {
				Key   string `json:"key"`
				Value string `json:"value"`
			} `json:"env"`
		} `json:"inputs"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("run record is not JSON: %v", err)
	}
	env := make(map[string]string, len(rec.Inputs.Env))
	nul := strings.NewReplacer("\x00", "\uFFFD")
	for _, kv := range rec.Inputs.Env {
		env[nul.Replace(kv.Key)] = nul.Replace(kv.Value)
	}
	b, err := canon.Marshal(env)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}
