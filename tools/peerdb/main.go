// Command peerdb prepares osv-scanner's inputs for a side-by-side
// comparison with stella on the same data (scripts/peer-osv-scanner.sh,
// docs/performance.md "Against osv-scanner"):
//
//	peerdb db OUT OSV…    lay OSV records (directories or zips of *.json) out
//	                      as osv-scanner's offline database:
//	                      OUT/osv-scalibr/<Ecosystem>/all.zip, each record
//	                      unchanged in the zip of every ecosystem it affects
//	peerdb pkgs SBOM OUT  print the SBOM's packages as an osv-scanner JSON
//	                      package list (-L osv-scanner:FILE): every distinct
//	                      (ecosystem, name, version) of its components, as
//	                      stella reads them (internal/inputs); and give every
//	                      ecosystem of the list without records an empty zip
//	                      in the database OUT, as osv-scanner needs one
//
// osv-scanner is a peer to measure against, never a dependency: this
// command only writes files for it.
package main

import (
	"archive/zip"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/match"
)

func main() {
	var err error
	switch {
	case len(os.Args) >= 4 && os.Args[1] == "db":
		err = writeDB(os.Args[2], os.Args[3:])
	case len(os.Args) == 4 && os.Args[1] == "pkgs":
		err = writePkgs(os.Stdout, os.Args[2], os.Args[3])
	default:
		fmt.Fprintln(os.Stderr, "usage: peerdb db OUT OSV… | peerdb pkgs SBOM OUT")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "peerdb:", err)
		os.Exit(1)
	}
}

// record is one raw OSV record file.
type record struct {
	name string
	data []byte
}

func writeDB(out string, paths []string) error {
	byEco := map[string][]record{}
	add := func(name string, data []byte) error {
		var r struct {
			ID       string `json:"id"`
			Affected []struct {
				Package struct {
					Ecosystem string `json:"ecosystem"`
				} `json:"package"`
			} `json:"affected"`
		}
		if err := json.Unmarshal(data, &r); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		seen := map[string]bool{}
		for _, a := range r.Affected {
			eco, _, _ := strings.Cut(a.Package.Ecosystem, ":")
			if eco != "" && !seen[eco] {
				seen[eco] = true
				byEco[eco] = append(byEco[eco], record{r.ID + ".json", data})
			}
		}
		return nil
	}
	for _, p := range paths {
		if strings.EqualFold(filepath.Ext(p), ".zip") {
			zr, err := zip.OpenReader(p)
			if err != nil {
				return err
			}
			for _, f := range zr.File {
				if !strings.EqualFold(filepath.Ext(f.Name), ".json") {
					continue
				}
				rc, err := f.Open()
				if err != nil {
					return err
				}
				data, err := io.ReadAll(rc)
				rc.Close()
				if err == nil {
					err = add(p+"/"+f.Name, data)
				}
				if err != nil {
					return err
				}
			}
			zr.Close()
			continue
		}
		err := filepath.WalkDir(p, func(q string, e fs.DirEntry, err error) error {
			if err != nil || !e.Type().IsRegular() || !strings.EqualFold(filepath.Ext(q), ".json") {
				return err
			}
			data, err := os.ReadFile(q)
			if err != nil {
				return err
			}
			return add(q, data)
		})
		if err != nil {
			return err
		}
	}
	// osv-scanner also loads a GIT database (commit ranges), even when empty.
	if _, ok := byEco["GIT"]; !ok {
		dir := filepath.Join(out, "osv-scalibr", "GIT")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "all.zip"), emptyZip(), 0o644); err != nil {
			return err
		}
	}
	for eco, recs := range byEco {
		slices.SortFunc(recs, func(a, b record) int { return strings.Compare(a.name, b.name) })
		dir := filepath.Join(out, "osv-scalibr", eco)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		f, err := os.Create(filepath.Join(dir, "all.zip"))
		if err != nil {
			return err
		}
		zw := zip.NewWriter(f)
		for i, r := range recs {
			if i > 0 && recs[i-1].name == r.name {
				continue
			}
			w, err := zw.Create(r.name)
			if err == nil {
				_, err = w.Write(r.data)
			}
			if err != nil {
				return err
			}
		}
		if err := zw.Close(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

type pkg struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Ecosystem string `json:"ecosystem"`
}

func writePkgs(w io.Writer, sbom, out string) error {
	in, err := inputs.Read(sbom, inputs.Options{Kind: inputs.KindSBOM})
	if err != nil {
		return err
	}
	var pkgs []pkg
	for i := range in.SBOM.Components {
		c := &in.SBOM.Components[i]
		eco, name := match.Target(c)
		if eco != "" && name != "" && c.Version != "" {
			pkgs = append(pkgs, pkg{Name: name, Version: c.Version, Ecosystem: eco})
		}
	}
	slices.SortFunc(pkgs, func(a, b pkg) int {
		return cmp.Or(strings.Compare(a.Ecosystem, b.Ecosystem), strings.Compare(a.Name, b.Name), strings.Compare(a.Version, b.Version))
	})
	pkgs = slices.Compact(pkgs)
	for _, p := range pkgs {
		eco, _, _ := strings.Cut(p.Ecosystem, ":")
		zp := filepath.Join(out, "osv-scalibr", eco, "all.zip")
		if _, err := os.Stat(zp); err == nil {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(zp), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(zp, emptyZip(), 0o644); err != nil {
			return err
		}
	}
	type entry struct {
		Package pkg `json:"package"`
	}
	list := struct {
		Results []struct {
			Source   struct{} `json:"source"`
			Packages []entry  `json:"packages"`
		} `json:"results"`
	}{}
	list.Results = make([]struct {
		Source   struct{} `json:"source"`
		Packages []entry  `json:"packages"`
	}, 1)
	for _, p := range pkgs {
		list.Results[0].Packages = append(list.Results[0].Packages, entry{p})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(list)
}

func emptyZip() []byte {
	var b strings.Builder
	zip.NewWriter(&b).Close()
	return []byte(b.String())
}
