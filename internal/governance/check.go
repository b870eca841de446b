package governance

import (
	"context"

	"github.com/stella-policy/stella/internal/store"
)

// CheckStore is `store check` (docs/store.md): the store's own checks
// (store.Check) and every governance row against its signed statements
// (CheckRows), which the store cannot judge: it does not import governance.
func CheckStore(ctx context.Context, st *store.Store) (*StoreCheck, error) {
	rep, err := st.Check(ctx)
	if err != nil {
		return nil, err
	}
	err = st.View(ctx, func(tx *store.Tx) error {
		problems, err := CheckRows(ctx, tx)
		rep.Problems = append(rep.Problems, problems...)
		return err
	})
	return &StoreCheck{rep}, err
}

// StoreCheck is the report of `store check`: the store's counts and every
// problem found (its JSON form is store.CheckReport's).
type StoreCheck struct{ *store.CheckReport }
