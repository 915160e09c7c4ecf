package outbox_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secuird/secuird/adapters/mail"
	"github.com/secuird/secuird/adapters/sqlstore"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/core/outbox"
	"github.com/secuird/secuird/ports/porttest"
	"github.com/secuird/secuird/ports/porttest/testenv"
	"github.com/secuird/secuird/web"
)

// seeded is a deterministic random source: exact tests, unique IDs.
type seeded struct {
	mu sync.Mutex
	r  *mrand.ChaCha8
}

func newSeeded(seed byte) *seeded {
	var s [32]byte
	s[0] = seed
	return &seeded{r: mrand.NewChaCha8(s)}
}

func (s *seeded) Read(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = s.r.Read(b)
}

// fixed always reads the same byte: backoff jitter at its extremes.
type fixed byte

func (f fixed) Read(b []byte) {
	for i := range b {
		b[i] = byte(f)
	}
}

// provider is a scriptable email provider that records every attempt.
type provider struct {
	mu    sync.Mutex
	sent  map[string]int // outbox ID -> accepted sends
	tries int
	// answer decides each attempt; nil accepts.
	answer func(ctx context.Context, m message.Rendered) error
	last   message.Rendered
}

func newProvider() *provider { return &provider{sent: map[string]int{}} }

func (p *provider) Send(ctx context.Context, m message.Rendered) (string, error) {
	p.mu.Lock()
	p.tries++
	answer := p.answer
	p.mu.Unlock()
	if answer != nil {
		if err := answer(ctx, m); err != nil {
			return "", err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent[m.ID]++
	p.last = m
	return "provider-" + m.ID, nil
}

func (p *provider) set(answer func(ctx context.Context, m message.Rendered) error) {
	p.mu.Lock()
	p.answer = answer
	p.mu.Unlock()
}

func (p *provider) counts() (sent map[string]int, tries int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.sent))
	for k, v := range p.sent {
		out[k] = v
	}
	return out, p.tries
}

var start = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

type env struct {
	store *sqlstore.Store
	clock *porttest.Clock
	prov  *provider
	svc   *outbox.Service
	r     *mail.Renderer
}

func openStore(t *testing.T, dsn string, opts sqlstore.Options) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func newEnv(t *testing.T, p outbox.Policy) *env {
	t.Helper()
	st := openStore(t, filepath.Join(t.TempDir(), "outbox.db"), sqlstore.Options{})
	e := &env{store: st, clock: porttest.NewClock(start), prov: newProvider()}
	e.r = renderer(t)
	e.svc = e.service(p, newSeeded(1))
	return e
}

// service builds another worker over the same store (another node).
func (e *env) service(p outbox.Policy, rnd *seeded) *outbox.Service {
	return outbox.New(p, outbox.Deps{Store: e.store, Renderer: e.r, Sender: e.prov, Clock: e.clock, Random: rnd})
}

