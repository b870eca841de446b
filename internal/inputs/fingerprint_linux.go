package inputs

import (
	"io"
	"os"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func statOf(fi os.FileInfo) (fileStat, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileStat{}, false
	}
	return fileStat{mtime: time.Unix(st.Mtim.Unix()), ctime: time.Unix(st.Ctim.Unix()), ino: uint64(st.Ino), dev: uint64(st.Dev)}, true
}

// dirPrints fingerprints the members dirMembers lists under root — every
// regular *.json file, hidden directories skipped, symbolic links not
// followed — with one directory listing each and an fstatat relative to
// the open directory per file, on GOMAXPROCS goroutines: a run over a
// cached directory of 7,553 advisories pays for nothing else, and a stat
// by full path walks every component of it again (docs/performance.md,
// "The advisory store"). The lines are those Fingerprint writes from
// dirMembers (TestDirPrints). ok is false on anything unexpected — an
// error, a member that changed type, more than lim.MaxFiles members —:
// Fingerprint then walks as Read does, and reports what Read would.
func dirPrints(root string, lim Limits) ([]filePrint, bool) {
	var out []filePrint
	dirs := []string{"."}
	for len(dirs) > 0 {
		rel := dirs[len(dirs)-1]
		dirs = dirs[:len(dirs)-1]
		f, err := os.Open(root + "/" + rel)
		if err != nil {
			return nil, false
		}
		ents, err := f.ReadDir(-1)
		if err != nil && err != io.EOF {
			f.Close()
			return nil, false
		}
		var names []string
		for _, e := range ents {
			name := e.Name()
			switch t := e.Type(); {
			case t.IsDir():
				if !strings.HasPrefix(name, ".") {
					dirs = append(dirs, path.Join(rel, name))
				}
			case t.IsRegular() && strings.EqualFold(path.Ext(name), ".json"):
				names = append(names, name)
			}
		}
		if len(out)+len(names) > lim.MaxFiles {
			f.Close()
			return nil, false
		}
		ps, ok := statAll(int(f.Fd()), rel, names)
		f.Close()
		if !ok {
			return nil, false
		}
		out = append(out, ps...)
	}
	slices.SortFunc(out, func(a, b filePrint) int { return strings.Compare(a.rel, b.rel) })
	return out, true
}

// statAll stats the regular files names in the directory open as fd,
// whose slash path below the root is rel.
func statAll(fd int, rel string, names []string) ([]filePrint, bool) {
	ps := make([]filePrint, len(names))
	bad := make([]bool, len(names))
	stat := func(i int) {
		var st unix.Stat_t
		if unix.Fstatat(fd, names[i], &st, unix.AT_SYMLINK_NOFOLLOW) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
			bad[i] = true
			return
		}
		mode := os.FileMode(st.Mode & 0o777)
		for _, b := range []struct {
			bit  uint32
			mode os.FileMode
		}{{unix.S_ISUID, os.ModeSetuid}, {unix.S_ISGID, os.ModeSetgid}, {unix.S_ISVTX, os.ModeSticky}} {
			if st.Mode&b.bit != 0 {
				mode |= b.mode
			}
		}
		ps[i] = filePrint{rel: path.Join(rel, names[i]), size: st.Size, mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(),
			ino: st.Ino, dev: st.Dev, mode: uint32(mode)}
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, len(names)/256))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(names); i += workers {
				stat(i)
			}
		})
	}
	wg.Wait()
	return ps, !slices.Contains(bad, true)
}
