// Package migrations owns reading SQL schema migrations (docs/store.md,
// docs/sync.md): the files migrations/NNNN_name.sql of an embedded file
// system, in order. The SQLite store and the PostgreSQL sync each embed
// their own files and apply them their own way; the file layout and its
// rules are one.
package migrations

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one schema step.
type Migration struct {
	Version int    // NNNN
	Name    string // the file name
	SQL     string
}

// Load returns the migrations/*.sql files of fsys in order. Their numbers
// must run 1, 2, 3… without gaps; anything else is a build mistake and
// panics, naming owner (the package that embeds them).
func Load(fsys fs.FS, owner string) []Migration {
	files, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	var ms []Migration
	for _, f := range files {
		base := path.Base(f)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			panic(owner + ": migration file name must be NNNN_name.sql: " + base)
		}
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			panic(err)
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			panic(fmt.Sprintf("%s: migration %s: want number %d", owner, m.Name, i+1))
		}
	}
	return ms
}
