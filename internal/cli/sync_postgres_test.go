package cli

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/stella-policy/stella/internal/pgtest"
)

// pgdbCmd is the script command `pgdb NAME`: it creates an empty database
// on the test PostgreSQL server (see internal/pgtest) and sets $NAME to its
// connection string and $NAME_DB to the database's name. Roles the script
// creates must be named ${NAME_DB}_…: they are dropped with the database.
// Scripts guard it with [!pg] skip.
func pgdbCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: pgdb NAME")
	}
	dsn, drop, err := pgtest.NewDB(filepath.Base(ts.Getenv("WORK")))
	ts.Check(err)
	u, err := url.Parse(dsn)
	ts.Check(err)
	db := strings.TrimPrefix(u.Path, "/")
	ts.Defer(func() {
		if err := dropRoles(dsn, db); err != nil {
			ts.Logf("pgdb: %v", err)
		}
		if err := drop(); err != nil {
			ts.Logf("pgdb: %v", err)
		}
	})
	ts.Setenv(args[0], dsn)
	ts.Setenv(args[0]+"_DB", db)
}

// dropRoles drops the roles named db_… that a script created.
func dropRoles(dsn, db string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1)`, db+"_")
	if err != nil {
		return err
	}
	roles, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, r := range roles {
		q := pgx.Identifier{r}.Sanitize()
		if _, err := conn.Exec(ctx, "DROP OWNED BY "+q+"; DROP ROLE "+q); err != nil {
			return err
		}
	}
	return nil
}

// pgsqlCmd is the script command `pgsql DSN SQL…`: it runs each statement
// and prints the rows of the last one, tab-separated, to stdout. With `!`
// the last statement must fail; its error goes to stderr.
func pgsqlCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: pgsql DSN SQL…")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, args[0])
	ts.Check(err)
	defer conn.Close(ctx)
	for i, q := range args[1:] {
		rows, err := conn.Query(ctx, q)
		if err == nil {
			for rows.Next() {
				vals, verr := rows.Values()
				ts.Check(verr)
				s := make([]string, len(vals))
				for j, v := range vals {
					s[j] = fmt.Sprint(v)
				}
				fmt.Fprintln(ts.Stdout(), strings.Join(s, "\t"))
			}
			rows.Close()
			err = rows.Err()
		}
		last := i == len(args)-2
		switch {
		case err != nil && last && neg:
			fmt.Fprintln(ts.Stderr(), err)
		case err != nil:
			ts.Fatalf("pgsql %s: %v", q, err)
		case last && neg:
			ts.Fatalf("pgsql %s: unexpected success", q)
		}
	}
}

// pguserCmd is the script command `pguser VAR DSN ROLE`: it sets $VAR to
// DSN connecting as ROLE.
func pguserCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: pguser VAR DSN ROLE")
	}
	u, err := url.Parse(args[1])
	ts.Check(err)
	u.User = url.User(args[2])
	ts.Setenv(args[0], u.String())
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
