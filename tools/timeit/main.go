//go:build unix

// Command timeit runs a command and reports what /usr/bin/time -v reports
// that scripts/bench.sh reads — wall clock, user and system CPU time and the
// peak resident set size, from the child's rusage — in the same
// "name: value" lines, on stderr after the command's own output. bench.sh
// uses it only when /usr/bin/time is missing and cannot be installed.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "-v" { // as /usr/bin/time -v is called; the report is always the verbose one
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: timeit [-v] COMMAND [ARG…]")
		os.Exit(2)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		fmt.Fprintln(os.Stderr, "timeit:", err)
		fmt.Fprintln(os.Stderr, "\tExit status: 127")
		os.Exit(127)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if ru == nil {
		ru = &syscall.Rusage{}
	}
	sec := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	fmt.Fprintf(os.Stderr, "\tCommand being timed: %q\n", args)
	fmt.Fprintf(os.Stderr, "\tUser time (seconds): %.3f\n", sec(ru.Utime))
	fmt.Fprintf(os.Stderr, "\tSystem time (seconds): %.3f\n", sec(ru.Stime))
	fmt.Fprintf(os.Stderr, "\tElapsed (wall clock) time (h:mm:ss or m:ss): %d:%06.3f\n", int(wall.Minutes()), wall.Seconds()-60*float64(int(wall.Minutes())))
	fmt.Fprintf(os.Stderr, "\tMaximum resident set size (kbytes): %d\n", ru.Maxrss) // kilobytes on Linux
	fmt.Fprintf(os.Stderr, "\tExit status: %d\n", code)
	os.Exit(code)
}
