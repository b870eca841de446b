// Package buildinfo owns the version stamp of the stella binary, set at link
// time with -ldflags "-X github.com/stella-policy/stella/internal/buildinfo.Version=…".
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Set by the linker; see Makefile and .goreleaser.yaml.
var (
	Version = "dev"
	Commit  = ""
)

// Info is what `stella version` prints.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Get returns the build information, filling the commit from the Go build's
// VCS stamp when the linker did not set it.
func Get() Info {
	commit := Commit
	if commit == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					commit = s.Value
				}
			}
		}
	}
	if commit == "" {
		commit = "unknown"
	}
	return Info{Version: Version, Commit: commit, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
}

// Producer is the producer string written into bundles and attestations.
func Producer() string { return "stella/" + Version }
