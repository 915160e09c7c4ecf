package provider_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/secuird/secuird/adapters/sqlstore"
	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/core/provider"
)

// stubSigner returns the claims' sub as the "token".
type stubSigner struct{}

func (stubSigner) SignLogoutToken(_ context.Context, c map[string]any) (string, error) {
	if c["events"] == nil || c["nonce"] != nil || c["sid"] == "" {
		return "", errors.New("bad claims")
	}
	sub, _ := c["sub"].(string)
	return "token-for-" + sub, nil
}

// stubSender fails until told otherwise and records deliveries.
type stubSender struct {
	mu   sync.Mutex
	fail bool
	sent []string
}

func (s *stubSender) SendLogoutToken(_ context.Context, uri, tok string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("connection refused")
	}
	s.sent = append(s.sent, uri+" "+tok)
	return nil
}

func TestDeliverBackchannelRetriesWithBackoffThenGivesUp(t *testing.T) {
	t.Parallel()
	sender := &stubSender{fail: true}
	e := newEnvWith(t, func(d *provider.Deps) {
		d.LogoutSigner, d.BackchannelSender = stubSigner{}, sender
		st, ok := d.Tx.(*sqlstore.Store)
		if !ok {
			t.Fatal("the test env's store is not a sqlstore")
		}
		d.Backchannel = st
	})
	ctx := t.Context()
	job := func(id string) oidc.BackchannelLogout {
		return oidc.BackchannelLogout{ID: id, ClientID: "portal", URI: "https://app.example/bc", Subject: e.user.ID, SessionID: "s1",
			Status: oidc.BackchannelPending, NextAttemptAt: e.clk.Now(), CreatedAt: e.clk.Now()}
	}
	if err := e.store.EnqueueBackchannel(ctx, []oidc.BackchannelLogout{job("11111111-0000-4000-8000-000000000001")}); err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= 8; attempt++ {
		rep, err := e.svc.DeliverBackchannel(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if attempt < 8 && rep.Retrying != 1 || attempt == 8 && rep.Failed != 1 {
			t.Fatalf("attempt %d: %+v", attempt, rep)
		}
		// Nothing is due until the backoff has passed.
		if rep, _ := e.svc.DeliverBackchannel(ctx, 10); rep != (provider.DeliveryReport{}) {
			t.Fatalf("attempt %d: delivered again at once: %+v", attempt, rep)
		}
		e.clk.Advance(10*time.Second<<(attempt-1) + 3*time.Minute) // past the backoff and the claim lease
	}
	if rep, _ := e.svc.DeliverBackchannel(ctx, 10); rep != (provider.DeliveryReport{}) {
		t.Errorf("a failed delivery was tried again: %+v", rep)
	}
	sender.fail = false
	if err := e.store.EnqueueBackchannel(ctx, []oidc.BackchannelLogout{job("11111111-0000-4000-8000-000000000002")}); err != nil {
		t.Fatal(err)
	}
	// The queued job is due at the clock of its creation (now).
	if rep, err := e.svc.DeliverBackchannel(ctx, 10); err != nil || rep.Delivered != 1 {
		t.Fatalf("delivery: %+v %v", rep, err)
	}
	if len(sender.sent) != 1 || sender.sent[0] != "https://app.example/bc token-for-"+e.user.ID {
		t.Errorf("sent %v", sender.sent)
	}
}
