//go:build !linux

package pgtest

import (
	"os"
	"os/exec"
)

// credential is unused outside Linux: the tests must not run as root there.
type credential struct{}

func unprivileged() (*credential, error) { return nil, nil }
func (c *credential) own(string) error   { return nil }
func (c *credential) apply(*exec.Cmd)    {}
func dieWithParent(*exec.Cmd)            {}
func interrupt(p *os.Process)            { p.Signal(os.Interrupt) }
func alive(int) bool                     { return true } // never sweep another process's directory
