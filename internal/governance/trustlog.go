package governance

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/stella-policy/stella/internal/attest"
	"github.com/stella-policy/stella/internal/canon"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/store"
	"github.com/stella-policy/stella/internal/text"
)

// The trust config is a versioned statement recorded in the audit chain
// (docs/governance.md "Signed trust"). Every change stella makes to it —
// trust add, trust rm, trust sign — records the whole config as it is
// afterwards (its keys and the file's governance settings, numbered, with
// the digest of the version before). Once the config names a trust admin
// (scope trust:admin) every change is a governance statement signed by a
// trust admin of the version before; the first admin signs the version
// that names it (the root of trust). A trust file that is not the version
// the chain last recorded was edited outside stella and is refused.

// Trust events besides trust.added and trust.removed.
const (
	ActionTrustSigned   = "trust.signed"   // the file recorded as it is (trust sign)
	ActionTrustUnsigned = "trust.unsigned" // a file used against the record with --allow-unsigned-trust (unsigned)
)

// TrustState is a trust config as the audit chain records it.
type TrustState struct {
	Version  int           `json:"version"`
	Previous string        `json:"previous,omitempty"` // the digest of the version before
	Digest   string        `json:"digest"`             // TrustDigest of Keys and Settings
	Keys     []TrustedKey  `json:"keys"`               // by key id
	Settings TrustSettings `json:"settings"`
}

// TrustedKey is one key of a recorded trust config.
type TrustedKey struct {
	Principal string   `json:"principal"`
	KeyID     string   `json:"keyId"`
	Scopes    []string `json:"scopes"`
	PublicKey string   `json:"publicKey"`
}

// TrustSettings are the governance settings as the trust file states them
// (overrides from stella.yaml or the environment are not part of it).
type TrustSettings struct {
	Quorum           int    `json:"quorum"`
	ExceptionMaxAge  string `json:"exceptionMaxAge"`
	SimulationMaxAge string `json:"simulationMaxAge"`
}

// admins returns the key ids that hold trust:admin.
func (s *TrustState) admins() []string {
	var ids []string
	for _, k := range s.Keys {
		if slices.Contains(k.Scopes, ScopeTrustAdmin) {
			ids = append(ids, k.KeyID)
		}
	}
	return ids
}

func (s *TrustState) key(id string) (*TrustedKey, bool) {
	for i := range s.Keys {
		if s.Keys[i].KeyID == id {
			return &s.Keys[i], true
		}
	}
	return nil, false
}

// content is what the digest covers.
func (s *TrustState) content() any {
	return struct {
		Keys     []TrustedKey  `json:"keys"`
		Settings TrustSettings `json:"settings"`
	}{s.Keys, s.Settings}
}

func (s *TrustState) digest() (string, error) {
	_, d, err := canon.DigestOf(s.content())
	return d, err
}

// State returns the config's content as the audit chain records it
// (version and previous are set when it is recorded).
func (t *Trust) State() (TrustState, error) {
	s := TrustState{Keys: []TrustedKey{}, Settings: TrustSettings{Quorum: t.file.Quorum,
		ExceptionMaxAge: text.Age(t.file.ExceptionMaxAge), SimulationMaxAge: text.Age(t.file.SimulationMaxAge)}}
	for _, e := range t.Entries {
		pub, err := e.Key.PublicPEM()
		if err != nil {
			return s, err
		}
		s.Keys = append(s.Keys, TrustedKey{Principal: e.Principal, KeyID: e.KeyID, Scopes: e.Scopes, PublicKey: string(pub)})
	}
	slices.SortFunc(s.Keys, func(a, b TrustedKey) int { return strings.Compare(a.KeyID, b.KeyID) })
	var err error
	s.Digest, err = s.digest()
	return s, err
}

func trustSubject(version int) string { return "trust@" + strconv.Itoa(version) }

