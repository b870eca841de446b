package report

import (
	"io"

	"github.com/stella-policy/stella/internal/run"
)

// EvidenceExported writes the terminal form of a `policy export`.
func EvidenceExported(w io.Writer, ex *run.Exported) error {
	_, err := printf(w, "exported %s (%d findings, %d input files) to %s (%d bytes)\n", ex.RunID, ex.Findings, ex.Inputs, ex.File, ex.Bytes)
	return err
}

// Verified writes the terminal form of a `policy verify` that succeeded
// (docs/attestation.md): what was verified, by which keys, and what was
// checked besides the signatures.
func Verified(w io.Writer, rep *run.VerifyReport, o Options) error {
	p := newPalette(o.Color)
	printf(w, "%s %s: %s, run %s, %d findings\n", p.paint(p.good, "verified"), rep.Kind, rep.File, rep.RunID, rep.Findings)
	for _, id := range rep.Signers {
		trust := "trusted key"
		if rep.EmbeddedKey {
			trust = "INSECURE: key shipped in the archive, not independently trusted"
		}
		printf(w, "  signed by %s (%s)\n", id, trust)
	}
	for _, id := range rep.ManifestSigners {
		printf(w, "  archive manifest signed by %s (every entry: source, IR, source map, inputs, record)\n", id)
	}
	if rep.Kind == "evidence" {
		source := "not in the archive"
		if rep.Source {
			source = "compiles to the attested IR"
		}
		printf(w, "  inputs: %d files checked against snapshot manifest; policy source: %s\n", rep.Inputs, source)
	}
	if rep.Policy != "" {
		printf(w, "  policy %s %s\n", rep.Policy, rep.IRDigest)
	}
	if rep.Set != nil {
		for _, m := range rep.Set.Members {
			printf(w, "    %s\n", m)
		}
	}
	if rep.StoredRun != "" {
		printf(w, "  stored run: %s\n", rep.StoredRun)
	}
	return nil
}
