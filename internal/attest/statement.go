package attest

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
)

// StatementType is the in-toto Statement v1 type.
const StatementType = "https://in-toto.io/Statement/v1"

// RunPredicateType is the predicate type of a policy.run@1 run manifest.
const RunPredicateType = "https://stella.dev/attestations/policy.run@1"

// Statement is an in-toto Statement v1.
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// Subject is one attested artifact. Digest maps an algorithm to lowercase
// hex; stella always uses sha256.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// SubjectOf names an artifact with a stella digest ("sha256:<hex>").
func SubjectOf(name, digest string) Subject {
	return Subject{Name: name, Digest: map[string]string{"sha256": strings.TrimPrefix(digest, canon.Prefix)}}
}

// Digest256 returns the subject's sha256 digest in stella's form.
func (s Subject) Digest256() string {
	if h, ok := s.Digest["sha256"]; ok {
		return canon.Prefix + h
	}
	return ""
}

// NewStatement returns the canonical JSON of a statement (RFC 8785), the
// payload to sign: the same subjects and predicate always give the same
// bytes.
func NewStatement(predicateType string, subjects []Subject, predicate any) ([]byte, error) {
	pred, err := canon.Marshal(predicate)
	if err != nil {
		return nil, err
	}
	if subjects == nil {
		subjects = []Subject{}
	}
	return canon.Marshal(Statement{Type: StatementType, Subject: subjects, PredicateType: predicateType, Predicate: pred})
}

// ParseStatement reads an in-toto Statement v1 of the given predicate type.
func ParseStatement(b []byte, predicateType string) (*Statement, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var st Statement
	if err := dec.Decode(&st); err != nil {
		return nil, fail.New(fail.Integrity, "payload is not an in-toto statement: %v", err)
	}
	if st.Type != StatementType {
		return nil, fail.New(fail.Integrity, "statement _type %q is not %q", st.Type, StatementType)
	}
	if predicateType != "" && st.PredicateType != predicateType {
		return nil, fail.New(fail.Integrity, "predicateType %q is not %q", st.PredicateType, predicateType)
	}
	for i, s := range st.Subject {
		h := s.Digest["sha256"]
		if !canon.ValidDigest(canon.Prefix + h) {
			return nil, fail.New(fail.Integrity, "subject[%d] %q: missing or malformed sha256 digest", i, s.Name)
		}
	}
	return &st, nil
}