// TrustRecord is one version of the trust config in the audit chain, or
// one use of a file against it (an override).
type TrustRecord struct {
	Seq       int64      `json:"seq"`
	Type      string     `json:"type"`
	File      string     `json:"file,omitempty"`   // the trust file it was recorded from, as named then
	Signer    *ActorRef  `json:"signer,omitempty"` // nil: recorded unsigned
	Statement string     `json:"statement,omitempty"`
	State     TrustState `json:"state"`
	// Problem says why the record does not follow from the version before
	// under the rules (an unsigned change of a config with trust admins, a
	// signer who is not a trust admin); "" when it does.
	Problem string `json:"problem,omitempty"`
	// Reroot: signed by a new root of trust with --allow-unsigned-trust,
	// not by a trust admin of the version before (a lost admin key).
	Reroot bool `json:"reroot,omitempty"`
}

func (r *TrustRecord) String() string {
	return fmt.Sprintf("trust config version %d (audit event %d, %s)", r.State.Version, r.Seq, canon.Short(r.State.Digest, 19))
}

// TrustHistory is every trust record of a tenant in chain order.
type TrustHistory struct {
	Records   []TrustRecord // versions
	Overrides []TrustRecord // trust.unsigned: files used against the record
}

// Latest returns the last recorded version, nil when none is recorded.
func (h *TrustHistory) Latest() *TrustRecord {
	if len(h.Records) == 0 {
		return nil
	}
	return &h.Records[len(h.Records)-1]
}

// At returns the trust config in force at event seq: the last version
// recorded before it (files used against the record never count); nil
// when none was recorded.
func (h *TrustHistory) At(seq int64) *TrustRecord {
	var in *TrustRecord
	for i := range h.Records {
		if h.Records[i].Seq < seq {
			in = &h.Records[i]
		}
	}
	return in
}

// trustPayload is the part of a trust event's payload the history reads.
type trustPayload struct {
	File      string      `json:"file"`
	Statement string      `json:"statement"`
	Trust     *TrustState `json:"trust"`
	Reroot    bool        `json:"reroot"`
}

// ReadTrustHistory reads the tenant's trust records from the audit chain,
// checks each signed one against its statement and signature, and judges
// each version against the one before (TrustRecord.Problem). Events from
// before trust configs were recorded (trust.added without a config) are
// skipped. A record whose statement is missing, edited or forged, or whose
// content does not hash to its digest, is fail.Integrity naming the event.
func ReadTrustHistory(ctx context.Context, tx *store.Tx) (*TrustHistory, error) {
	events, err := tx.Events(ctx, store.EventFilter{Type: "trust."})
	if err != nil {
		return nil, err
	}
	h := &TrustHistory{}
	for _, e := range events {
		var p trustPayload
		if json.Unmarshal(e.Payload, &p) != nil || p.Trust == nil && p.Statement == "" {
			continue
		}
		r := TrustRecord{Seq: e.Seq, Type: e.Type, File: p.File}
		if p.Statement != "" {
			v, err := trustStatement(ctx, tx, e, p.Statement)
			if err != nil {
				return nil, err
			}
			r.Signer, r.Statement, r.State = &v.Predicate.Actor, p.Statement, *v.Predicate.Trust
		} else {
			r.State = *p.Trust
		}
		if d, err := r.State.digest(); err != nil || d != r.State.Digest {
			return nil, broken(e, "the recorded trust config hashes to %s, not to the digest %s it names", d, r.State.Digest)
		}
		if e.Type == ActionTrustUnsigned {
			h.Overrides = append(h.Overrides, r)
			continue
		}
		r.Problem, r.Reroot = judge(h.Latest(), &r, p.Reroot)
		h.Records = append(h.Records, r)
	}
	return h, nil
}

// trustStatement loads and verifies the signed statement a trust event
// records (the full event/statement agreement is VerifyAudit's).
func trustStatement(ctx context.Context, tx *store.Tx, e store.Event, digest string) (*Verified, error) {
	stmts, err := tx.Statements(ctx, store.StatementFilter{Digest: digest})
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		return nil, broken(e, "the signed trust statement %s it records is missing", digest)
	}
	s := stmts[0]
	if d := canon.Digest(s.Envelope); d != digest {
		return nil, broken(e, "the signed trust statement was edited: its envelope hashes to %s, the event recorded %s", d, digest)
	}
	v, err := Signed{Envelope: s.Envelope, PublicKey: s.PublicPEM}.Verify(ctx)
	if err != nil {
		return nil, broken(e, "signature check failed: %v", err)
	}
	if v.Predicate.Trust == nil || v.Predicate.Action != e.Type {
		return nil, broken(e, "the statement it records is not a %s trust statement", e.Type)
	}
	return v, nil
}

