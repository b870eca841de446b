package inputs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/stella-policy/stella/internal/cvss"
	"github.com/stella-policy/stella/internal/model"
)

// An exceptions file is YAML or JSON: {"schema": "stella.exceptions/v1",
// "exceptions": [ … ]} or a bare list of exception objects with the fields
// of model.Exception (docs/inputs.md). Unknown fields are errors: a typo in
// "expires" must not silently create a waiver without an end.

// exceptionItem is one exception object with where it is, for messages.
type exceptionItem struct {
	raw  []byte // the object as JSON
	at   string // its JSON pointer
	node *yaml.Node
}

var (
	effects    = []string{model.EffectSuppress, model.EffectDefer, model.EffectDowngrade, model.EffectRequireControl}
	exStatuses = []string{model.ExceptionRequested, model.ExceptionApproved, model.ExceptionRevoked}
)

func readExceptions(d *doc, in *Input) error {
	items, isYAML, err := exceptionItems(d)
	if err != nil {
		return err
	}
	if isYAML {
		in.MediaType = mediaYAML
	}
	out := make([]model.Exception, 0, len(items))
	ids := map[string]string{}
	for _, it := range items {
		bad := func(field, format string, args ...any) error {
			return invalid("", itemProblem(d, it, field, fmt.Sprintf(format, args...)))
		}
		dec := json.NewDecoder(bytes.NewReader(it.raw))
		dec.DisallowUnknownFields()
		var e model.Exception
		if err := dec.Decode(&e); err != nil {
			msg := err.Error()
			if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
				var f string
				_ = json.Unmarshal([]byte(name), &f)
				return bad(f, "unknown field %s", name)
			}
			return bad("", "%s", strings.TrimPrefix(msg, "json: "))
		}
		if e.ID == "" {
			return bad("id", "exception without an id")
		}
		if prev, dup := ids[e.ID]; dup {
			return bad("id", "duplicate exception id %q (first at %s)", e.ID, prev)
		}
		ids[e.ID] = it.at
		e.Vulns, e.Purls, e.Approvers = sortedSet(e.Vulns), sortedSet(e.Purls), sortedSet(e.Approvers)
		if len(e.Vulns) == 0 && len(e.Purls) == 0 {
			return bad("vulns", "an exception needs a scope: at least one of vulns or purls")
		}
		for _, p := range e.Purls {
			if !strings.HasPrefix(p, "pkg:") {
				return bad("purls", "purl pattern %q does not start with \"pkg:\"", p)
			}
		}
		if !slices.Contains(effects, e.Effect) {
			return bad("effect", "unknown effect %q (want %s)", e.Effect, joinOr(effects))
		}
		switch e.Effect {
		case model.EffectDowngrade:
			band, _, ok := cvss.ParseBand(e.Severity)
			if !ok {
				return bad("severity", "downgrade needs a severity band (%s), found %q", joinOr(cvss.Bands()), e.Severity)
			}
			e.Severity = band
		case model.EffectRequireControl:
			if e.Control == "" {
				return bad("control", "requireControl needs a control id")
			}
		}
		if strings.TrimSpace(e.Justification) == "" {
			return bad("justification", "exception without a justification")
		}
		if strings.TrimSpace(e.Owner) == "" {
			return bad("owner", "exception without an owner")
		}
		if !slices.Contains(exStatuses, e.Status) {
			return bad("status", "unknown status %q (want %s)", e.Status, joinOr(exStatuses))
		}
		if e.Expires == "" {
			return bad("expires", "exception without an expiry (perpetual waivers are not allowed)")
		}
		for _, t := range []struct {
			field string
			v     *string
		}{{"created", &e.Created}, {"effective", &e.Effective}, {"expires", &e.Expires}} {
			if *t.v, err = normTime(*t.v); err != nil {
				return bad(t.field, "%v", err)
			}
		}
		start := e.Effective
		if start == "" {
			start = e.Created
		}
		if start != "" && start >= e.Expires {
			return bad("expires", "expires %s is not after the start of the timebox %s", e.Expires, start)
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b model.Exception) int { return strings.Compare(a.ID, b.ID) })
	in.Exceptions = out
	in.SpecVersion = ExceptionsSchema
	return nil
}

