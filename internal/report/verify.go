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

// ExportNotices warns on stderr about what an exported archive cannot
// vouch for: a run that is not signed, a manifest that is not (the policy
// source is then covered by no signature).
func ExportNotices(w io.Writer, ex *run.Exported) {
	if !ex.Signed {
		printf(w, "stella: warning: run %s is not signed; the evidence cannot be verified (run with --sign-key)\n", ex.RunID)
	}
	if !ex.ManifestSigned {
		printf(w, "stella: warning: %s: the archive's manifest is not signed (give --sign-key): a verification will not cover the policy source by a signature\n", ex.File)
	}
}

// VerifyNotices says on stderr what a verification of path must add to
// its report: that the key the archive ships verified it
// (--insecure-embedded-key, EmbeddedKey), and its warnings.
func VerifyNotices(w io.Writer, path string, rep *run.VerifyReport) {
	if rep.EmbeddedKey {
		EmbeddedKey(w, path)
	}
	for _, m := range rep.Warnings {
		printf(w, "stella: warning: %s: %s\n", path, m)
	}
}

// EmbeddedKey warns on stderr that path (an evidence archive or a bundle)
// was verified with the key it ships (--insecure-embedded-key): that
// proves it intact, not who signed it.
func EmbeddedKey(w io.Writer, path string) {
	printf(w, "stella: warning: verified with the key shipped inside %s (--insecure-embedded-key): this proves it intact, not who signed it\n", path)
}

// Unverified warns on stderr that the evidence archive at path was read
// with no trusted key: checked against its own manifest only.
func Unverified(w io.Writer, path string) {
	printf(w, "stella: warning: %s is UNVERIFIED: checked against its own manifest only; give --key PUB to verify who signed it\n", path)
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
