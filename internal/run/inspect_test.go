package run

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/fail"
)

func TestCVSS(t *testing.T) {
	rows, bad := CVSS([]Vector{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "argument 1"},
		{"CVSS:3.1/AV:X", "stdin:2"},
	})
	if bad != 1 || len(rows) != 2 {
		t.Fatalf("bad = %d, rows = %d", bad, len(rows))
	}
	if r := rows[0]; r.Score == nil || r.Score.Fixed(1) != "9.8" || r.Severity != "Critical" || r.Version != "3.1" || r.Error != "" {
		t.Errorf("row 0 = %+v", r)
	}
	if r := rows[1]; r.Vector != "CVSS:3.1/AV:X" || !strings.HasPrefix(r.Error, "stdin:2: ") || r.Score != nil {
		t.Errorf("row 1 = %+v", r)
	}
}

func TestVectors(t *testing.T) {
	for _, c := range []struct {
		name, stdin string
		args        []string
		want        string // Text@Where, …; or the error
	}{
		{"arguments win over stdin", "B", []string{"A"}, "A@argument 1"},
		{"stdin lines, blanks skipped", "A\n\n  B  \n", nil, "A@stdin:1 B@stdin:3"},
		{"nothing", "\n \n", nil, "no vectors: give them as arguments or on stdin, one per line"},
	} {
		t.Run(c.name, func(t *testing.T) {
			vs, err := Vectors(c.args, strings.NewReader(c.stdin))
			var got []string
			for _, v := range vs {
				got = append(got, v.Text+"@"+v.Where)
			}
			if err != nil {
				got = []string{err.Error()}
			}
			if g := strings.Join(got, " "); g != c.want {
				t.Errorf("got %q, want %q", g, c.want)
			}
		})
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct{ eco, a, b, want string }{
		{"npm", "1.0.0", "1.0.0-rc.1", ">"},
		{"Debian", "1:2.30-1", "2.31-1", ">"},
		{"PyPI", "1.0", "1.0.0", "="},
		{"Go", "v1.2.0", "v1.10.0", "<"},
	} {
		got, err := CompareVersions(c.eco, c.a, c.b)
		if err != nil || got != (Comparison{c.eco, c.a, c.b, c.want}) {
			t.Errorf("CompareVersions(%s, %s, %s) = %+v, %v; want %s", c.eco, c.a, c.b, got, err, c.want)
		}
	}
	if err := CheckEcosystem("NoSuch"); !fail.Is(err, fail.Invalid) {
		t.Errorf("CheckEcosystem(NoSuch) = %v, want an invalid-input error", err)
	}
}

func TestVersionPairs(t *testing.T) {
	for _, c := range []struct{ name, stdin, want, err string }{
		{"pairs in order", "1.0.0 2.0.0\n\n2.0.0 2.0.0\n", "< =", ""},
		{"a line without two versions", "1.0.0 2.0.0\n1.0.0\n", "<", `stdin:2: want two versions "A B", got "1.0.0"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			err := VersionPairs("npm", strings.NewReader(c.stdin), func(cmp Comparison) error {
				got = append(got, cmp.Result)
				return nil
			})
			if g := strings.Join(got, " "); g != c.want {
				t.Errorf("got %q, want %q", g, c.want)
			}
			if (err == nil) != (c.err == "") || err != nil && err.Error() != c.err {
				t.Errorf("err = %v, want %q", err, c.err)
			}
		})
	}
}

func TestMatchFiles(t *testing.T) {
	if _, err := Match(MatchSpec{Advisories: []string{"x"}}); err == nil || err.Error() != "--sbom is required" {
		t.Errorf("no SBOM: %v", err)
	}
	out, err := Match(MatchSpec{SBOMs: []string{"../../testdata/simulate/app.cdx.json"}, Advisories: []string{"../../testdata/simulate/osv"},
		VEX: []string{"../../testdata/simulate/vex.openvex.json"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Matches) == 0 || out.Warnings == nil || out.VEXReport == nil {
		t.Fatalf("out = %+v", out)
	}
	vex := 0
	for _, m := range out.Matches {
		if m.Purl == "" || m.AdvisoryID == "" || m.Aliases == nil {
			t.Errorf("row %+v", m)
		}
		vex += len(m.VEX)
	}
	if vex == 0 {
		t.Errorf("no VEX statement attached to any of %d matches", len(out.Matches))
	}
}

func TestVersionCompare(t *testing.T) {
	for _, c := range []struct {
		name, eco string
		args      []string
		stdin     string
		want      string // results, or the error
	}{
		{"a pair", "npm", []string{"1.0.0", "1.0.0-rc.1"}, "2.0.0 1.0.0", ">"},
		{"stdin", "npm", nil, "1.0.0 2.0.0\n2.0.0 2.0.0\n", "< ="},
		{"no ecosystem", "", []string{"1", "2"}, "", "--ecosystem is required (npm, Go, PyPI, Maven, Debian, …)"},
		{"an unknown ecosystem", "NoSuch", nil, "1 2", `--ecosystem "NoSuch": no version ordering is known for it`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			err := VersionCompare(c.eco, c.args, strings.NewReader(c.stdin), func(cmp Comparison) error {
				got = append(got, cmp.Result)
				return nil
			})
			if err != nil {
				got = []string{err.Error()}
			}
			if g := strings.Join(got, " "); !strings.Contains(strings.ToLower(g), strings.ToLower(c.want)) || err == nil && g != c.want {
				t.Errorf("got %q, want %q", g, c.want)
			}
		})
	}
}

func TestScoreVectors(t *testing.T) {
	rows, err := ScoreVectors([]string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:X"}, nil)
	if len(rows) != 2 || !fail.Is(err, fail.Invalid) || err.Error() != "1 of 2 vectors invalid" {
		t.Errorf("rows %d, err %v", len(rows), err)
	}
	if rows, err := ScoreVectors(nil, strings.NewReader("")); rows != nil || !fail.Is(err, fail.Invalid) {
		t.Errorf("no vectors: %v, %v", rows, err)
	}
}

func TestCheckVEX(t *testing.T) {
	m := &Matches{VEXReport: []VEXReportRow{{Statement: "s"}}}
	if m.CheckVEX(false) != nil || !fail.Is(m.CheckVEX(true), fail.Invalid) || (&Matches{}).CheckVEX(true) != nil {
		t.Errorf("CheckVEX: %v %v", m.CheckVEX(false), m.CheckVEX(true))
	}
}

// TestSnapshots: where the snapshot commands look, and what they say when
// there is nothing there.
func TestSnapshots(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "stella.db") // not there
	for _, c := range []struct {
		s    Snapshots
		want string
	}{
		{Snapshots{Dir: "d", Configured: "c", DB: db}, "d"},
		{Snapshots{Configured: "c", DB: db}, "c"},
		{Snapshots{DB: db}, filepath.Join(dir, "snapshots")},
	} {
		if got := c.s.Root(); got != c.want {
			t.Errorf("%+v: root %q, want %q", c.s, got, c.want)
		}
	}
	ctx := context.Background()
	s := Snapshots{DB: db}
	if es, err := s.List(ctx); err != nil || es == nil || len(es) != 0 {
		t.Errorf("nothing yet: %v, %v", es, err)
	}
	if _, err := (Snapshots{Dir: filepath.Join(dir, "none"), DB: db}).List(ctx); !fail.Is(err, fail.NotFound) || !strings.Contains(err.Error(), "--dir") {
		t.Errorf("a --dir not there: %v", err)
	}
	for _, ref := range []string{"0123456789abcdef", "not-an-id"} {
		if _, err := s.Find(ctx, nil, ref); !fail.Is(err, fail.NotFound) {
			t.Errorf("Find(%s) without a database: %v", ref, err)
		}
		if _, err := s.Show(ctx, ref); !fail.Is(err, fail.NotFound) {
			t.Errorf("Show(%s) without a database: %v", ref, err)
		}
	}
	if _, err := os.Stat(db); err == nil {
		t.Errorf("looking created the database")
	}
}
