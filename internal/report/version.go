package report

import (
	"io"

	"github.com/stella-policy/stella/internal/buildinfo"
)

// ToolVersion writes the text form of `stella version`: the version, the
// commit, the Go version and the platform.
func ToolVersion(w io.Writer, info buildinfo.Info) error {
	_, err := printf(w, "stella %s\ncommit %s\n%s %s\n", info.Version, info.Commit, info.GoVersion, info.Platform)
	return err
}
