package inputs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// lenient JSON field types for sniffing: they never fail to decode, so a
// document with an odd value in one field is still recognized and then gets a
// precise error from its real reader.

// present records that a member exists with a non-null value.
type present bool

func (p *present) UnmarshalJSON(b []byte) error {
	*p = present(string(b) != "null")
	return nil
}

// nonEmpty records that a member is a non-empty array.
type nonEmpty bool

func (n *nonEmpty) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*n = nonEmpty(len(b) > 1 && b[0] == '[' && len(bytes.TrimSpace(b[1:len(b)-1])) > 0)
	return nil
}

// str records a member's value when it is a string.
type str string

func (s *str) UnmarshalJSON(b []byte) error {
	var v string
	if json.Unmarshal(b, &v) == nil {
		*s = str(v)
	}
	return nil
}

// sniff is what detection reads from the top level of a JSON object.
type sniff struct {
	BOMFormat       str             `json:"bomFormat"`
	SPDXVersion     str             `json:"spdxVersion"`
	Context         present         `json:"@context"`
	Statements      present         `json:"statements"`
	Author          present         `json:"author"`
	Document        json.RawMessage `json:"document"`
	CatalogVersion  present         `json:"catalogVersion"`
	ID              present         `json:"id"`
	Affected        present         `json:"affected"`
	Modified        present         `json:"modified"`
	SchemaVersion   present         `json:"schema_version"`
	Schema          str             `json:"schema"`
	Exceptions      present         `json:"exceptions"`
	Effect          present         `json:"effect"`
	Facts           present         `json:"facts"`
	Components      nonEmpty        `json:"components"`
	Vulnerabilities present         `json:"vulnerabilities"`
	Format          str             `json:"format"`
}

// Schema names of stella's own formats (docs/inputs.md).
const (
	ReachSchema      = "stella.reachability/v1"
	ExceptionsSchema = "stella.exceptions/v1"
)

// detect recognizes the format of a document by its content (docs/inputs.md,
// "Format detection"). want is the kind the caller expects, or "".
func detect(d *doc, want Kind) (Format, Kind, error) {
	f, k, keys, err := sniffFormat(d)
	if err != nil {
		return "", "", err
	}
	if f == "" {
		msg := "unrecognized input format"
		switch c := d.data[0]; {
		case c == '<':
			msg += " (XML: only the JSON forms of CycloneDX, SPDX and CSAF are read)"
		case bytes.HasPrefix(d.data, []byte("SPDXVersion:")):
			msg += " (SPDX tag-value: only SPDX JSON is read)"
		case c == '[':
			msg += " (a JSON array)"
		case c == '"' || c == '-' || c >= '0' && c <= '9' || bytes.HasPrefix(d.data, []byte("true")) || bytes.HasPrefix(d.data, []byte("false")) || bytes.HasPrefix(d.data, []byte("null")):
			msg += " (a JSON scalar, not an object)"
		}
		if want != "" {
			msg += " for " + string(want) + " (expected " + expected(want) + ")"
		}
		if len(keys) > 0 {
			msg += "; top-level keys: " + strings.Join(keys, ", ")
		}
		return "", "", invalid("", Problem{File: d.name, Line: 1, Col: 1, Msg: msg})
	}
	if want == "" {
		return f, k, nil
	}
	for _, fk := range formatKinds[f] {
		if fk == want {
			return f, want, nil
		}
	}
	return "", "", invalid("", Problem{File: d.name, Msg: fmt.Sprintf("this is %s %s, not %s (expected %s)", article(f), describe(f), string(want), expected(want))})
}

