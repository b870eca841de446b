package governance

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/stella-policy/stella/internal/atomicfile"
	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/text"
)

// A trust config is YAML, either its own file (trust.yaml) or two sections
// of stella.yaml:
//
//	trust:
//	  - principal: alice
//	    key: sha256:3b0c…            # the key id: sha256 of the DER SubjectPublicKeyInfo
//	    scopes: [policy:author, policy:simulate, findings:read]
//	    public_key: |
//	      -----BEGIN PUBLIC KEY-----
//	      …
//	      -----END PUBLIC KEY-----
//	governance:
//	  quorum: 2
//	  exception_max_age: 365d
//	  simulation_max_age: 24h
//
// The file stays human-editable: `stella trust add/rm` edit its YAML tree,
// keeping comments, order and every other key of the file. A principal may
// hold several keys; each key lists its own scopes.

// Entry is one trusted key.
type Entry struct {
	Principal string      `json:"principal"`
	KeyID     string      `json:"keyId"`
	Scopes    []string    `json:"scopes"`
	Key       *attest.Key `json:"-"` // the public key
	Line      int         `json:"-"` // where the entry starts in the file
}

// Has reports whether the entry grants scope.
func (e *Entry) Has(scope string) bool { return slices.Contains(e.Scopes, scope) }

// Trust is a parsed trust config.
type Trust struct {
	Path     string  // the file, "" for a config built in memory
	Entries  []Entry // in file order
	Settings Settings
	declared bool       // the file has a trust key
	root     *yaml.Node // the document node, for editing
	file     Settings   // the settings as the file states them, before any override (State)
}

// Declared reports whether the file holds a trust list at all (possibly
// empty): stella.yaml without one is not a trust config.
func (t *Trust) Declared() bool { return t.declared }

// NewTrust returns an empty trust config that Save writes to path.
func NewTrust(path string) *Trust {
	return &Trust{Path: path, Settings: DefaultSettings(), file: DefaultSettings()}
}