// trustChange is what the rules of signed trust (docs/governance.md
// "Signed trust") make of a change from one version of the trust config to
// the next. Writing a change (authoriseTrust) and verifying the recorded
// history (judge) both decide through classifyTrust, and differ only in what
// they do with the answer.
type trustChange int

const (
	trustAllowed        trustChange = iota // unsigned with no admin before or after, or signed by an admin of the version before
	trustRoot                              // signed by an admin it adds, no admin before: the root of trust
	trustUnsignedAdmins                    // unsigned, although the version before names trust admins
	trustUnsignedRoot                      // unsigned, and it names trust admins
	trustReroot                            // signed by an admin it adds who is no admin of the version before
	trustNotAdmin                          // signed by a key that is no admin of the version before, which names some
	trustNoAdmin                           // signed, no admin before, and the signer is no admin after either
)

// classifyTrust decides a change from a version naming admins to one naming
// newAdmins, signed by the key signer ("" when unsigned).
func classifyTrust(admins, newAdmins []string, signer string) trustChange {
	switch {
	case signer == "" && len(admins) > 0:
		return trustUnsignedAdmins
	case signer == "" && len(newAdmins) > 0:
		return trustUnsignedRoot
	case signer == "" || slices.Contains(admins, signer):
		return trustAllowed
	}
	selfSigned := slices.Contains(newAdmins, signer)
	switch {
	case len(admins) == 0 && selfSigned:
		return trustRoot
	case selfSigned:
		return trustReroot
	case len(admins) > 0:
		return trustNotAdmin
	}
	return trustNoAdmin
}

// judge says what is wrong with record r following prev ("" when nothing):
// versions count up from 1 and chain by digest, and the change obeys
// classifyTrust; a re-root counts only when r is marked as one (reroot).
func judge(prev, r *TrustRecord, reroot bool) (problem string, rerooted bool) {
	want, previous := 1, ""
	var admins []string
	if prev != nil {
		want, previous, admins = prev.State.Version+1, prev.State.Digest, prev.State.admins()
	}
	if r.State.Version != want || r.State.Previous != previous {
		return fmt.Sprintf("version %d follows %s, want version %d", r.State.Version, describePrev(prev), want), false
	}
	var signer string
	if r.Signer != nil {
		signer = r.Signer.KeyID
	}
	switch classifyTrust(admins, r.State.admins(), signer) {
	case trustUnsignedAdmins:
		return fmt.Sprintf("an unsigned change of a trust config whose version %d names trust admins", prev.State.Version), false
	case trustUnsignedRoot:
		return "an unsigned version that names trust admins (a root of trust signs the version that names it)", false
	case trustReroot:
		if reroot {
			return "", true
		}
		fallthrough
	case trustNotAdmin:
		return fmt.Sprintf("signed by %s (key %s), not a trust admin of version %d", r.Signer.Principal, text.Abbrev(r.Signer.KeyID), prev.State.Version), false
	case trustNoAdmin:
		return fmt.Sprintf("signed by %s (key %s), who holds no trust:admin in it", r.Signer.Principal, text.Abbrev(r.Signer.KeyID)), false
	}
	return "", false
}

// recordedFrom names the file a record was made from when t is another
// path.
func recordedFrom(r *TrustRecord, t *Trust) string {
	if r.File == "" || r.File == t.Path {
		return ""
	}
	return " (recorded from " + r.File + ")"
}

func describePrev(prev *TrustRecord) string {
	if prev == nil {
		return "nothing"
	}
	return prev.String()
}