func renderer(t *testing.T) *mail.Renderer {
	t.Helper()
	r, err := mail.NewRenderer(mail.DefaultBrand(), web.Emails())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func verifyMail(to string) message.Email {
	return message.Email{To: to, ToName: "Ada", Template: message.VerifyEmail,
		Vars:      map[string]string{"name": "Ada", "link": "https://id.example.com/verify-email?token=live-" + to, "expires_in": "24 hours"},
		Sensitive: []string{"link"}}
}

func (e *env) enqueue(t *testing.T, ms ...message.Email) {
	t.Helper()
	for _, m := range ms {
		if err := e.svc.Enqueue(t.Context(), m); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
	}
}

func (e *env) deliver(t *testing.T) []outbox.Result {
	t.Helper()
	res, err := e.svc.Deliver(t.Context())
	if err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	return res
}

func (e *env) only(t *testing.T) message.Queued {
	t.Helper()
	qs, _, err := e.store.ListMail(t.Context(), message.OutboxFilter{})
	if err != nil || len(qs) != 1 {
		t.Fatalf("ListMail = %d messages, %v; want one", len(qs), err)
	}
	return qs[0]
}

func outcomes(rs []outbox.Result) []outbox.Outcome {
	out := make([]outbox.Outcome, len(rs))
	for i, r := range rs {
		out[i] = r.Outcome
	}
	return out
}

func TestEnqueueValidatesBeforeQueuing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, outbox.Policy{})
	cases := []struct {
		name  string
		m     message.Email
		field string
	}{
		{"rejects a missing recipient", message.Email{Template: message.VerifyEmail}, "to"},
		{"rejects an invalid address", message.Email{To: "not an address", Template: message.VerifyEmail}, "to"},
		{"rejects an address with a display name", message.Email{To: "Eve <eve@example.com>", Template: message.VerifyEmail}, "to"},
		{"rejects CR/LF in the address", message.Email{To: "eve@example.com\r\nBcc: x@example.com", Template: message.VerifyEmail}, "to"},
		{"rejects CR/LF in the recipient's name", message.Email{To: "eve@example.com", ToName: "Eve\r\nBcc: x@example.com", Template: message.VerifyEmail}, "to_name"},
		{"rejects an unknown template", message.Email{To: "eve@example.com", Template: "phishing"}, "template"},
		{"rejects a value with a NUL byte", message.Email{To: "eve@example.com", Template: message.VerifyEmail, Vars: map[string]string{"name": "a\x00b"}}, "vars.name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := e.svc.Enqueue(t.Context(), tc.m)
			fe := fault.As(err)
			if fe == nil || fe.Kind != fault.Invalid || len(fe.Fields[tc.field]) == 0 {
				t.Fatalf("Enqueue = %v, want Invalid on %s", err, tc.field)
			}
		})
	}
	counts, err := e.svc.Counts(t.Context())
	if err != nil || counts[message.StatusPending] != 0 {
		t.Fatalf("counts %v, %v: an invalid message was queued", counts, err)
	}
}

func TestEnqueueJoinsTheCallersTransaction(t *testing.T) {
	t.Parallel()
	e := newEnv(t, outbox.Policy{})
	boom := errors.New("registration failed after the mail was queued")
	err := e.store.InTx(t.Context(), func(ctx context.Context) error {
		if err := e.svc.Enqueue(ctx, verifyMail("rolled-back@example.com")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v", err)
	}
	if res := e.deliver(t); len(res) != 0 {
		t.Fatalf("a rolled-back mail was delivered: %+v", res)
	}
	if err := e.store.InTx(t.Context(), func(ctx context.Context) error {
		return e.svc.Enqueue(ctx, verifyMail("committed@example.com"))
	}); err != nil {
		t.Fatal(err)
	}
	if res := e.deliver(t); len(res) != 1 || res[0].Outcome != outbox.Sent {
		t.Fatalf("Deliver = %+v, want the committed mail sent", res)
	}
}

func TestDeliverSendsOnceAndRedacts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, outbox.Policy{})
	e.enqueue(t, verifyMail("ada@example.com"))
	res := e.deliver(t)
	if len(res) != 1 || res[0].Outcome != outbox.Sent || res[0].Attempt != 1 || res[0].ProviderID == "" {
		t.Fatalf("Deliver = %+v", res)
	}
	q := e.only(t)
	if q.Status != message.StatusSent || q.Email.Vars["link"] != message.Redacted || q.ProviderID != res[0].ProviderID {
		t.Fatalf("stored %+v", q)
	}
	sent, _ := e.prov.counts()
	if sent[q.ID] != 1 || e.prov.last.ID != q.ID || !strings.Contains(e.prov.last.Text, "token=live-ada@example.com") {
		t.Fatalf("provider got %v; last %+v", sent, e.prov.last.Email)
	}
	if !strings.HasPrefix(e.prov.last.Subject, "Confirm your email address") {
		t.Errorf("subject %q", e.prov.last.Subject)
	}
	// A clean second round sends nothing again.
	e.clock.Advance(24 * time.Hour)
	if res := e.deliver(t); len(res) != 0 {
		t.Fatalf("second round: %+v", res)
	}
}

func TestProviderDownThenUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t, outbox.Policy{BaseDelay: 30 * time.Second})
	e.prov.set(func(context.Context, message.Rendered) error {
		return fault.E("provider", fault.Unavailable, "503 Service Unavailable")
	})
	e.enqueue(t, verifyMail("ada@example.com"))
	res := e.deliver(t)
	if len(res) != 1 || res[0].Outcome != outbox.Retry || !fault.Is(res[0].Err, fault.Unavailable) {
		t.Fatalf("Deliver = %+v, want a retry", res)
	}
	wait := res[0].NextAttemptAt.Sub(start)
	if wait < 15*time.Second || wait > 30*time.Second {
		t.Fatalf("first retry in %v, want between 15 s and 30 s", wait)
	}
	q := e.only(t)
	if q.Status != message.StatusPending || q.Attempts != 1 || !strings.Contains(q.LastError, "503") {
		t.Fatalf("stored %+v", q)
	}
	// Not due yet: nothing happens.
	if res := e.deliver(t); len(res) != 0 {
		t.Fatalf("retried early: %+v", res)
	}
	e.prov.set(nil) // the provider is back
	e.clock.Advance(wait)
	res = e.deliver(t)
	if len(res) != 1 || res[0].Outcome != outbox.Sent || res[0].Attempt != 2 {
		t.Fatalf("Deliver after recovery = %+v", res)
	}
	sent, tries := e.prov.counts()
	if sent[q.ID] != 1 || tries != 2 {
		t.Fatalf("sent %v in %d tries, want one send in two tries", sent, tries)
	}
}

func TestPermanentRefusalIsDeadAtOnceAndCanBeRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t, outbox.Policy{})
	e.prov.set(func(context.Context, message.Rendered) error {
		return fault.E("provider", fault.Invalid, "mailgun answered 400: 'to' parameter is not a valid address")
	})
	e.enqueue(t, verifyMail("ada@example.com"))
	res := e.deliver(t)
	if len(res) != 1 || res[0].Outcome != outbox.Dead {
		t.Fatalf("Deliver = %+v, want dead", res)
	}
	q := e.only(t)
	if q.Status != message.StatusDead || q.Attempts != 1 || !strings.Contains(q.LastError, "400") {
		t.Fatalf("stored %+v", q)
	}
	if q.Email.Vars["link"] == message.Redacted {
		t.Fatal("a dead message lost its values: a retry could not work")
	}
	e.prov.set(nil)
	again, err := e.svc.Retry(t.Context(), q.ID)
	if err != nil || again.Status != message.StatusPending || again.Attempts != 0 {
		t.Fatalf("Retry = %+v, %v", again, err)
	}
	if again.Email.Vars["link"] != message.Redacted {
		t.Error("Retry shows the operator a live link")
	}
	if res := e.deliver(t); len(res) != 1 || res[0].Outcome != outbox.Sent {
		t.Fatalf("Deliver after Retry = %+v", res)
	}
	if _, err := e.svc.Retry(t.Context(), q.ID); !fault.Is(err, fault.Conflict) {
		t.Fatalf("Retry of a sent message = %v, want Conflict", err)
	}
	if _, err := e.svc.Retry(t.Context(), "no-such-id"); !fault.Is(err, fault.NotFound) {
		t.Fatalf("Retry of an unknown message = %v, want NotFound", err)
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, outbox.Policy{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: time.Minute})
	e.prov.set(func(context.Context, message.Rendered) error { return fault.E("provider", fault.Unavailable, "down") })
	e.enqueue(t, verifyMail("ada@example.com"))
	var all []outbox.Outcome
	for range 5 {
		all = append(all, outcomes(e.deliver(t))...)
		e.clock.Advance(time.Minute)
	}
	want := []outbox.Outcome{outbox.Retry, outbox.Retry, outbox.Dead}
	if fmt.Sprint(all) != fmt.Sprint(want) {
		t.Fatalf("outcomes %v, want %v", all, want)
	}
	q := e.only(t)
	if q.Status != message.StatusDead || q.Attempts != 3 || !strings.Contains(q.LastError, "gave up after 3 attempts") {
		t.Fatalf("stored %+v", q)
	}
}

func TestPoisonMessagesDoNotStopTheQueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, outbox.Policy{})
	e.prov.set(func(_ context.Context, m message.Rendered) error {
		if m.Email.To == "poison@example.com" {
			panic("provider library bug")
		}
		return nil
	})
	unrenderable := message.Email{To: "broken@example.com", Template: message.VerifyEmail, Vars: map[string]string{"expires_in": "1 hour"}} // no link
	e.enqueue(t, verifyMail("before@example.com"), verifyMail("poison@example.com"), unrenderable, verifyMail("after@example.com"))
	res := e.deliver(t)
	got := map[string]outbox.Outcome{}
	for _, r := range res {
		q, err := e.store.MailByID(t.Context(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		got[q.Email.To] = r.Outcome
	}
	want := map[string]outbox.Outcome{
		"before@example.com": outbox.Sent, "poison@example.com": outbox.Dead,
		"broken@example.com": outbox.Dead, "after@example.com": outbox.Sent,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
	_, tries := e.prov.counts()
	if tries != 3 {
		t.Errorf("provider called %d times, want 3 (never for the message that cannot render)", tries)
	}
}

func TestWorkersThatDieMidSendLeaveThePoisonDead(t *testing.T) {
	t.Parallel()
	p := outbox.Policy{MaxAttempts: 2, Lease: time.Minute}
	e := newEnv(t, p)
	e.enqueue(t, verifyMail("crasher@example.com"))
	// Three workers claim the message and die before any outcome.
	for i := range 3 {
		got, err := e.store.ClaimMail(t.Context(), e.clock.Now(), e.clock.Now().Add(time.Minute), fmt.Sprintf("dead-worker-%d", i), 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("claim %d: %v %v", i, got, err)
		}
		e.clock.Advance(time.Minute)
	}
	res := e.deliver(t)
	if len(res) != 1 || res[0].Outcome != outbox.Dead || !strings.Contains(res[0].Err.Error(), "abandoned") {
		t.Fatalf("Deliver = %+v, want the poison message dead", res)
	}
	if _, tries := e.prov.counts(); tries != 0 {
		t.Fatal("the poison message was attempted again")
	}
}

func TestRestartMidQueue(t *testing.T) {
	t.Parallel()
	p := outbox.Policy{Lease: 5 * time.Minute}
	e := newEnv(t, p)
	for i := range 4 {
		e.enqueue(t, verifyMail(fmt.Sprintf("user%d@example.com", i)))
	}
	// A worker claims two messages and its process dies.
	claimed, err := e.store.ClaimMail(t.Context(), e.clock.Now(), e.clock.Now().Add(p.Lease), "crashed", 2)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("ClaimMail: %v %v", claimed, err)
	}
	// The restarted node delivers what nobody holds at once...
	restarted := e.service(p, newSeeded(2))
	res, err := restarted.Deliver(t.Context())
	if err != nil || len(res) != 2 {
		t.Fatalf("Deliver after restart = %+v, %v; want the two unclaimed", res, err)
	}
	// ...and the crashed worker's two once its lease has run out.
	if res, _ := restarted.Deliver(t.Context()); len(res) != 0 {
		t.Fatalf("delivered leased messages early: %+v", res)
	}
	e.clock.Advance(p.Lease)
	res, err = restarted.Deliver(t.Context())
	if err != nil || len(res) != 2 || res[0].Outcome != outbox.Sent || res[1].Outcome != outbox.Sent {
		t.Fatalf("Deliver after the lease = %+v, %v", res, err)
	}
	sent, _ := e.prov.counts()
	for _, q := range claimed {
		if sent[q.ID] != 1 {
			t.Errorf("crashed worker's message %s sent %d times", q.ID, sent[q.ID])
		}
	}
	if len(sent) != 4 {
		t.Errorf("%d messages sent, want 4", len(sent))
	}
	// The crashed worker, back from the dead, cannot record anything.
	if err := e.store.MarkMailSent(t.Context(), claimed[0].ID, "crashed", e.clock.Now(), "late"); !fault.Is(err, fault.Conflict) {
		t.Fatalf("a stale claim recorded an outcome: %v", err)
	}
}

func TestShutdownFinishesTheSendInFlightAndReleasesTheRest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, outbox.Policy{})
	for i := range 3 {
		e.enqueue(t, verifyMail(fmt.Sprintf("user%d@example.com", i)))
	}
	ctx, cancel := context.WithCancel(t.Context())
	e.prov.set(func(sctx context.Context, _ message.Rendered) error {
		cancel() // the process is told to stop during the first send
		if sctx.Err() != nil {
			return errors.New("the send in flight was cut short")
		}
		return nil
	})
	res, err := e.svc.Deliver(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(outcomes(res)); got != fmt.Sprint([]outbox.Outcome{outbox.Sent, outbox.Released, outbox.Released}) {
		t.Fatalf("outcomes %s", got)
	}
	// The next node picks the released ones up at once, and nothing is sent twice.
	e.prov.set(nil)
	next := e.service(outbox.Policy{}, newSeeded(3))
	res, err = next.Deliver(t.Context())
	if err != nil || len(res) != 2 {
		t.Fatalf("next node: %+v, %v", res, err)
	}
	for _, r := range res {
		if r.Attempt != 1 {
			t.Errorf("a released message counts attempt %d, want 1", r.Attempt)
		}
	}
	sent, _ := e.prov.counts()
	for id, n := range sent {
		if n != 1 {
			t.Errorf("%s sent %d times", id, n)
		}
	}
	if len(sent) != 3 {
		t.Errorf("sent %d, want 3", len(sent))
	}
}

