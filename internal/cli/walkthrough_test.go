package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/stella-policy/stella/internal/testenv"
)

// TestWalkthroughs enforces docs/architecture.md "Walkthroughs": every
// ```sh block of docs/*.md that runs stella (and every transcript, a plain
// block with "$ stella …" lines) is either mirrored by a
// testscript — named by a <!-- mirror: testdata/script/NAME.txtar --> line
// just above the block — which runs each of its stella commands, in order,
// with every argument the doc shows (the script may add flags such as
// --as-of or --format, and give paths under $REPO), or marked
// <!-- not run: WHY --> (a synopsis with placeholders, a network step).
// Blocks of one doc that name the same script follow each other in it.
func TestWalkthroughs(t *testing.T) {
	root := testenv.RepoRoot()
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	scripts := map[string][][]string{}
	for _, doc := range docs {
		if generatedDocs[filepath.Base(doc)] {
			continue
		}
		data, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, doc)
		cursor := map[string]int{} // script → index after the last matched command
		for _, b := range shBlocks(string(data)) {
			where := fmt.Sprintf("%s:%d", rel, b.line)
			switch {
			case len(b.cmds) == 0:
				continue
			case b.marker == "":
				t.Errorf("%s: a block runs stella but names no mirror: put <!-- mirror: testdata/script/NAME.txtar --> (or <!-- not run: WHY -->) on the line above it", where)
				continue
			case strings.HasPrefix(b.marker, "not run:"):
				continue
			}
			name, ok := strings.CutPrefix(b.marker, "mirror: ")
			if !ok {
				t.Errorf("%s: marker %q: want mirror: testdata/script/NAME.txtar or not run: WHY", where, b.marker)
				continue
			}
			cmds, ok := scripts[name]
			if !ok {
				if cmds, err = scriptCommands(filepath.Join(root, name)); err != nil {
					t.Errorf("%s: %v", where, err)
					continue
				}
				scripts[name] = cmds
			}
			for _, c := range b.cmds {
				at := findCommand(cmds, c.args, cursor[name])
				if at < 0 {
					t.Errorf("%s:%d: %s does not run, after its previous step, `%s` (with every argument shown)", rel, c.line, name, strings.Join(c.args, " "))
					continue
				}
				cursor[name] = at + 1
			}
		}
	}
}

// generatedDocs are written from the command tree, not walked through.
var generatedDocs = map[string]bool{"cli.md": true, "config.md": true}

type docCommand struct {
	line int
	args []string
}

type shBlock struct {
	line   int    // of the opening fence
	marker string // the <!-- … --> text above it
	cmds   []docCommand
}

var markerRE = regexp.MustCompile(`^<!--\s*(.*?)\s*-->$`)

// shBlocks finds the ```sh blocks of a markdown text with their stella
// commands (continuation lines joined) and the marker above each.
func shBlocks(md string) []shBlock {
	lines := strings.Split(md, "\n")
	var out []shBlock
	for i := 0; i < len(lines); i++ {
		fence := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(fence, "```") {
			continue
		}
		start := i
		var body []string
		for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```"); i++ {
			body = append(body, lines[i])
		}
		// A ```sh block is commands; a plain block is a transcript whose
		// commands are its "$ stella …" lines.
		lang := strings.TrimPrefix(fence, "```")
		if lang != "sh" && lang != "bash" && lang != "" {
			continue
		}
		b := shBlock{line: start + 1}
		for j := start - 1; j >= 0 && j >= start-2; j-- {
			if m := markerRE.FindStringSubmatch(strings.TrimSpace(lines[j])); m != nil {
				b.marker = m[1]
				break
			}
		}
		for j := 0; j < len(body); j++ {
			first, l := j, strings.TrimSpace(body[j])
			for strings.HasSuffix(l, `\`) && j+1 < len(body) {
				j++
				l = strings.TrimSuffix(l, `\`) + " " + strings.TrimSpace(body[j])
			}
			if lang == "" {
				var ok bool
				if l, ok = strings.CutPrefix(l, "$ "); !ok {
					continue
				}
			}
			if args := shellWords(l); len(args) > 0 && args[0] == "stella" {
				b.cmds = append(b.cmds, docCommand{line: start + 2 + first, args: args})
			}
		}
		out = append(out, b)
	}
	return out
}

// shellWords splits a command line into words: quotes removed, up to a
// comment or a shell operator.
func shellWords(l string) []string {
	var words []string
	var w strings.Builder
	inWord, quote := false, rune(0)
scan:
	for _, r := range l {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				w.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case r == '#' && !inWord:
			break scan // a comment; the operator trim below still applies
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	for i, x := range words {
		switch x {
		case "||", "|", "&&", ";", ">", ">>", "2>&1", ">/dev/null":
			return words[:i]
		}
	}
	return words
}

var condRE = regexp.MustCompile(`^(\[[^\]]*\]\s*)+`)

// scriptCommands returns the stella commands a testscript runs, in order.
func scriptCommands(path string) ([][]string, error) {
	ar, err := txtar.ParseFile(path)
	if err != nil {
		return nil, err
	}
	var out [][]string
	for _, l := range strings.Split(string(ar.Comment), "\n") {
		l = condRE.ReplaceAllString(strings.TrimSpace(l), "")
		l = strings.TrimPrefix(strings.TrimPrefix(l, "! "), "? ")
		if rest, ok := strings.CutPrefix(l, "exec "); ok {
			if args := shellWords(rest); len(args) > 0 && args[0] == "stella" {
				out = append(out, args)
			}
		}
	}
	return out, nil
}

// findCommand returns the index of the first script command at or after
// from that runs doc: the same command words, and every argument of doc in
// order among its arguments; -1 when there is none.
func findCommand(cmds [][]string, doc []string, from int) int {
	for i := from; i < len(cmds); i++ {
		if runsDoc(cmds[i], doc) {
			return i
		}
	}
	return -1
}

func runsDoc(script, doc []string) bool {
	words := 0
	for words < len(doc) && words < 3 && !strings.HasPrefix(doc[words], "-") {
		words++
	}
	if len(script) < words {
		return false
	}
	for k := 0; k < words; k++ {
		if script[k] != doc[k] {
			return false
		}
	}
	j := words
	for _, d := range doc[words:] {
		for j < len(script) && !sameWord(script[j], d) {
			j++
		}
		if j == len(script) {
			return false
		}
		j++
	}
	return true
}

// sameWord matches a doc's argument with a script's: equal, or a path the
// script gives under $REPO, $WORK or another directory.
func sameWord(script, doc string) bool {
	if strings.HasPrefix(doc, "/") && strings.HasSuffix(script, doc) {
		return true // an absolute path of the doc, under the script's $WORK
	}
	s := strings.TrimSuffix(script, "/")
	d := strings.TrimSuffix(doc, "/")
	for _, p := range []string{"$REPO/", "$WORK/", "./"} {
		s, d = strings.TrimPrefix(s, p), strings.TrimPrefix(d, p)
	}
	return s == d || strings.HasSuffix(s, "/"+d) || strings.HasSuffix(s, "="+d)
}

func TestShellWords(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`stella policy review P-1 --comment 'rules read well' --sign-key k  # note`, `stella|policy|review|P-1|--comment|rules read well|--sign-key|k`},
		{`stella policy run x || echo "exit $?"`, `stella|policy|run|x`},
		{`stella policy run x || echo "exit $?"   # exit 20`, `stella|policy|run|x`},
		{`stella a --b="c d"`, `stella|a|--b=c d`},
	} {
		if got := strings.Join(shellWords(tc.in), "|"); got != tc.want {
			t.Errorf("shellWords(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
