package passhash

import (
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/secuird/secuird/core/fault"
)

// busy returns a hasher whose only slot is taken and that waits d for one.
func busy(t *testing.T, d time.Duration) *Bcrypt {
	t.Helper()
	b := New(bcrypt.MinCost, 1)
	b.wait = d
	b.slots <- struct{}{}
	return b
}

func TestBusyHasherAnswersUnavailable(t *testing.T) {
	t.Parallel()
	hash, err := New(bcrypt.MinCost, 1).Hash("pw")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		call func(b *Bcrypt) error
	}{
		{"Hash gives up when every slot stays busy", func(b *Bcrypt) error {
			_, err := b.Hash("pw")
			return err
		}},
		{"Verify gives up when every slot stays busy", func(b *Bcrypt) error {
			ok, _, err := b.Verify(hash, "pw")
			if ok {
				t.Error("Verify reported a match without hashing")
			}
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.call(busy(t, 10*time.Millisecond))
			if !fault.Is(err, fault.Unavailable) {
				t.Fatalf("err = %v, want Unavailable", err)
			}
			if fe := fault.As(err); fe.Msg == "" || fe.RetryAfter <= 0 {
				t.Errorf("error lacks a user message or RetryAfter: %+v", fe)
			}
		})
	}
}

func TestBusyHasherProceedsWhenASlotFrees(t *testing.T) {
	t.Parallel()
	b := busy(t, time.Minute)
	go func() {
		time.Sleep(10 * time.Millisecond)
		b.release()
	}()
	if _, err := b.Hash("pw"); err != nil {
		t.Fatalf("Hash after a slot freed: %v", err)
	}
}

func TestSlotsAreReleased(t *testing.T) {
	t.Parallel()
	b := New(bcrypt.MinCost, 1)
	b.wait = 10 * time.Millisecond
	for range 3 {
		hash, err := b.Hash("pw")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.Verify(hash, "pw"); err != nil {
			t.Fatal(err)
		}
		b.DummyVerify("pw")
	}
	if n := len(b.slots); n != 0 {
		t.Errorf("%d slots still held", n)
	}
}

func TestDummyHashUsesTheConfiguredCost(t *testing.T) {
	t.Parallel()
	b := New(bcrypt.MinCost+1, 1)
	b.DummyVerify("pw")
	got, err := bcrypt.Cost(b.dummy)
	if err != nil || got != bcrypt.MinCost+1 {
		t.Errorf("dummy hash cost = %d (%v), want %d", got, err, bcrypt.MinCost+1)
	}
}

func TestDummyVerifyWaitsForASlotAndGivesUp(t *testing.T) {
	t.Parallel()
	b := busy(t, 10*time.Millisecond)
	b.DummyVerify("pw") // must return, not block
	if b.dummy != nil {
		t.Error("DummyVerify hashed without a slot")
	}
}

func TestPrepare(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		pw   string
		same bool // whether bcrypt sees pw itself
	}{
		{"passes a short password through", "short", true},
		{"passes a 72-byte password through", string(make([]byte, 72)), true},
		{"condenses a 73-byte password", string(make([]byte, 73)), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := prepare(tc.pw)
			if (string(got) == tc.pw) != tc.same {
				t.Errorf("prepare(%d bytes) = %q", len(tc.pw), got)
			}
			if len(got) > MaxPlainLen {
				t.Errorf("prepare returned %d bytes, more than bcrypt reads", len(got))
			}
		})
	}
}