func TestAHangingProviderCostsOneAttempt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, outbox.Policy{SendTimeout: 50 * time.Millisecond})
	e.prov.set(func(ctx context.Context, _ message.Rendered) error {
		<-ctx.Done() // hangs until the outbox gives up
		return ctx.Err()
	})
	e.enqueue(t, verifyMail("ada@example.com"))
	res := e.deliver(t)
	if len(res) != 1 || res[0].Outcome != outbox.Retry || !fault.Is(res[0].Err, fault.Unavailable) {
		t.Fatalf("Deliver = %+v, want a retry after the timeout", res)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	e := newEnv(t, outbox.Policy{BaseDelay: time.Second, MaxDelay: time.Hour})
	e.prov.set(func(context.Context, message.Rendered) error {
		return &fault.Error{Op: "provider", Kind: fault.Unavailable, RetryAfter: 10 * time.Minute}
	})
	e.enqueue(t, verifyMail("ada@example.com"))
	res := e.deliver(t)
	if len(res) != 1 || res[0].NextAttemptAt.Sub(start) != 10*time.Minute {
		t.Fatalf("Deliver = %+v, want the retry in 10 minutes", res)
	}
}

func TestBackoffGrowsWithJitterUpToTheCap(t *testing.T) {
	t.Parallel()
	p := outbox.Policy{BaseDelay: 30 * time.Second, MaxDelay: 10 * time.Minute}
	low := outbox.New(p, outbox.Deps{Random: fixed(0)})
	high := outbox.New(p, outbox.Deps{Random: fixed(0xff)})
	for _, tc := range []struct {
		attempt int
		full    time.Duration
	}{
		{1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {4, 4 * time.Minute},
		{5, 8 * time.Minute}, {6, 10 * time.Minute}, {40, 10 * time.Minute},
	} {
		lo, hi := low.Backoff(tc.attempt), high.Backoff(tc.attempt)
		if lo < tc.full/2 || hi > tc.full || lo > hi {
			t.Errorf("Backoff(%d) in [%v, %v], want within [%v, %v]", tc.attempt, lo, hi, tc.full/2, tc.full)
		}
	}
	spread := outbox.New(p, outbox.Deps{Random: newSeeded(9)})
	seen := map[time.Duration]bool{}
	for range 20 {
		seen[spread.Backoff(3)] = true
	}
	if len(seen) < 10 {
		t.Errorf("20 backoffs took only %d values: no jitter", len(seen))
	}
}

func TestOperatorViewsNeverShowSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, outbox.Policy{})
	e.enqueue(t, verifyMail("ada@example.com"), verifyMail("bob@example.com"))
	qs, next, err := e.svc.List(t.Context(), message.OutboxFilter{Status: message.StatusPending})
	if err != nil || len(qs) != 2 || next != "" {
		t.Fatalf("List = %d, %q, %v", len(qs), next, err)
	}
	for _, q := range qs {
		if q.Email.Vars["link"] != message.Redacted || q.ClaimToken != "" {
			t.Errorf("List shows %+v", q)
		}
	}
	one, err := e.svc.Get(t.Context(), qs[0].ID)
	if err != nil || one.Email.Vars["link"] != message.Redacted {
		t.Fatalf("Get = %+v, %v", one, err)
	}
	// The stored message keeps its link until it is delivered.
	if stored, _ := e.store.MailByID(t.Context(), qs[0].ID); !strings.Contains(stored.Email.Vars["link"], "token=live-") {
		t.Fatal("List redacted the stored message itself")
	}
	if _, _, err := e.svc.List(t.Context(), message.OutboxFilter{Status: "bogus"}); !fault.Is(err, fault.Invalid) {
		t.Fatalf("List with a bad status = %v", err)
	}
}

