package snapshot

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/model"
	"github.com/stella-policy/stella/internal/testenv"
)

// testInputs is the small hand-written input set shared with the CLI scripts.
var testInputs = filepath.Join(testenv.RepoRoot(), "testdata", "inputs")

func testSpec(dir string) Spec {
	return Spec{
		SBOMs:        []string{filepath.Join(dir, "shop.cdx.json"), filepath.Join(dir, "api.spdx.json")},
		Advisories:   []string{filepath.Join(dir, "osv")},
		VEX:          []string{filepath.Join(dir, "shop.openvex.json")},
		EPSS:         filepath.Join(dir, "epss.csv"),
		KEV:          filepath.Join(dir, "kev.json"),
		Reachability: []string{filepath.Join(dir, "reach.json")},
		Exceptions:   []string{filepath.Join(dir, "exceptions.yaml")},
	}
}

func fromFiles(t *testing.T, spec Spec) *Snapshot {
	t.Helper()
	s, err := FromFiles(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func inputDigests(s *Snapshot) []string {
	var out []string
	for _, in := range s.Manifest.Content.Inputs {
		out = append(out, string(in.Kind)+" "+in.Digest)
	}
	return out
}

func TestFromFilesContent(t *testing.T) {
	s := fromFiles(t, testSpec(testInputs))
	st := s.Manifest.Content.Stats
	want := Stats{
		SBOMs: 2, Components: 7, NoPurl: 1,
		ComponentsByEcosystem: []Count{{"(no purl)", 1}, {"Maven", 1}, {"PyPI", 2}, {"npm", 3}},
		Advisories:            3, Withdrawn: 1,
		AdvisoriesByEcosystem: []Count{{"Go", 1}, {"PyPI", 1}, {"npm", 1}},
		AdvisoriesBySource:    []Count{{"GHSA", 1}, {"GO", 1}, {"PYSEC", 1}},
		VEX:                   1, VEXByStatus: []Count{{"not_affected", 1}}, VEXByFormat: []Count{{"openvex", 1}},
		EPSS: 2, KEV: 1, Reachability: 2, Exceptions: 1,
	}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("stats\n got %+v\nwant %+v", st, want)
	}
	var paths []string
	for _, f := range s.Manifest.Content.Files {
		p := f.Path
		if strings.HasPrefix(p, "sboms/") {
			p = "sboms/*"
		}
		paths = append(paths, p)
	}
	wantFiles := []string{IndexFile, AdvisoriesFile, EPSSFile, ExceptionsFile, KEVFile, ReachFile, "sboms/*", "sboms/*", VEXFile}
	if !slices.Equal(paths, wantFiles) {
		t.Errorf("files %v, want %v", paths, wantFiles)
	}
	if len(s.Manifest.Sources) != 8 {
		t.Errorf("%d sources, want 8", len(s.Manifest.Sources))
	}
	for _, src := range s.Manifest.Sources {
		if src.RawDigest == "" || src.Digest == "" || src.MediaType == "" {
			t.Errorf("source %+v lacks digests or media type", src)
		}
	}
	if s.Digests.Advisories == "" || s.Digests.VEX == "" || len(s.Digests.SBOMs) != 2 || s.Digests.Exceptions == "" {
		t.Errorf("digests %+v", s.Digests)
	}
}

// TestIDStable: the snapshot id depends on what the inputs mean, not on how
// they are written or given.
func TestIDStable(t *testing.T) {
	base := fromFiles(t, testSpec(testInputs))

	t.Run("shuffled", func(t *testing.T) {
		sp := testSpec(testInputs)
		slices.Reverse(sp.SBOMs)
		s := fromFiles(t, sp)
		if s.ID() != base.ID() {
			t.Errorf("reordered inputs: id %s, want %s", s.ID(), base.ID())
		}
	})

	t.Run("reserialized", func(t *testing.T) {
		dir := t.TempDir()
		copyDir(t, testInputs, dir)
		for _, f := range []string{"shop.cdx.json", "api.spdx.json", "shop.openvex.json", "kev.json", "reach.json",
			"osv/GHSA-35jh-r3h4-6jhm.json", "osv/PYSEC-2021-98.json", "osv/GO-2022-0001.json"} {
			reserialize(t, filepath.Join(dir, f))
		}
		// Other spellings of the same content: exceptions as JSON instead
		// of YAML, EPSS gzipped with CRLF line ends, OSV as a zip.
		writeJSON(t, filepath.Join(dir, "exceptions.json"), map[string]any{"schema": inputs.ExceptionsSchema, "exceptions": []any{
			map[string]any{"ticket": "SEC-42", "expires": "2024-06-01T00:00:00Z", "created": "2024-03-01T00:00:00+00:00", "status": "approved",
				"approvers": []string{"bob"}, "requester": "alice", "owner": "team-api", "justification": "fix scheduled with the 3.2.4 upgrade",
				"effect": "defer", "purls": []string{"pkg:pypi/django"}, "vulns": []string{"CVE-2021-33203"}, "id": "EXC-1"}}})
		csv, _ := os.ReadFile(filepath.Join(dir, "epss.csv"))
		gz(t, filepath.Join(dir, "epss.csv.gz"), bytes.ReplaceAll(csv, []byte("\n"), []byte("\r\n")))
		sp := testSpec(dir)
		sp.Exceptions = []string{filepath.Join(dir, "exceptions.json")}
		sp.EPSS = filepath.Join(dir, "epss.csv.gz")
		s := fromFiles(t, sp)
		if got, want := inputDigests(s), inputDigests(base); !slices.Equal(got, want) {
			t.Errorf("normalized digests changed:\n got %v\nwant %v", got, want)
		}
		if s.ID() != base.ID() {
			t.Errorf("re-serialized inputs: id %s, want %s", s.ID(), base.ID())
		}
		for i, src := range s.Manifest.Sources {
			if src.Kind != inputs.KindAdvisories && src.RawDigest == base.Manifest.Sources[i].RawDigest {
				t.Errorf("%s: raw digest unchanged by re-serialization", src.Path)
			}
		}
	})

	t.Run("one byte", func(t *testing.T) {
		dir := t.TempDir()
		copyDir(t, testInputs, dir)
		p := filepath.Join(dir, "shop.cdx.json")
		b, _ := os.ReadFile(p)
		os.WriteFile(p, bytes.Replace(b, []byte(`"pkg:npm/lodash@4.17.20"`), []byte(`"pkg:npm/lodash@4.17.21"`), 1), 0o644)
		s := fromFiles(t, testSpec(dir))
		if s.ID() == base.ID() {
			t.Error("a changed component version kept the snapshot id")
		}
		changed := 0 // inputs of a kind are sorted by digest, so compare as sets
		for _, d := range inputDigests(s) {
			if !slices.Contains(inputDigests(base), d) {
				changed++
			}
		}
		if changed != 1 {
			t.Errorf("%d input digests changed, want 1", changed)
		}
	})
}

func TestWriteOpen(t *testing.T) {
	s := fromFiles(t, testSpec(testInputs))
	dir := filepath.Join(t.TempDir(), "snap")
	if err := s.Write(dir); err != nil {
		t.Fatal(err)
	}
	o, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if o.ID() != s.ID() || !reflect.DeepEqual(o.Digests, s.Digests) {
		t.Errorf("loaded %s %+v, want %s %+v", o.ID(), o.Digests, s.ID(), s.Digests)
	}
	if !reflect.DeepEqual(o.Inputs, s.Inputs) {
		t.Errorf("loaded inputs differ from the frozen ones")
	}
	if !reflect.DeepEqual(o.Manifest, s.Manifest) {
		t.Errorf("loaded manifest differs")
	}
	// Writing the same snapshot again is a no-op; another one is refused.
	if err := s.Write(dir); err != nil {
		t.Errorf("rewrite: %v", err)
	}
	sp := testSpec(testInputs)
	sp.KEV = ""
	other := fromFiles(t, sp)
	if err := other.Write(dir); !fail.Is(err, fail.Invalid) {
		t.Errorf("writing another snapshot over %s: %v", dir, err)
	}
	// Files round-trip through a store: the same bytes give the same snapshot.
	files, err := s.Files()
	if err != nil {
		t.Fatal(err)
	}
	mem := t.TempDir()
	for _, f := range files {
		p := filepath.Join(mem, filepath.FromSlash(f.Path))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, f.Data, 0o644)
	}
	m, err := Load(mem)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID() != s.ID() || len(m.Manifest.Sources) != 0 || !reflect.DeepEqual(m.Inputs, s.Inputs) {
		t.Errorf("snapshot from Files() differs")
	}
}

