package feeds

import (
	"fmt"
	"strings"
	"time"

	"github.com/stella-policy/stella/internal/fail"
	"github.com/stella-policy/stella/internal/text"
)

// PullHint is the pull that fills an empty cache for an SBOM, as the
// messages about a cache with nothing usable suggest it.
const PullHint = "stella feeds pull --osv auto --sbom FILE --kev --epss"

// Status is one cached feed as `stella feeds status` shows it (docs/feeds.md).
type Status struct {
	Meta
	Age        string `json:"age"`
	AgeSeconds int64  `json:"ageSeconds"`
	Stale      bool   `json:"stale,omitempty"`   // older than the maximum age asked for
	Problem    string `json:"problem,omitempty"` // the blob does not match its metadata
}

// StatusReport is the cache as `stella feeds status` shows it.
type StatusReport struct {
	CacheDir string   `json:"cacheDir"`
	Feeds    []Status `json:"feeds"`
	maxAge   string   // --max-age as written, for Check
}

// Status lists the cached feeds with their ages at now, each blob re-hashed
// against its metadata; a feed is stale when --max-age (given, as written:
// "36h", "7d"; "" for none) is set and it was last confirmed longer ago than
// that, and has a Problem when its age cannot be told. A maximum age of 0
// would call every feed stale: it is refused.
func (c *Cache) Status(now time.Time, given string) (*StatusReport, error) {
	var maxAge time.Duration
	if given != "" {
		var err error
		if maxAge, err = text.ParseAge(given); err != nil {
			return nil, fail.New(fail.Invalid, "--max-age %v", err)
		}
		if maxAge == 0 {
			return nil, fail.New(fail.Invalid, "--max-age %s: every feed would be stale; give the age a feed may reach, like 36h or 7d, or leave --max-age out to list without checking", given)
		}
	}
	list, err := c.List()
	if err != nil {
		return nil, err
	}
	r := &StatusReport{CacheDir: c.Root, Feeds: []Status{}, maxAge: given}
	for _, m := range list {
		s := Status{Meta: m}
		d, ok := m.ageAt(now)
		if ok {
			s.Age, s.AgeSeconds = text.Elapsed(d), int64(d/time.Second)
			s.Stale = maxAge > 0 && d > maxAge
		}
		if err := c.Verify(&m); err != nil {
			s.Problem = err.Error()
		} else if !ok {
			// An age that cannot be told never passes --max-age.
			s.Problem = fmt.Sprintf("feed %s: checkedAt %q is not an RFC 3339 time, so its age is unknown; pull it again", m.Name, m.CheckedAt)
		}
		r.Feeds = append(r.Feeds, s)
	}
	return r, nil
}

// Check is the verdict of `feeds status --max-age`: none without it, else
// NotFound for an empty cache, Integrity for a damaged or stale feed.
func (r *StatusReport) Check() error {
	if r.maxAge == "" {
		return nil
	}
	if len(r.Feeds) == 0 {
		return fail.New(fail.NotFound, "no feeds in %s; pull some: %s", r.CacheDir, PullHint)
	}
	for _, s := range r.Feeds {
		if s.Problem != "" {
			return fail.New(fail.Integrity, "%s", s.Problem)
		}
		if s.Stale {
			return fail.New(fail.Integrity, "feed %s is %s old, more than --max-age %s; refresh it with `stella feeds pull`", s.Name, s.Age, r.maxAge)
		}
	}
	return nil
}

// ageAt is how long before now, in whole seconds, m was last confirmed;
// false when its CheckedAt does not parse.
func (m *Meta) ageAt(now time.Time) (time.Duration, bool) {
	t, err := time.Parse(time.RFC3339, m.CheckedAt)
	if err != nil {
		return 0, false
	}
	return max(now.Sub(t), 0).Truncate(time.Second), true
}

// Ages says which cached feeds are in use and how old each is at now.
func Ages(ms []Meta, now time.Time) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		age := "?"
		if d, ok := m.ageAt(now); ok {
			age = text.Elapsed(d)
		}
		parts[i] = fmt.Sprintf("%s (%d records, age %s)", m.Name, m.Records, age)
	}
	return strings.Join(parts, ", ")
}
