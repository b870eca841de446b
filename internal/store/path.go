package store

import "path/filepath"

// DefaultPath is the database a command opens when neither --db nor
// STELLA_DB names one (docs/store.md): $XDG_DATA_HOME/stella/stella.db,
// else ~/.local/share/stella/stella.db, else ./stella/stella.db. getenv
// reads the environment.
func DefaultPath(getenv func(string) string) string {
	dir := getenv("XDG_DATA_HOME")
	if dir == "" {
		if home := getenv("HOME"); home != "" {
			dir = filepath.Join(home, ".local", "share")
		} else {
			dir = "."
		}
	}
	return filepath.Join(dir, "stella", "stella.db")
}