func TestWriteDeterministic(t *testing.T) {
	var trees []map[string]string
	for range 2 {
		dir := filepath.Join(t.TempDir(), "snap")
		if _, err := Create(testSpec(testInputs), dir); err != nil {
			t.Fatal(err)
		}
		trees = append(trees, readTree(t, dir))
	}
	if !reflect.DeepEqual(trees[0], trees[1]) {
		t.Error("two snapshots of the same inputs differ byte for byte")
	}
}

func TestOpenTampered(t *testing.T) {
	s := fromFiles(t, testSpec(testInputs))
	for _, tt := range []struct {
		name   string
		change func(dir string)
		kind   fail.Kind
	}{
		{"content file", func(dir string) { appendTo(t, filepath.Join(dir, VEXFile), " ") }, fail.Integrity},
		{"advisories", func(dir string) { replaceIn(t, filepath.Join(dir, AdvisoriesFile), "4.17.21", "4.17.22") }, fail.Integrity},
		{"manifest content", func(dir string) { replaceIn(t, filepath.Join(dir, ManifestFile), `"kev": 1`, `"kev": 2`) }, fail.Integrity},
		{"missing file", func(dir string) { os.Remove(filepath.Join(dir, KEVFile)) }, fail.Integrity},
		{"no manifest", func(dir string) { os.Remove(filepath.Join(dir, ManifestFile)) }, fail.NotFound},
		{"provenance only", func(dir string) { replaceIn(t, filepath.Join(dir, ManifestFile), `"files": 3`, `"files": 4`) }, 0},
		{"repeated file with a consistent id", func(dir string) {
			m, err := readManifest(os.DirFS(dir))
			if err != nil {
				t.Fatal(err)
			}
			m.Content.Files = append(m.Content.Files, m.Content.Files[len(m.Content.Files)-1])
			m.ID = contentID(&m.Content)
			os.WriteFile(filepath.Join(dir, ManifestFile), manifestBytes(m), 0o644)
		}, fail.Integrity},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "snap")
			if err := s.Write(dir); err != nil {
				t.Fatal(err)
			}
			tt.change(dir)
			_, err := OpenDir(dir)
			if tt.kind == 0 {
				if err != nil {
					t.Errorf("provenance edit rejected: %v", err)
				}
				return
			}
			if !fail.Is(err, tt.kind) {
				t.Errorf("got %v (kind %d), want kind %d", err, fail.KindOf(err), tt.kind)
			}
		})
	}
}

