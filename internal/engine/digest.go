package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/model"
)

// inputsRef identifies the inputs: the caller's digests when it has them (a
// snapshot), else digests of the canonical JSON of each normalized input;
// then InputsHash over all of them, the env and the evaluation time.
func inputsRef(req Request, env []KV, at string) (InputsRef, error) {
	in := req.Inputs
	var ref InputsRef
	if req.InputDigests != nil {
		ref = *req.InputDigests
	} else {
		var err error
		for i := range in.SBOMs {
			sb := &in.SBOMs[i]
			ref.SBOMs = append(ref.SBOMs, SBOMRef{Name: sb.Name, Digest: sb.Digest, Components: len(sb.Components)})
		}
		var buf []byte
		digest := func(v any, present bool) string {
			if !present || err != nil {
				return ""
			}
			buf, err = appendCanonical(buf[:0], v)
			return canon.Digest(buf)
		}
		ref.Advisories = digest(orEmpty(in.Advisories), true)
		ref.VEX = digest(orEmpty(in.VEX), true)
		ref.EPSS = digest(in.EPSS, in.EPSS != nil)
		ref.KEV = digest(in.KEV, in.KEV != nil)
		ref.Reachability = digest(in.Reach, len(in.Reach) > 0)
		ref.Exceptions = digest(in.Exceptions, len(in.Exceptions) > 0)
		if err != nil {
			return ref, fail.Wrap(fail.Invalid, err)
		}
	}
	if ref.SBOMs == nil {
		ref.SBOMs = []SBOMRef{}
	}
	slices.SortFunc(ref.SBOMs, func(a, b SBOMRef) int { return strings.Compare(a.Digest, b.Digest) })
	ref.SnapshotID = req.SnapshotID
	ref.Counts = counts(in)
	ref.InputsHash = ""
	b, err := appendCanonical(nil, struct {
		Inputs         InputsRef `json:"inputs"`
		Env            []KV      `json:"env"`
		EvaluationTime string    `json:"evaluationTime"`
	}{ref, env, at})
	if err != nil {
		return ref, fail.Wrap(fail.Invalid, err)
	}
	ref.InputsHash = canon.Digest(b)
	return ref, nil
}

func counts(in *model.Inputs) InputCounts {
	c := InputCounts{Advisories: len(in.Advisories), VEX: len(in.VEX), Reachability: len(in.Reach), Exceptions: len(in.Exceptions)}
	for i := range in.SBOMs {
		c.Components += len(in.SBOMs[i].Components)
	}
	if in.EPSS != nil {
		c.EPSS = len(in.EPSS.Scores)
	}
	if in.KEV != nil {
		c.KEV = len(in.KEV.Entries)
	}
	return c
}

// seal computes the output digests (docs/output.md "Digests"):
//
//   - findings: the canonical JSON array of the findings without their
//     explain traces, in finding order;
//   - explains: the canonical JSON array of the explainIds, in finding
//     order (each id is the digest of its trace);
//   - result: the canonical JSON of the whole result with digests.result
//     set to "".
//
// Each is streamed into the hash, so no canonical copy of a large result is
// held in memory.
func (r *Result) seal() error {
	var buf []byte
	var err error
	fh := sha256.New()
	fh.Write([]byte{'['})
	ids := make([]string, 0, len(r.Findings))
	for i := range r.Findings {
		f := r.Findings[i]
		f.Explain = nil
		if i > 0 {
			fh.Write([]byte{','})
		}
		if buf, err = appendCanonical(buf[:0], &f); err != nil {
			return fail.Wrap(fail.Internal, err)
		}
		fh.Write(buf)
		ids = append(ids, f.ExplainID)
	}
	fh.Write([]byte{']'})
	r.Digests.Findings = canon.Prefix + hex.EncodeToString(fh.Sum(nil))
	if buf, err = appendCanonical(buf[:0], ids); err != nil {
		return fail.Wrap(fail.Internal, err)
	}
	r.Digests.Explains = canon.Digest(buf)
	r.Digests.Result = ""
	rh := sha256.New()
	if err := writeCanonical(rh, r, buf); err != nil {
		return fail.Wrap(fail.Internal, err)
	}
	r.Digests.Result = canon.Prefix + hex.EncodeToString(rh.Sum(nil))
	return nil
}

// writeCanonical writes the canonical JSON of r to w, finding by finding.
func writeCanonical(w io.Writer, r *Result, buf []byte) error {
	// The canonical result is the canonical result without findings with
	// the findings array spliced in at its key: "findings" sorts after
	// "evaluationTime" and before "gates", so split there.
	shell := *r
	shell.Findings = nil
	head, err := appendCanonical(buf[:0], &shell)
	if err != nil {
		return err
	}
	const key = `,"findings":null,`
	i := bytes.Index(head, []byte(key))
	if i < 0 {
		return errors.New("canonical json: no findings member")
	}
	rest := bytes.Clone(head[i+len(key)-1:])
	w.Write(head[:i+len(key)-5])
	w.Write([]byte{'['})
	var fb []byte
	for j := range r.Findings {
		if j > 0 {
			w.Write([]byte{','})
		}
		if fb, err = appendCanonical(fb[:0], &r.Findings[j]); err != nil {
			return err
		}
		w.Write(fb)
	}
	w.Write([]byte{']'})
	_, err = w.Write(rest)
	return err
}
