package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"

	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/store"
)

// Helpers shared by the commands that use the store and keys.

// openStore opens --db for --tenant. With mustExist, a missing database is
// "not found" instead of being created, for commands that only read.
func (a *App) openStore(ctx context.Context, mustExist bool) (*store.Store, error) {
	return store.Open(ctx, a.Global.DB, a.Global.Tenant, store.Options{MustExist: mustExist})
}

// show is the body of the commands that read one value and print it: open
// the database --db names (it must exist), read the value with get, close
// the database and render the value (render), with table for the table
// format.
func show[T any](ctx context.Context, a *App, get func(*store.Store) (T, error), table func(io.Writer, T, report.Options) error) error {
	st, err := a.openStore(ctx, true)
	if err != nil {
		return err
	}
	v, err := get(st)
	st.Close()
	if err != nil {
		return err
	}
	return a.render(v, func(w io.Writer) error { return table(w, v, a.tableOptions()) })
}

// govShow is show for the governance views, which read through the
// registry (the database and the trust config in force).
func govShow[T any](ctx context.Context, a *App, g *govFlags, get func(*governance.Registry) (T, error), table func(io.Writer, T, report.Options) error) error {
	reg, err := a.site().Registry(ctx, g.trust, true)
	if err != nil {
		return err
	}
	v, err := get(reg)
	reg.Store.Close()
	if err != nil {
		return err
	}
	return a.render(v, func(w io.Writer) error { return table(w, v, a.tableOptions()) })
}

// keysDir is where `key generate` writes key files by default: keys/ beside
// the database (config keys.dir overrides it).
func (a *App) keysDir() string {
	if a.Config != nil {
		if d := a.Config.GetString("keys.dir"); d != "" {
			return d
		}
	}
	return filepath.Join(filepath.Dir(a.Global.DB), "keys")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