// exceptionItems splits an exceptions document into its objects.
func exceptionItems(d *doc) ([]exceptionItem, bool, error) {
	if c := d.data[0]; c == '{' || c == '[' {
		var list []json.RawMessage
		base := ""
		if c == '{' {
			dec := json.NewDecoder(bytes.NewReader(d.data))
			dec.DisallowUnknownFields()
			var top struct {
				Schema     string            `json:"schema"`
				Exceptions []json.RawMessage `json:"exceptions"`
			}
			if err := dec.Decode(&top); err != nil {
				return nil, false, invalid("", unknownFieldProblem(d, err))
			}
			if top.Schema != "" && top.Schema != ExceptionsSchema {
				return nil, false, invalid("", d.atPointer("/schema", "schema is %q, want %q", top.Schema, ExceptionsSchema))
			}
			list, base = top.Exceptions, "/exceptions"
		} else if err := json.Unmarshal(d.data, &list); err != nil {
			return nil, false, invalid("", d.jsonProblem(err))
		}
		items := make([]exceptionItem, len(list))
		for i, raw := range list {
			items[i] = exceptionItem{raw: raw, at: fmt.Sprintf("%s/%d", base, i)}
		}
		return items, false, nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(d.data, &root); err != nil {
		return nil, true, invalid("", Problem{File: d.name, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")})
	}
	if len(root.Content) != 1 {
		return nil, true, invalid("", Problem{File: d.name, Msg: "empty YAML document"})
	}
	top, base := root.Content[0], ""
	if top.Kind == yaml.MappingNode {
		var seq *yaml.Node
		for i := 0; i+1 < len(top.Content); i += 2 {
			k, v := top.Content[i], top.Content[i+1]
			switch k.Value {
			case "schema":
				if v.Value != ExceptionsSchema {
					return nil, true, invalid("", Problem{File: d.name, Line: v.Line, Col: v.Column, Pointer: "/schema", Msg: fmt.Sprintf("schema is %q, want %q", v.Value, ExceptionsSchema)})
				}
			case "exceptions":
				seq = v
			default:
				return nil, true, invalid("", Problem{File: d.name, Line: k.Line, Col: k.Column, Msg: fmt.Sprintf("unknown field %q (want schema and exceptions)", k.Value)})
			}
		}
		if seq == nil {
			return nil, true, invalid("", Problem{File: d.name, Line: top.Line, Col: top.Column, Msg: "no exceptions list"})
		}
		top, base = seq, "/exceptions"
	}
	if top.Kind != yaml.SequenceNode {
		return nil, true, invalid("", Problem{File: d.name, Line: top.Line, Col: top.Column, Msg: "expected a list of exceptions"})
	}
	items := make([]exceptionItem, len(top.Content))
	for i, n := range top.Content {
		at := fmt.Sprintf("%s/%d", base, i)
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, true, invalid("", Problem{File: d.name, Line: n.Line, Col: n.Column, Pointer: at, Msg: err.Error()})
		}
		raw, err := json.Marshal(v)
		if err != nil || n.Kind != yaml.MappingNode {
			return nil, true, invalid("", Problem{File: d.name, Line: n.Line, Col: n.Column, Pointer: at, Msg: "an exception is a mapping of fields"})
		}
		items[i] = exceptionItem{raw: raw, at: at, node: n}
	}
	return items, true, nil
}

// itemProblem locates a problem with field of an exception.
func itemProblem(d *doc, it exceptionItem, field, msg string) Problem {
	at := it.at
	if field != "" {
		at += "/" + field
	}
	if it.node == nil {
		p := d.atPointer(at, "%s", msg)
		if p.Line == 0 {
			p = d.atPointer(it.at, "%s", msg)
			p.Pointer = at
		}
		return p
	}
	line, col := it.node.Line, it.node.Column
	for i := 0; i+1 < len(it.node.Content); i += 2 {
		if it.node.Content[i].Value == field {
			line, col = it.node.Content[i].Line, it.node.Content[i].Column
		}
	}
	return Problem{File: d.name, Line: line, Col: col, Pointer: at, Msg: msg}
}
