// Command floor measures the floor of an evaluation: reading the same input
// bytes and decoding them as JSON, with nothing else. It reads every path it
// is given — a file, a directory (every *.json below it) or a zip (every
// *.json member) — on GOMAXPROCS goroutines, decodes each document with
// encoding/json into generic values, and prints the count of documents and
// bytes and the elapsed time to stderr. scripts/bench.sh times it with
// /usr/bin/time beside the stella commands over the same inputs, so
// "stella ÷ floor" says how much stella adds to the unavoidable cost.
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
	start := time.Now()
	var docs []doc
	var closers []io.Closer
	for _, p := range os.Args[1:] {
		ds, c, err := list(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
		docs = append(docs, ds...)
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
