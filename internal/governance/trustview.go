package governance

import (
	"context"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// TrustedKeyView is a trusted key as the trust commands print it.
type TrustedKeyView struct {
	Principal string   `json:"principal"`
	KeyID     string   `json:"keyId"`
	Type      string   `json:"type"`
	Scopes    []string `json:"scopes"`
}

// View returns the entry as the trust commands print it.
func (e *Entry) View() TrustedKeyView {
	return TrustedKeyView{Principal: e.Principal, KeyID: e.KeyID, Type: e.Key.Type, Scopes: e.Scopes}
}

// SettingsView are the governance settings in force, ages formatted.
type SettingsView struct {
	Quorum           int    `json:"quorum"`
	ExceptionMaxAge  string `json:"exceptionMaxAge"`
	SimulationMaxAge string `json:"simulationMaxAge"`
}

// TrustListing is what `trust ls` prints.
type TrustListing struct {
	File     string           `json:"file"`
	Settings SettingsView     `json:"settings"`
	Keys     []TrustedKeyView `json:"keys"`
}

// Listing returns the config's keys in file order and its settings in force.
func (t *Trust) Listing() TrustListing {
	s := t.Settings
	out := TrustListing{File: t.Path, Keys: []TrustedKeyView{},
		Settings: SettingsView{Quorum: s.Quorum, ExceptionMaxAge: text.Age(s.ExceptionMaxAge), SimulationMaxAge: text.Age(s.SimulationMaxAge)}}
	for i := range t.Entries {
		out.Keys = append(out.Keys, t.Entries[i].View())
	}
	return out
}

// AuditQuery selects audit events (`audit log`).
type AuditQuery struct {
	Since   string // RFC 3339 time, date or age ("" = all)
	Type    string // exact type or a prefix ending in "." or "*"
	Subject string
	Limit   int // 0 = all
}

// AuditEvents are audit events as `audit log` shows them.
type AuditEvents []store.Event

// AuditLog returns the tenant's audit events that q selects, oldest first
// (never nil).
func AuditLog(ctx context.Context, st *store.Store, q AuditQuery) (AuditEvents, error) {
	if q.Limit < 0 {
		return nil, fail.New(fail.Invalid, "--limit %d: want a positive number", q.Limit)
	}
	f := store.EventFilter{Type: q.Type, Subject: q.Subject, Limit: q.Limit}
	if q.Since != "" {
		var err error
		if f.Since, err = AuditSince(q.Since, st.Now(), 0); err != nil {
			return nil, err
		}
	}
	var events []store.Event
	err := st.View(ctx, func(tx *store.Tx) error {
		var err error
		events, err = tx.Events(ctx, f)
		return err
	})
	if events == nil {
		events = []store.Event{}
	}
	return AuditEvents(events), err
}
