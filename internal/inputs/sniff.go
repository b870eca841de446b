package inputs

import "encoding/json"

// sniffFields are the members detection reads, by their exact JSON names.
var sniffFields = []string{"bomFormat", "spdxVersion", "@context", "statements", "author", "document", "catalogVersion",
	"id", "affected", "modified", "schema_version", "schema", "exceptions", "effect", "facts", "components", "vulnerabilities", "format"}

// sniffTop fills s from the top-level members of the object b without
// decoding the others: it passes over their values with the OSV decoder's
// scanner, so detecting a 10 MB SBOM costs a scan instead of a decode. It
// returns false — and the caller decodes b with encoding/json, the
// reference — for anything it does not handle as encoding/json would:
// malformed text, a member named like a field but for case, a repeated or
// null field.
func sniffTop(b []byte) (s sniff, ok bool) {
	p := &osvParser{b: b}
	var m members
	if !p.begin(&m, sniffFields) {
		return s, false
	}
	for p.next(&m) {
		known := false
		for _, f := range sniffFields {
			if string(m.key) == f {
				known = true
				break
			}
		}
		if !known {
			if !p.unknown(&m) {
				return s, false
			}
			continue
		}
		p.space()
		start := p.i
		if !p.skip() {
			return s, false
		}
		raw := b[start:p.i]
		if string(raw) == "null" {
			return s, false
		}
		set(&s, string(m.key), raw)
	}
	if !m.ok {
		return s, false
	}
	p.space()
	return s, p.i == len(b)
}

// set decodes one member into s with the field's own UnmarshalJSON.
func set(s *sniff, key string, raw []byte) {
	switch key {
	case "bomFormat":
		s.BOMFormat.UnmarshalJSON(raw)
	case "spdxVersion":
		s.SPDXVersion.UnmarshalJSON(raw)
	case "@context":
		s.Context.UnmarshalJSON(raw)
	case "statements":
		s.Statements.UnmarshalJSON(raw)
	case "author":
		s.Author.UnmarshalJSON(raw)
	case "document":
		s.Document = append(json.RawMessage(nil), raw...)
	case "catalogVersion":
		s.CatalogVersion.UnmarshalJSON(raw)
	case "id":
		s.ID.UnmarshalJSON(raw)
	case "affected":
		s.Affected.UnmarshalJSON(raw)
	case "modified":
		s.Modified.UnmarshalJSON(raw)
	case "schema_version":
		s.SchemaVersion.UnmarshalJSON(raw)
	case "schema":
		s.Schema.UnmarshalJSON(raw)
	case "exceptions":
		s.Exceptions.UnmarshalJSON(raw)
	case "effect":
		s.Effect.UnmarshalJSON(raw)
	case "facts":
		s.Facts.UnmarshalJSON(raw)
	case "components":
		s.Components.UnmarshalJSON(raw)
	case "vulnerabilities":
		s.Vulnerabilities.UnmarshalJSON(raw)
	case "format":
		s.Format.UnmarshalJSON(raw)
	}
}

// sniffJSON decodes the detection members of an object: on the fast path
// when it can, else with encoding/json.
func sniffJSON(b []byte) (sniff, error) {
	if s, ok := sniffTop(b); ok {
		return s, nil
	}
	var s sniff
	err := json.Unmarshal(b, &s)
	return s, err
}
