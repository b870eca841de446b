package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/stella-policy/stella/internal/delta"
	"github.com/stella-policy/stella/internal/engine"
)

// DeltaSummary is the one-line outcome of a delta against a baseline.
func DeltaSummary(d *delta.Delta) string {
	s := d.Summary
	line := fmt.Sprintf("against %s %s (%s): %d new (%d newly blocked, %d newly warned), %d fixed, %d unchanged, %d verdict changed; components %d added, %d removed, %d upgraded",
		d.Baseline.Kind, d.Baseline.Ref, d.Baseline.Verdict, s.New, s.NewBlocked, s.NewWarned, s.Fixed, s.Unchanged, s.VerdictChanged,
		s.ComponentsAdded, s.ComponentsRemoved, s.ComponentsUpgraded)
	if len(s.GatesNewlyBlocking) > 0 {
		line += "; gates newly blocking: " + strings.Join(s.GatesNewlyBlocking, ", ")
	}
	if len(s.GatesNewlyWarning) > 0 {
		line += "; gates newly warning: " + strings.Join(s.GatesNewlyWarning, ", ")
	}
	return line
}

// DeltaTable writes a delta: its summary, the component changes and every
// finding that is not unchanged.
func DeltaTable(w io.Writer, d *delta.Delta, o Options) error {
	p := newPalette(o.Color)
	if _, err := printLine(w, DeltaSummary(d)); err != nil {
		return err
	}
	c := d.Components
	if len(c.Added)+len(c.Removed)+len(c.Upgraded) > 0 {
		t := NewTable(w, o.Color, "COMPONENT", "PACKAGE", "VERSION")
		for _, u := range c.Upgraded {
			if err := t.Append("upgraded", pkgName(u.Ecosystem, u.Name), u.From+" → "+u.To); err != nil {
				return err
			}
		}
		for _, a := range c.Added {
			if err := t.Append("added", pkgName(a.Ecosystem, a.Name), a.Version); err != nil {
				return err
			}
		}
		for _, r := range c.Removed {
			if err := t.Append("removed", pkgName(r.Ecosystem, r.Name), r.Version); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	t := NewTable(w, o.Color, "FINDING", "PACKAGE", "ADVISORY", "VERSION", "VERDICT", "SEVERITY", "FIXED-IN")
	rows := 0
	for _, f := range d.Findings {
		if f.Kind == delta.Unchanged {
			continue
		}
		rows++
		text := arrow(f.OldVerdict, f.NewVerdict)
		if f.Kind == delta.Fixed {
			text = "was " + f.OldVerdict
		}
		var verdict any = text
		if f.NewVerdict == engine.VerdictBlocked && f.OldVerdict != engine.VerdictBlocked {
			verdict = p.paint(p.bad, text)
		}
		if err := t.Append(strings.ReplaceAll(f.Kind, "_", " "), pkgName(f.Ecosystem, f.Name), f.AdvisoryID,
			arrow(f.OldVersion, f.NewVersion), verdict, f.Severity, fixedText(f.FixedIn)); err != nil {
			return err
		}
	}
	if rows == 0 {
		_, err := printLine(w, "no new, fixed or changed findings")
		return err
	}
	return t.Render()
}

// pkgName is "ecosystem/name" (just the name without an ecosystem).
func pkgName(eco, name string) string {
	if eco == "" {
		return name
	}
	return eco + "/" + name
}

// arrow is "a → b", or the one that is set, or a when both are equal.
func arrow(a, b string) string {
	switch {
	case a == b:
		return a
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " → " + b
}

// fixedText lists fixed versions, "-" when none is known.
func fixedText(v []string) string {
	if len(v) == 0 {
		return "-"
	}
	return strings.Join(v, ", ")
}
