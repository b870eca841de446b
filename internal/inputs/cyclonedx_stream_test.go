package inputs

import (
	"strings"
	"testing"
)

// TestCycloneDXStream: the components array decoded element by element
// gives what the whole decode gave — refs made unique with the metadata
// component counted first wherever it is in the file, relations inherited
// by nested components, the last of two components keys, positioned errors.
func TestCycloneDXStream(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      string // ref:relation of each component, sorted as the model sorts them
		err       string
	}{
		{"metadata after components",
			`{"components": [{"bom-ref": "a", "name": "a", "version": "1", "purl": "pkg:npm/a@1", "components": [{"bom-ref": "n", "name": "n", "version": "1", "purl": "pkg:npm/n@1"}]}, {"bom-ref": "b", "name": "b", "version": "1", "purl": "pkg:npm/b@1"}],
			 "bomFormat": "CycloneDX", "specVersion": "1.5", "metadata": {"component": {"bom-ref": "a", "name": "app"}},
			 "dependencies": [{"ref": "a", "dependsOn": ["b"]}, {"ref": "b", "dependsOn": ["c"]}]}`,
			"a#2: b:direct n:", ""},
		{"nested inherit relation",
			`{"bomFormat": "CycloneDX", "specVersion": "1.5", "metadata": {"component": {"bom-ref": "root", "name": "app"}},
			 "components": [{"bom-ref": "a", "name": "a", "version": "1", "purl": "pkg:npm/a@1", "components": [{"name": "n", "version": "2", "purl": "pkg:npm/n@2"}]}],
			 "dependencies": [{"ref": "root", "dependsOn": ["a"]}]}`,
			"a:direct pkg:npm/n@2:direct", ""},
		{"components twice: the last one",
			`{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"name": "x", "version": "1", "purl": "pkg:npm/x@1"}], "Components": [{"name": "y", "version": "1", "purl": "pkg:npm/y@1"}]}`,
			"pkg:npm/y@1:", ""},
		{"no components", `{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": null}`, "", ""},
		{"bad component", "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\",\n \"components\": [{\"name\": 1}]}", "", "t.cdx.json:2:"},
		{"truncated", "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\",\n \"components\": [{\"name\": \"a\"}", "", "t.cdx.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := ReadBytes("t.cdx.json", []byte(tc.doc), Options{Kind: KindSBOM, Format: CycloneDX})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range in.SBOM.Components {
				got = append(got, c.Ref+":"+c.Relation)
			}
			if s := strings.Join(got, " "); s != tc.want {
				t.Fatalf("components %q, want %q", s, tc.want)
			}
		})
	}
}

// TestPurlLimit: a purl over MaxPurlBytes is not parsed; the component is
// kept without one, with a warning naming the limit.
func TestPurlLimit(t *testing.T) {
	long := "pkg:npm/lib@1.0.0?x=" + strings.Repeat("a", MaxPurlBytes)
	doc := `{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"name": "lib", "version": "1.0.0", "purl": "` + long + `"}]}`
	in, err := ReadBytes("t.cdx.json", []byte(doc), Options{Kind: KindSBOM})
	if err != nil {
		t.Fatal(err)
	}
	if c := in.SBOM.Components[0]; c.Purl != "" || in.SBOM.NoPurl != 1 {
		t.Fatalf("purl %.40q, noPurl %d", c.Purl, in.SBOM.NoPurl)
	}
	var msgs []string
	for _, w := range in.Warnings {
		msgs = append(msgs, w.Msg)
	}
	if !strings.Contains(strings.Join(msgs, "\n"), "over the limit of 65536; component lib@1.0.0 kept without a purl") {
		t.Fatalf("warnings %q", msgs)
	}
}
