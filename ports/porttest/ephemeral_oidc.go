package porttest

import (
	"testing"
	"time"

	"github.com/secuird/secuird/ports"
)

// RunTokenDenylist checks a ports.TokenDenylist: recorded keys are denied
// until their TTL ends, others never, and a non-positive TTL records
// nothing. open must return an empty, isolated denylist.
func RunTokenDenylist(t *testing.T, open func(t *testing.T) ports.TokenDenylist) {
	t.Run("denied until the ttl ends", func(t *testing.T) {
		t.Parallel()
		d, ctx := open(t), t.Context()
		k := ephRandom(t)
		if err := d.Deny(ctx, "jti:"+k, 300*time.Millisecond); err != nil {
			t.Fatalf("Deny: %v", err)
		}
		deadline := time.Now().Add(300 * time.Millisecond)
		got, err := d.AnyDenied(ctx, "fam:"+k, "jti:"+k)
		if err != nil {
			t.Fatalf("AnyDenied: %v", err)
		}
		if !got && time.Now().Before(deadline) {
			t.Error("a denied key is not denied")
		}
		ephWaitPast(deadline.Add(ephSlack))
		if got, _ := d.AnyDenied(ctx, "jti:"+k); got {
			t.Error("a key is still denied after its ttl")
		}
	})
	t.Run("unknown keys, no keys and zero ttl are not denied", func(t *testing.T) {
		t.Parallel()
		d, ctx := open(t), t.Context()
		k := ephRandom(t)
		if err := d.Deny(ctx, k, 0); err != nil {
			t.Fatalf("Deny: %v", err)
		}
		for _, keys := range [][]string{{k}, {ephRandom(t)}, nil} {
			got, err := d.AnyDenied(ctx, keys...)
			if err != nil || got {
				t.Errorf("AnyDenied(%q) = %v, %v; want false", keys, got, err)
			}
		}
	})
}
