package bundle

import (
	"bytes"
	"context"
	"testing"
)

// BenchmarkExport builds, signs and compresses the fixture site's bundle
// (a policy version, a snapshot and a signed run).
func BenchmarkExport(b *testing.B) {
	s := newSite(b, nil)
	var size int
	for b.Loop() {
		size = len(exportSite(b, s, ExportOptions{}).Data)
	}
	b.ReportMetric(float64(size), "bytes/bundle")
}

// BenchmarkReadVerify decompresses, reads and fully verifies it.
func BenchmarkReadVerify(b *testing.B) {
	s := newSite(b, nil)
	data := exportSite(b, s, ExportOptions{}).Data
	o := VerifyOptions{Trusted: publicOnly(s.key), TimeAnchor: anchor}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		bd, err := Read(bytes.NewReader(data), Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := bd.Verify(context.Background(), o); err != nil {
			b.Fatal(err)
		}
	}
}