// CheckTrustFile compares the trust config t with the version the audit
// chain last recorded: a file that is not that version was edited outside
// stella (or the chain's last version breaks the rules: an unsigned or
// unauthorised change). Both are refused (fail.Integrity naming the file)
// unless allowUnsigned, which records the use as a trust.unsigned event
// and returns the warning to print. Nothing recorded: nothing to compare.
// A config that was not read from a file (none was found) is not compared:
// without a trust file nobody can act, and runs are not gated (the
// documented limit, docs/governance.md "Threat model").
func CheckTrustFile(ctx context.Context, st *store.Store, t *Trust, allowUnsigned bool) (warning string, err error) {
	if t.root == nil {
		return "", nil
	}
	err = st.Update(ctx, func(tx *store.Tx) error {
		h, err := ReadTrustHistory(ctx, tx)
		if err != nil {
			return err
		}
		last := h.Latest()
		if last == nil {
			return nil
		}
		cur, err := t.State()
		if err != nil {
			return err
		}
		var why string
		switch {
		case cur.Digest != last.State.Digest:
			why = fmt.Sprintf("trust config %s is not the %s this database records%s: it was edited outside `stella trust`, or it is another site's trust config (a database has one; its content hashes to %s)",
				trustName(t), last, recordedFrom(last, t), canon.Short(cur.Digest, 19))
		case last.Problem != "":
			why = fmt.Sprintf("trust config %s is the %s, which breaks the rules of signed trust: %s", trustName(t), last, last.Problem)
		default:
			return nil
		}
		if !allowUnsigned {
			return fail.New(fail.Integrity, "%s; refused — undo the edit, or record it with `stella trust sign --sign-key ADMIN`, or pass --allow-unsigned-trust to use it anyway (recorded in the audit log)", why)
		}
		cur.Version, cur.Previous = last.State.Version, last.State.Digest
		if _, err := tx.Append(ctx, ActionTrustUnsigned, "cli", trustSubject(last.State.Version), map[string]any{
			"file": t.Path, "trust": cur, "reason": why}); err != nil {
			return err
		}
		warning = "WARNING: " + why + "; used anyway because of --allow-unsigned-trust, and recorded in the audit log as " + ActionTrustUnsigned
		return nil
	})
	return warning, err
}

// TrustEdit is a recorded change of the trust config.
type TrustEdit struct {
	Action    string     `json:"action"`
	File      string     `json:"file"`
	Changed   []Entry    `json:"-"`                   // the keys added or removed
	State     TrustState `json:"state"`               // the config afterwards
	Seq       int64      `json:"auditSeq"`            // the (last) audit event
	Signer    *ActorRef  `json:"signer,omitempty"`    // nil: unsigned
	Statement string     `json:"statement,omitempty"` // the signed statement's digest
	Root      bool       `json:"root,omitempty"`      // the signer is a new root of trust
	Warning   string     `json:"-"`
}

// TrustChange is what a trust edit works on: the store, the trust config,
// the key that signs the change (nil: unsigned) and --allow-unsigned-trust.
type TrustChange struct {
	Store         *store.Store
	Trust         *Trust
	Signer        *attest.Key
	AllowUnsigned bool
}

// Add trusts key as principal with scopes, registers the public key in
// the store, records the change (signed by c.Signer when given) and saves
// the file, in one transaction.
func (c *TrustChange) Add(ctx context.Context, principal string, key *attest.Key, scopes []string) (*TrustEdit, error) {
	e, err := c.Trust.Add(principal, key, scopes)
	if err != nil {
		return nil, err
	}
	added := *e
	return c.record(ctx, ActionTrustAdded, []Entry{added}, func(tx *store.Tx) error {
		return registerKey(ctx, tx, &added)
	})
}

// Remove stops trusting a key id, or every key of a principal, and
// records the change like Add.
func (c *TrustChange) Remove(ctx context.Context, ref string) (*TrustEdit, error) {
	removed, err := c.Trust.Remove(ref)
	if err != nil {
		return nil, err
	}
	return c.record(ctx, ActionTrustRemoved, removed, nil)
}

// Sign records the trust file as it is, signed by c.Signer: the first
// signed version of a config written by hand, or an edit made outside
// stella that a trust admin of the recorded version accepts.
func (c *TrustChange) Sign(ctx context.Context) (*TrustEdit, error) {
	if c.Signer == nil {
		return nil, fail.New(fail.Invalid, "trust sign needs the key of a trust admin: give --sign-key")
	}
	return c.record(ctx, ActionTrustSigned, nil, nil)
}

