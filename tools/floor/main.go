// Command floor measures the floor of an evaluation: reading the same input
// bytes and decoding them as JSON, with nothing else. It reads every path it
// is given — a file, a directory (every *.json below it) or a zip (every
// *.json member) — on GOMAXPROCS goroutines, decodes each document with
// encoding/json into generic values, and prints the count of documents and
// bytes and the elapsed time to stderr. scripts/bench.sh times it with
// /usr/bin/time beside the stella commands over the same inputs, so
// "stella ÷ floor" says how much stella adds to the unavoidable cost.
//
// The second floor, "floor -matching SBOM OSV…", is the limit of an
// indexed advisory store: read and decode the SBOM and only the OSV records
// an evaluation of it needs (snapshot.Index.Select: the records naming its
// packages and their alias groups), and nothing else. Which records those
// are is found before the clock starts (docs/performance.md, "The floors").
package main

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stella-policy/stella/internal/snapshot"
)

// doc is one JSON document to read.
type doc struct {
	name string
	open func() (io.ReadCloser, error)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: floor PATH… (files, directories of *.json, zips of *.json)")
		os.Exit(2)
	}
	args := os.Args[1:]
	var keep func(doc) bool
	if args[0] == "-matching" {
		if len(args) < 3 {
			fmt.Fprintln(os.Stderr, "usage: floor -matching SBOM OSV… (directories or zips of *.json, or files)")
			os.Exit(2)
		}
		var err error
		if keep, err = matching(args[1], args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
		args = args[1:]
	}
	start := time.Now()
	var docs []doc
	var closers []io.Closer
	for i, p := range args {
		ds, c, err := list(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
		for _, d := range ds {
			if keep == nil || i == 0 || keep(d) {
				docs = append(docs, d)
			}
		}
		if c != nil {
			closers = append(closers, c)
		}
	}
	n, err := decodeAll(docs)
	for _, c := range closers {
		c.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "floor: %d documents, %d bytes read and decoded in %s\n", len(docs), n, time.Since(start).Round(time.Millisecond))
}

// matching returns which OSV documents an evaluation of sbom needs: those
// holding a record Select picks. It reads everything, untimed.
func matching(sbom string, osv []string) (func(doc) bool, error) {
	s, err := snapshot.FromFiles(snapshot.Spec{SBOMs: []string{sbom}, Advisories: osv})
	if err != nil {
		return nil, err
	}
	sel, err := s.Index.Select(s.Inputs.SBOMs)
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, a := range sel {
		ids[a.ID] = true
	}
	need := map[string]bool{}
	for _, p := range osv {
		ds, c, err := list(p)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			if ok, err := holds(d, ids); err != nil {
				return nil, err
			} else if ok {
				need[d.name] = true
			}
		}
		if c != nil {
			c.Close()
		}
	}
	return func(d doc) bool { return need[d.name] }, nil
}

// holds reports whether document d (an OSV record or an array of them)
// holds a record with one of ids.
func holds(d doc, ids map[string]bool) (bool, error) {
	rc, err := d.open()
	if err != nil {
		return false, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return false, err
	}
	var one struct{ ID string }
	if json.Unmarshal(b, &one) == nil {
		return ids[one.ID], nil
	}
	var many []struct{ ID string }
	if err := json.Unmarshal(b, &many); err != nil {
		return false, fmt.Errorf("%s: %w", d.name, err)
	}
	for _, r := range many {
		if ids[r.ID] {
			return true, nil
		}
	}
	return false, nil
}

// list returns the documents of path p.
func list(p string) ([]doc, io.Closer, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, nil, err
	}
	if fi.IsDir() {
		var ds []doc
		err := filepath.WalkDir(p, func(q string, e fs.DirEntry, err error) error {
			if err == nil && e.Type().IsRegular() && strings.EqualFold(filepath.Ext(q), ".json") {
				ds = append(ds, doc{q, func() (io.ReadCloser, error) { return os.Open(q) }})
			}
			return err
		})
		return ds, nil, err
	}
	if strings.EqualFold(filepath.Ext(p), ".zip") {
		zr, err := zip.OpenReader(p)
		if err != nil {
			return nil, nil, err
		}
		var ds []doc
		for _, f := range zr.File {
			if strings.EqualFold(filepath.Ext(f.Name), ".json") {
				ds = append(ds, doc{p + "/" + f.Name, f.Open})
			}
		}
		return ds, zr, nil
	}
	return []doc{{p, func() (io.ReadCloser, error) { return os.Open(p) }}}, nil, nil
}

// decodeAll reads and decodes every document, returning the bytes read.
func decodeAll(docs []doc) (int64, error) {
	var next, total atomic.Int64
	errs := make([]error, len(docs))
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(docs) {
					return
				}
				n, err := decode(docs[i])
				errs[i] = err
				total.Add(n)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return 0, fmt.Errorf("%s: %w", docs[i].name, err)
		}
	}
	return total.Load(), nil
}

func decode(d doc) (int64, error) {
	rc, err := d.open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return 0, err
	}
	var v any
	return int64(len(b)), json.Unmarshal(b, &v)
}
