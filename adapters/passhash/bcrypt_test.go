package passhash_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/secuird/secuird/adapters/passhash"
	"github.com/secuird/secuird/core/fault"
)

// Tests use bcrypt's minimum cost so they stay fast.
const cost = bcrypt.MinCost

func mustHash(t *testing.T, h *passhash.Bcrypt, pw string) string {
	t.Helper()
	hash, err := h.Hash(pw)
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	return hash
}

func TestVerify(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 72)
	cases := []struct {
		name       string
		hashedPw   string
		hashCost   int
		verifyCost int
		verifiedPw string
		wantOK     bool
		wantRehash bool
	}{
		{"accepts the right password", "correct horse", cost, cost, "correct horse", true, false},
		{"rejects a wrong password", "correct horse", cost, cost, "correct horsf", false, false},
		{"rejects an empty password", "correct horse", cost, cost, "", false, false},
		{"asks for a rehash when the stored cost is lower", "correct horse", cost, cost + 1, "correct horse", true, true},
		{"asks for a rehash when the stored cost is higher", "correct horse", cost + 1, cost, "correct horse", true, true},
		{"does not ask for a rehash after a mismatch", "correct horse", cost, cost + 1, "wrong", false, false},
		{"accepts a password of exactly 72 bytes", long, cost, cost, long, true, false},
		{"tells long passwords apart after byte 72", long + "x", cost, cost, long + "y", false, false},
		{"accepts a long password", long + "xyz" + strings.Repeat("é", 50), cost, cost, long + "xyz" + strings.Repeat("é", 50), true, false},
		{"does not confuse a long password with its first 72 bytes", long + "x", cost, cost, long, false, false},
		{"does not confuse a 72-byte password with longer ones", long, cost, cost, long + "x", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hash := mustHash(t, passhash.New(tc.hashCost, 1), tc.hashedPw)
			ok, rehash, err := passhash.New(tc.verifyCost, 1).Verify(hash, tc.verifiedPw)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if ok != tc.wantOK || rehash != tc.wantRehash {
				t.Errorf("Verify = (ok %v, rehash %v), want (ok %v, rehash %v)", ok, rehash, tc.wantOK, tc.wantRehash)
			}
		})
	}
}

func TestRehashWhenConfiguredCostRises(t *testing.T) {
	t.Parallel()
	hash := mustHash(t, passhash.New(cost, 1), "correct horse")
	ok, rehash, err := passhash.New(cost+1, 1).Verify(hash, "correct horse")
	if err != nil || !ok || !rehash {
		t.Fatalf("Verify = (%v, %v, %v), want (true, true, nil)", ok, rehash, err)
	}
	fresh := mustHash(t, passhash.New(cost+1, 1), "correct horse")
	if got, _ := bcrypt.Cost([]byte(fresh)); got != cost+1 {
		t.Errorf("new hash has cost %d, want %d", got, cost+1)
	}
}

func TestImportedHashes(t *testing.T) {
	t.Parallel()
	// Plain bcrypt of a short password, as the previous system stored it.
	plain, err := bcrypt.GenerateFromPassword([]byte("UserPass123!"), cost)
	if err != nil {
		t.Fatal(err)
	}
	h := passhash.New(cost, 1)
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		t.Run("verifies a "+prefix+" hash", func(t *testing.T) {
			t.Parallel()
			hash := prefix + string(plain[4:])
			ok, rehash, err := h.Verify(hash, "UserPass123!")
			if err != nil || !ok || rehash {
				t.Errorf("Verify = (%v, %v, %v), want (true, false, nil)", ok, rehash, err)
			}
		})
	}
}

func TestHashesArePlainBcryptUpTo72Bytes(t *testing.T) {
	t.Parallel()
	pw := strings.Repeat("p", 72)
	hash := mustHash(t, passhash.New(cost, 1), pw)
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)); err != nil {
		t.Errorf("a 72-byte password's hash is not plain bcrypt: %v", err)
	}
}

func TestHashSaltsEachPassword(t *testing.T) {
	t.Parallel()
	h := passhash.New(cost, 1)
	first, second := mustHash(t, h, "same"), mustHash(t, h, "same")
	if first == second {
		t.Error("two hashes of one password are equal")
	}
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	t.Parallel()
	h := passhash.New(cost, 1)
	for _, hash := range []string{"", "plaintext", "$2a$04$tooshort", "$9a$04$" + strings.Repeat("a", 53)} {
		t.Run("reports Internal for "+hash, func(t *testing.T) {
			t.Parallel()
			ok, _, err := h.Verify(hash, "pw")
			if ok || !fault.Is(err, fault.Internal) {
				t.Errorf("Verify = (%v, %v), want (false, Internal)", ok, err)
			}
		})
	}
}

func TestNewNormalisesCost(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   int
		want int
	}{
		{"uses the default cost for zero", 0, bcrypt.DefaultCost},
		{"uses the default cost below the minimum", 3, bcrypt.DefaultCost},
		{"keeps a valid cost", 12, 12},
		{"lowers a cost above the maximum", 40, bcrypt.MaxCost},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := passhash.New(tc.in, 1).Cost(); got != tc.want {
				t.Errorf("Cost() = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestDummyVerifyReturns(t *testing.T) {
	t.Parallel()
	h := passhash.New(cost, 1)
	h.DummyVerify("whatever")
	h.DummyVerify(strings.Repeat("x", 100))
}

func TestConcurrentUseWithinTheBound(t *testing.T) {
	t.Parallel()
	h := passhash.New(cost, 2)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 8 {
		wg.Go(func() {
			hash, err := h.Hash("pw")
			if err != nil {
				errs <- err
				return
			}
			if _, _, err := h.Verify(hash, "pw"); err != nil {
				errs <- err
			}
			h.DummyVerify("pw")
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent use failed: %v", err)
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, c := range []int{4, 10, 12} {
		h := passhash.New(c, 1)
		hash, err := h.Hash("correct horse battery staple")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("cost %d", c), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := h.Verify(hash, "correct horse battery staple"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
