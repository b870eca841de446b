package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/stella-policy/stella/internal/pgtest"
	"github.com/stella-policy/stella/internal/testenv"
)

func TestMain(m *testing.M) {
	// In-process tests keep no frozen-advisory cache in the user's cache
	// directory; the tests of the cache give it one (shared_pins_test.go).
	// Scripts run with their own $HOME/.cache.
	if os.Getenv("STELLA_INPUTS_CACHE_DIR") == "" {
		os.Setenv("STELLA_INPUTS_CACHE_DIR", "off")
	}
	testscript.Main(m, map[string]func(){
		"stella": func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the end-to-end CLI scripts in testdata/script. Each runs
// in its own $WORK with HOME and XDG directories inside it; $REPO is the
// repository root and $DATA the shared real data (condition [data] tells
// whether it is present). [pg] tells whether a PostgreSQL server is available
// (internal/pgtest) and `pgdb NAME` creates a database on it, setting $NAME to
// its connection string; `pgsql DSN SQL…` queries it and `pguser VAR DSN
// ROLE` connects as another role (sync_postgres_test.go). `sqlexec DB SQL…` edits a database behind stella's
// back (tampering tests). `feedserver DIR` serves DIR over HTTP on loopback
// as $FEEDS, and `osvzip ZIP FILE…` builds an osv.dev-style archive
// (feeds_script_test.go). `gencost DIR RULES FINDINGS` writes a policy and
// inputs of a chosen evaluation cost (bounds_script_test.go).
// STELLA_UPDATE=1 rewrites cmp targets.
func TestScripts(t *testing.T) {
	root := testenv.RepoRoot()
	data := testenv.DataDir()
	t.Cleanup(pgtest.Stop) // the server [pg] scripts started, if any
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join(root, "testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("STELLA_UPDATE") != "",
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, ".config"))
			env.Setenv("XDG_DATA_HOME", filepath.Join(env.WorkDir, ".local", "share"))
			env.Setenv("XDG_CACHE_HOME", filepath.Join(env.WorkDir, ".cache"))
			env.Setenv("REPO", root)
			env.Setenv("DATA", data)
			env.Setenv("NO_COLOR", "")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"pgdb": pgdbCmd, "pgsql": pgsqlCmd, "pguser": pguserCmd, "sqlexec": sqlexecCmd,
			"feedserver": feedserverCmd, "osvzip": osvzipCmd, "gencost": gencostCmd},
		Condition: func(cond string) (bool, error) {
			if cond == "pg" {
				return pgCondition()
			}
			if cond == "data" {
				if data == "" && os.Getenv("CI") == "true" {
					t.Fatal("CI=true requires the shared data for [data] scripts")
				}
				return data != "", nil
			}
			return false, nil
		},
	})
}
