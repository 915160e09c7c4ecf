package porttest

import (
	"sync"
	"time"
)

// Clock is a settable ports.Clock for tests: it stands still until the
// test moves it, so time-dependent rules (expiry, windows, deadlines) are
// exact. It is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock reading start (in UTC).
func NewClock(start time.Time) *Clock { return &Clock{t: start.UTC()} }

// Now returns the clock's current reading.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
