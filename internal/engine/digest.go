package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"slices"
	"strings"

	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/model"
)

// inputsRef identifies the inputs: the caller's digests (and advisory
// count) when it has them (a snapshot, whose Inputs may hold only the
// advisories the join can use), else digests of the canonical JSON of each
// normalized input;
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
			buf, err = canon.Append(buf[:0], v)
			return canon.Digest(buf)
		}
		ref.Advisories = digest(orEmpty(in.Advisories), true)
		ref.VEX = digest(orEmpty(in.VEX), true)
		ref.NVD = digest(in.NVD, len(in.NVD) > 0)
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
	if req.InputDigests != nil && req.InputDigests.Counts.Advisories > 0 {
		// A snapshot's Inputs may hold only the advisories the join can use.
		ref.Counts.Advisories = req.InputDigests.Counts.Advisories
	}
	ref.InputsHash = ""
	b, err := canon.Append(nil, struct {
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
	c := InputCounts{Advisories: len(in.Advisories), VEX: len(in.VEX), NVD: len(in.NVD), Reachability: len(in.Reach), Exceptions: len(in.Exceptions)}
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
//   - result: the canonical JSON of the result with the findings' explain
//     traces left out and digests.result set to "" — the traces are bound
//     through digests.explains.
//
// Each finding is encoded once, into one buffer streamed from there into
// both hashes, whose pieces the findings keep as their canonical bytes
// (Finding.Canonical) when the request asked for them (Request.Keep).
func (r *Result) seal() error {
	r.Digests = Digests{}
	// The encodings go into 64 KiB chunks, a new one when less than 4 KiB
	// is left, rather than into one buffer that copies megabytes as it
	// grows.
	var arena []byte
	ids := make([]string, 0, len(r.Findings))
	for j := range r.Findings {
		f := r.Findings[j]
		f.Explain, f.canonical = nil, nil
		if cap(arena)-len(arena) < 4<<10 {
			arena = make([]byte, 0, 64<<10)
		}
		start := len(arena)
		var err error
		if arena, err = canon.Append(arena, &f); err != nil {
			return fail.Wrap(fail.Internal, err)
		}
		r.Findings[j].canonical = arena[start:len(arena):len(arena)]
		ids = append(ids, r.Findings[j].ExplainID)
	}
	if !r.keep {
		// Dropped once hashed (Request.Keep).
		defer func() {
			for j := range r.Findings {
				r.Findings[j].canonical = nil
			}
		}()
	}
	fh := sha256.New()
	r.writeFindings(fh)
	r.Digests.Findings = canon.Prefix + hex.EncodeToString(fh.Sum(nil))
	buf, err := canon.Append(nil, ids)
	if err != nil {
		return fail.Wrap(fail.Internal, err)
	}
	r.Digests.Explains = canon.Digest(buf)

	// The result is the canonical result without findings with the bare
	// findings spliced in at their key: "findings" sorts after
	// "evaluationTime" and before "gates".
	shell := *r
	shell.Findings = nil
	head, err := canon.Append(nil, &shell)
	if err != nil {
		return fail.Wrap(fail.Internal, err)
	}
	const key = `,"findings":null,`
	i := bytes.Index(head, []byte(key))
	if i < 0 {
		return fail.New(fail.Internal, "canonical json: no findings member")
	}
	rh := sha256.New()
	rh.Write(head[:i+len(key)-5]) // up to and including `"findings":`
	r.writeFindings(rh)
	rh.Write(head[i+len(key)-1:]) // from the comma before "gates"
	r.Digests.Result = canon.Prefix + hex.EncodeToString(rh.Sum(nil))
	return nil
}

// writeFindings writes the canonical JSON array of the findings without
// their traces.
func (r *Result) writeFindings(w io.Writer) {
	w.Write([]byte{'['})
	for j := range r.Findings {
		if j > 0 {
			w.Write([]byte{','})
		}
		w.Write(r.Findings[j].canonical)
	}
	w.Write([]byte{']'})
}
