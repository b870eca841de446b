package snapshot

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/model"
)

// Create reads spec's inputs and writes the snapshot to dir.
func Create(spec Spec, dir string) (*Snapshot, error) {
	s, err := FromFiles(spec)
	if err != nil {
		return nil, err
	}
	if err := s.Write(dir); err != nil {
		return nil, err
	}
	return s, nil
}

// Write writes the snapshot to dir atomically: the files are written to a
// temporary directory beside dir and renamed into place, so dir either does
// not exist or holds the whole snapshot. Writing a snapshot into a directory
// that already holds it is a no-op; any other non-empty dir is an error.
func (s *Snapshot) Write(dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fail.New(fail.Invalid, "%s exists and is not a directory", dir)
		}
		if m, err := readManifest(os.DirFS(dir)); err == nil && m.ID == s.ID() {
			return nil
		}
		if ents, err := os.ReadDir(dir); err != nil || len(ents) > 0 {
			return fail.New(fail.Invalid, "%s exists and is not empty; choose a new directory", dir)
		}
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fail.New(fail.Invalid, "create %s: %v", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, ".stella-snapshot-*")
	if err != nil {
		return fail.New(fail.Invalid, "create snapshot directory in %s: %v", parent, err)
	}
	files, err := s.Files()
	if err == nil {
		for _, f := range files {
			if f.Path == ManifestFile {
				f.Data = manifestBytes(&s.Manifest) // on disk, with provenance
			}
			p := filepath.Join(tmp, filepath.FromSlash(f.Path))
			if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
				err = os.WriteFile(p, f.Data, 0o644)
			}
			if err != nil {
				break
			}
		}
	}
	if err == nil {
		err = os.Chmod(tmp, 0o755)
	}
	if err == nil {
		err = os.Rename(tmp, dir)
	}
	if err != nil {
		os.RemoveAll(tmp)
		return fail.New(fail.Invalid, "write snapshot %s: %v", dir, err)
	}
	return nil
}

// FileData is a snapshot file with its bytes.
type FileData struct {
	Path      string
	MediaType string
	Data      []byte
}

