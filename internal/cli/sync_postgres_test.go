package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/stella-policy/stella/internal/pgtest"
)

// pgdbCmd is the script command `pgdb NAME`: it creates an empty database
// on the test PostgreSQL server (see internal/pgtest) and sets $NAME to its
// connection string. Scripts guard it with [!pg] skip.
func pgdbCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: pgdb NAME")
	}
	dsn, drop, err := pgtest.NewDB(filepath.Base(ts.Getenv("WORK")))
	ts.Check(err)
	ts.Defer(func() {
		if err := drop(); err != nil {
			ts.Logf("pgdb: %v", err)
		}
	})
	ts.Setenv(args[0], dsn)
}

// pgCondition is the script condition [pg]: a PostgreSQL server is
// available for tests. CI (CI=true) must have one.
func pgCondition() (bool, error) {
	ok, reason := pgtest.Available()
	if !ok && os.Getenv("CI") == "true" {
		return false, fmt.Errorf("CI=true requires PostgreSQL for [pg] scripts: %s", reason)
	}
	return ok, nil
}
