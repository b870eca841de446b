package report

import (
	"cmp"
	"fmt"
	"io"
	"strings"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/snapshot"
	"github.com/stella-policy/stella/internal/text"
)

// SnapshotCreated writes what `stella snapshot create` did: the id, where
// the snapshot is, and its content in one line.
func SnapshotCreated(w io.Writer, c *snapshot.Created) error {
	verb := "created"
	if !c.Created {
		verb = "already present"
	}
	_, err := printf(w, "%s\n%s in %s\n%s\n", c.ID, verb, c.Path, statsLine(&c.Stats))
	return err
}

// SnapshotImported writes what `stella snapshot import` did.
func SnapshotImported(w io.Writer, im *snapshot.Imported) error {
	verb := "imported"
	if !im.Created {
		verb = "already stored"
	}
	_, err := printf(w, "%s %s (%d files, %d bytes: %d SBOMs, %d components, %d advisories, %d VEX statements)\n",
		verb, im.ID, im.Files, im.Bytes, im.Stats.SBOMs, im.Stats.Components, im.Stats.Advisories, im.Stats.VEX)
	return err
}

// SnapshotList writes `stella snapshot ls`: the snapshots under root and in
// the database.
func SnapshotList(w io.Writer, es []snapshot.Entry, root string, o Options) error {
	if len(es) == 0 {
		_, err := printf(w, "no snapshots in %s or the database\n", root)
		return err
	}
	t := NewTable(w, o.TTY, "ID", "SBOMS", "COMPONENTS", "ADVISORIES", "VEX", "PATH")
	for _, e := range es {
		if e.Problems != "" {
			t.Append("?", "", "", "", "", e.Path+": "+e.Problems)
			continue
		}
		st := e.Stats
		t.Append(canon.Short(e.ID, 12), st.SBOMs, st.Components, st.Advisories, st.VEX, e.Path)
	}
	return t.Render()
}

// SnapshotShow writes `stella snapshot show`: the inputs, the feeds frozen
// in, counts per ecosystem, components without a purl and skipped records.
func SnapshotShow(w io.Writer, out *snapshot.Shown, o Options) error {
	st := &out.Stats
	printf(w, "snapshot %s\npath     %s\ncontent  %s\n\n", out.ID, out.Path, statsLine(st))
	t := NewTable(w, o.TTY, "KIND", "FORMAT", "VERSION", "DIGEST", "COUNTS", "SOURCE")
	for _, in := range out.Inputs {
		var srcs []string
		for _, s := range out.Sources {
			if s.Kind == in.Kind && s.Digest == in.Digest {
				srcs = append(srcs, s.Path)
			}
		}
		t.Append(string(in.Kind), string(in.Format), in.SpecVersion, canon.Short(in.Digest, 12), countsText(in.Counts), strings.Join(srcs, ", "))
	}
	if err := t.Render(); err != nil {
		return err
	}
	if len(out.Feeds) > 0 {
		printf(w, "\nfrozen from the feed cache:\n")
		ft := NewTable(w, o.TTY, "FEED", "RECORDS", "NEWEST", "FETCHED", "DIGEST", "SOURCE")
		for _, f := range out.Feeds {
			ft.Append(f.Name, f.Records, cmp.Or(f.Newest, "-"), f.FetchedAt, canon.Short(f.Digest, 12), f.URL)
		}
		if err := ft.Render(); err != nil {
			return err
		}
	}
	for _, g := range []struct {
		title string
		cs    []snapshot.Count
	}{
		{"components by ecosystem", st.ComponentsByEcosystem},
		{"advisories by ecosystem", st.AdvisoriesByEcosystem},
		{"advisories by source", st.AdvisoriesBySource},
		{"VEX statements by status", st.VEXByStatus},
	} {
		if len(g.cs) == 0 {
			continue
		}
		var parts []string
		for _, c := range g.cs {
			parts = append(parts, fmt.Sprintf("%s %d", c.Name, c.Count))
		}
		printf(w, "\n%s: %s", g.title, strings.Join(parts, ", "))
	}
	printLine(w)
	if len(out.NoPurl) > 0 {
		printf(w, "\ncomponents without purl (cannot match advisories):\n")
		for _, c := range out.NoPurl {
			printf(w, "  %s: %s (%s %s)\n", c.SBOM, c.Ref, c.Name, c.Version)
		}
	}
	var skipped []inputs.Problem
	for _, s := range out.Sources {
		skipped = append(skipped, s.Skipped...)
	}
	if len(skipped) > 0 {
		printf(w, "\nskipped records (--skip-invalid):\n")
		for _, p := range skipped {
			printf(w, "  %s\n", p)
		}
	}
	return nil
}

