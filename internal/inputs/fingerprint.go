package inputs

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strconv"
	"time"
)

// Fingerprint identifies the files an advisory input path reads by their
// metadata alone, without reading them: for a directory, every *.json file
// Read would read (the same walk), for a file or zip the file itself, each
// with its size, modification and change times, inode and device. Changing,
// adding, removing or replacing a file changes the fingerprint; the change
// time (ctime) cannot be set back by an ordinary user, so a file rewritten
// with its old size and mtime still changes it. newest is the latest mtime
// or ctime seen: a file changed within the timestamp granularity of a
// fingerprint taken just before could keep its ctime, so a cache keyed by
// fingerprints must not trust entries whose files are that new
// (docs/performance.md, "The advisory store"). ok is false where the
// platform gives no change time or inode: nothing can be cached there.
func Fingerprint(p string, lim Limits) (fp string, newest time.Time, ok bool, err error) {
	lim = lim.withDefaults()
	fi, err := os.Stat(p)
	if err != nil {
		return "", time.Time{}, false, invalid("", Problem{File: p, Msg: unwrapPathError(err).Error()})
	}
	h := sha256.New()
	var line []byte
	add := func(rel string, fi os.FileInfo) bool {
		st, ok := statOf(fi)
		if !ok {
			return false
		}
		line = appendPrint(line[:0], rel, fi.Size(), st.mtime.UnixNano(), st.ctime.UnixNano(), st.ino, st.dev, uint32(fi.Mode()))
		h.Write(line)
		newest = latest(newest, st.mtime, st.ctime)
		return true
	}
	if !add("", fi) {
		return "", time.Time{}, false, nil
	}
	if !fi.IsDir() {
		return hex.EncodeToString(h.Sum(nil)), newest, true, nil
	}
	if ps, ok := dirPrints(p, lim); ok {
		for _, f := range ps {
			line = appendPrint(line[:0], f.rel, f.size, f.mtime, f.ctime, f.ino, f.dev, f.mode)
			h.Write(line)
			newest = latest(newest, time.Unix(0, f.mtime), time.Unix(0, f.ctime))
		}
		return hex.EncodeToString(h.Sum(nil)), newest, true, nil
	}
	ms, err := dirMembers(p, lim)
	if err != nil {
		return "", time.Time{}, false, err
	}
	for _, m := range ms {
		if !add(m.rel, m.stat) {
			return "", time.Time{}, false, nil
		}
	}
	return hex.EncodeToString(h.Sum(nil)), newest, true, nil
}

// filePrint is one member's line of a directory's fingerprint.
type filePrint struct {
	rel                string
	size, mtime, ctime int64 // times in nanoseconds
	ino, dev           uint64
	mode               uint32 // os.FileMode
}

// FilePrint is the fingerprint line of one file's metadata (size,
// modification and change times, inode, device, mode), as Fingerprint
// writes it: for a file stella wrote itself and reads back later without
// reading it whole (the frozen-advisory cache's advisories.json,
// docs/performance.md "The advisory store"). ok is false where the
// platform gives no change time or inode.
func FilePrint(fi os.FileInfo) (line string, ok bool) {
	st, ok := statOf(fi)
	if !ok {
		return "", false
	}
	return string(appendPrint(nil, "", fi.Size(), st.mtime.UnixNano(), st.ctime.UnixNano(), st.ino, st.dev, uint32(fi.Mode()))), true
}

// appendPrint appends one file's line of a fingerprint: what
// fmt.Sprintf("%q %d %d %d %d %d %o\n", …) writes, without fmt for each of
// thousands of files.
func appendPrint(b []byte, rel string, size, mtime, ctime int64, ino, dev uint64, mode uint32) []byte {
	b = strconv.AppendQuote(b, rel)
	for _, n := range []int64{size, mtime, ctime} {
		b = strconv.AppendInt(append(b, ' '), n, 10)
	}
	b = strconv.AppendUint(append(b, ' '), ino, 10)
	b = strconv.AppendUint(append(b, ' '), dev, 10)
	b = strconv.AppendUint(append(b, ' '), uint64(mode), 8)
	return append(b, '\n')
}

// fileStat is what Fingerprint needs beyond os.FileInfo.
type fileStat struct {
	mtime, ctime time.Time
	ino, dev     uint64
}

func latest(t time.Time, us ...time.Time) time.Time {
	for _, u := range us {
		if u.After(t) {
			t = u
		}
	}
	return t
}
