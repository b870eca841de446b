// Package cli owns stella's command line: the cobra command tree, global
// flags and configuration, output formats, and the mapping from errors to
// exit codes. Each command lives in its own file with an Options struct and a
// run function that writes only to the App's streams.
package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
	"golang.org/x/term"

	"github.com/stella-policy/stella/internal/atomicfile"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/governance"
	"github.com/stella-policy/stella/internal/report"
	"github.com/stella-policy/stella/internal/run"
	"github.com/stella-policy/stella/internal/store"
)

// App is what every command receives: its streams, the resolved global
// options and configuration, and a logger.
type App struct {
	In     io.Reader
	Out    io.Writer // stdout, or a buffer committed to --output on success
	Err    io.Writer
	OutTTY bool // stdout is a terminal
	ErrTTY bool // stderr is a terminal

	Global Globals
	Config *viper.Viper
	Log    *slog.Logger
	Getenv func(string) string

	partial bool // the tree holds only the command run (groupOf)
}

// Globals are the flags every command accepts (docs/cli.md "Global flags").
type Globals struct {
	DB        string
	Config    string
	Format    string
	Output    string
	Tenant    string
	Sealed    bool
	NoColor   bool
	Quiet     bool
	LogLevel  string
	LogFormat string
	// AllowUnsignedTrust uses a trust config that is not the version the
	// audit chain recorded, loudly and on the record (governance.Site).
	AllowUnsignedTrust bool
}

// Color reports whether styled output may be written to stdout: on a
// terminal, or anywhere with CLICOLOR_FORCE set (a CI log that shows
// colours); never with --no-color or NO_COLOR (docs/output.md "Colour").
func (a *App) Color() bool {
	force := a.Getenv("CLICOLOR_FORCE")
	return (a.OutTTY || force != "" && force != "0") && !a.Global.NoColor && a.Getenv("NO_COLOR") == ""
}

// Format returns the output format: the --format flag, else table on a TTY
// and json otherwise.
func (a *App) Format() string {
	if a.Global.Format != "" {
		return a.Global.Format
	}
	if a.OutTTY && a.Global.Output == "" {
		return "table"
	}
	return "json"
}

// Main runs stella with args and returns the process exit code. It never
// panics: an unexpected panic becomes a one-line internal error.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "stella: internal error: %v\n", r)
			code = int(fail.Internal)
		}
	}()
	app := &App{In: stdin, Out: stdout, Err: stderr, Getenv: os.Getenv}
	app.OutTTY = isTerminal(stdout)
	app.ErrTTY = isTerminal(stderr)

	// Completion functions are registered only for a completion request:
	// every other command would pay for walking the whole tree at start-up
	// (docs/performance.md "Start-up").
	root, err := newRootCmd(app, len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd), groupOf(args))
	if err != nil {
		fmt.Fprintf(stderr, "stella: internal error: %v\n", err)
		return int(fail.Internal)
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)

	var outBuf *bytes.Buffer
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if err := app.configure(cmd); err != nil {
			return err
		}
		if app.Global.Output != "" {
			outBuf = &bytes.Buffer{}
			app.Out = outBuf
		}
		return nil
	}
	err = withUsageKind(root.ExecuteContext(context.Background()))
	if rerr := app.site().RecordIRMismatch(context.Background(), err); rerr != nil {
		app.infof("stella: warning: could not record %s: %v", governance.EventIRHashMismatch, rerr)
	}
	if outBuf != nil && (err == nil || fail.IsVerdict(err)) {
		// A report that cannot be written outranks a gate verdict: the
		// caller must not take a missing file for a complete run.
		if werr := writeFileAtomic(app.Global.Output, outBuf.Bytes(), 0o644); werr != nil {
			err = werr
		}
	}
	j, _ := app.Err.(*report.LogStream)
	if j == nil && (app.Global.LogFormat == "json" || app.Getenv("STELLA_LOG_FORMAT") == "json" || jsonLogArg(args)) {
		j = report.NewLogStream(stderr) // the command failed before its flags were resolved
	}
	report.CommandError(stderr, j, err)
	return fail.Code(err)
}