// TestOpenDirFile: a file (such as a bundle) given where a snapshot
// directory is expected is a usage error that says so.
func TestOpenDirFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "kit.tar.zst")
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := OpenDir(p)
	if !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), "kit.tar.zst is a file, not a snapshot directory") {
		t.Fatalf("got %v (kind %d), want Invalid saying it is a file", err, fail.KindOf(err))
	}
}

func TestIndexLookup(t *testing.T) {
	s := fromFiles(t, testSpec(testInputs))
	x := s.Index
	ids := func(as []*model.Advisory, err error) string {
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range as {
			out = append(out, a.ID)
		}
		return strings.Join(out, ",")
	}
	for _, tt := range []struct{ eco, name, want string }{
		{"npm", "lodash", "GHSA-35jh-r3h4-6jhm"},
		{"PyPI", "django", "PYSEC-2021-98"},
		{"PyPI", "DJANGO", "PYSEC-2021-98"}, // PEP 503 names
		{"Go", "example.com/mod", "GO-2022-0001"},
		{"npm", "Lodash", ""}, // npm names are exact
		{"Maven", "com.fasterxml.jackson.core:jackson-databind", ""},
		{"Debian:12", "openssl", ""},
	} {
		if got := ids(x.Lookup(tt.eco, tt.name)); got != tt.want {
			t.Errorf("Lookup(%s, %s) = %q, want %q", tt.eco, tt.name, got, tt.want)
		}
	}
	if a, _ := x.Get("PYSEC-2021-98"); a == nil || a.Aliases[0] != "CVE-2021-33203" {
		t.Errorf("Get = %+v", a)
	}
	if a, _ := x.Get("NOPE-1"); a != nil {
		t.Errorf("Get(NOPE-1) = %+v", a)
	}
	if x.Len() != 3 || len(x.Packages()) != 3 {
		t.Errorf("%d advisories, %d packages", x.Len(), len(x.Packages()))
	}
}

