package report

import (
	"bufio"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/stella-policy/stella/internal/engine"
)

// findingsJSON encodes the findings of a result as the elements of its
// indented "findings" array — each on a line of its own after four spaces,
// separated by ",\n" — in batches on every core, written in order: the
// encoding is most of the cost of writing a result, and the findings do
// not depend on each other (docs/performance.md, "Sixth session"). At
// most one batch per worker, and one more, are encoded ahead of the
// writer.
type findingsJSON struct {
	fs    []engine.Finding
	parts []chan findingsPart
	free  chan []byte
	stop  chan struct{}
	wg    sync.WaitGroup
}

type findingsPart struct {
	b   []byte
	err error
}

// findingsBatch is how many findings a worker encodes at a time.
const findingsBatch = 8

// encodeFindings starts encoding fs (on GOMAXPROCS workers when there is
// more than one batch); writeTo then writes them, and close stops what is
// left when writing ends early.
func encodeFindings(fs []engine.Finding) *findingsJSON {
	x := &findingsJSON{fs: fs}
	n := (len(fs) + findingsBatch - 1) / findingsBatch
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		return x
	}
	x.parts = make([]chan findingsPart, n)
	for i := range x.parts {
		x.parts[i] = make(chan findingsPart, 1)
	}
	x.free = make(chan []byte, workers+1)
	for range workers + 1 {
		x.free <- nil
	}
	x.stop = make(chan struct{})
	var next atomic.Int64
	for range workers {
		x.wg.Add(1)
		go func() {
			defer x.wg.Done()
			elem := newIndenter("    ", "  ")
			for {
				// A buffer first, then a batch: every batch taken has
				// its buffer, so the one the writer waits for finishes.
				var buf []byte
				select {
				case buf = <-x.free:
				case <-x.stop:
					return
				}
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				b, err := x.batch(buf[:0], elem, i)
				x.parts[i] <- findingsPart{b, err}
			}
		}()
	}
	return x
}

// batch appends the elements of batch i to buf.
func (x *findingsJSON) batch(buf []byte, elem *indenter, i int) ([]byte, error) {
	lo := i * findingsBatch
	for j := lo; j < min(lo+findingsBatch, len(x.fs)); j++ {
		if j > 0 {
			buf = append(buf, ",\n"...)
		}
		buf = append(buf, "    "...)
		var err error
		if buf, err = elem.appendTo(buf, &x.fs[j]); err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// writeTo writes the elements, in finding order; the first error of an
// encoding is returned.
func (x *findingsJSON) writeTo(w *bufio.Writer) error {
	if x.parts == nil {
		elem := newIndenter("    ", "  ")
		var buf []byte
		for i := range (len(x.fs) + findingsBatch - 1) / findingsBatch {
			var err error
			if buf, err = x.batch(buf[:0], elem, i); err != nil {
				return err
			}
			w.Write(buf)
		}
		return nil
	}
	for _, part := range x.parts {
		p := <-part
		if p.err != nil {
			return p.err
		}
		w.Write(p.b)
		x.free <- p.b
	}
	return nil
}

// close stops the workers (writeTo returned early) and waits for them.
func (x *findingsJSON) close() {
	if x.stop != nil {
		close(x.stop)
		x.wg.Wait()
	}
}
