// Package system provides the real clock and random source behind the
// ports.Clock and ports.Random ports.
package system

import (
	"crypto/rand"
	"time"

	"github.com/secuird/secuird/ports"
)

// Clock is the wall clock, in UTC.
type Clock struct{}

var _ ports.Clock = Clock{}

// Now returns the current time in UTC.
func (Clock) Now() time.Time { return time.Now().UTC() }

// Random reads from the operating system's CSPRNG.
type Random struct{}

var _ ports.Random = Random{}

// Read fills b with random bytes. crypto/rand never fails on supported
// platforms (it panics internally rather than returning short reads).
func (Random) Read(b []byte) { _, _ = rand.Read(b) }
