package governance

import (
	"context"
	"os"
	"strings"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
)

// TrustedKeys resolves --key values, the public keys a verification trusts
// (docs/governance.md): key files (public, or private for their public
// half), or the names and ids of keys registered in the database, which
// open opens when one is first needed. A key given by value is refused.
func TrustedKeys(ctx context.Context, refs []string, open func() (*store.Store, error)) ([]*attest.Key, error) {
	var keys []*attest.Key
	var st *store.Store
	defer func() {
		if st != nil {
			st.Close()
		}
	}()
	for _, ref := range refs {
		if attest.LooksLikeKey(ref) {
			return nil, fail.New(fail.Invalid, "--key was given a key by value; pass a public key file, or the name or id of a registered key")
		}
		if _, err := os.Stat(ref); err == nil || strings.ContainsAny(ref, `/\`) {
			k, err := attest.LoadFile(ref)
			if err != nil {
				return nil, err
			}
			keys = append(keys, k)
			continue
		}
		if st == nil {
			var err error
			if st, err = open(); err != nil {
				if fail.Is(err, fail.NotFound) {
					return nil, fail.New(fail.NotFound, "key %q: no such file, and no database to look it up in", ref)
				}
				return nil, err
			}
		}
		var rec store.Key
		err := st.View(ctx, func(tx *store.Tx) error {
			var err error
			rec, err = tx.Key(ctx, ref)
			return err
		})
		if err != nil {
			return nil, err
		}
		k, err := rec.Public()
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}
