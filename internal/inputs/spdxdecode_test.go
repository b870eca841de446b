package inputs

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stella-policy/stella/internal/testenv"
)

var spdxDecodeCases = []string{
	`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"x","documentNamespace":"https://x","documentDescribes":["SPDXRef-a"],` +
		`"packages":[{"SPDXID":"SPDXRef-a","name":"a","versionInfo":"1.0","licenseConcluded":"MIT","licenseDeclared":"NOASSERTION",` +
		`"externalRefs":[{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:npm/a@1.0"}],` +
		`"checksums":[{"algorithm":"SHA1","checksumValue":"00"}],"filesAnalyzed":false,"supplier":"NOASSERTION"}],` +
		`"relationships":[{"spdxElementId":"SPDXRef-DOCUMENT","relationshipType":"DESCRIBES","relatedSpdxElement":"SPDXRef-a"}],` +
		`"creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: x"]},"files":[{"fileName":"./a","checksums":[]}]}`,
	`{"spdxVersion":"SPDX-2.2","packages":[],"relationships":[],"documentDescribes":[]}`,
	`{"spdxVersion":"SPDX-2.2","packages":null}`,
	`{"spdxversion":"SPDX-2.2"}`,
	`{"spdxVersion":"SPDX-2.2","spdxVersion":"SPDX-2.3"}`,
	`{"packages":[{"name":"a\u00e9\"b","externalRefs":[{"REFERENCETYPE":"purl"}]}]}`,
	`{"packages":[{"name":1}]}`,
	` {"name":"x"} `,
	`{"name":"x"}]`,
	`[]`,
	`{"name":"\ud800"}`,
}

// checkDecodeSPDX: whatever the fast path takes, encoding/json takes too and
// decodes to the same document.
func checkDecodeSPDX(t *testing.T, b []byte) bool {
	t.Helper()
	var fast spdxDoc
	if !decodeSPDX(b, &fast) {
		return false
	}
	var ref spdxDoc
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatalf("fast path took %q, encoding/json refuses it: %v", b, err)
	}
	if !reflect.DeepEqual(fast, ref) {
		t.Fatalf("%q:\nfast %+v\n ref %+v", b, fast, ref)
	}
	return true
}

// checkStreamSPDX: whatever the one-pass reading from a file takes
// (streamed a byte at a time), readSPDX takes too, to the same input.
func checkStreamSPDX(t *testing.T, b []byte) {
	t.Helper()
	r := newSPDXReader(&doc{name: "t.spdx.json"})
	var sd spdxDoc
	if !r.read(newStream(iotest.OneByteReader(bytes.NewReader(b)), nil, 7), math.MaxInt32, &sd) || spdxVersion(r.d, sd.SPDXVersion) != nil {
		return
	}
	got := &Input{}
	r.finish(&sd, got)
	want := &Input{}
	if err := readSPDX(&doc{name: "t.spdx.json", data: b}, want); err != nil {
		t.Fatalf("streamed reading took %q, readSPDX refuses it: %v", b, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\nstreamed %+v\n    whole %+v", b, got, want)
	}
}

func TestDecodeSPDX(t *testing.T) {
	fast := 0
	for _, c := range spdxDecodeCases {
		checkStreamSPDX(t, []byte(c))
		if checkDecodeSPDX(t, []byte(c)) {
			fast++
		}
	}
	if fast < 3 {
		t.Errorf("the fast path took only %d cases", fast)
	}
}

// TestDecodeSPDXShared: every shared SPDX SBOM is read on the fast path,
// to the document encoding/json gives.
func TestDecodeSPDXShared(t *testing.T) {
	data := testenv.RequireData(t)
	paths, _ := filepath.Glob(filepath.Join(data, "sbom", "spdx", "*.json"))
	if len(paths) == 0 {
		t.Fatal("no shared SPDX SBOMs")
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b = []byte(strings.TrimSpace(string(b)))
		if !checkDecodeSPDX(t, b) {
			t.Errorf("%s: not read on the fast path", filepath.Base(p))
		}
		checkStreamSPDX(t, b)
		checkReadFile(t, p, true)
	}
}

func FuzzDecodeSPDX(f *testing.F) {
	for _, c := range spdxDecodeCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDecodeSPDX(t, b)
		checkStreamSPDX(t, b)
	})
}
