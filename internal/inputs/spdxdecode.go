package inputs

import "strings"

// decodeSPDX is the fast path of reading SPDX 2.x JSON: one pass over the
// text, no reflection, filling only the members stella reads (spdxDoc)
// exactly as json.Unmarshal would, and passing over the rest — most of a
// real SBOM (files, checksums, copyright texts) — with the OSV decoder's
// checked skip. Whatever it does not take as real SBOMs write it — a key
// matching a field's name in another case, a duplicate key, a null, a value
// of the wrong type, malformed text — makes it return false, and the caller
// decodes with json.Unmarshal, whose result and errors are the reference
// (FuzzDecodeSPDX holds the two to the same documents).
func decodeSPDX(data []byte, sd *spdxDoc) bool {
	p := &osvParser{b: data}
	if !p.spdxDoc(sd) {
		return false
	}
	p.space()
	return p.i == len(p.b)
}

// The JSON names of the fields of the SPDX structs (osvParser.unknown).
var (
	spdxDocNames      = []string{"spdxVersion", "SPDXID", "name", "documentNamespace", "documentDescribes", "packages", "relationships"}
	spdxPackageNames  = []string{"SPDXID", "name", "versionInfo", "licenseConcluded", "licenseDeclared", "externalRefs"}
	spdxExtRefNames   = []string{"referenceCategory", "referenceType", "referenceLocator"}
	spdxRelationNames = []string{"spdxElementId", "relationshipType", "relatedSpdxElement"}
)

func (p *osvParser) spdxDoc(sd *spdxDoc) bool {
	var m members
	if !p.begin(&m, spdxDocNames) {
		return false
	}
	for p.next(&m) {
		ok := true
		switch string(m.key) {
		case "spdxVersion":
			ok = p.string(&sd.SPDXVersion)
		case "SPDXID":
			ok = p.string(&sd.SPDXID)
		case "name":
			ok = p.string(&sd.Name)
		case "documentNamespace":
			ok = p.string(&sd.DocumentNamespace)
		case "documentDescribes":
			ok = p.strings(&sd.DocumentDescribes)
		case "packages":
			ok = spdxList(p, &sd.Packages, spdxPackageNames, p.spdxPackage)
		case "relationships":
			ok = spdxList(p, &sd.Relationships, spdxRelationNames, p.spdxRelation)
		default:
			ok = p.unknown(&m)
		}
		if !ok {
			return false
		}
	}
	return m.ok
}

// spdxPackage decodes the member key of a package.
func (p *osvParser) spdxPackage(pk *spdxPackage, key string) bool {
	switch key {
	case "SPDXID":
		return p.string(&pk.SPDXID)
	case "name":
		return p.string(&pk.Name)
	case "versionInfo":
		return p.string(&pk.VersionInfo)
	case "licenseConcluded":
		return p.string(&pk.LicenseConcluded)
	case "licenseDeclared":
		return p.string(&pk.LicenseDeclared)
	case "externalRefs":
		return spdxList(p, &pk.ExternalRefs, spdxExtRefNames, func(r *spdxExtRef, key string) bool {
			switch key {
			case "referenceCategory":
				return p.string(&r.Category)
			case "referenceType":
				return p.string(&r.Type)
			case "referenceLocator":
				return p.string(&r.Locator)
			}
			return false
		})
	}
	return false
}

// spdxRelation decodes the member key of a relationship.
func (p *osvParser) spdxRelation(r *spdxRelation, key string) bool {
	switch key {
	case "spdxElementId":
		return p.string(&r.Element)
	case "relationshipType":
		return p.string(&r.Type)
	case "relatedSpdxElement":
		return p.string(&r.Related)
	}
	return false
}

// spdxList decodes an array of objects into out, as json.Unmarshal decodes
// a JSON array into a slice of structs (spdxObject).
func spdxList[T any](p *osvParser, out *[]T, names []string, member func(*T, string) bool) bool {
	var e elements
	if !p.beginArray(&e) {
		return false
	}
	list := (*out)[:0]
	for p.nextElem(&e) {
		var v T
		if !spdxObject(p, &v, names, member) {
			return false
		}
		list = append(list, v)
	}
	if e.ok && list == nil {
		list = []T{}
	}
	*out = list
	return e.ok
}

// spdxObject decodes an object into v, as json.Unmarshal decodes a JSON
// object into a struct: member decodes each member whose key is one of
// names (exactly), the others are skipped.
func spdxObject[T any](p *osvParser, v *T, names []string, member func(*T, string) bool) bool {
	var m members
	if !p.begin(&m, names) {
		return false
	}
	for p.next(&m) {
		known := false
		for _, n := range names {
			if string(m.key) == n {
				known = true
				break
			}
		}
		ok := known && member(v, string(m.key)) || !known && p.unknown(&m)
		if !ok {
			return false
		}
	}
	return m.ok
}

// read is the one-pass reading of an SPDX document from s: the packages
// and relationships are taken one at a time by r as they are decoded, the
// document's own members into sd, the rest passed over (an array element by
// element), so that nothing but the current element is held
// (docs/performance.md "Bounds"). false: for anything decodeSPDX would not
// take, and for a member detection reads other than spdxVersion (the
// caller then reads the text whole; checkReadFile holds the two to the same
// inputs).
func (r *spdxReader) read(s *jsonStream, maxDepth int, sd *spdxDoc) bool {
	seen := map[string]bool{}
	return s.object(maxDepth, func(key string) bool {
		if seen[key] {
			return false
		}
		seen[key] = true
		n := 0
		switch key {
		case "spdxVersion":
			return s.decode(maxDepth, func(p *osvParser) bool { return p.string(&sd.SPDXVersion) })
		case "SPDXID":
			return s.decode(maxDepth, func(p *osvParser) bool { return p.string(&sd.SPDXID) })
		case "name":
			return s.decode(maxDepth, func(p *osvParser) bool { return p.string(&sd.Name) })
		case "documentNamespace":
			return s.decode(maxDepth, func(p *osvParser) bool { return p.string(&sd.DocumentNamespace) })
		case "documentDescribes":
			return s.decode(maxDepth, func(p *osvParser) bool { return p.strings(&sd.DocumentDescribes) })
		case "packages":
			return s.elements(maxDepth, func(p *osvParser) bool {
				var pk spdxPackage
				ok := spdxObject(p, &pk, spdxPackageNames, p.spdxPackage) && r.pkg(&pk, n) == nil
				n++
				return ok
			})
		case "relationships":
			return s.elements(maxDepth, func(p *osvParser) bool {
				var rel spdxRelation
				ok := spdxObject(p, &rel, spdxRelationNames, p.spdxRelation) && r.relation(rel, n) == nil
				n++
				return ok
			})
		}
		for _, names := range [][]string{spdxDocNames, sniffFields} {
			for _, name := range names {
				if strings.EqualFold(key, name) {
					return false
				}
			}
		}
		if b, _ := s.byte(); b == '[' {
			return s.elements(maxDepth, (*osvParser).skip)
		}
		return s.decode(maxDepth, (*osvParser).skip)
	})
}
