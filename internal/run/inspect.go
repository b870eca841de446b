package run

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/stella-policy/stella/internal/buildinfo"
	"github.com/stella-policy/stella/internal/cvss"
	"github.com/stella-policy/stella/internal/decimal"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/match"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/version"
)

// The inspection commands (docs/cli.md) run one step of an evaluation on
// its own, without a policy: `stella match` is Evaluate's freeze and join of
// loose files (Match); `stella cvss` scores vectors as the severity step
// does (CVSS); `version compare` orders versions as the join's range check
// does (CompareVersions, VersionPairs); `stella version` is the tool version
// every run record carries (ToolVersion); `snapshot ls` and `snapshot show`
// find snapshots where runs do (Snapshots). Their tables are
// internal/report's.

// MatchSpec is what `stella match` joins: SBOM files, OSV advisories (files,
// directories or zips) and VEX documents.
type MatchSpec struct{ SBOMs, Advisories, VEX []string }

// Matches is the output of `stella match`.
type Matches struct {
	Matches   []MatchRow     `json:"matches"`
	VEXReport []VEXReportRow `json:"vexReport"`
	Warnings  []string       `json:"warnings"`
}

// MatchRow is one (component, vulnerability) finding.
type MatchRow struct {
	Purl       string     `json:"purl"`
	Ecosystem  string     `json:"ecosystem"`
	Name       string     `json:"name"` // the OSV package name
	Version    string     `json:"version"`
	AdvisoryID string     `json:"advisoryId"`
	Aliases    []string   `json:"aliases"`
	Records    []string   `json:"records"` // advisory records that matched
	Range      string     `json:"range"`
	Ref        string     `json:"ref"` // the component's bom-ref or SPDXID
	VEX        []MatchVEX `json:"vex,omitempty"`
}

// MatchVEX is a VEX statement attached to a finding.
type MatchVEX struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
	Issuer        string `json:"issuer,omitempty"`
	Timestamp     string `json:"timestamp,omitempty"`
	Document      string `json:"document,omitempty"`
}

// VEXReportRow is a VEX statement that applied to no finding, and why.
type VEXReportRow struct {
	Statement     string `json:"statement"`
	Document      string `json:"document,omitempty"`
	Vulnerability string `json:"vulnerability"`
	Reason        string `json:"reason"`
	Detail        string `json:"detail"`
}

// Match freezes the files and joins them (docs/conformance.md): every
// component with the advisories whose ranges include its version, aliases
// folded, with the VEX statements that apply; statements that apply to
// nothing go to the VEX match report.
func Match(spec MatchSpec) (*Matches, error) {
	if len(spec.SBOMs) == 0 {
		return nil, fail.New(fail.Invalid, "--sbom is required")
	}
	if len(spec.Advisories) == 0 {
		return nil, fail.New(fail.Invalid, "--advisories is required (an OSV file, directory or zip)")
	}
	snap, err := snapshot.FromFiles(snapshot.Spec{SBOMs: spec.SBOMs, Advisories: spec.Advisories, VEX: spec.VEX})
	if err != nil {
		return nil, err
	}
	res, err := match.Join(snap.Inputs, match.Options{})
	if err != nil {
		return nil, err
	}
	out := &Matches{Matches: []MatchRow{}, VEXReport: []VEXReportRow{}, Warnings: res.Warnings}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, p := range res.Pairs {
		c := p.Component
		row := MatchRow{
			Purl: c.Purl, Ecosystem: c.Ecosystem, Name: c.Package, Version: c.Version,
			AdvisoryID: p.Advisory.ID, Aliases: p.Aliases, Records: p.Records, Range: p.Range, Ref: c.Ref,
		}
		if row.Aliases == nil {
			row.Aliases = []string{}
		}
		for _, s := range p.VEX {
			row.VEX = append(row.VEX, MatchVEX{ID: s.ID, Status: s.Status, Justification: s.Justification,
				Issuer: s.Issuer, Timestamp: s.Timestamp, Document: s.Document})
		}
		out.Matches = append(out.Matches, row)
	}
	for _, u := range res.Unmatched {
		out.VEXReport = append(out.VEXReport, VEXReportRow{Statement: u.Statement.ID, Document: u.Statement.Document,
			Vulnerability: u.Statement.Vulnerability, Reason: u.Reason, Detail: u.Detail})
	}
	return out, nil
}

// CheckVEX is the verdict of `match --vex-strict` (strict): an error when a
// VEX statement applies to no finding (the VEX match report lists them).
func (m *Matches) CheckVEX(strict bool) error {
	if strict && len(m.VEXReport) > 0 {
		return fail.New(fail.Invalid, "%d VEX statements apply to no finding (--vex-strict); see the VEX match report", len(m.VEXReport))
	}
	return nil
}

