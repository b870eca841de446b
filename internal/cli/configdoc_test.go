package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/report"
)

// TestConfigReference keeps docs/config.md equal to the command tree: every
// configurable flag and every setting, with its environment variable and the
// commands that take it. Regenerate with:
// go test ./internal/cli -run TestConfigReference -update-docs
func TestConfigReference(t *testing.T) {
	app := &App{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard, Getenv: func(string) string { return "" }}
	root, err := newRootCmd(app, false, "")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.WriteString(configDocHead)
	fmt.Fprintf(&b, "\n## Values that change the gate\n\n%s\n\n`%s`.\n", gateDoc, strings.Join(report.GateKeys(), "`, `"))
	b.WriteString("\n## Keys\n\n| key | environment | commands | meaning |\n|---|---|---|---|\n")
	for _, k := range configKeys(root) {
		cmds := "all (global)"
		switch {
		case !k.Global && k.Commands == nil:
			cmds = "setting"
		case !k.Global:
			cmds = "`" + strings.Join(k.Commands, "`, `") + "`"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s |\n", k.Key, k.Env, cmds, strings.ReplaceAll(k.Usage, "|", `\|`))
	}
	checkDoc(t, "config.md", "TestConfigReference", b.Bytes())
}

const gateDoc = `A config file or environment variable that sets a value which can change a verdict, what the
gate sees or trusts, or the exit code is named on stderr, even with ` + "`--quiet`" + ` (like
` + "`--allow-unsigned-trust`" + `), so a ` + "`stella.yaml`" + ` in the repository under test cannot weaken a CI
gate unseen:

` + "```" + `
stella: ./stella.yaml sets fail-on=never
stella: STELLA_AS_OF sets as-of=2020-01-01T00:00:00Z
` + "```" + `

A value equal to the flag's default is not named. The keys named so are:`

const configDocHead = `# Configuration

Generated from the command tree by ` + "`go test ./internal/cli -run TestConfigReference -update-docs`" + `;
a test fails when it differs.

Every flag of every command (except ` + "`--config`, `--offline`, `--key`, `--trust`" + ` and hidden ones) can also be
set by an environment variable and by a key of the config file. The first that is set wins:

1. the flag on the command line;
2. the environment variable ` + "`STELLA_<FLAG>`" + `: the flag's name upper-cased with ` + "`-`" + ` as ` + "`_`" + `
   (` + "`--fail-on` → `STELLA_FAIL_ON`" + `); a list flag (` + "`--sbom`, `--env`" + `, …) takes whitespace-separated values;
3. the config file: ` + "`--config FILE`" + ` (or ` + "`STELLA_CONFIG`" + `), else ` + "`./stella.yaml`" + `, else
   ` + "`$XDG_CONFIG_HOME/stella/config.yaml`" + `. A key is the flag's name; a list flag takes a YAML list.

` + "```yaml" + `
# stella.yaml
fail-on: new-blocked
as-of: 2025-01-31T00:00:00Z
format: markdown
sign-key: ci
env: [exposure=internet]
signing:
  key: ci
` + "```" + `

` + "```" + `
STELLA_FAIL_ON=never stella policy simulate gate.stella --sbom app.cdx.json --advisories osv/
` + "```" + `

A key applies to every command that has the flag; commands without it ignore it. A key that is
neither a flag nor a setting below is warned about on stderr, naming the nearest valid key when one is a plausible typo:

` + "```" + `
stella: warning: config stella.yaml: unknown key "fail_on" (did you mean "fail-on"?)
` + "```" + `

` + "`--key`" + ` is not taken from the config file: on governance commands it is the acting private key
(whose config key is ` + "`key`" + `, read by those commands themselves), on verify commands a trusted public
key, and one config value cannot mean both. ` + "`--trust`" + ` names a trust config file, whose config key is
` + "`trust_file`" + ` (` + "`trust`" + ` in the config file is a trust list). ` + "`STELLA_OFFLINE`" + ` set to yes (` + "`1`, `true`, `yes`, `on`" + `, any case) turns on ` + "`--sealed`" + `; no (` + "`0`, `false`, `no`, `off`" + `) leaves it
off, and any other value is refused (exit 2) rather than read as online.
` + "`feeds pull --kev`" + `, ` + "`--epss`" + ` and ` + "`--nvd`" + ` choose feeds to pull, while ` + "`policy simulate`" + ` and ` + "`snapshot create`" + `
read files under the same names: for ` + "`feeds pull`" + ` their keys are ` + "`feeds.pull.kev`" + `, ` + "`feeds.pull.epss`" + ` and
` + "`feeds.pull.nvd`" + ` (` + "`STELLA_FEEDS_PULL_KEV`" + `, …), so ` + "`STELLA_KEV=kev.json`" + ` is never read as a yes/no.
`