// TestIndexReleases: a component ecosystem with a release finds advisories
// written for that release or a refinement of it, never another release.
func TestIndexReleases(t *testing.T) {
	adv := func(id, eco string) model.Advisory {
		return model.Advisory{ID: id, Source: "X", Affected: []model.Affected{{Ecosystem: eco, Name: "openssl"}}}
	}
	advs := []model.Advisory{adv("A-1", "Debian:11"), adv("A-2", "Debian:12"), adv("A-3", "Ubuntu:22.04:LTS"), adv("A-4", "Ubuntu:22.04")}
	data, recs := encodeAdvisories(advs)
	x, err := openIndex(data, buildIndex(advs, recs, data))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ eco, want string }{
		{"Debian:12", "A-2"}, {"Debian:11", "A-1"}, {"Debian", ""}, {"Ubuntu:22.04", "A-3,A-4"}, {"Ubuntu:22.04:LTS", "A-3"},
	} {
		as, err := x.Lookup(tt.eco, "openssl")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range as {
			got = append(got, a.ID)
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("Lookup(%s) = %v, want %s", tt.eco, got, tt.want)
		}
	}
}

func TestListResolve(t *testing.T) {
	root := t.TempDir()
	s := fromFiles(t, testSpec(testInputs))
	hex := strings.TrimPrefix(s.ID(), "sha256:")
	if err := s.Write(filepath.Join(root, hex)); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(root, "not-a-snapshot"), 0o755)
	es, err := List(root)
	if err != nil || len(es) != 1 || es[0].ID != s.ID() || es[0].Stats.Advisories != 3 {
		t.Fatalf("List = %+v, %v", es, err)
	}
	for _, ref := range []string{s.ID(), hex[:8], "sha256:" + hex[:12], filepath.Join(root, hex)} {
		if dir, err := Resolve(root, ref); err != nil || dir != filepath.Join(root, hex) {
			t.Errorf("Resolve(%s) = %s, %v", ref, dir, err)
		}
	}
	for _, ref := range []string{"abc", "ffffffff", "zzzzzzzzzz"} {
		if _, err := Resolve(root, ref); !fail.Is(err, fail.NotFound) {
			t.Errorf("Resolve(%s): %v", ref, err)
		}
	}
	if es, err := List(filepath.Join(root, "missing")); err != nil || es != nil {
		t.Errorf("List(missing) = %v, %v", es, err)
	}
}

func TestFromFilesErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": [`), 0o644)
	sp := testSpec(testInputs)
	sp.SBOMs = append(sp.SBOMs, bad)
	_, err := FromFiles(sp)
	if !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("truncated SBOM: %v", err)
	}
	sp = testSpec(testInputs)
	sp.Reachability = append(sp.Reachability, writeJSON(t, filepath.Join(dir, "reach2.json"), map[string]any{
		"schema": inputs.ReachSchema, "facts": []any{map[string]any{"purl": "pkg:npm/lodash@4.17.20", "vulnerability": "CVE-2021-23337", "state": "CR", "score": 1}}}))
	if _, err := FromFiles(sp); !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), "different reachability facts") {
		t.Errorf("conflicting facts: %v", err)
	}
	sp = testSpec(testInputs)
	sp.KEV = filepath.Join(testInputs, "shop.cdx.json")
	if _, err := FromFiles(sp); !fail.Is(err, fail.Invalid) || !strings.Contains(err.Error(), "not kev") {
		t.Errorf("SBOM given as KEV: %v", err)
	}
}

// TestConformanceSnapshot freezes all of the shared real data and reads it
// back through the index.
func TestConformanceSnapshot(t *testing.T) {
	data := testenv.RequireData(t)
	sboms, _ := filepath.Glob(filepath.Join(data, "sbom", "*", "*.json"))
	sp := Spec{SBOMs: sboms, KEV: filepath.Join(data, "signals", "kev", "known_exploited_vulnerabilities.json")}
	for _, d := range []string{"go-vulndb", "pypi-pysec", "ghsa-npm", "ghsa-maven"} {
		sp.Advisories = append(sp.Advisories, filepath.Join(data, "osv", d))
	}
	epss, _ := filepath.Glob(filepath.Join(data, "signals", "epss", "*.csv"))
	if len(epss) != 1 {
		t.Fatalf("EPSS files %v", epss)
	}
	sp.EPSS = epss[0]
	s := fromFiles(t, sp)
	dir := filepath.Join(t.TempDir(), "snap")
	if err := s.Write(dir); err != nil {
		t.Fatal(err)
	}
	o, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := o.Manifest.Content.Stats
	if st.SBOMs != 19 || st.Advisories != 7553 || st.Withdrawn != 27 || st.KEV != 1404 || st.EPSS != 519 {
		t.Errorf("stats %+v", st)
	}
	for _, tt := range []struct {
		eco, name string
		min       int
	}{{"Go", "stdlib", 100}, {"PyPI", "django", 50}, {"Maven", "com.fasterxml.jackson.core:jackson-databind", 10}, {"npm", "lodash", 1}} {
		as, err := o.Index.Lookup(tt.eco, tt.name)
		if err != nil || len(as) < tt.min {
			t.Errorf("Lookup(%s, %s): %d advisories, %v", tt.eco, tt.name, len(as), err)
		}
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	filepath.WalkDir(from, func(p string, e os.DirEntry, err error) error {
		rel, _ := filepath.Rel(from, p)
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, _ := os.ReadFile(p)
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
}

// reserialize rewrites a JSON file with reversed key order and different
// whitespace; numbers keep their spelling.
func reserialize(t *testing.T, p string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var write func(v any, indent string)
	write = func(v any, indent string) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Sort(sort.Reverse(sort.StringSlice(keys)))
			out.WriteString("{\n")
			for i, k := range keys {
				kb, _ := json.Marshal(k)
				fmt.Fprintf(&out, "%s\t%s :  ", indent, kb)
				write(x[k], indent+"\t")
				if i < len(keys)-1 {
					out.WriteString(" ,")
				}
				out.WriteString("\n")
			}
			out.WriteString(indent + "}")
		case []any:
			out.WriteString("[ ")
			for i, e := range x {
				if i > 0 {
					out.WriteString(" , ")
				}
				write(e, indent)
			}
			out.WriteString(" ]")
		default:
			vb, _ := json.Marshal(x)
			out.Write(vb)
		}
	}
	write(v, "")
	out.WriteString("\n\n")
	if bytes.Equal(out.Bytes(), b) {
		t.Fatalf("%s: re-serialization changed nothing", p)
	}
	os.WriteFile(p, out.Bytes(), 0o644)
}

func writeJSON(t *testing.T, p string, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gz(t *testing.T, p string, data []byte) {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(data)
	w.Close()
	os.WriteFile(p, buf.Bytes(), 0o644)
}

func appendTo(t *testing.T, p, s string) {
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(s)
	f.Close()
}

func replaceIn(t *testing.T, p, old, new string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s does not contain %q", p, old)
	}
	os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644)
}

