package canon

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

type appendInner struct {
	Z string `json:"z"`
	A *int   `json:"a"`
}

type appendOuter struct {
	Name     string          `json:"name"`
	Empty    string          `json:"empty,omitempty"`
	List     []appendInner   `json:"list"`
	Nil      []string        `json:"nil"`
	Raw      json.RawMessage `json:"raw"`
	Flag     bool            `json:"flag"`
	Count    uint8           `json:"count"`
	Neg      int64           `json:"neg"`
	Ptr      *appendInner    `json:"ptr,omitempty"`
	Dropped  string          `json:"-"`
	Untagged string
	hidden   string
}

type cents int

func (c cents) AppendCanonical(b []byte) ([]byte, error) {
	return append(b, '"', 'c', byte('0'+c), '"'), nil
}

// TestAppendMatchesMarshal: Append writes what Marshal does, for each kind
// of value it supports, and lets an Appender write itself.
func TestAppendMatchesMarshal(t *testing.T) {
	one := 1
	tests := []struct {
		name string
		v    any
	}{
		{"strings", []string{"quote \" backslash \\ tab \t nl \n nul \x00 del \x7f <&> é 😀 \u2028 bad \xff", ""}},
		{"struct", appendOuter{Name: "n", List: []appendInner{{Z: "z", A: &one}, {}}, Raw: json.RawMessage(`{"b": 1, "a": [true, null]}`),
			Count: 7, Neg: -3, Ptr: &appendInner{Z: "p"}, Dropped: "x", Untagged: "u", hidden: "h"}},
		{"nil pointer", (*appendInner)(nil)},
		{"keys in UTF-16 order", struct {
			E string `json:"é"`
			U string `json:"𝒜"`
			F string `json:"ｱ"`
		}{"1", "2", "3"}},
		{"array", [2]bool{true, false}},
	}
	for _, tt := range tests {
		want, err := Marshal(tt.v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Append(nil, tt.v)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %v\n got  %s\n want %s", tt.name, err, got, want)
		}
	}
	if got, err := Append([]byte("x"), []cents{1, 2}); err != nil || string(got) != `x["c1","c2"]` {
		t.Errorf("appender: %s %v", got, err)
	}
	if _, err := Append(nil, map[string]int{}); err == nil {
		t.Error("a map encodes")
	}
}

// TestPlainRun holds PlainRun's word-at-a-time test to Plain, byte by
// byte: every byte value at every position of a word, among plain bytes.
func TestPlainRun(t *testing.T) {
	for c := range 256 {
		for at := range 20 {
			b := []byte(strings.Repeat("abcdefgh", 3))
			b[at] = byte(c)
			for from := range 3 {
				want := from
				for want < len(b) && Plain(b[want]) {
					want++
				}
				if got := PlainRun(b, from); got != want {
					t.Fatalf("PlainRun(%q, %d) = %d, want %d", b, from, got, want)
				}
			}
		}
	}
}