func TestPurgeDeletesOldOutcomes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, outbox.Policy{Retention: 24 * time.Hour})
	e.enqueue(t, verifyMail("ada@example.com"))
	e.deliver(t)
	e.enqueue(t, verifyMail("bob@example.com")) // stays pending
	e.clock.Advance(25 * time.Hour)
	e.prov.set(func(context.Context, message.Rendered) error { return fault.E("p", fault.Unavailable, "down") })
	n, err := e.svc.Purge(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want the sent one", n, err)
	}
	counts, _ := e.svc.Counts(t.Context())
	if counts[message.StatusPending] != 1 || counts[message.StatusSent] != 0 {
		t.Fatalf("counts after purge %v", counts)
	}
}

// workerStores returns, per available dialect, a function that opens
// another store (another node) on one shared, migrated database.
func workerStores(t *testing.T) map[string]func(t *testing.T) *sqlstore.Store {
	out := map[string]func(t *testing.T) *sqlstore.Store{}
	path := filepath.Join(t.TempDir(), "shared.db")
	out["sqlite"] = func(t *testing.T) *sqlstore.Store { return openStore(t, path, sqlstore.Options{}) }
	out["postgres"] = func(t *testing.T) *sqlstore.Store {
		dbURL := testenv.PostgresURL(t)
		return openStore(t, dbURL, sqlstore.Options{Schema: sharedSchema(t, dbURL), MaxOpenConns: 4})
	}
	return out
}

var (
	schemaMu sync.Mutex
	schemas  = map[*testing.T]string{}
)

// sharedSchema names one fresh Postgres schema per test and drops it at
// the end.
func sharedSchema(t *testing.T, dbURL string) string {
	schemaMu.Lock()
	defer schemaMu.Unlock()
	if s, ok := schemas[t]; ok {
		return s
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	s := "t_" + hex.EncodeToString(b[:])
	schemas[t] = s
	t.Cleanup(func() {
		db, err := sql.Open("pgx", dbURL)
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+s+" CASCADE")
	})
	return s
}

func TestTwoWorkersSendEachMessageOnce(t *testing.T) {
	t.Parallel()
	for name, open := range workerStores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, b := open(t), open(t) // two nodes
			clk := porttest.NewClock(start)
			prov := newProvider()
			r := renderer(t)
			p := outbox.Policy{Batch: 3}
			svcA := outbox.New(p, outbox.Deps{Store: a, Renderer: r, Sender: prov, Clock: clk, Random: newSeeded(1)})
			svcB := outbox.New(p, outbox.Deps{Store: b, Renderer: r, Sender: prov, Clock: clk, Random: newSeeded(2)})
			const n = 30
			for i := range n {
				if err := svcA.Enqueue(t.Context(), verifyMail(fmt.Sprintf("user%d@example.com", i))); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			for _, svc := range []*outbox.Service{svcA, svcB} {
				wg.Go(func() {
					for range 4 * n {
						res, err := svc.Deliver(t.Context())
						if err != nil {
							t.Errorf("Deliver: %v", err)
							return
						}
						if len(res) == 0 {
							return
						}
						for _, r := range res {
							if r.Outcome != outbox.Sent {
								t.Errorf("outcome %+v", r)
							}
						}
					}
				})
			}
			wg.Wait()
			sent, tries := prov.counts()
			if len(sent) != n || tries != n {
				t.Fatalf("%d messages sent in %d tries, want %d once each", len(sent), tries, n)
			}
			counts, err := svcB.Counts(t.Context())
			if err != nil || counts[message.StatusSent] != n {
				t.Fatalf("counts %v, %v", counts, err)
			}
		})
	}
}
