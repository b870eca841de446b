package run

import (
	"bytes"
	"cmp"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/engine"
	"github.com/stella-policy/stella/internal/inputs"
	"github.com/stella-policy/stella/internal/model"
)

// Locator finds a finding's component in the SBOM file it was read from
// (the SARIF location, docs/output.md): the file as given on the command
// line and the line where the component's ref (else its purl) first
// appears. Inputs from a snapshot directory have no raw file; they are
// located by SBOM name.
func (o *Outcome) Locator() func(f *engine.Finding) (string, int) {
	snap := o.Snapshot
	paths := map[string]string{}
	for _, s := range snap.Manifest.Sources {
		if s.Kind == inputs.KindSBOM {
			paths[s.Digest] = s.Path
		}
	}
	names := map[string]string{}
	for _, s := range snap.Digests.SBOMs {
		names[s.Digest] = s.Name
	}
	files := map[string][]byte{}
	return func(f *engine.Finding) (string, int) {
		p, ok := paths[f.Component.SBOM]
		if !ok {
			return cmp.Or(names[f.Component.SBOM], f.Component.SBOM), 0
		}
		data, ok := files[p]
		if !ok {
			data, _ = os.ReadFile(p)
			files[p] = data
		}
		for _, needle := range []string{f.Component.Ref, f.Purl} {
			if needle == "" {
				continue
			}
			if i := bytes.Index(data, []byte(`"`+needle+`"`)); i >= 0 {
				return p, 1 + bytes.Count(data[:i], []byte{'\n'})
			}
		}
		return p, 0
	}
}

// AdvisoryURL returns an advisory's reference for its SARIF rule: its
// first ADVISORY reference, else its first WEB one, else its OSV page.
func (o *Outcome) AdvisoryURL(id string) string {
	advs := o.Snapshot.Inputs.Advisories
	i, ok := slices.BinarySearchFunc(advs, id, func(a model.Advisory, id string) int { return strings.Compare(a.ID, id) })
	if ok {
		for _, typ := range []string{"ADVISORY", "WEB"} {
			for _, r := range advs[i].References {
				if r.Type == typ && strings.HasPrefix(r.URL, "https://") {
					return r.URL
				}
			}
		}
	}
	return "https://osv.dev/vulnerability/" + url.PathEscape(id)
}