// Files returns the files that make up the snapshot, for a store: the
// manifest (without provenance, so the same snapshot always has the same
// bytes) and every content file, sorted by path. Loading these files with
// Open gives the same snapshot.
func (s *Snapshot) Files() ([]FileData, error) {
	m := Manifest{Schema: s.Manifest.Schema, ID: s.Manifest.ID, Content: s.Manifest.Content}
	out := []FileData{{Path: ManifestFile, MediaType: "application/vnd.stella.snapshot+json", Data: manifestBytes(&m)}}
	for _, f := range s.Manifest.Content.Files {
		data, err := s.file(f.Path)
		if err != nil {
			return nil, err
		}
		out = append(out, FileData{Path: f.Path, MediaType: f.MediaType, Data: data})
	}
	slices.SortFunc(out, func(a, b FileData) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func (s *Snapshot) file(p string) ([]byte, error) {
	if s.files != nil && s.files[p] == nil && (p == AdvisoriesFile && s.Index.path != "" || p == IndexFile && s.Index.indexPath != "") {
		// A frozen set read from the cache: its files, checked again.
		var data []byte
		var err error
		if p == AdvisoriesFile {
			var rd *recordReader
			if rd, err = s.Index.open(); err == nil {
				data, err = rd.all()
				rd.close()
			}
		} else {
			data, err = os.ReadFile(s.Index.indexPath)
		}
		if err != nil || canon.Digest(data) != s.fileDigest(p) {
			return nil, fail.New(fail.Integrity, "the cached %s changed while in use", p)
		}
		return data, nil
	}
	if s.files != nil && s.files[p] == nil && path.Dir(p) == sbomDir {
		// An SBOM, only hashed when frozen (finish): encoded again.
		for i := range s.Inputs.SBOMs {
			if sb := &s.Inputs.SBOMs[i]; sbomFile(sb) == p {
				data := canonText(sb)
				if canon.Digest(data) != s.fileDigest(p) {
					return nil, fail.New(fail.Internal, "%s changed while in use", p)
				}
				return data, nil
			}
		}
	}
	if s.files != nil {
		return s.files[p], nil
	}
	if p == AdvisoriesFile && s.Index.data != nil {
		return s.Index.data, nil // read and hashed whole when opened
	}
	data, err := fs.ReadFile(s.fsys, p)
	if err == nil && p == AdvisoriesFile && canon.Digest(data) != s.fileDigest(p) {
		// Opened for a run, only the records read were checked.
		return nil, fail.New(fail.Integrity, "%s: content does not match the manifest digest %s", p, s.fileDigest(p))
	}
	return data, err
}

// fileDigest is the manifest's digest of content file p; "" when it lists
// no such file.
func (s *Snapshot) fileDigest(p string) string {
	if i := slices.IndexFunc(s.Manifest.Content.Files, func(f File) bool { return f.Path == p }); i >= 0 {
		return s.Manifest.Content.Files[i].Digest
	}
	return ""
}

// OpenDir opens the snapshot in dir (Open).
func OpenDir(dir string) (*Snapshot, error) {
	s, verified, err := openDir(dir, false)
	if err == nil {
		err = verified()
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", dir, err)
	}
	return s, nil
}

func openDir(dir string, run bool) (*Snapshot, func() error, error) {
	if err := notAFile(dir); err != nil {
		return nil, nil, err
	}
	return open(os.DirFS(dir), dir, run, false)
}

// readDir opens the snapshot in dir as OpenDir does, but reads every file
// into memory as it hashes it, advisories.json too, and keeps the bytes it
// verified: for a caller that reads every file next (Import: Files), which
// then reads and hashes nothing again — and so cannot get bytes written to
// the directory after they were checked.
func readDir(dir string) (*Snapshot, error) {
	if err := notAFile(dir); err != nil {
		return nil, err
	}
	s, verified, err := open(os.DirFS(dir), "", false, true)
	if err == nil {
		err = verified()
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", dir, err)
	}
	return s, nil
}

func notAFile(dir string) error {
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return fail.New(fail.Invalid, "snapshot %s is a file, not a snapshot directory (a bundle is read by `stella bundle import`)", dir)
	}
	return nil
}

// Load opens the snapshot in dir for an evaluation: it reads the
// advisories its SBOMs can use (LoadMatching). With a version 3 advisory
// index, each record read is checked against its digest in the index,
// which the snapshot id covers, and the rest of advisories.json is not
// read (docs/inputs.md, "Advisory index"); with an older index the whole
// of advisories.json is verified against the manifest while the records
// are chosen and read. Either way Load returns only once that is done.
func Load(dir string) (*Snapshot, error) {
	s, verified, err := openDir(dir, true)
	if err == nil {
		err = s.LoadMatching()
		if verr := verified(); verr != nil {
			err = verr
		}
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", dir, err)
	}
	return s, nil
}

// LoadFS opens the snapshot in fsys for an evaluation (Load).
func LoadFS(fsys fs.FS) (*Snapshot, error) {
	s, err := Open(fsys)
	if err != nil {
		return nil, err
	}
	return s, s.LoadMatching()
}

// Open verifies and opens a snapshot: the manifest's id must be the digest
// of its content, and every content file must have the digest and size the
// manifest records (fail.Integrity otherwise). Everything but the advisories
// is decoded; advisories are read through Index (LoadMatching).
func Open(fsys fs.FS) (*Snapshot, error) {
	s, verified, err := open(fsys, "", false, false)
	if err == nil {
		err = verified()
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// open opens the snapshot in fsys, which is the directory dir on disk when
// dir is not "". The index is decoded on another goroutine while the SBOMs
// are (in a directory it is read and hashed there too). advisories.json in
// a directory is not read into memory: its records are read at their
// offsets (Index), and it is hashed on another goroutine while the other
// files are read and decoded — unless the snapshot is opened for a run and
// its index is version 3, whose record digests are checked instead as the
// records are read. verified waits for the hash. Of several files that do
// not match the manifest, the first in its order is reported, as Open
// would have. keep (with dir "") keeps every content file's verified bytes
// as the snapshot's files, which Files then hands back.
func open(fsys fs.FS, dir string, run, keep bool) (_ *Snapshot, verified func() error, _ error) {
	m, err := readManifest(fsys)
	if err != nil {
		return nil, nil, err
	}
	if got := contentID(&m.Content); got != m.ID {
		return nil, nil, fail.New(fail.Integrity, "manifest id %s does not match its content (%s): the manifest was changed", m.ID, got)
	}
	s := &Snapshot{Manifest: *m, fsys: fsys, Inputs: &model.Inputs{SBOMs: []model.SBOM{}, VEX: []model.VEXStatement{}}}
	if keep {
		s.files = make(map[string][]byte, len(m.Content.Files))
	}
	var advData []byte
	var adv *dataFile // advisories.json, when it is hashed on the side
	var doc IndexDoc
	var idxErr error // of reading, checking or decoding the index
	var idxDone chan struct{}
	verified = func() error { return nil }
	defer func() {
		if idxDone != nil {
			<-idxDone
		}
		if adv != nil && verified == nil {
			adv.wait() // an error of another file: do not leave the hash running
		}
	}()
	// first returns the error of the index or advisories.json, which come
	// first in the manifest's order, when they have one, else err.
	first := func(err error) error {
		if idxDone != nil {
			if <-idxDone; idxErr != nil {
				return idxErr
			}
		}
		return orFirst(adv, err)
	}
	seen := map[string]bool{}
	for _, f := range m.Content.Files {
		if !fs.ValidPath(f.Path) || f.Path == ManifestFile || seen[f.Path] {
			return nil, nil, first(fail.New(fail.Integrity, "manifest lists an invalid or repeated file path %q", f.Path))
		}
		seen[f.Path] = true
		if f.Path == IndexFile && dir != "" {
			idxDone = make(chan struct{})
			go func() {
				defer close(idxDone)
				data, err := readFile(fsys, f)
				if err == nil {
					err = decodeFile(f.Path, data, func(data []byte) error { return decodeIndex(data, &doc, true) })
				}
				idxErr = err
			}()
			continue
		}
		if f.Path == AdvisoriesFile && dir != "" {
			if adv, err = openData(filepath.Join(dir, AdvisoriesFile), f); err != nil {
				return nil, nil, first(err)
			}
			if adv != nil {
				// Hashed now unless a run will check the records it reads
				// (a version 3 index: known once the index is decoded).
				if !run {
					adv.hash()
				}
				s.Digests.Advisories = f.Digest
				continue
			}
		}
		data, err := readFile(fsys, f)
		if err == nil {
			err = decodeFile(f.Path, data, func(data []byte) error { return s.decode(f.Path, data) })
		}
		if err != nil {
			return nil, nil, first(err)
		}
		if keep {
			s.files[f.Path] = data
		}
		switch f.Path {
		case AdvisoriesFile:
			advData = data
			s.Digests.Advisories = f.Digest
		case IndexFile:
			// Decoded while the SBOMs are.
			idxDone = make(chan struct{})
			go func() {
				defer close(idxDone)
				idxErr = decodeFile(f.Path, data, func(data []byte) error { return decodeIndex(data, &doc, true) })
			}()
		case VEXFile:
			s.Digests.VEX = f.Digest
		case NVDFile:
			s.Digests.NVD = f.Digest
		case EPSSFile:
			s.Digests.EPSS = f.Digest
		case KEVFile:
			s.Digests.KEV = f.Digest
		case ReachFile:
			s.Digests.Reachability = f.Digest
		case ExceptionsFile:
			s.Digests.Exceptions = f.Digest
		default:
			if len(s.Inputs.SBOMs) > 0 && strings.HasPrefix(f.Path, sbomDir+"/") {
				sb := s.Inputs.SBOMs[len(s.Inputs.SBOMs)-1]
				s.Digests.SBOMs = append(s.Digests.SBOMs, SBOMDigest{Name: sb.Name, Digest: sb.Digest, File: f.Digest, Components: len(sb.Components)})
			}
		}
	}
	if idxDone == nil || advData == nil && adv == nil {
		return nil, nil, first(fail.New(fail.Integrity, "snapshot without %s and %s", AdvisoriesFile, IndexFile))
	}
	if <-idxDone; idxErr != nil {
		return nil, nil, idxErr
	}
	if adv != nil {
		if !doc.digests() {
			adv.hash() // no record digests to check: the whole file is
		}
		if s.Index, err = openIndexFile(adv.path, adv.print, adv.size, &doc); err == nil {
			s.Index.dir = dir
		}
	} else {
		s.Index, err = openIndex(advData, &doc)
	}
	if err != nil {
		return nil, nil, orFirst(adv, err)
	}
	slices.SortFunc(s.Inputs.SBOMs, func(a, b model.SBOM) int { return strings.Compare(a.Digest, b.Digest) })
	slices.SortFunc(s.Digests.SBOMs, func(a, b SBOMDigest) int { return strings.Compare(a.Digest, b.Digest) })
	if adv != nil {
		verified = adv.wait
	}
	return s, verified, nil
}

// readFile reads content file f of a snapshot and checks it against its
// manifest entry. A file whose size is not the manifest's is refused before
// it is read, and at most one byte more than that size is read: a file that
// grows meanwhile is refused too, never read whole.
func readFile(fsys fs.FS, f File) ([]byte, error) {
	file, err := fsys.Open(f.Path)
	if err != nil {
		return nil, fail.New(fail.Integrity, "%s: %v", f.Path, unwrap(err))
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return nil, fail.New(fail.Integrity, "%s: %v", f.Path, unwrap(err))
	}
	if fi.Size() != f.Size {
		return nil, fail.New(fail.Integrity, "%s: content does not match the manifest digest %s", f.Path, f.Digest)
	}
	data := make([]byte, f.Size+1) // the byte more tells a file grown since
	n, err := io.ReadFull(file, data)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fail.New(fail.Integrity, "%s: %v", f.Path, unwrap(err))
	}
	data = data[:n]
	if int64(len(data)) != f.Size || canon.Digest(data) != f.Digest {
		return nil, fail.New(fail.Integrity, "%s: content does not match the manifest digest %s", f.Path, f.Digest)
	}
	return data, nil
}

// decodeFile decodes the content file p, naming it in an error.
func decodeFile(p string, data []byte, decode func([]byte) error) error {
	if err := decode(data); err != nil {
		return fail.New(fail.Integrity, "%s: %v", p, err)
	}
	return nil
}

// dataFile is advisories.json of a snapshot directory being verified.
type dataFile struct {
	path, print string
	size        int64
	entry       File     // in the manifest
	file        *os.File // open until hashed or waited for
	done        chan struct{}
	err         error
}

// openData opens advisories.json at path, whose manifest entry is f, and
// checks its size; hash hashes it. nil when the platform gives no file
// metadata to hold the file to (inputs.FilePrint): it is then read whole.
func openData(path string, f File) (*dataFile, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fail.New(fail.Integrity, "%s: %v", f.Path, unwrap(err))
	}
	fi, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, fail.New(fail.Integrity, "%s: %v", f.Path, err)
	}
	print, ok := inputs.FilePrint(fi)
	if !ok {
		file.Close()
		return nil, nil
	}
	if fi.Size() != f.Size {
		file.Close()
		return nil, fail.New(fail.Integrity, "%s: content does not match the manifest digest %s", f.Path, f.Digest)
	}
	return &dataFile{path: path, print: print, size: fi.Size(), entry: f, file: file}, nil
}

