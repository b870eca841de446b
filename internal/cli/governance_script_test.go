package cli

import (
	"database/sql"

	"github.com/rogpeppe/go-internal/testscript"
)

// sqlexecCmd is the testscript command `sqlexec DB SQL…`: it runs each SQL
// statement on the SQLite database DB directly, the way someone with write
// access to the file could, to show that stella notices.
func sqlexecCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: sqlexec DB SQL…")
	}
	db, err := sql.Open("sqlite", ts.MkAbs(args[0]))
	if err != nil {
		ts.Fatalf("sqlexec: %v", err)
	}
	defer db.Close()
	for _, q := range args[1:] {
		_, err := db.Exec(q)
		if err != nil && !neg {
			ts.Fatalf("sqlexec %s: %v", q, err)
		}
		if err == nil && neg {
			ts.Fatalf("sqlexec %s: unexpected success", q)
		}
	}
}
