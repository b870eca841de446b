package canon

import "testing"

func TestMarshalCanonical(t *testing.T) {
	type inner struct {
		B string `json:"b"`
		A int    `json:"a"`
	}
	got, err := Marshal(map[string]any{"z": 1, "a": inner{B: "<&>", A: 2}, "m": 1e21, "n": -0.0})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":{"a":2,"b":"<&>"},"m":1e+21,"n":0,"z":1}`
	if string(got) != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

func TestTransformRejectsDuplicates(t *testing.T) {
	if _, err := Transform([]byte(`{"a":1,"a":2}`)); err == nil {
		t.Error("duplicate keys accepted")
	}
}

func TestDigest(t *testing.T) {
	d := Digest([]byte("abc"))
	if d != "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("digest %s", d)
	}
	if !ValidDigest(d) || ValidDigest("sha256:ABC") || ValidDigest(d[7:]) {
		t.Error("ValidDigest")
	}
	if Short(d, 12) != "ba7816bf8f01" {
		t.Error("Short")
	}
}

// TestSelfDigest: the address of an object that carries its own id is the
// digest of its canonical form with the id blanked, whatever the id says.
func TestSelfDigest(t *testing.T) {
	want := Digest([]byte(`{"a":1,"id":""}`))
	for _, in := range []string{`{"id":"x","a":1}`, `{ "a": 1, "id": "" }`, `{"a":1}`} {
		if got := SelfDigest([]byte(in), "id"); got != want {
			t.Errorf("SelfDigest(%s) = %s, want %s", in, got, want)
		}
	}
	if got := SelfDigest([]byte(`[1]`), "id"); got != "" {
		t.Errorf("SelfDigest of a list = %q, want \"\"", got)
	}
}