// hash starts hashing the file against its manifest entry, once.
func (d *dataFile) hash() {
	if d.done != nil {
		return
	}
	d.done = make(chan struct{})
	file := d.file
	d.file = nil
	go func() {
		defer close(d.done)
		defer file.Close()
		h := sha256.New()
		n, err := io.Copy(h, io.NewSectionReader(file, 0, d.size))
		switch {
		case err != nil:
			d.err = fail.New(fail.Integrity, "%s: %v", d.entry.Path, err)
		case n != d.entry.Size || canon.Prefix+hex.EncodeToString(h.Sum(nil)) != d.entry.Digest:
			d.err = fail.New(fail.Integrity, "%s: content does not match the manifest digest %s", d.entry.Path, d.entry.Digest)
		}
	}()
}

// wait waits for the hash, if there is one, and checks that the file was
// not written to since it was opened: its records were read from it
// meanwhile.
func (d *dataFile) wait() error {
	if d.file != nil {
		d.file.Close()
		d.file = nil
	}
	if d.done != nil {
		<-d.done
	}
	if d.err != nil {
		return d.err
	}
	if fi, err := os.Stat(d.path); err != nil || !samePrint(fi, d.print) {
		return fail.New(fail.Integrity, "%s changed while it was read", AdvisoriesFile)
	}
	return nil
}

