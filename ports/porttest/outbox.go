package porttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/ports"
)

// OutboxStore is what the outbox suite needs: the outbox and the
// transactor whose transactions it must join.
type OutboxStore interface {
	ports.Transactor
	ports.Outbox
}

// outboxMail returns a pending message created (and due) at `at`, with a
// sensitive link and a plain value.
func outboxMail(t *testing.T, at time.Time) message.Queued {
	t.Helper()
	return message.Queued{
		ID: durID(t),
		Email: message.Email{
			To: durEmail(t), ToName: "Ada Lovelace", Template: message.VerifyEmail,
			Vars:      map[string]string{"name": "Ada Lovelace", "link": "https://id.example.com/verify-email?token=" + durID(t), "expires_in": "24 hours"},
			Sensitive: []string{"link"},
		},
		Status:        message.StatusPending,
		NextAttemptAt: at,
		CreatedAt:     at,
		UpdatedAt:     at,
	}
}

func outboxAdd(t *testing.T, s ports.Outbox, qs ...message.Queued) {
	t.Helper()
	for _, q := range qs {
		durOK(t, "AddMail", s.AddMail(t.Context(), q))
	}
}

func outboxGet(t *testing.T, s ports.Outbox, id string) message.Queued {
	t.Helper()
	q, err := s.MailByID(t.Context(), id)
	durOK(t, "MailByID", err)
	return q
}

func outboxIDs(qs []message.Queued) []string {
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = q.ID
	}
	return out
}