func sniffFormat(d *doc) (Format, Kind, []string, error) {
	b := d.data
	switch b[0] {
	case '{':
		s, err := sniffJSON(b)
		if err != nil {
			return "", "", nil, invalid("", d.jsonProblem(err))
		}
		f, k := classify(&s)
		if f == "" {
			return "", "", topKeys(b), nil
		}
		return f, k, nil, nil
	case '[':
		var elems []json.RawMessage
		if err := json.Unmarshal(b, &elems); err != nil {
			return "", "", nil, invalid("", d.jsonProblem(err))
		}
		if len(elems) == 0 {
			return "", "", nil, nil
		}
		var s sniff
		if json.Unmarshal(elems[0], &s) == nil {
			switch f, _ := classify(&s); {
			case f == OSV:
				return OSV, KindAdvisories, nil, nil
			case bool(s.Effect):
				return Exceptions, KindExceptions, nil, nil
			}
		}
		return "", "", nil, nil
	}
	first, _, _ := bytes.Cut(b, []byte{'\n'})
	first = bytes.ToLower(bytes.TrimSpace(first))
	if bytes.HasPrefix(first, []byte("#model_version")) || bytes.HasPrefix(first, []byte("cve,epss")) {
		return EPSSCSV, KindEPSS, nil, nil
	}
	if bytes.HasPrefix(first, []byte("cveid,")) {
		return KEVCSV, KindKEV, nil, nil
	}
	var node yaml.Node
	if yaml.Unmarshal(b, &node) == nil && len(node.Content) == 1 {
		top := node.Content[0]
		switch top.Kind {
		case yaml.MappingNode:
			var keys []string
			for i := 0; i+1 < len(top.Content); i += 2 {
				keys = append(keys, top.Content[i].Value)
				if v := top.Content[i+1].Value; top.Content[i].Value == "exceptions" || top.Content[i].Value == "schema" && v == ExceptionsSchema {
					return Exceptions, KindExceptions, nil, nil
				}
			}
			sort.Strings(keys)
			return "", "", keys, nil
		case yaml.SequenceNode:
			if len(top.Content) > 0 && top.Content[0].Kind == yaml.MappingNode {
				for i := 0; i+1 < len(top.Content[0].Content); i += 2 {
					if top.Content[0].Content[i].Value == "effect" {
						return Exceptions, KindExceptions, nil, nil
					}
				}
			}
		}
	}
	return "", "", nil, nil
}

// classify applies the detection rules to a sniffed JSON object, most
// specific marker first.
func classify(s *sniff) (Format, Kind) {
	switch {
	case s.BOMFormat == "CycloneDX":
		if !bool(s.Components) && bool(s.Vulnerabilities) {
			return CycloneDX, KindVEX
		}
		return CycloneDX, KindSBOM
	case s.SPDXVersion != "":
		return SPDX, KindSBOM
	case len(s.Document) > 0 && bytes.Contains(s.Document, []byte(`"csaf_version"`)):
		return CSAF, KindVEX
	case bool(s.Statements) && (bool(s.Context) || bool(s.Author)):
		return OpenVEX, KindVEX
	case s.Format == "NVD_CVE" && bool(s.Vulnerabilities):
		return NVDJSON, KindNVD
	case bool(s.CatalogVersion) && bool(s.Vulnerabilities):
		return KEVJSON, KindKEV
	case s.Schema == ReachSchema || s.Schema == "" && bool(s.Facts):
		return Reach, KindReach
	case s.Schema == ExceptionsSchema || bool(s.Exceptions):
		return Exceptions, KindExceptions
	case bool(s.ID) && (bool(s.Affected) || bool(s.Modified) || bool(s.SchemaVersion)):
		return OSV, KindAdvisories
	}
	return "", ""
}

// topKeys lists the member names of a JSON object's top level, sorted.
func topKeys(b []byte) []string {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 8 {
		keys = append(keys[:8], "…")
	}
	return keys
}

func describe(f Format) string {
	switch f {
	case CycloneDX:
		return "CycloneDX document"
	case SPDX:
		return "SPDX document"
	case OSV:
		return "OSV advisory"
	case OpenVEX:
		return "OpenVEX document"
	case CSAF:
		return "CSAF document"
	case EPSSCSV:
		return "EPSS score file"
	case KEVJSON, KEVCSV:
		return "CISA KEV catalog"
	case NVDJSON:
		return "NVD CVE API 2.0 document"
	case Reach:
		return "stella reachability file"
	case Exceptions:
		return "stella exceptions file"
	}
	return string(f)
}

func article(f Format) string {
	if strings.ContainsRune("AEIOU", rune(describe(f)[0])) {
		return "an"
	}
	return "a"
}

func expected(k Kind) string {
	switch k {
	case KindSBOM:
		return "CycloneDX or SPDX JSON"
	case KindAdvisories:
		return "OSV JSON: a file, a directory or a zip"
	case KindVEX:
		return "OpenVEX, CycloneDX VEX or CSAF JSON"
	case KindEPSS:
		return "EPSS CSV, optionally gzipped"
	case KindKEV:
		return "CISA KEV JSON (or its CSV form)"
	case KindNVD:
		return "NVD CVE API 2.0 JSON: a file (optionally gzipped) or a directory of them"
	case KindReach:
		return ReachSchema + " JSON"
	case KindExceptions:
		return "exceptions YAML or JSON"
	}
	return "a known format"
}

// accepts reports whether reading with opt may yield format f.
func accepts(opt Options, f Format) bool {
	if opt.Format != "" && opt.Format != f {
		return false
	}
	if opt.Kind == "" {
		return true
	}
	for _, k := range formatKinds[f] {
		if k == opt.Kind {
			return true
		}
	}
	return false
}

// isZip reports whether the file at p starts with the zip magic number.
func isZip(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	n, _ := f.Read(magic[:])
	return n == 4 && string(magic[:]) == "PK\x03\x04"
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

func joinOr(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