// registerKey stores the public key of a trusted entry under the
// principal's name (or name-<short id> when the name is taken), so run
// attestations and bundles can name it.
func registerKey(ctx context.Context, tx *store.Tx, e *Entry) error {
	if _, err := tx.Key(ctx, e.KeyID); !fail.Is(err, fail.NotFound) {
		return err
	}
	pub, err := e.Key.PublicPEM()
	if err != nil {
		return err
	}
	name := e.Principal
	if _, err := tx.Key(ctx, name); err == nil {
		name += "-" + canon.Short(e.KeyID, 12)
	}
	_, err = tx.PutKey(ctx, store.Key{KeyID: e.KeyID, Name: name, Type: e.Key.Type, PublicPEM: string(pub)})
	return err
}

// record authorises and records the edit already applied to c.Trust,
// then saves it, inside one transaction: the file is written only if the
// record is, so the audit log never misses an edit made by stella.
func (c *TrustChange) record(ctx context.Context, action string, changed []Entry, also func(*store.Tx) error) (*TrustEdit, error) {
	st, t, signer, allowUnsigned := c.Store, c.Trust, c.Signer, c.AllowUnsigned
	after, err := t.State()
	if err != nil {
		return nil, err
	}
	edit := &TrustEdit{Action: action, File: t.Path, Changed: changed}
	err = st.Update(ctx, func(tx *store.Tx) error {
		h, err := ReadTrustHistory(ctx, tx)
		if err != nil {
			return err
		}
		if last := h.Latest(); last != nil {
			after.Version, after.Previous = last.State.Version+1, last.State.Digest
		} else {
			after.Version = 1
		}
		reroot, err := authoriseTrust(h.Latest(), &after, signer, allowUnsigned, edit)
		if err != nil {
			return err
		}
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		edit.State = after
		if signer == nil {
			if err := appendUnsigned(ctx, tx, t, edit, reroot); err != nil {
				return err
			}
		} else {
			var k *TrustedKey
			if last := h.Latest(); last != nil {
				k, _ = last.State.key(signer.ID) // the version before says who signs
			}
			if k == nil {
				k, _ = after.key(signer.ID) // a root of trust
			}
			act := &Actor{Entry: &Entry{Principal: k.Principal, KeyID: k.KeyID}, Key: signer}
			reg := &Registry{Store: st}
			p := reg.predicate(act, action)
			p.Trust = &edit.State
			payload := map[string]any{"file": t.Path, "changed": changedOut(changed)}
			if reroot {
				payload["reroot"] = true
			}
			s, ev, err := reg.record(ctx, tx, act, p, edit.State.Digest, payload)
			if err != nil {
				return err
			}
			ref := act.Ref()
			edit.Signer, edit.Statement, edit.Seq = &ref, s.Digest, ev.Seq
		}
		return t.Save()
	})
	if err != nil {
		return nil, err
	}
	return edit, nil
}

// authoriseTrust applies the rules of signed trust to a change from the
// last recorded version (or, with none recorded, from nothing) to after.
// It reports whether the change re-roots the config (--allow-unsigned-trust).
func authoriseTrust(last *TrustRecord, after *TrustState, signer *attest.Key, allowUnsigned bool, edit *TrustEdit) (reroot bool, err error) {
	var admins []string
	if last != nil {
		admins = last.State.admins()
	}
	var id string
	if signer != nil {
		if !signer.CanSign() {
			return false, fail.New(fail.Invalid, "key %s is a public key; signing a trust change needs the private key (--sign-key)", signer.ID)
		}
		id = signer.ID
	}
	switch classifyTrust(admins, after.admins(), id) {
	case trustUnsignedAdmins:
		if !allowUnsigned {
			return false, refuse(GuardScope, "missing scope %s: the trust config names trust admins, so every change is signed by one of them: give --sign-key", ScopeTrustAdmin)
		}
		edit.Warning = "WARNING: an unsigned change of a trust config that names trust admins (--allow-unsigned-trust); recorded in the audit log, and `stella audit verify` refuses it without --allow-unsigned-trust"
	case trustUnsignedRoot:
		return false, refuse(GuardScope, "a trust admin is added with its own signature: give --sign-key with the private key of the admin being added (it becomes the root of trust)")
	case trustRoot:
		edit.Root = true
	case trustReroot:
		if allowUnsigned {
			edit.Root = true
			edit.Warning = "WARNING: the trust config was re-rooted with --allow-unsigned-trust: key " + text.Abbrev(id) + " is not a trust admin of the recorded version; recorded in the audit log, and `stella audit verify` refuses it without --allow-unsigned-trust"
			return true, nil
		}
		fallthrough
	case trustNotAdmin:
		return false, refuse(GuardScope, "missing scope %s: key %s is not a trust admin of the recorded trust config (version %d)", ScopeTrustAdmin, text.Abbrev(id), last.State.Version)
	case trustNoAdmin:
		return false, refuse(GuardScope, "missing scope %s: no trust admin is recorded yet, so the first signed change is signed by the admin it adds (key %s holds no %s in the result)", ScopeTrustAdmin, text.Abbrev(id), ScopeTrustAdmin)
	}
	return false, nil
}

