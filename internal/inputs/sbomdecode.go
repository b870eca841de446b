package inputs

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/stella-policy/stella/internal/model"
)

// DecodeSBOM decodes the JSON of a normalized SBOM (the form snapshots
// store: canonical model.SBOM) into s, as json.Unmarshal does: on a
// one-pass fast path when the text has the expected shape, else with
// encoding/json, whose result and errors are the reference (FuzzDecodeSBOM
// holds the two to the same values).
func DecodeSBOM(data []byte, s *model.SBOM) error {
	p := &osvParser{b: data, keep: &strs{}}
	if p.sbom(s) {
		if p.space(); p.i == len(p.b) {
			return nil
		}
	}
	*s = model.SBOM{}
	return json.Unmarshal(data, s)
}

// The JSON names of the fields of model.SBOM, Component and Property.
var (
	sbomNames      = []string{"format", "specVersion", "name", "digest", "root", "components", "noPurl", "tags", "serial", "version"}
	componentNames = []string{"ref", "purl", "type", "namespace", "name", "version", "ecosystem", "package", "scope", "relation",
		"licenses", "tags", "properties", "sbom"}
	propertyNames = []string{"name", "value"}
	componentSep  = []byte(`},{"`)
)

func (p *osvParser) sbom(s *model.SBOM) bool {
	var m members
	if !p.begin(&m, sbomNames) {
		return false
	}
	for p.next(&m) {
		ok := true
		switch string(m.key) {
		case "format":
			ok = p.string(&s.Format)
		case "specVersion":
			ok = p.string(&s.SpecVersion)
		case "name":
			ok = p.string(&s.Name)
		case "digest":
			ok = p.string(&s.Digest)
		case "root":
			s.Root = new(model.Component)
			ok = p.component(s.Root, "")
		case "components":
			var e elements
			if ok = p.beginArray(&e); !ok {
				break
			}
			list := s.Components[:0]
			if list == nil {
				// Room for every component at once rather than growing a
				// megabyte-sized slice step by step (each step a fresh
				// copy): canonical JSON has "},{\"" only between the
				// elements of an array, so its count bounds them.
				list = make([]model.Component, 0, bytes.Count(p.b[p.i:], componentSep)+1)
			}
			for p.nextElem(&e) {
				var prev string // the SBOM digest every component repeats, kept once
				if len(list) > 0 {
					prev = list[len(list)-1].SBOM
				}
				list = append(list, model.Component{})
				if !p.component(&list[len(list)-1], prev) {
					return false
				}
			}
			if ok = e.ok; list == nil {
				list = []model.Component{}
			}
			s.Components = list
		case "noPurl":
			ok = p.int(&s.NoPurl)
		case "tags":
			ok = p.strings(&s.Tags)
		case "serial":
			ok = p.string(&s.Serial)
		case "version":
			ok = p.int(&s.Version)
		default:
			ok = p.unknown(&m)
		}
		if !ok {
			return false
		}
	}
	return m.ok
}

// component decodes a component; prev is a string its sbom member is likely
// to equal, shared instead of copied when it does.
func (p *osvParser) component(c *model.Component, prev string) bool {
	var m members
	if !p.begin(&m, componentNames) {
		return false
	}
	for p.next(&m) {
		ok := true
		switch string(m.key) {
		case "ref":
			ok = p.string(&c.Ref)
		case "purl":
			ok = p.string(&c.Purl)
		case "type":
			ok = p.string(&c.Type)
		case "namespace":
			ok = p.string(&c.Namespace)
		case "name":
			ok = p.string(&c.Name)
		case "version":
			ok = p.string(&c.Version)
		case "ecosystem":
			ok = p.string(&c.Ecosystem)
		case "package":
			ok = p.string(&c.Package)
		case "scope":
			ok = p.string(&c.Scope)
		case "relation":
			ok = p.string(&c.Relation)
		case "licenses":
			ok = p.strings(&c.Licenses)
		case "tags":
			ok = p.strings(&c.Tags)
		case "properties":
			ok = spdxList(p, &c.Properties, propertyNames, func(pr *model.Property, key string) bool {
				if key == "name" {
					return p.string(&pr.Name)
				}
				return p.string(&pr.Value)
			})
		case "sbom":
			if p.peek() != '"' {
				return false
			}
			p.i++
			var s []byte
			if s, ok = p.str(); ok {
				if string(s) == prev {
					c.SBOM = prev
				} else {
					c.SBOM = p.keep.add(s)
				}
			}
		default:
			ok = p.unknown(&m)
		}
		if !ok {
			return false
		}
	}
	return m.ok
}

// int decodes a JSON integer into an int as json.Unmarshal does; a
// fraction, an exponent or an overflow gives up (encoding/json decides).
func (p *osvParser) int(out *int) bool {
	p.space()
	start := p.i
	if !p.number() {
		return false
	}
	n, err := strconv.Atoi(string(p.b[start:p.i]))
	if err != nil {
		return false
	}
	*out = n
	return true
}
