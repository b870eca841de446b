package lessons

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/dsl/syntax"
	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/ir"
	"github.com/stella-policy/stella/internal/store"
)

// The state machine (docs/lessons.md):
//
//	pending → converted_to_draft (terminal) | deferred | dismissed (terminal)
//	deferred → pending (reactivate only)
var transitions = map[string]struct{ from, to string }{
	EventConverted:   {store.LessonPending, store.LessonConverted},
	EventDeferred:    {store.LessonPending, store.LessonDeferred},
	EventDismissed:   {store.LessonPending, store.LessonDismissed},
	EventReactivated: {store.LessonDeferred, store.LessonPending},
}

// Transition moves lesson id along the state machine (convert is Convert's)
// and records the audit event by actor; an illegal transition is a
// fail.Governance refusal (exit 3).
func Transition(ctx context.Context, tx *store.Tx, id, event, actor string, set func(*store.Lesson)) (store.Lesson, error) {
	l, err := tx.Lesson(ctx, id)
	if err != nil {
		return l, err
	}
	tr := transitions[event]
	if l.Status != tr.from {
		return l, fail.New(fail.Governance, "refused by guard state: lesson %s is %s; %s needs a %s lesson", l.ID, l.Status, strings.TrimPrefix(event, "lesson."), tr.from)
	}
	l.Status = tr.to
	if set != nil {
		set(&l)
	}
	if err := tx.SetLesson(ctx, l); err != nil {
		return l, err
	}
	payload := map[string]any{"from": tr.from, "to": tr.to}
	switch {
	case l.Draft != "":
		payload["draft"] = l.Draft
	case l.DeferredUntil != "" && tr.to == store.LessonDeferred:
		payload["until"] = l.DeferredUntil
	case l.Reason != "":
		payload["reason"] = l.Reason
	}
	_, err = tx.Append(ctx, event, actor, l.ID, payload)
	return l, err
}

// CheckConvertible refuses converting a lesson that is not pending.
func CheckConvertible(l store.Lesson) error {
	if l.Status != store.LessonPending {
		return fail.New(fail.Governance, "refused by guard state: lesson %s is %s; only a pending lesson can be converted", l.ID, l.Status)
	}
	return nil
}

// Propose returns the policy source a lesson's conversion drafts: src with
// the lesson's concrete change — a tightened gate (near_threshold), or a
// rule that blocks the advisories of the failure or of the fix (so a
// regression blocks) — and the lesson, with its evidence, in metadata
// `lesson`. It also says in one line what changed.
func Propose(l store.Lesson, file string, src []byte) ([]byte, string, error) {
	f, diags := syntax.Parse(file, src)
	if f.Policy == nil || syntax.HasErrors(diags) {
		return nil, "", fail.New(fail.Invalid, "%s: the policy source of %s does not parse", file, l.PolicyID)
	}
	var ev map[string]any
	if err := json.Unmarshal(l.Evidence, &ev); err != nil {
		return nil, "", fail.New(fail.Integrity, "lesson %s: evidence is not JSON: %v", l.ID, err)
	}
	e := &editor{src: src, p: f.Policy}
	var change string
	switch l.Type {
	case NearThreshold:
		gate := strings.TrimPrefix(l.Gate, l.PolicyID+" ")
		setting := settingOf(gate)
		observed := fmt.Sprint(ev["observed"])
		e.set("settings", setting, observed)
		change = fmt.Sprintf("settings.%s := %s (was %v)", setting, observed, ev["threshold"])
	default:
		var advs []string
		if xs, ok := ev["advisories"].([]any); ok {
			for _, x := range xs {
				advs = append(advs, fmt.Sprint(x))
			}
		}
		if len(advs) == 0 {
			return nil, "", fail.New(fail.Invalid, "lesson %s names no advisory to write a rule for; dismiss it or edit the policy by hand", l.ID)
		}
		quoted := make([]string, len(advs))
		for i, a := range advs {
			quoted[i] = ir.Quote(a)
		}
		name := "lesson_" + strings.ToLower(strings.ReplaceAll(l.ID, "-", "_"))
		because := fmt.Sprintf("Lesson %s (%s of %s): block these advisories until they are fixed.", l.ID, l.Type, l.SourceRun)
		if l.Type == CriticalSuccess {
			because = fmt.Sprintf("Lesson %s (%s of %s): a regression of this fix blocks.", l.ID, l.Type, l.SourceRun)
		}
		rule := fmt.Sprintf("\n  rule %s {\n    when advisory.id in [%s]\n    then status := \"blocked\"\n    because %s\n  }\n",
			name, strings.Join(quoted, ", "), ir.Quote(because))
		e.insert(e.p.RBrace.Offset, rule)
		change = fmt.Sprintf("rule %s blocks %s", name, strings.Join(advs, ", "))
	}
	e.set("metadata", "lesson", fmt.Sprintf("{ id = %s, type = %s, run = %s, change = %s, evidence = %s }",
		ir.Quote(l.ID), ir.Quote(l.Type), ir.Quote(l.SourceRun), ir.Quote(change), ir.Quote(string(l.Evidence))))
	return e.apply(), change, nil
}

// editor collects text edits of a policy source and applies them at once.
type editor struct {
	src   []byte
	p     *syntax.Policy
	edits []edit
}

type edit struct {
	start, end int
	text       string
}

func (e *editor) insert(at int, text string) { e.edits = append(e.edits, edit{at, at, text}) }

// set gives key the value text in the metadata or settings block: it
// replaces the key's value, or adds the key, or adds the block.
func (e *editor) set(block, key, value string) {
	for _, s := range e.p.Sections {
		b, ok := s.(*syntax.Block)
		if !ok || b.Keyword != block {
			continue
		}
		for _, kv := range b.Entries {
			if kv.Key.Name == key {
				sp := kv.Value.Span()
				e.edits = append(e.edits, edit{sp.Start.Offset, sp.End.Offset, value})
				return
			}
		}
		e.insert(b.LBrace.Offset+1, "\n    "+key+" = "+value+"\n   ")
		return
	}
	e.insert(e.p.LBrace.Offset+1, "\n  "+block+" { "+key+" = "+value+" }\n")
}

func (e *editor) apply() []byte {
	slices.SortStableFunc(e.edits, func(a, b edit) int { return b.start - a.start })
	out := slices.Clone(e.src)
	for _, ed := range e.edits {
		out = slices.Concat(out[:ed.start], []byte(ed.text), out[ed.end:])
	}
	return out
}

// ParseUntil reads defer --until: an RFC 3339 time, a date, or an age
// after now ("7d"); it must lie after now.
func ParseUntil(s string, now time.Time, age func(string) (time.Duration, error)) (string, error) {
	var t time.Time
	if d, err := age(s); err == nil {
		t = now.Add(d)
	} else if t, err = time.Parse(time.RFC3339, s); err != nil {
		if t, err = time.Parse(time.DateOnly, s); err != nil {
			return "", fail.New(fail.Invalid, "--until %q: want an RFC 3339 time, a date or an age like 7d", s)
		}
	}
	if !t.After(now) {
		return "", fail.New(fail.Invalid, "--until %s is not in the future", t.UTC().Format(time.RFC3339))
	}
	return t.UTC().Format(time.RFC3339), nil
}