// RunOutbox checks a ports.Outbox: round trips, joining the caller's
// transaction, claiming under a lease (order, limit, expiry, no message
// claimed twice by concurrent workers), the outcomes and their claim
// checks, redaction once sent, the operator's retry, listing, counting and
// purging.
func RunOutbox(t *testing.T, open func(t *testing.T) OutboxStore) {
	base := durBase

	t.Run("AddMail then MailByID round-trips every field in UTC", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		q := outboxMail(t, base)
		q.Email.Vars["org_name"] = "Acme <Corp> & \"Friends\" — ünïcödé"
		outboxAdd(t, s, q)
		got := outboxGet(t, s, q.ID)
		if got.ID != q.ID || got.Status != message.StatusPending || got.Attempts != 0 ||
			got.Email.To != q.Email.To || got.Email.ToName != q.Email.ToName || got.Email.Template != q.Email.Template ||
			len(got.Email.Vars) != len(q.Email.Vars) || len(got.Email.Sensitive) != 1 || got.Email.Sensitive[0] != "link" ||
			got.ClaimToken != "" || got.ClaimedUntil != nil || got.SentAt != nil || got.LastError != "" || got.ProviderID != "" {
			t.Fatalf("MailByID = %+v, want %+v", got, q)
		}
		for k, v := range q.Email.Vars {
			if got.Email.Vars[k] != v {
				t.Errorf("vars[%q] = %q, want %q", k, got.Email.Vars[k], v)
			}
		}
		durCheckTime(t, "NextAttemptAt", got.NextAttemptAt, q.NextAttemptAt)
		durCheckTime(t, "CreatedAt", got.CreatedAt, q.CreatedAt)
		durCheckTime(t, "UpdatedAt", got.UpdatedAt, q.UpdatedAt)
	})

	t.Run("AddMail with a taken ID is Conflict", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		q := outboxMail(t, base)
		outboxAdd(t, s, q)
		durWantKind(t, s.AddMail(t.Context(), q), fault.Conflict)
	})

	t.Run("MailByID of an unknown ID is NotFound", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		_, err := s.MailByID(t.Context(), durID(t))
		durWantKind(t, err, fault.NotFound)
	})

	t.Run("AddMail joins the caller's transaction", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		rolledBack, committed := outboxMail(t, base), outboxMail(t, base)
		boom := errors.New("boom")
		err := s.InTx(t.Context(), func(ctx context.Context) error {
			if err := s.AddMail(ctx, rolledBack); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want fn's error", err)
		}
		_, err = s.MailByID(t.Context(), rolledBack.ID)
		durWantKind(t, err, fault.NotFound)
		got, err := s.ClaimMail(t.Context(), base.Add(time.Hour), base.Add(2*time.Hour), "tok", 10)
		durOK(t, "ClaimMail", err)
		if len(got) != 0 {
			t.Fatalf("a rolled-back message was claimed: %v", outboxIDs(got))
		}
		durOK(t, "InTx", s.InTx(t.Context(), func(ctx context.Context) error { return s.AddMail(ctx, committed) }))
		outboxGet(t, s, committed.ID)
	})

	t.Run("ClaimMail leases due messages oldest first up to the limit", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		a, b, c := outboxMail(t, base), outboxMail(t, base.Add(time.Second)), outboxMail(t, base.Add(2*time.Second))
		future := outboxMail(t, base)
		future.NextAttemptAt = base.Add(time.Hour)
		outboxAdd(t, s, c, future, b, a)

		now, until := base.Add(10*time.Second), base.Add(5*time.Minute)
		got, err := s.ClaimMail(t.Context(), now, until, "first", 2)
		durOK(t, "ClaimMail", err)
		if ids := outboxIDs(got); len(ids) != 2 || ids[0] != a.ID || ids[1] != b.ID {
			t.Fatalf("claimed %v, want [%s %s]", ids, a.ID, b.ID)
		}
		for _, q := range got {
			if q.ClaimToken != "first" || q.Attempts != 1 || q.Status != message.StatusPending || q.ClaimedUntil == nil {
				t.Errorf("claimed message %+v: want token, one attempt and a lease", q)
				continue
			}
			durCheckTime(t, "ClaimedUntil", *q.ClaimedUntil, until)
			durCheckTime(t, "NextAttemptAt", q.NextAttemptAt, until)
			if q.Email.Vars["link"] == "" || q.Email.Vars["link"] == message.Redacted {
				t.Errorf("a claimed message lost its values: %+v", q.Email.Vars)
			}
		}
		got, err = s.ClaimMail(t.Context(), now, until, "second", 10)
		durOK(t, "ClaimMail", err)
		if ids := outboxIDs(got); len(ids) != 1 || ids[0] != c.ID {
			t.Fatalf("second claim got %v, want only %s (the others are leased, one is not due)", ids, c.ID)
		}
		got, err = s.ClaimMail(t.Context(), until.Add(-time.Microsecond), until, "third", 10)
		durOK(t, "ClaimMail", err)
		if len(got) != 0 {
			t.Fatalf("claimed %v while every due message is leased", outboxIDs(got))
		}
		// The lease ends: the messages come back (a crashed worker's claim).
		got, err = s.ClaimMail(t.Context(), until, until.Add(time.Minute), "fourth", 10)
		durOK(t, "ClaimMail", err)
		if ids := outboxIDs(got); len(ids) != 3 {
			t.Fatalf("after the lease claimed %v, want the three leased ones", ids)
		}
		for _, q := range got {
			if q.ClaimToken != "fourth" || q.Attempts != 2 {
				t.Errorf("reclaimed %+v: want the new token and a second attempt", q)
			}
		}
	})

	t.Run("ClaimMail with a zero limit claims nothing", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		outboxAdd(t, s, outboxMail(t, base))
		got, err := s.ClaimMail(t.Context(), base, base.Add(time.Minute), "tok", 0)
		durOK(t, "ClaimMail", err)
		if len(got) != 0 {
			t.Fatalf("claimed %d with limit 0", len(got))
		}
	})

	t.Run("concurrent claims never hand out a message twice", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		const n, workers = 24, 6
		for i := range n {
			outboxAdd(t, s, outboxMail(t, base.Add(time.Duration(i)*time.Millisecond)))
		}
		var (
			mu   sync.Mutex
			seen = map[string]int{}
			wg   sync.WaitGroup
		)
		start := make(chan struct{})
		for w := range workers {
			wg.Go(func() {
				<-start
				token := fmt.Sprintf("worker-%d", w)
				for range n {
					got, err := s.ClaimMail(t.Context(), base.Add(time.Second), base.Add(time.Hour), token, 3)
					if err != nil {
						t.Errorf("ClaimMail: %v", err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, q := range got {
						seen[q.ID]++
						if q.ClaimToken != token {
							t.Errorf("worker %s got a message claimed as %s", token, q.ClaimToken)
						}
					}
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if len(seen) != n {
			t.Errorf("claimed %d distinct messages, want %d", len(seen), n)
		}
		for id, k := range seen {
			if k != 1 {
				t.Errorf("message %s was claimed %d times", id, k)
			}
		}
	})

	t.Run("MarkMailSent records the delivery and redacts sensitive values", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		q := outboxMail(t, base)
		outboxAdd(t, s, q)
		_, err := s.ClaimMail(t.Context(), base, base.Add(time.Minute), "tok", 1)
		durOK(t, "ClaimMail", err)
		sentAt := base.Add(3 * time.Second)
		durOK(t, "MarkMailSent", s.MarkMailSent(t.Context(), q.ID, "tok", sentAt, "<provider-id@mail>"))
		got := outboxGet(t, s, q.ID)
		if got.Status != message.StatusSent || got.ProviderID != "<provider-id@mail>" || got.ClaimToken != "" || got.ClaimedUntil != nil || got.Attempts != 1 {
			t.Fatalf("after MarkMailSent: %+v", got)
		}
		if got.Email.Vars["link"] != message.Redacted {
			t.Errorf("sensitive link kept after delivery: %q", got.Email.Vars["link"])
		}
		if got.Email.Vars["name"] != "Ada Lovelace" || got.Email.Vars["expires_in"] != "24 hours" {
			t.Errorf("non-sensitive values changed: %+v", got.Email.Vars)
		}
		if got.SentAt == nil {
			t.Fatal("SentAt not set")
		}
		durCheckTime(t, "SentAt", *got.SentAt, sentAt)
		again, err := s.ClaimMail(t.Context(), base.Add(time.Hour), base.Add(2*time.Hour), "later", 10)
		durOK(t, "ClaimMail", err)
		if len(again) != 0 {
			t.Fatal("a sent message was claimed again")
		}
	})

	t.Run("outcomes need the live claim", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		q := outboxMail(t, base)
		outboxAdd(t, s, q)
		marks := map[string]func(id, token string) error{
			"MarkMailSent":  func(id, tok string) error { return s.MarkMailSent(t.Context(), id, tok, base, "") },
			"MarkMailRetry": func(id, tok string) error { return s.MarkMailRetry(t.Context(), id, tok, base, "x", base) },
			"MarkMailDead":  func(id, tok string) error { return s.MarkMailDead(t.Context(), id, tok, "x", base) },
			"ReleaseMail":   func(id, tok string) error { return s.ReleaseMail(t.Context(), id, tok, base) },
		}
		for name, mark := range marks {
			durWantKind(t, mark(durID(t), "tok"), fault.NotFound)
			// Not claimed at all.
			if err := mark(q.ID, ""); !fault.Is(err, fault.Conflict) {
				t.Errorf("%s of an unclaimed message = %v, want Conflict", name, err)
			}
		}
		_, err := s.ClaimMail(t.Context(), base, base.Add(time.Minute), "old", 1)
		durOK(t, "ClaimMail", err)
		// The lease runs out and another worker takes the message over.
		_, err = s.ClaimMail(t.Context(), base.Add(time.Minute), base.Add(2*time.Minute), "new", 1)
		durOK(t, "ClaimMail", err)
		for name, mark := range marks {
			if err := mark(q.ID, "old"); !fault.Is(err, fault.Conflict) {
				t.Errorf("%s with a lost claim = %v, want Conflict", name, err)
			}
		}
		if got := outboxGet(t, s, q.ID); got.ClaimToken != "new" || got.Status != message.StatusPending {
			t.Fatalf("a stale worker changed the message: %+v", got)
		}
	})

	t.Run("MarkMailRetry puts the message back due later", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		q := outboxMail(t, base)
		outboxAdd(t, s, q)
		_, err := s.ClaimMail(t.Context(), base, base.Add(time.Minute), "tok", 1)
		durOK(t, "ClaimMail", err)
		next := base.Add(30 * time.Second)
		durOK(t, "MarkMailRetry", s.MarkMailRetry(t.Context(), q.ID, "tok", next, "provider answered 503", base.Add(time.Second)))
		got := outboxGet(t, s, q.ID)
		if got.Status != message.StatusPending || got.Attempts != 1 || got.LastError != "provider answered 503" || got.ClaimToken != "" || got.ClaimedUntil != nil {
			t.Fatalf("after MarkMailRetry: %+v", got)
		}
		durCheckTime(t, "NextAttemptAt", got.NextAttemptAt, next)
		early, err := s.ClaimMail(t.Context(), next.Add(-time.Second), next.Add(time.Minute), "early", 1)
		durOK(t, "ClaimMail", err)
		if len(early) != 0 {
			t.Fatal("a retried message was claimed before it was due")
		}
		due, err := s.ClaimMail(t.Context(), next, next.Add(time.Minute), "due", 1)
		durOK(t, "ClaimMail", err)
		if len(due) != 1 || due[0].Attempts != 2 || due[0].Email.Vars["link"] != q.Email.Vars["link"] {
			t.Fatalf("claimed %+v, want the message with its values for a second attempt", due)
		}
	})

	t.Run("MarkMailDead gives up but keeps the values", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		q := outboxMail(t, base)
		outboxAdd(t, s, q)
		_, err := s.ClaimMail(t.Context(), base, base.Add(time.Minute), "tok", 1)
		durOK(t, "ClaimMail", err)
		durOK(t, "MarkMailDead", s.MarkMailDead(t.Context(), q.ID, "tok", "provider refused: 400", base))
		got := outboxGet(t, s, q.ID)
		if got.Status != message.StatusDead || got.LastError != "provider refused: 400" || got.ClaimToken != "" || got.Email.Vars["link"] != q.Email.Vars["link"] {
			t.Fatalf("after MarkMailDead: %+v", got)
		}
		again, err := s.ClaimMail(t.Context(), base.Add(time.Hour), base.Add(2*time.Hour), "later", 10)
		durOK(t, "ClaimMail", err)
		if len(again) != 0 {
			t.Fatal("a dead message was claimed")
		}
	})

	t.Run("ReleaseMail hands a message back unattempted", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		q := outboxMail(t, base)
		outboxAdd(t, s, q)
		_, err := s.ClaimMail(t.Context(), base, base.Add(time.Hour), "tok", 1)
		durOK(t, "ClaimMail", err)
		at := base.Add(time.Second)
		durOK(t, "ReleaseMail", s.ReleaseMail(t.Context(), q.ID, "tok", at))
		got := outboxGet(t, s, q.ID)
		if got.Attempts != 0 || got.ClaimToken != "" || got.ClaimedUntil != nil || got.Status != message.StatusPending {
			t.Fatalf("after ReleaseMail: %+v", got)
		}
		durCheckTime(t, "NextAttemptAt", got.NextAttemptAt, at)
		due, err := s.ClaimMail(t.Context(), at, at.Add(time.Minute), "next", 1)
		durOK(t, "ClaimMail", err)
		if len(due) != 1 || due[0].Attempts != 1 {
			t.Fatalf("a released message was not claimable at once: %+v", due)
		}
	})

	t.Run("RetryMail revives a dead message and refuses a sent one", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		dead, sent := outboxMail(t, base), outboxMail(t, base.Add(time.Second))
		outboxAdd(t, s, dead, sent)
		_, err := s.ClaimMail(t.Context(), base.Add(time.Second), base.Add(time.Minute), "tok", 2)
		durOK(t, "ClaimMail", err)
		durOK(t, "MarkMailDead", s.MarkMailDead(t.Context(), dead.ID, "tok", "gave up", base))
		durOK(t, "MarkMailSent", s.MarkMailSent(t.Context(), sent.ID, "tok", base, ""))

		now := base.Add(time.Hour)
		got, err := s.RetryMail(t.Context(), dead.ID, now)
		durOK(t, "RetryMail", err)
		if got.Status != message.StatusPending || got.Attempts != 0 || got.ClaimToken != "" || got.Email.Vars["link"] != dead.Email.Vars["link"] {
			t.Fatalf("RetryMail = %+v", got)
		}
		durCheckTime(t, "NextAttemptAt", got.NextAttemptAt, now)
		due, err := s.ClaimMail(t.Context(), now, now.Add(time.Minute), "again", 10)
		durOK(t, "ClaimMail", err)
		if ids := outboxIDs(due); len(ids) != 1 || ids[0] != dead.ID {
			t.Fatalf("claimed %v after the retry, want only %s", ids, dead.ID)
		}
		_, err = s.RetryMail(t.Context(), sent.ID, now)
		durWantKind(t, err, fault.Conflict)
		_, err = s.RetryMail(t.Context(), durID(t), now)
		durWantKind(t, err, fault.NotFound)
	})

	t.Run("ListMail pages newest first and filters by status", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		var all []message.Queued
		for i := range 5 {
			q := outboxMail(t, base.Add(time.Duration(i)*time.Second))
			all = append(all, q)
			outboxAdd(t, s, q)
		}
		// Two messages created in the same instant are ordered by ID.
		twin := outboxMail(t, all[4].CreatedAt)
		outboxAdd(t, s, twin)
		_, err := s.ClaimMail(t.Context(), base, base.Add(time.Minute), "tok", 1)
		durOK(t, "ClaimMail", err)
		durOK(t, "MarkMailDead", s.MarkMailDead(t.Context(), all[0].ID, "tok", "x", base))

		var pages [][]string
		cursor := ""
		for {
			got, next, err := s.ListMail(t.Context(), message.OutboxFilter{Limit: 2, Cursor: cursor})
			durOK(t, "ListMail", err)
			pages = append(pages, outboxIDs(got))
			if next == "" {
				break
			}
			cursor = next
			if len(pages) > 10 {
				t.Fatal("ListMail pages without end")
			}
		}
		var flat []string
		for _, p := range pages {
			flat = append(flat, p...)
		}
		if len(pages) != 3 || len(flat) != 6 {
			t.Fatalf("pages %v: want 3 pages of 6 messages", pages)
		}
		newest := []string{all[4].ID, twin.ID}
		if twin.ID > all[4].ID {
			newest = []string{twin.ID, all[4].ID}
		}
		want := append(newest, all[3].ID, all[2].ID, all[1].ID, all[0].ID)
		for i := range want {
			if flat[i] != want[i] {
				t.Fatalf("order %v, want %v", flat, want)
			}
		}
		dead, next, err := s.ListMail(t.Context(), message.OutboxFilter{Status: message.StatusDead})
		durOK(t, "ListMail", err)
		if ids := outboxIDs(dead); len(ids) != 1 || ids[0] != all[0].ID || next != "" {
			t.Fatalf("dead listing %v (next %q)", ids, next)
		}
		_, _, err = s.ListMail(t.Context(), message.OutboxFilter{Cursor: "not a cursor"})
		durWantKind(t, err, fault.Invalid)
		_, _, err = s.ListMail(t.Context(), message.OutboxFilter{Status: "lost"})
		durWantKind(t, err, fault.Invalid)
	})

	t.Run("CountMail counts each status", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		counts, err := s.CountMail(t.Context())
		durOK(t, "CountMail", err)
		if counts[message.StatusPending] != 0 || counts[message.StatusSent] != 0 || counts[message.StatusDead] != 0 {
			t.Fatalf("empty outbox counts %v", counts)
		}
		qs := []message.Queued{outboxMail(t, base), outboxMail(t, base.Add(time.Second)), outboxMail(t, base.Add(2*time.Second))}
		outboxAdd(t, s, qs...)
		_, err = s.ClaimMail(t.Context(), base.Add(time.Second), base.Add(time.Minute), "tok", 2)
		durOK(t, "ClaimMail", err)
		durOK(t, "MarkMailSent", s.MarkMailSent(t.Context(), qs[0].ID, "tok", base, ""))
		durOK(t, "MarkMailDead", s.MarkMailDead(t.Context(), qs[1].ID, "tok", "x", base))
		counts, err = s.CountMail(t.Context())
		durOK(t, "CountMail", err)
		if counts[message.StatusPending] != 1 || counts[message.StatusSent] != 1 || counts[message.StatusDead] != 1 {
			t.Fatalf("counts %v, want one of each", counts)
		}
	})

	t.Run("PurgeMail deletes old sent and dead messages only", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		oldSent, oldDead, oldPending, newSent := outboxMail(t, base), outboxMail(t, base), outboxMail(t, base), outboxMail(t, base)
		outboxAdd(t, s, oldSent, oldDead, oldPending, newSent)
		_, err := s.ClaimMail(t.Context(), base, base.Add(time.Minute), "tok", 4)
		durOK(t, "ClaimMail", err)
		durOK(t, "MarkMailSent", s.MarkMailSent(t.Context(), oldSent.ID, "tok", base, ""))
		durOK(t, "MarkMailDead", s.MarkMailDead(t.Context(), oldDead.ID, "tok", "x", base))
		durOK(t, "ReleaseMail", s.ReleaseMail(t.Context(), oldPending.ID, "tok", base))
		durOK(t, "MarkMailSent", s.MarkMailSent(t.Context(), newSent.ID, "tok", base.Add(48*time.Hour), ""))
		n, err := s.PurgeMail(t.Context(), base.Add(24*time.Hour))
		durOK(t, "PurgeMail", err)
		if n != 2 {
			t.Fatalf("PurgeMail deleted %d, want 2", n)
		}
		for _, gone := range []string{oldSent.ID, oldDead.ID} {
			_, err := s.MailByID(t.Context(), gone)
			durWantKind(t, err, fault.NotFound)
		}
		outboxGet(t, s, oldPending.ID)
		outboxGet(t, s, newSent.ID)
	})
}