// orFirst returns the error of advisories.json when it is being hashed and
// does not match, else err: the first file in the manifest's order that
// fails is the one reported.
func orFirst(d *dataFile, err error) error {
	if d != nil {
		if derr := d.wait(); derr != nil {
			return derr
		}
	}
	return err
}

// decode reads one content file into s.Inputs.
func (s *Snapshot) decode(p string, data []byte) error {
	in := s.Inputs
	switch {
	case p == AdvisoriesFile, p == IndexFile:
		return nil
	case p == VEXFile:
		return json.Unmarshal(data, &in.VEX)
	case p == NVDFile:
		return json.Unmarshal(data, &in.NVD)
	case p == EPSSFile:
		return json.Unmarshal(data, &in.EPSS)
	case p == KEVFile:
		return json.Unmarshal(data, &in.KEV)
	case p == ReachFile:
		return json.Unmarshal(data, &in.Reach)
	case p == ExceptionsFile:
		return json.Unmarshal(data, &in.Exceptions)
	case path.Dir(p) == sbomDir:
		var sb model.SBOM
		if err := inputs.DecodeSBOM(data, &sb); err != nil {
			return err
		}
		in.SBOMs = append(in.SBOMs, sb)
		return nil
	}
	return errors.New("unknown content file")
}

// LoadMatching reads into s.Inputs.Advisories the advisories an evaluation
// of the snapshot's SBOMs needs (Index.Select) rather than all of them: a
// join over them is the join over all. The manifest's Stats and Digests —
// and Counts — still describe the whole set.
func (s *Snapshot) LoadMatching() error {
	if s.Inputs.Advisories != nil {
		return nil
	}
	advs, err := s.Index.Select(s.Inputs.SBOMs)
	if err != nil {
		return err
	}
	s.Inputs.Advisories = advs
	return nil
}

