package store

import (
	"path/filepath"
	"testing"
)

func TestDefaultPath(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_DATA_HOME": "/data", "HOME": "/home/u"}, "/data/stella/stella.db"},
		{map[string]string{"HOME": "/home/u"}, "/home/u/.local/share/stella/stella.db"},
		{map[string]string{}, filepath.Join("stella", "stella.db")},
	} {
		if got := DefaultPath(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("DefaultPath(%v) = %q, want %q", c.env, got, c.want)
		}
	}
}