func readTree(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			out[rel] = string(b)
		}
		return err
	})
	return out
}

// TestFeedProvenance: a snapshot frozen from the feed cache records each
// feed's provenance in its content (so its id covers it, and it survives the
// store and bundles), sorted by name; without feeds the manifest has no
// feeds member at all, so the ids of such snapshots do not change.
func TestFeedProvenance(t *testing.T) {
	plain := fromFiles(t, testSpec(testInputs))
	if data, _ := plain.Files(); bytes.Contains(data[0].Data, []byte(`"feeds"`)) {
		t.Fatal("a snapshot without feeds has a feeds member")
	}
	sp := testSpec(testInputs)
	sp.Feeds = []Feed{{Name: "kev", URL: "https://x/kev.json", FetchedAt: "2024-07-01T00:00:00Z", Digest: "sha256:01", Records: 1},
		{Name: "epss", URL: "https://x/epss.csv.gz", FetchedAt: "2024-07-01T00:00:00Z", Digest: "sha256:02", Records: 3}}
	fed := fromFiles(t, sp)
	if fed.ID() == plain.ID() {
		t.Fatal("feed provenance does not change the id")
	}
	if got := fed.Manifest.Content.Feeds; len(got) != 2 || got[0].Name != "epss" || got[1].Name != "kev" {
		t.Fatalf("feeds %+v, want sorted by name", got)
	}
	dir := filepath.Join(t.TempDir(), "s")
	if err := fed.Write(dir); err != nil {
		t.Fatal(err)
	}
	back, err := OpenDir(dir)
	if err != nil || back.ID() != fed.ID() || len(back.Manifest.Content.Feeds) != 2 {
		t.Fatalf("reopened: %v %+v", err, back)
	}
}

// TestSBOMFile: an SBOM is only hashed when frozen and encoded again for
// the snapshot's files, which have the digests and sizes of the manifest
// and load back to the same snapshot.
func TestSBOMFile(t *testing.T) {
	in := filepath.Join(testenv.RepoRoot(), "testdata", "inputs")
	spec := Spec{SBOMs: []string{filepath.Join(in, "shop.cdx.json"), filepath.Join(in, "api.spdx.json")}, Advisories: []string{filepath.Join(in, "osv")}}
	s := fromFiles(t, spec)
	files, err := s.Files()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if path.Dir(f.Path) != sbomDir {
			continue
		}
		n++
		if canon.Digest(f.Data) != s.fileDigest(f.Path) {
			t.Errorf("%s: its text does not have the manifest's digest", f.Path)
		}
	}
	if n != 2 {
		t.Fatalf("%d SBOM files, want 2", n)
	}
	dir := filepath.Join(t.TempDir(), "snap")
	if err := s.Write(dir); err != nil {
		t.Fatal(err)
	}
	if back, err := Load(dir); err != nil || back.ID() != s.ID() || !reflect.DeepEqual(back.Inputs.SBOMs, s.Inputs.SBOMs) {
		t.Fatalf("written and loaded: %v", err)
	}
}

// TestSBOMText: an SBOM's content file, written by canon.Append, is the
// bytes canon.Marshal writes, for the test inputs and every shared SBOM.
func TestSBOMText(t *testing.T) {
	paths := []string{filepath.Join(testInputs, "shop.cdx.json"), filepath.Join(testInputs, "api.spdx.json")}
	if data := testenv.DataDir(); data != "" {
		for _, dir := range []string{"cyclonedx", "spdx"} {
			ms, _ := filepath.Glob(filepath.Join(data, "sbom", dir, "*.json"))
			paths = append(paths, ms...)
		}
	}
	for _, p := range paths {
		in, err := inputs.Read(p, inputs.Options{Kind: inputs.KindSBOM})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(canonText(in.SBOM), mustCanon(in.SBOM)) {
			t.Errorf("%s: the content file differs from canon.Marshal's", p)
		}
	}
}