// LoadTrust reads a trust config file. A missing file is fail.NotFound; a
// file that group or others may write is refused (fail.Integrity): whoever
// can write it can grant themselves any scope (docs/governance.md "Threat
// model"). The mode is checked on the file that is read.
func LoadTrust(path string) (*Trust, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fail.New(fail.NotFound, "trust config %s does not exist (create it with `stella trust add`)", path)
		}
		return nil, fail.New(fail.Invalid, "trust config %s: cannot read: %v", path, unwrapPathErr(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fail.New(fail.Invalid, "trust config %s: cannot read: %v", path, unwrapPathErr(err))
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 && runtime.GOOS != "windows" {
		return nil, fail.New(fail.Integrity, "trust config %s is writable by group or others (mode %04o): whoever can write it can grant themselves any scope; refused — make it writable by its owner only (chmod go-w %s)", path, perm, path)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fail.New(fail.Invalid, "trust config %s: cannot read: %v", path, unwrapPathErr(err))
	}
	t, err := ParseTrust(path, b)
	if err != nil {
		return nil, err
	}
	t.Path = path
	return t, nil
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ParseTrust reads a trust config; name is used in messages. Every problem
// is fail.Invalid and names the place (name:line:col).
func ParseTrust(name string, b []byte) (*Trust, error) {
	t := &Trust{Settings: DefaultSettings()}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fail.New(fail.Invalid, "trust config %s: invalid YAML: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	t.root = &doc
	t.file = t.Settings
	if len(doc.Content) == 0 {
		return t, nil // an empty file trusts nobody
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, at(name, top, "a trust config is a mapping with a trust list (and optional governance settings)")
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		switch k.Value {
		case "trust":
			t.declared = true
			if err := t.parseEntries(name, v); err != nil {
				return nil, err
			}
		case "governance":
			if err := t.parseSettings(name, v); err != nil {
				return nil, err
			}
		}
	}
	t.file = t.Settings
	return t, nil
}

func (t *Trust) parseEntries(name string, seq *yaml.Node) error {
	if seq.Kind == yaml.ScalarNode && seq.Tag == "!!null" {
		return nil
	}
	if seq.Kind != yaml.SequenceNode {
		return at(name, seq, "trust must be a list of keys")
	}
	seen := map[string]int{}
	for _, n := range seq.Content {
		e, err := parseEntry(name, n)
		if err != nil {
			return err
		}
		if line, dup := seen[e.KeyID]; dup {
			return at(name, n, "key %s is listed twice (first at line %d); give it one entry with all its scopes", e.KeyID, line)
		}
		seen[e.KeyID] = n.Line
		t.Entries = append(t.Entries, e)
	}
	return nil
}

func parseEntry(name string, n *yaml.Node) (Entry, error) {
	e := Entry{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		return e, at(name, n, "a trusted key is a mapping of principal, key, scopes and public_key")
	}
	var pemText string
	var keyNode, pemNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "principal":
			if v.Kind != yaml.ScalarNode {
				return e, at(name, v, "principal must be a name")
			}
			e.Principal = v.Value
		case "key":
			if v.Kind != yaml.ScalarNode {
				return e, at(name, v, "key must be a key id (sha256:…)")
			}
			e.KeyID, keyNode = v.Value, v
		case "scopes":
			if v.Kind != yaml.SequenceNode {
				return e, at(name, v, "scopes must be a list")
			}
			for _, s := range v.Content {
				if s.Kind != yaml.ScalarNode || !knownScope(s.Value) {
					return e, at(name, s, "%v", unknownScope(s.Value))
				}
				e.Scopes = append(e.Scopes, s.Value)
			}
		case "public_key":
			if v.Kind != yaml.ScalarNode {
				return e, at(name, v, "public_key must be a PEM block")
			}
			pemText, pemNode = v.Value, v
		default:
			return e, at(name, k, "unknown field %q (want principal, key, scopes, public_key)", k.Value)
		}
	}
	switch {
	case e.Principal == "":
		return e, at(name, n, "trusted key without a principal")
	case e.KeyID == "":
		return e, at(name, n, "trusted key of %s without a key id", e.Principal)
	case pemNode == nil:
		return e, at(name, n, "trusted key %s without a public_key", e.KeyID)
	}
	if err := ValidPrincipal(e.Principal); err != nil {
		return e, at(name, n, "%v", err)
	}
	k, err := attest.ParsePEM("public_key", []byte(pemText))
	if err != nil {
		return e, at(name, pemNode, "%v", err)
	}
	if k.CanSign() {
		return e, at(name, pemNode, "public_key holds a private key; a trust config lists public keys only")
	}
	if k.ID != e.KeyID {
		return e, at(name, keyNode, "key %s does not match its public_key, whose id is %s", e.KeyID, k.ID)
	}
	e.Key = k
	slices.Sort(e.Scopes)
	e.Scopes = slices.Compact(e.Scopes)
	if e.Scopes == nil {
		e.Scopes = []string{}
	}
	return e, nil
}

func (t *Trust) parseSettings(name string, m *yaml.Node) error {
	if m.Kind != yaml.MappingNode {
		return at(name, m, "governance must be a mapping of settings")
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return at(name, v, "governance.%s must be a single value", k.Value)
		}
		var err error
		switch k.Value {
		case "quorum":
			t.Settings.Quorum, err = ParseQuorum(v.Value)
		case "exception_max_age":
			t.Settings.ExceptionMaxAge, err = text.ParseAge(v.Value)
		case "simulation_max_age":
			t.Settings.SimulationMaxAge, err = text.ParseAge(v.Value)
		default:
			return at(name, k, "unknown governance setting %q (want quorum, exception_max_age, simulation_max_age)", k.Value)
		}
		if err != nil {
			return at(name, v, "governance.%s: %v", k.Value, err)
		}
	}
	return nil
}

// ParseQuorum reads a quorum: a whole number of approvers, at least 1.
func ParseQuorum(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 100 {
		return 0, fmt.Errorf("quorum %q: want a number of approvers from 1 to 100", s)
	}
	return n, nil
}

// ValidPrincipal accepts principal names: 1–64 letters, digits, '.', '_',
// '-' and '@'.
func ValidPrincipal(p string) error {
	ok := p != "" && len(p) <= 64
	for _, c := range p {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-@", c)) {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("principal %q: want 1-64 letters, digits, '.', '_', '-' or '@'", p)
	}
	return nil
}

func at(name string, n *yaml.Node, format string, args ...any) error {
	return fail.New(fail.Invalid, "%s:%d:%d: %s", name, n.Line, n.Column, fmt.Sprintf(format, args...))
}

// Lookup returns the entry of a key id.
func (t *Trust) Lookup(keyID string) (*Entry, bool) {
	for i := range t.Entries {
		if t.Entries[i].KeyID == keyID {
			return &t.Entries[i], true
		}
	}
	return nil, false
}

// HasPrincipal reports whether any key belongs to principal, and whether
// one of its keys grants scope.
func (t *Trust) HasPrincipal(principal, scope string) (known, granted bool) {
	for i := range t.Entries {
		if t.Entries[i].Principal == principal {
			known = true
			granted = granted || t.Entries[i].Has(scope)
		}
	}
	return known, granted
}

// Keys returns every trusted public key.
func (t *Trust) Keys() []*attest.Key {
	out := make([]*attest.Key, len(t.Entries))
	for i := range t.Entries {
		out[i] = t.Entries[i].Key
	}
	return out
}

