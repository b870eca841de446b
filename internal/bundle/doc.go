// Package bundle owns stella's offline bundles ("kits") for air-gapped
// sites and sealed mode.
//
// A bundle is a deterministic tar (sorted paths, mtime 0, uid/gid 0, empty
// user and group names, mode 0644, regular files only) compressed with zstd
// (single-threaded, so the bytes are stable) or gzip. It holds policy
// versions (source, IR, source map, signed approvals), frozen snapshots,
// optional run evidence and the public keys the contents refer to, plus
// manifest.json — canonical JSON listing every entry with its sha256, size
// and media type, a Merkle root over the entries, the stream and sequence
// number, the validity window and a content-derived bundle id — and
// manifest.dsse.json, a DSSE envelope whose payload is exactly the bytes of
// manifest.json. The format is specified in docs/bundle.md, precisely
// enough to check a bundle by hand with tar, zstd, jq, sha256sum and
// openssl.
//
// The package exports bundles from a store (Export), reads them defensively
// (Read: size limits against decompression bombs, no links, no unsafe or
// duplicate paths, truncation detected), verifies them against the
// importing site's own trust roots and a time anchor (Verify), and imports
// them into a store — after checking every record of the snapshots they
// carry — in one transaction with monotonic sequence gating per stream,
// quarantining bundles that fail (Import). Sealed mode (Guard) turns
// every network path into a fail.Sealed error.
//
// Nothing here reads the clock except Verify when the caller passes no time
// anchor, and then the Report says so.
package bundle
