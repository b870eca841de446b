// Command stella compiles stella-dsl@1 policies and evaluates them against frozen
// supply-chain inputs. All behaviour lives in internal/cli.
package main

import (
	"os"

	"github.com/stella-policy/stella/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