// Vector is one CVSS vector to score and where it came from ("argument 2",
// "stdin:7"), for the error of an invalid one.
type Vector struct{ Text, Where string }

// Vectors are the vectors of `stella cvss`: the arguments, or else the
// non-blank lines of r. No vector at all is an error.
func Vectors(args []string, r io.Reader) ([]Vector, error) {
	var vs []Vector
	if len(args) > 0 {
		for i, a := range args {
			vs = append(vs, Vector{a, fmt.Sprintf("argument %d", i+1)})
		}
		return vs, nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			vs = append(vs, Vector{line, fmt.Sprintf("stdin:%d", n)})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fail.New(fail.Invalid, "stdin: %v", err)
	}
	if len(vs) == 0 {
		return nil, fail.New(fail.Invalid, "no vectors: give them as arguments or on stdin, one per line")
	}
	return vs, nil
}

// Scored is one vector scored, or the reason it could not be.
type Scored struct {
	Vector        string     `json:"vector"`
	Normalized    string     `json:"normalized,omitempty"`
	Version       string     `json:"version,omitempty"`
	Base          *decimal.D `json:"base,omitempty"`
	Temporal      *decimal.D `json:"temporal,omitempty"`
	Threat        *decimal.D `json:"threat,omitempty"`
	Environmental *decimal.D `json:"environmental,omitempty"`
	Score         *decimal.D `json:"score,omitempty"`
	Severity      string     `json:"severity,omitempty"`
	Error         string     `json:"error,omitempty"`
}

// ScoreVectors is `stella cvss`: the vectors of args, else of r
// (Vectors), scored (CVSS). Invalid vectors are an error returned with the
// rows.
func ScoreVectors(args []string, r io.Reader) ([]Scored, error) {
	vs, err := Vectors(args, r)
	if err != nil {
		return nil, err
	}
	rows, bad := CVSS(vs)
	if bad > 0 {
		return rows, fail.New(fail.Invalid, "%d of %d vectors invalid", bad, len(rows))
	}
	return rows, nil
}

// CVSS scores every vector; an invalid one gets a row with its error, and
// bad counts them.
func CVSS(vs []Vector) (rows []Scored, bad int) {
	rows = make([]Scored, len(vs))
	for i, v := range vs {
		rows[i].Vector = v.Text
		s, err := cvss.Parse(v.Text)
		if err != nil {
			bad++
			rows[i].Error = fmt.Sprintf("%s: %s", v.Where, strings.TrimPrefix(err.Error(), "cvss: "))
			continue
		}
		rows[i] = Scored{
			Vector: v.Text, Normalized: s.Vector, Version: s.Version,
			Base: &s.Base, Temporal: s.Temporal, Threat: s.Threat,
			Environmental: &s.Environmental, Score: &s.Score, Severity: s.Severity,
		}
	}
	return rows, bad
}

// Comparison is one compared pair: Result is <, = or >.
type Comparison struct {
	Ecosystem string `json:"ecosystem"`
	A         string `json:"a"`
	B         string `json:"b"`
	Result    string `json:"result"`
}

// CheckEcosystem checks that eco names an ecosystem with a known version ordering.
func CheckEcosystem(eco string) error {
	if eco == "" {
		return fail.New(fail.Invalid, "--ecosystem is required (npm, Go, PyPI, Maven, Debian, …)")
	}
	if !version.Supported(eco) {
		return fail.New(fail.Invalid, "--ecosystem %q: no version ordering is known for it", eco)
	}
	return nil
}

// CompareVersions orders a and b with eco's ordering.
func CompareVersions(eco, a, b string) (Comparison, error) {
	c, err := version.Compare(eco, a, b)
	if err != nil {
		return Comparison{}, fail.Wrap(fail.Invalid, err)
	}
	return Comparison{eco, a, b, symbol(c)}, nil
}

// VersionCompare is `version compare` (eco its --ecosystem): the pair args when
// given, else the "A B" pairs of r (VersionPairs), each comparison passed to
// each in order.
func VersionCompare(eco string, args []string, r io.Reader, each func(Comparison) error) error {
	if err := CheckEcosystem(eco); err != nil {
		return err
	}
	if len(args) == 2 {
		c, err := CompareVersions(eco, args[0], args[1])
		if err != nil {
			return err
		}
		return each(c)
	}
	return VersionPairs(eco, r, each)
}

