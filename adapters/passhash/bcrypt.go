// Package passhash implements ports.PasswordHasher with bcrypt.
//
// Passwords of at most 72 bytes are hashed with plain bcrypt, so hashes
// imported from the previous system (any $2a$, $2b$ or $2y$ hash) keep
// verifying. bcrypt only reads the first 72 bytes of its input, so a longer
// password is first condensed to base64(HMAC-SHA256(key "secuird-bcrypt",
// password)), a 44-byte string, and that is what bcrypt sees. Two long
// passwords that differ only after byte 72 therefore get different hashes.
// (An imported hash of a password longer than 72 bytes, made by a system that
// truncated, no longer matches: such a user resets the password.)
//
// Hashing is CPU-bound, so the number of hashes running at once is bounded.
// When every slot stays busy for QueueTimeout, Hash and Verify give up with a
// fault.Unavailable error instead of queueing without limit, which keeps
// memory and latency flat during a login storm.
package passhash

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"runtime"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/ports"
)

// QueueTimeout is how long Hash and Verify wait for a free slot before they
// return fault.Unavailable.
const QueueTimeout = 2 * time.Second

// MaxPlainLen is the longest password (in bytes) hashed by bcrypt as is.
const MaxPlainLen = 72

// prehashKey is the HMAC key used to condense passwords longer than
// MaxPlainLen. It is not a secret: its only job is domain separation.
const prehashKey = "secuird-bcrypt"

// busyMessage is shown to a user when no hashing slot is free.
const busyMessage = "The service is busy; please try again in a moment"

var _ ports.PasswordHasher = (*Bcrypt)(nil)

// Bcrypt hashes and verifies passwords with bcrypt at a fixed cost, running
// at most a bounded number of hashes at once. It is safe for concurrent use.
type Bcrypt struct {
	cost  int
	slots chan struct{}
	wait  time.Duration

	dummyOnce sync.Once
	dummy     []byte // a hash at cost, compared against by DummyVerify
}

// New returns a hasher that hashes at cost and runs at most maxConcurrent
// hashes at once. A cost below bcrypt.MinCost means bcrypt.DefaultCost (the
// convention of golang.org/x/crypto/bcrypt) and a cost above bcrypt.MaxCost
// is lowered to it; maxConcurrent <= 0 means runtime.GOMAXPROCS(0).
func New(cost int, maxConcurrent int) *Bcrypt {
	switch {
	case cost < bcrypt.MinCost:
		cost = bcrypt.DefaultCost
	case cost > bcrypt.MaxCost:
		cost = bcrypt.MaxCost
	}
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.GOMAXPROCS(0)
	}
	return &Bcrypt{cost: cost, slots: make(chan struct{}, maxConcurrent), wait: QueueTimeout}
}

// Cost returns the bcrypt cost new hashes are made with.
func (b *Bcrypt) Cost() int { return b.cost }

// Hash returns the bcrypt hash of pw at the configured cost. It returns
// Unavailable when no hashing slot frees up in time.
func (b *Bcrypt) Hash(pw string) (string, error) {
	const op = "passhash.Hash"
	if err := b.acquire(op); err != nil {
		return "", err
	}
	defer b.release()
	h, err := bcrypt.GenerateFromPassword(prepare(pw), b.cost)
	if err != nil {
		return "", fault.Wrap(op, fault.Internal, err)
	}
	return string(h), nil
}

// Verify reports whether pw matches hash, and whether hash should be
// replaced because its cost differs from the configured one (rehash is only
// meaningful when ok is true). A mismatch is not an error. It returns
// Internal for a malformed hash and Unavailable when no hashing slot frees
// up in time.
func (b *Bcrypt) Verify(hash, pw string) (ok, rehash bool, err error) {
	const op = "passhash.Verify"
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil {
		return false, false, fault.Wrap(op, fault.Internal, err)
	}
	if err := b.acquire(op); err != nil {
		return false, false, err
	}
	defer b.release()
	err = bcrypt.CompareHashAndPassword([]byte(hash), prepare(pw))
	switch {
	case err == nil:
		return true, cost != b.cost, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, false, nil
	default:
		return false, false, fault.Wrap(op, fault.Internal, err)
	}
}

// DummyVerify spends the time of one Verify against a hash of the configured
// cost, so that a login for an unknown account takes as long as one for a
// known account. It waits for a hashing slot like Verify does. The reference
// hash is made on first use.
func (b *Bcrypt) DummyVerify(pw string) {
	if b.acquire("passhash.DummyVerify") != nil {
		return
	}
	defer b.release()
	b.dummyOnce.Do(func() {
		// A password nobody types; only the cost and the salt matter.
		h, err := bcrypt.GenerateFromPassword([]byte("secuird dummy password"), b.cost)
		if err == nil {
			b.dummy = h
		}
	})
	if b.dummy != nil {
		_ = bcrypt.CompareHashAndPassword(b.dummy, prepare(pw))
	}
}

// acquire takes a hashing slot, waiting at most b.wait.
func (b *Bcrypt) acquire(op string) error {
	select {
	case b.slots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(b.wait)
	defer t.Stop()
	select {
	case b.slots <- struct{}{}:
		return nil
	case <-t.C:
		return &fault.Error{
			Op:         op,
			Kind:       fault.Unavailable,
			Msg:        busyMessage,
			RetryAfter: time.Second,
			Err:        errors.New("all password hashing slots busy"),
		}
	}
}

func (b *Bcrypt) release() { <-b.slots }

// prepare returns the bytes bcrypt sees for pw: pw itself when it fits in
// bcrypt's 72-byte input, else base64(HMAC-SHA256(prehashKey, pw)).
func prepare(pw string) []byte {
	if len(pw) <= MaxPlainLen {
		return []byte(pw)
	}
	m := hmac.New(sha256.New, []byte(prehashKey))
	m.Write([]byte(pw))
	sum := m.Sum(nil)
	out := make([]byte, base64.StdEncoding.EncodedLen(len(sum)))
	base64.StdEncoding.Encode(out, sum)
	return out
}