// Add trusts a public key for a principal with scopes. A key already
// trusted is refused: remove it first, so that a change of scopes is always
// an explicit rm + add in the audit log.
func (t *Trust) Add(principal string, key *attest.Key, scopes []string) (*Entry, error) {
	if err := ValidPrincipal(principal); err != nil {
		return nil, fail.Wrap(fail.Invalid, err)
	}
	if len(scopes) == 0 {
		return nil, fail.New(fail.Invalid, "no scopes: give --scopes (known: %s)", strings.Join(Scopes, ", "))
	}
	for _, s := range scopes {
		if !knownScope(s) {
			return nil, fail.Wrap(fail.Invalid, unknownScope(s))
		}
	}
	if old, ok := t.Lookup(key.ID); ok {
		return nil, fail.New(fail.Invalid, "key %s is already trusted as %s; `stella trust rm` it first to change it", key.ID, old.Principal)
	}
	pub, err := key.PublicPEM()
	if err != nil {
		return nil, err
	}
	pubKey, err := attest.ParsePEM("public key", pub) // the public half only
	if err != nil {
		return nil, err
	}
	e := Entry{Principal: principal, KeyID: key.ID, Scopes: slices.Compact(slices.Sorted(slices.Values(scopes))), Key: pubKey}
	seq := t.trustSeq()
	node := &yaml.Node{Kind: yaml.MappingNode}
	scopeSeq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, s := range e.Scopes {
		scopeSeq.Content = append(scopeSeq.Content, scalar(s, 0))
	}
	node.Content = []*yaml.Node{
		scalar("principal", 0), scalar(principal, 0),
		scalar("key", 0), scalar(key.ID, 0),
		scalar("scopes", 0), scopeSeq,
		scalar("public_key", 0), scalar(string(pub), yaml.LiteralStyle),
	}
	seq.Content = append(seq.Content, node)
	t.Entries = append(t.Entries, e)
	return &t.Entries[len(t.Entries)-1], nil
}

// Remove stops trusting the key with this id, or every key of the
// principal with this name, and returns what it removed.
func (t *Trust) Remove(ref string) ([]Entry, error) {
	match := func(e *Entry) bool { return e.KeyID == ref || e.Principal == ref }
	var removed, kept []Entry
	for i := range t.Entries {
		if match(&t.Entries[i]) {
			removed = append(removed, t.Entries[i])
		} else {
			kept = append(kept, t.Entries[i])
		}
	}
	if len(removed) == 0 {
		return nil, fail.New(fail.NotFound, "no trusted key or principal %q in %s", ref, t.Path)
	}
	seq := t.trustSeq()
	seq.Content = slices.DeleteFunc(seq.Content, func(n *yaml.Node) bool {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i].Value; (k == "key" || k == "principal") && n.Content[i+1].Value == ref {
				return true
			}
		}
		return false
	})
	t.Entries = kept
	return removed, nil
}

// trustSeq returns the trust list node, creating the document and the list
// when they do not exist yet.
func (t *Trust) trustSeq() *yaml.Node {
	if t.root == nil {
		t.root = &yaml.Node{Kind: yaml.DocumentNode}
	}
	if len(t.root.Content) == 0 {
		t.root.Kind = yaml.DocumentNode
		t.root.HeadComment = "stella trust config: which keys may act, as whom, with which scopes (docs/governance.md)"
		t.root.Content = []*yaml.Node{{Kind: yaml.MappingNode}}
	}
	top := t.root.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "trust" {
			v := top.Content[i+1]
			if v.Kind != yaml.SequenceNode { // "trust:" with no value
				*v = yaml.Node{Kind: yaml.SequenceNode}
			}
			return v
		}
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	top.Content = append(top.Content, scalar("trust", 0), seq)
	t.declared = true
	return seq
}

func scalar(s string, style yaml.Style) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: style}
}

// Bytes returns the config as YAML.
func (t *Trust) Bytes() ([]byte, error) {
	t.trustSeq()
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(t.root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Save writes the config back to its file atomically, keeping the file's
// mode (0644 for a new file).
func (t *Trust) Save() error {
	if t.Path == "" {
		return fail.New(fail.Internal, "trust config without a file")
	}
	b, err := t.Bytes()
	if err != nil {
		return err
	}
	// Refuse to write what could not be read back.
	if _, err := ParseTrust(t.Path, b); err != nil {
		return fail.New(fail.Internal, "trust config %s: the edited config does not read back: %v", t.Path, err)
	}
	perm := os.FileMode(0o644)
	if fi, err := os.Stat(t.Path); err == nil {
		perm = fi.Mode().Perm()
	}
	dir := filepath.Dir(t.Path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail.New(fail.Invalid, "trust config %s: %v", t.Path, err)
	}
	if err := atomicfile.Write(t.Path, b, perm); err != nil {
		return fail.New(fail.Invalid, "trust config %s: %v", t.Path, err)
	}
	return nil
}