func readManifest(fsys fs.FS) (*Manifest, error) {
	data, err := fs.ReadFile(fsys, ManifestFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fail.New(fail.NotFound, "no %s: not a snapshot", ManifestFile)
	}
	if err != nil {
		return nil, fail.New(fail.Invalid, "%s: %v", ManifestFile, unwrap(err))
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fail.New(fail.Integrity, "%s: %v", ManifestFile, err)
	}
	if m.Schema != Schema {
		return nil, fail.New(fail.Invalid, "%s: schema %q is not %q", ManifestFile, m.Schema, Schema)
	}
	return &m, nil
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Entry is a snapshot found in a directory of snapshots.
type Entry struct {
	ID       string   `json:"id"`
	Path     string   `json:"path"`
	Stats    Stats    `json:"stats"`
	Sources  []Source `json:"sources,omitempty"`
	Problems string   `json:"problem,omitempty"` // why the manifest could not be read
}

// List finds the snapshots directly under root (each a directory holding a
// manifest), sorted by id. Only manifests are read; use OpenDir to verify.
// A missing root holds no snapshots.
func List(root string) ([]Entry, error) {
	ents, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fail.New(fail.Invalid, "%s: %v", root, unwrap(err))
	}
	var out []Entry
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		dir := filepath.Join(root, e.Name())
		m, err := readManifest(os.DirFS(dir))
		if fail.Is(err, fail.NotFound) {
			continue
		}
		if err != nil {
			out = append(out, Entry{Path: dir, Problems: err.Error()})
			continue
		}
		out = append(out, Entry{ID: m.ID, Path: dir, Stats: m.Content.Stats, Sources: m.Sources})
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.ID+a.Path, b.ID+b.Path) })
	return out, nil
}

// Resolve finds a snapshot directory: ref is a path to one, or a snapshot id
// or a unique prefix of at least 8 hex digits (with or without "sha256:") of
// one under root.
func Resolve(root, ref string) (string, error) {
	if _, err := os.Stat(filepath.Join(ref, ManifestFile)); err == nil {
		return ref, nil
	}
	hex := strings.TrimPrefix(ref, canon.Prefix)
	if len(hex) < 8 || strings.Trim(hex, "0123456789abcdef") != "" {
		return "", fail.New(fail.NotFound, "snapshot %q not found: give a snapshot directory, or an id (at least 8 hex digits) of one in %s", ref, root)
	}
	ents, err := List(root)
	if err != nil {
		return "", err
	}
	var hits []Entry
	for _, e := range ents {
		if strings.HasPrefix(strings.TrimPrefix(e.ID, canon.Prefix), hex) {
			hits = append(hits, e)
		}
	}
	switch len(hits) {
	case 0:
		return "", fail.New(fail.NotFound, "snapshot %s not found in %s", ref, root)
	case 1:
		return hits[0].Path, nil
	}
	return "", fail.New(fail.Invalid, "snapshot prefix %s is ambiguous: %s, %s", ref, hits[0].ID, hits[1].ID)
}