// appendUnsigned records an unsigned change: one event per changed key as
// before signed trust existed, the last carrying the whole config.
func appendUnsigned(ctx context.Context, tx *store.Tx, t *Trust, edit *TrustEdit, reroot bool) error {
	entries := edit.Changed
	if len(entries) == 0 {
		entries = []Entry{{}}
	}
	for i, e := range entries {
		payload := map[string]any{"principal": e.Principal, "keyId": e.KeyID, "scopes": e.Scopes, "file": t.Path}
		subject := e.KeyID
		if i == len(entries)-1 {
			payload["trust"] = edit.State
			if reroot {
				payload["reroot"] = true
			}
		}
		if subject == "" {
			subject = trustSubject(edit.State.Version)
		}
		ev, err := tx.Append(ctx, edit.Action, "cli", subject, payload)
		if err != nil {
			return err
		}
		edit.Seq = ev.Seq
	}
	return nil
}

func changedOut(es []Entry) []map[string]any {
	out := []map[string]any{}
	for _, e := range es {
		out = append(out, map[string]any{"principal": e.Principal, "keyId": e.KeyID, "scopes": e.Scopes})
	}
	return out
}

// checkTrustAt checks that the signer of a governance statement recorded
// at event e held the scope its action needs in the trust config in force
// then (docs/governance.md "Signed trust"); nothing to check before the
// first recorded version.
func checkTrustAt(h *TrustHistory, e store.Event, action, keyID, principal string) error {
	in := h.At(e.Seq)
	if in == nil {
		return nil
	}
	k, ok := in.State.key(keyID)
	if !ok {
		return broken(e, "signed by %s (key %s), whom the %s does not trust", principal, text.Abbrev(keyID), in)
	}
	if scope := ScopeFor(action); scope != "" && !slices.Contains(k.Scopes, scope) {
		return broken(e, "signed by %s (key %s), who does not hold %s in the %s", principal, text.Abbrev(keyID), scope, in)
	}
	return nil
}

// trustProblems returns the trust records that break the rules of signed
// trust: the first one is fail.Integrity naming its event unless allow,
// which lists them all as warnings instead.
func trustProblems(h *TrustHistory, allow bool) ([]string, error) {
	type problem struct {
		seq    int64
		reason string
	}
	var ps []problem
	for _, r := range h.Records {
		switch {
		case r.Problem != "":
			ps = append(ps, problem{r.Seq, r.Type + " " + trustSubject(r.State.Version) + ": " + r.Problem})
		case r.Reroot:
			ps = append(ps, problem{r.Seq, fmt.Sprintf("%s %s: the trust config was re-rooted with --allow-unsigned-trust: signed by %s (key %s), no trust admin of the version before",
				r.Type, trustSubject(r.State.Version), r.Signer.Principal, text.Abbrev(r.Signer.KeyID))})
		}
	}
	for _, o := range h.Overrides {
		ps = append(ps, problem{o.Seq, fmt.Sprintf("%s: a trust config that is not the recorded version %d (content %s) was used with --allow-unsigned-trust",
			o.Type, o.State.Version, canon.Short(o.State.Digest, 19))})
	}
	slices.SortFunc(ps, func(a, b problem) int { return int(a.seq - b.seq) })
	if len(ps) > 0 && !allow {
		return nil, fail.Wrap(fail.Integrity, &store.ChainError{Seq: ps[0].seq, Reason: ps[0].reason + " (accepted only with --allow-unsigned-trust)"})
	}
	var out []string
	for _, p := range ps {
		out = append(out, fmt.Sprintf("event %d %s", p.seq, p.reason))
	}
	return out, nil
}
