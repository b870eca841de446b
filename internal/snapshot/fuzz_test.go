package snapshot

import (
	"testing"
	"testing/fstest"

	"github.com/stella-policy/stella/internal/canon"
)

// FuzzOpen replaces one file of a real snapshot directory — the manifest,
// the advisory index, advisories.json, an SBOM — with arbitrary bytes and
// opens it. For a content file the manifest's digest, size and id are
// recomputed, so the bytes reach the file's own parser instead of stopping
// at the digest check. Open and LoadMatching must return a value or an
// error, never panic.
func FuzzOpen(f *testing.F) {
	s, err := FromFiles(testSpec(testInputs))
	if err != nil {
		f.Fatal(err)
	}
	files, err := s.Files()
	if err != nil {
		f.Fatal(err)
	}
	for i, fd := range files {
		f.Add(uint8(i), fd.Data)
	}
	f.Add(uint8(0), []byte(`{"schema":"`+Schema+`","id":"","content":{"files":[{"path":"../x"}]}}`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		fsys := fstest.MapFS{}
		for _, fd := range files {
			fsys[fd.Path] = &fstest.MapFile{Data: fd.Data}
		}
		target := files[int(which)%len(files)].Path
		fsys[target] = &fstest.MapFile{Data: data}
		if target != ManifestFile {
			m := Manifest{Schema: s.Manifest.Schema, Content: s.Manifest.Content}
			m.Content.Files = append([]File(nil), m.Content.Files...)
			for i := range m.Content.Files {
				if m.Content.Files[i].Path == target {
					m.Content.Files[i].Digest, m.Content.Files[i].Size = canon.Digest(data), int64(len(data))
				}
			}
			m.ID = contentID(&m.Content)
			fsys[ManifestFile] = &fstest.MapFile{Data: manifestBytes(&m)}
		}
		o, err := Open(fsys)
		if err != nil {
			return
		}
		_ = o.LoadMatching()
	})
}