// statsLine summarizes snapshot content in one line.
func statsLine(st *snapshot.Stats) string {
	sboms := fmt.Sprintf("%s (%s", text.Count(st.SBOMs, "SBOM", "SBOMs"), text.Count(st.Components, "component", "components"))
	if st.NoPurl > 0 {
		sboms += fmt.Sprintf(", %d without purl", st.NoPurl)
	}
	advs := text.Count(st.Advisories, "advisory", "advisories")
	if st.Withdrawn > 0 {
		advs += fmt.Sprintf(" (%d withdrawn)", st.Withdrawn)
	}
	parts := []string{sboms + ")", advs, text.Count(st.VEX, "VEX statement", "VEX statements")}
	for _, x := range []struct {
		k         int
		one, many string
	}{
		{st.NVD, "NVD CVE record", "NVD CVE records"}, {st.EPSS, "EPSS score", "EPSS scores"}, {st.KEV, "KEV entry", "KEV entries"},
		{st.Reachability, "reachability fact", "reachability facts"}, {st.Exceptions, "exception", "exceptions"},
		{st.Skipped, "skipped record", "skipped records"},
	} {
		if x.k > 0 {
			parts = append(parts, text.Count(x.k, x.one, x.many))
		}
	}
	return strings.Join(parts, ", ")
}

// countsText lists the non-zero counts of an input ("empty" when none is).
func countsText(c inputs.Counts) string {
	var parts []string
	for _, x := range []struct {
		n         int
		one, many string
	}{
		{c.Components, "component", "components"}, {c.NoPurl, "without purl", "without purl"},
		{c.Advisories, "advisory", "advisories"}, {c.Withdrawn, "withdrawn", "withdrawn"},
		{c.VEX, "statement", "statements"}, {c.NVD, "CVE record", "CVE records"}, {c.EPSS, "score", "scores"}, {c.KEV, "entry", "entries"},
		{c.Reachability, "fact", "facts"}, {c.Exceptions, "exception", "exceptions"}, {c.Skipped, "skipped", "skipped"},
	} {
		if x.n > 0 {
			parts = append(parts, text.Count(x.n, x.one, x.many))
		}
	}
	if len(parts) == 0 {
		return "empty"
	}
	return strings.Join(parts, ", ")
}

// InspectErrors writes the error of each file inputs inspect could not read
// — an input error one problem per line (InputError), another on one line
// (ErrorLine) — and returns how many there were.
func InspectErrors(w io.Writer, out []snapshot.Inspected) int {
	n := 0
	for _, r := range out {
		if err := r.Err(); err != nil {
			n++
			if _, ok := InputError(w, err); !ok {
				ErrorLine(w, err)
			}
		}
	}
	return n
}

// InputsInspect writes `stella inputs inspect`: one row per file, then the
// warnings and skipped records.
func InputsInspect(w io.Writer, out []snapshot.Inspected, o Options) error {
	t := NewTable(w, o.TTY, "FILE", "KIND", "FORMAT", "VERSION", "DIGEST", "CONTENT", "WARNINGS")
	for _, r := range out {
		if r.Error != nil {
			t.Append(r.Path, "", "", "", "", "error (see above)", "")
			continue
		}
		t.Append(r.Path, string(r.Kind), string(r.Format), r.SpecVersion, canon.Short(r.Digest, 12), countsText(r.Counts), len(r.Warnings))
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, r := range out {
		for _, p := range r.Warnings {
			printf(w, "warning: %s\n", p)
		}
		for _, p := range r.Skipped {
			printf(w, "skipped: %s\n", p)
		}
	}
	return nil
}
