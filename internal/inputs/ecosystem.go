package inputs

import (
	"fmt"

	"github.com/stella-policy/stella/internal/purl"
)

// osvEcosystem checks the ecosystem of an OSV affected package against the
// osv-schema list (docs/inputs.md "OSV ecosystems"). eco is set to the
// ecosystem the record is matched by; the message is empty for a listed
// name. A listed name in other letter case or with surrounding white space
// is respelled, so loose files, the feed cache and snapshots match it
// alike; a name not on the list is kept, and no component matches it.
func osvEcosystem(eco *string) string {
	canon, known := purl.CanonicalEcosystem(*eco)
	switch {
	case canon == *eco && known:
		return ""
	case canon == "": // white space only: the caller says it is missing
		*eco = ""
		return ""
	case known:
		msg := fmt.Sprintf("ecosystem %q is not spelled as OSV spells it (names are case-sensitive); read as %q", *eco, canon)
		*eco = canon
		return msg
	}
	msg := fmt.Sprintf("ecosystem %q is not an OSV ecosystem; no component matches this package", *eco)
	*eco = canon
	return msg
}