// VersionPairs compares the "A B" pairs of r, one per non-blank line, calling each
// with every comparison in order; a malformed line or an invalid version
// stops it with an error naming the line.
func VersionPairs(eco string, r io.Reader, each func(Comparison) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return fail.New(fail.Invalid, "stdin:%d: want two versions \"A B\", got %q", n, line)
		}
		c, err := version.Compare(eco, f[0], f[1])
		if err != nil {
			return fail.New(fail.Invalid, "stdin:%d: %v", n, err)
		}
		if err := each(Comparison{eco, f[0], f[1], symbol(c)}); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fail.New(fail.Invalid, "stdin: %v", err)
	}
	return nil
}

func symbol(c int) string {
	switch {
	case c < 0:
		return "<"
	case c > 0:
		return ">"
	}
	return "="
}

// ToolVersion is what `stella version` prints: the version, commit, Go version
// and platform of this binary.
func ToolVersion() buildinfo.Info { return buildinfo.Get() }

// Snapshots are where `snapshot ls`, `snapshot show` and `policy simulate
// --snapshot` find snapshots (docs/inputs.md): a directory of snapshot
// directories, then those imported into the database.
type Snapshots struct {
	Dir        string // --dir; "" for Configured, else snapshots/ beside DB
	Configured string // config snapshots.dir
	DB, Tenant string // the database (--db, --tenant); a missing file holds none
}

// Root is the directory of snapshots in force.
func (s Snapshots) Root() string {
	return cmp.Or(s.Dir, s.Configured, filepath.Join(filepath.Dir(s.DB), "snapshots"))
}

// stored is how a snapshot in the database is named as a place.
func (s Snapshots) stored() string { return "db:" + s.DB }

// open opens the database to read it; nil when there is none.
func (s Snapshots) open(ctx context.Context) (*store.Store, error) {
	if _, err := os.Stat(s.DB); err != nil {
		return nil, nil
	}
	return store.Open(ctx, s.DB, s.Tenant, store.Options{MustExist: true})
}

// List lists the snapshots under Root (sorted by id; Root may not exist
// yet unless --dir named it), then those in the database (by id). Only
// manifests and stored summaries are read.
func (s Snapshots) List(ctx context.Context) ([]snapshot.Entry, error) {
	if fi, err := os.Stat(s.Dir); s.Dir != "" && (err != nil || !fi.IsDir()) {
		return nil, fail.New(fail.NotFound, "--dir %s: no such directory", s.Dir)
	}
	es, err := snapshot.List(s.Root())
	if err != nil {
		return nil, err
	}
	st, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	if st != nil {
		defer st.Close()
		stored, err := snapshot.Stored(ctx, st, s.stored())
		if err != nil {
			return nil, err
		}
		es = append(es, stored...)
	}
	if es == nil {
		es = []snapshot.Entry{}
	}
	return es, nil
}

// Show verifies the snapshot ref names — a snapshot directory, an id or
// unique prefix under Root, or one imported into the database — and says
// what it holds.
func (s Snapshots) Show(ctx context.Context, ref string) (*snapshot.Shown, error) {
	dir, err := snapshot.Resolve(s.Root(), ref)
	var snap *snapshot.Snapshot
	if fail.Is(err, fail.NotFound) {
		// Not a directory: perhaps a snapshot imported into the database.
		dir = s.stored()
		snap, err = s.inDB(ctx, nil, ref)
	} else if err == nil {
		snap, err = snapshot.OpenDir(dir)
	}
	if err != nil {
		return nil, err
	}
	return snap.Show(dir)
}

// Find opens the snapshot ref names for a run: a snapshot directory, one
// under Root, or one imported into the database (st when open).
func (s Snapshots) Find(ctx context.Context, st *store.Store, ref string) (*snapshot.Snapshot, error) {
	dir, err := snapshot.Resolve(s.Root(), ref)
	if fail.Is(err, fail.NotFound) {
		return s.inDB(ctx, st, ref)
	}
	if err != nil {
		return nil, err
	}
	return snapshot.Load(dir)
}

// inDB opens a snapshot imported into the database, through st when open,
// else opening the database; NotFound when there is none.
func (s Snapshots) inDB(ctx context.Context, st *store.Store, ref string) (*snapshot.Snapshot, error) {
	if st == nil {
		var err error
		if st, err = s.open(ctx); err != nil {
			return nil, err
		}
		if st == nil {
			return nil, fail.New(fail.NotFound, "snapshot %s not found", ref)
		}
		defer st.Close()
	}
	return StoredSnapshot(ctx, st, ref)
}
