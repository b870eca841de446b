//go:build !linux

package inputs

import "os"

// statOf has no change time or inode to give outside Linux: Fingerprint
// reports ok false, and nothing is cached.
func statOf(os.FileInfo) (fileStat, bool) { return fileStat{}, false }

// dirPrints has no fast walk to offer: Fingerprint walks as Read does.
func dirPrints(string, Limits) ([]filePrint, bool) { return nil, false }