// jsonLogArg reports whether the command line asks for --log-format json,
// for an error found before the flags are resolved (an unknown command).
func jsonLogArg(args []string) bool {
	for i, a := range args {
		if a == "--log-format=json" || a == "--log-format" && i+1 < len(args) && args[i+1] == "json" {
			return true
		}
	}
	return false
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// groups are the top-level commands by name, in the order help lists them.
var groups = []struct {
	name string
	new  func(*App) *cobra.Command
}{
	{"policy", newPolicyCmd}, {"snapshot", newSnapshotCmd}, {"inputs", newInputsCmd}, {"feeds", newFeedsCmd},
	{"key", newKeyCmd}, {"store", newStoreCmd}, {"trust", newTrustCmd}, {"exception", newExceptionCmd},
	{"audit", newAuditCmd}, {"lessons", newLessonsCmd}, {"bundle", newBundleCmd}, {"sync", newSyncCmd},
	{"cvss", newCvssCmd}, {"match", newMatchCmd}, {"version", newVersionCmd}, {"completion", newCompletionCmd},
}

// groupOf returns the top-level command args[0] names, "" when it names
// none (a flag, help, an alias, a typo) or one that walks the whole tree
// (completion): then the whole tree is built. Building only the command
// run saves the other commands' flag sets at every start
// (docs/performance.md "Start-up").
func groupOf(args []string) string {
	if len(args) == 0 || args[0] == "completion" {
		return ""
	}
	for _, g := range groups {
		if g.name == args[0] {
			return g.name
		}
	}
	return ""
}

// newRootCmd builds the command tree; completing registers the flag and
// argument completions (App.completions) on it; only, when not "", names
// the one top-level command to add (groupOf).
func newRootCmd(app *App, completing bool, only string) (*cobra.Command, error) {
	root := &cobra.Command{
		Use:   "stella",
		Short: "Compile and evaluate supply-chain policies, deterministically and offline",
		Long: `stella compiles stella-dsl@1 policies into a hashed IR and evaluates them
against frozen supply-chain inputs (SBOMs, OSV advisories, VEX, reachability,
EPSS/KEV signals, exceptions). It keeps run history in SQLite, signs run
manifests, moves through air gaps in signed bundles and governs policy
versions with signed approvals.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       run.ToolVersion().Version,
	}
	root.SetVersionTemplate("stella {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return fail.Wrap(fail.Invalid, err) })
	root.SetHelpTemplate(root.HelpTemplate() + "\n" + fail.Help())

	f := root.PersistentFlags()
	g := &app.Global
	f.StringVar(&g.DB, "db", "", "SQLite database (default $XDG_DATA_HOME/stella/stella.db)")
	f.StringVar(&g.Config, "config", "", "config file (default ./stella.yaml, then $XDG_CONFIG_HOME/stella/config.yaml)")
	f.StringVar(&g.Format, "format", "", "output format: table|json|yaml|ndjson, and per command sarif|junit|openvex|html|markdown|dot|mermaid (default table on a TTY, json otherwise)")
	f.StringVar(&g.Output, "output", "", "write the output to this file (written only if the command completes)")
	f.StringVar(&g.Tenant, "tenant", "default", "tenant id")
	f.BoolVar(&g.Sealed, "sealed", false, "sealed mode: refuse anything that would use the network (env STELLA_OFFLINE=1)")
	f.BoolVar(&g.Sealed, "offline", false, "alias of --sealed")
	f.BoolVar(&g.NoColor, "no-color", false, "never colour output (also NO_COLOR)")
	f.BoolVarP(&g.Quiet, "quiet", "q", false, "print only results and errors")
	f.StringVar(&g.LogLevel, "log-level", "warn", "log level: debug|info|warn|error")
	f.BoolVar(&g.AllowUnsignedTrust, "allow-unsigned-trust", false, "use a trust config that is not the version the audit log recorded (edited by hand, or changed unsigned): said on stderr and recorded as trust.unsigned (docs/governance.md \"Signed trust\")")
	f.StringVar(&g.LogFormat, "log-format", "text", "stderr format: text, or json (every stderr line — logs, warnings, diagnostics, the error — one JSON object)")

	for _, g := range groups {
		if only == "" || g.name == only {
			root.AddCommand(g.new(app))
		}
	}
	app.partial = only != ""
	if !completing {
		return root, nil
	}
	return root, app.completions(root)
}

// configure resolves the global flags with precedence flag > env > file and
// sets up logging.
func (a *App) configure(cmd *cobra.Command) error {
	v := viper.New()
	v.SetEnvPrefix("STELLA")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_", ".", "_"))
	v.AutomaticEnv()
	cfg := a.Global.Config
	if cfg == "" {
		cfg = a.Getenv("STELLA_CONFIG")
	}
	for _, p := range configCandidates(a.Getenv) {
		if _, err := os.Stat(p); err == nil && cfg == "" {
			cfg = p // the first that exists
		}
	}
	if cfg != "" {
		v.SetConfigFile(cfg)
		if err := v.ReadInConfig(); err != nil {
			return fail.New(fail.Invalid, "config %s: %v", cfg, err)
		}
	}
	a.Config = v
	// Flags not given on the command line take env, then file values.
	notes, err := applyConfig(cmd, v, a.Getenv)
	if err != nil {
		return err
	}
	var logErr error // said after the notes and the other flags' errors
	a.Err, a.Log, logErr = report.Stderr(a.Err, a.Global.LogFormat, a.Global.LogLevel)
	for _, n := range notes {
		a.loud(n) // even with --quiet, like --allow-unsigned-trust
	}
	if used := v.ConfigFileUsed(); used != "" && !a.Global.Quiet {
		root := cmd.Root()
		if a.partial { // the keys of every command are known ones
			if root, err = newRootCmd(&App{Getenv: a.Getenv}, false, ""); err != nil {
				return err
			}
		}
		warnUnknownKeys(a.Err, used, v, root)
	}
	if off := a.Getenv("STELLA_OFFLINE"); off != "" {
		on, ok := parseBool(off)
		if !ok {
			return fail.New(fail.Invalid, "STELLA_OFFLINE=%q: want a yes/no value (1, true, yes, on or 0, false, no, off)", off)
		}
		a.Global.Sealed = a.Global.Sealed || on
	}
	if a.Global.DB == "" {
		a.Global.DB = store.DefaultPath(a.Getenv)
	}
	if f := a.Global.Format; f != "" && !slices.Contains(fixedValues["format"], f) {
		return fail.New(fail.Invalid, "unknown --format %q (want table, json, yaml or ndjson; per command also sarif, junit, openvex, html, markdown, dot or mermaid)", a.Global.Format)
	}
	return logErr
}

func configCandidates(getenv func(string) string) []string {
	c := []string{"stella.yaml"}
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		if home := getenv("HOME"); home != "" {
			dir = filepath.Join(home, ".config")
		}
	}
	if dir != "" {
		c = append(c, filepath.Join(dir, "stella", "config.yaml"))
	}
	return c
}

// writeFileAtomic writes data to a temporary file beside path and renames it
// into place, so readers never see a partial file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := atomicfile.Write(path, data, perm); err != nil {
		return fail.Unwritten(path, err)
	}
	return nil
}

// parseBool reads a yes/no environment value: what strconv.ParseBool
// accepts, plus yes/no and on/off in any case. ok is false for anything
// else, which callers refuse rather than guess.
func parseBool(s string) (v, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "y", "on":
		return true, true
	case "no", "n", "off":
		return false, true
	}
	v, err := strconv.ParseBool(strings.ToLower(strings.TrimSpace(s)))
	return v, err == nil
}
