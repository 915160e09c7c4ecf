package mail_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/secuird/secuird/adapters/mail"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
)

func email(to, template, link string) message.Email {
	return message.Email{To: to, Template: template, Vars: map[string]string{"link": link}}
}

func enqueue(t *testing.T, r *mail.Recorder, ms ...message.Email) {
	t.Helper()
	for _, m := range ms {
		if err := r.Enqueue(t.Context(), m); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
	}
}

func TestRecorderMessagesKeepsOrder(t *testing.T) {
	t.Parallel()
	var r mail.Recorder // the zero value works
	enqueue(t, &r, email("a@x.io", message.VerifyEmail, "1"), email("b@x.io", message.PasswordReset, "2"))
	got := r.Messages()
	if len(got) != 2 || got[0].Vars["link"] != "1" || got[1].Vars["link"] != "2" {
		t.Fatalf("Messages() = %+v", got)
	}
}

func TestRecorderLast(t *testing.T) {
	t.Parallel()
	r := mail.NewRecorder()
	enqueue(t, r,
		email("bob@x.io", message.VerifyEmail, "first"),
		email("alice@x.io", message.VerifyEmail, "other"),
		email("bob@x.io", message.PasswordReset, "second"),
	)
	cases := []struct {
		name     string
		to       string
		wantLink string
		wantOK   bool
	}{
		{"returns the newest message to the address", "bob@x.io", "second", true},
		{"ignores the address's case", "BOB@X.IO", "second", true},
		{"reports no message for an unknown address", "carol@x.io", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, ok := r.Last(tc.to)
			if ok != tc.wantOK || m.Vars["link"] != tc.wantLink {
				t.Errorf("Last(%q) = (%+v, %v)", tc.to, m, ok)
			}
		})
	}
}

func TestRecorderIsolatesCopies(t *testing.T) {
	t.Parallel()
	r := mail.NewRecorder()
	m := email("a@x.io", message.VerifyEmail, "original")
	enqueue(t, r, m)
	m.Vars["link"] = "changed by the sender"
	got, _ := r.Last("a@x.io")
	got.Vars["link"] = "changed by the reader"
	if again, _ := r.Last("a@x.io"); again.Vars["link"] != "original" {
		t.Errorf("recorded message changed to %q", again.Vars["link"])
	}
}

func TestRecorderWait(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		before   []message.Email // recorded before Wait
		after    []message.Email // recorded while Wait waits
		template string
		wantLink string
	}{
		{
			name:     "returns a message that is already there",
			before:   []message.Email{email("a@x.io", message.VerifyEmail, "v")},
			template: message.VerifyEmail, wantLink: "v",
		},
		{
			name:     "waits for a message that arrives later",
			after:    []message.Email{email("a@x.io", message.VerifyEmail, "late")},
			template: message.VerifyEmail, wantLink: "late",
		},
		{
			name:   "skips other recipients and templates",
			before: []message.Email{email("a@x.io", message.VerifyEmail, "wrong template")},
			after: []message.Email{
				email("b@x.io", message.PasswordReset, "wrong recipient"),
				email("A@X.io", message.PasswordReset, "reset"),
			},
			template: message.PasswordReset, wantLink: "reset",
		},
		{
			name:     "matches any template when none is given",
			after:    []message.Email{email("a@x.io", message.PasswordChanged, "any")},
			template: "", wantLink: "any",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := mail.NewRecorder()
			enqueue(t, r, tc.before...)
			go func() {
				time.Sleep(10 * time.Millisecond)
				for _, m := range tc.after {
					_ = r.Enqueue(context.Background(), m)
				}
			}()
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			m, err := r.Wait(ctx, "a@x.io", tc.template)
			if err != nil {
				t.Fatalf("Wait: %v", err)
			}
			if m.Vars["link"] != tc.wantLink {
				t.Errorf("Wait returned link %q, want %q", m.Vars["link"], tc.wantLink)
			}
		})
	}
}

func TestRecorderWaitGivesUpWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	r := mail.NewRecorder()
	enqueue(t, r, email("a@x.io", message.VerifyEmail, "v"))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err := r.Wait(ctx, "a@x.io", message.PasswordReset)
	if !fault.Is(err, fault.Unavailable) {
		t.Fatalf("Wait = %v, want Unavailable", err)
	}
}

func TestRecorderReset(t *testing.T) {
	t.Parallel()
	r := mail.NewRecorder()
	enqueue(t, r, email("a@x.io", message.VerifyEmail, "v"))
	r.Reset()
	if n := len(r.Messages()); n != 0 {
		t.Errorf("%d messages after Reset", n)
	}
	if _, ok := r.Last("a@x.io"); ok {
		t.Error("Last found a message after Reset")
	}
}

func TestRecorderUnderConcurrentUse(t *testing.T) {
	t.Parallel()
	r := mail.NewRecorder()
	const n = 50
	var wg sync.WaitGroup
	for i := range n {
		to := fmt.Sprintf("user%d@x.io", i)
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			if _, err := r.Wait(ctx, to, message.VerifyEmail); err != nil {
				t.Errorf("Wait(%s): %v", to, err)
			}
		})
		wg.Go(func() {
			if err := r.Enqueue(t.Context(), email(to, message.VerifyEmail, to)); err != nil {
				t.Errorf("Enqueue: %v", err)
			}
			_ = r.Messages()
		})
	}
	wg.Wait()
	if got := len(r.Messages()); got != n {
		t.Errorf("recorded %d messages, want %d", got, n)
	}
}
