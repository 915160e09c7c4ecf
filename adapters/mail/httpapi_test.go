package mail_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secuird/secuird/adapters/mail"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
)

const (
	mailgunKey  = "key-0123456789abcdef-mailgun"
	sendgridKey = "SG.abcdefghijklmnop.sendgrid-secret"
)

// answer is a canned provider response.
type answer struct {
	status int
	header map[string]string
	body   string
	hang   bool // wait until the client gives up
}

func (a answer) write(w http.ResponseWriter, r *http.Request) {
	if a.hang {
		<-r.Context().Done()
		return
	}
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	if strings.HasPrefix(a.body, "{") {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

// mailgunServer checks every request against the documented shape of
// POST /v3/{domain}/messages and answers with a.
func mailgunServer(t *testing.T, a answer, m message.Rendered) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Method != http.MethodPost || r.URL.Path != "/v3/mg.example.com/messages" {
			t.Errorf("request %s %s, want POST /v3/mg.example.com/messages", r.Method, r.URL.Path)
		}
		user, pass, ok := r.BasicAuth()
		if !ok || user != "api" || pass != mailgunKey {
			t.Errorf("basic auth %q/%q, want api and the key", user, pass)
		}
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			t.Errorf("body is not multipart/form-data: %v", err)
		} else {
			f := r.MultipartForm.Value
			one := func(k string) string {
				if len(f[k]) != 1 {
					t.Errorf("form field %s = %q, want one value", k, f[k])
					return ""
				}
				return f[k][0]
			}
			from, err := netmail.ParseAddress(one("from"))
			if err != nil || from.Address != "noreply@example.com" || from.Name != "Secuird Security" {
				t.Errorf("from = %q (%v)", one("from"), err)
			}
			to, err := netmail.ParseAddress(one("to"))
			if err != nil || to.Address != m.Email.To || to.Name != m.Email.ToName {
				t.Errorf("to = %q (%v)", one("to"), err)
			}
			for k, want := range map[string]string{
				"subject":              m.Subject,
				"text":                 m.Text,
				"html":                 m.HTML,
				"h:Reply-To":           "support@example.com",
				"h:Message-Id":         "<" + m.ID + "@example.com>",
				"v:secuird_message_id": m.ID,
			} {
				if got := one(k); got != want {
					t.Errorf("field %s = %q, want %q", k, got, want)
				}
			}
		}
		a.write(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func newMailgun(t *testing.T, base string) *mail.Mailgun {
	t.Helper()
	g, err := mail.NewMailgun(mail.MailgunConfig{APIKey: mailgunKey, Domain: "mg.example.com", BaseURL: base}, testFrom())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// providerCase is one documented answer and what Send must make of it.
type providerCase struct {
	name       string
	answer     answer
	wantID     string
	wantKind   fault.Kind // checked when wantErr
	wantErr    bool
	permanent  bool
	retryAfter time.Duration
}

func checkProviderResult(t *testing.T, tc providerCase, id string, err error, secret string) {
	t.Helper()
	if !tc.wantErr {
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		if id != tc.wantID {
			t.Fatalf("provider ID %q, want %q", id, tc.wantID)
		}
		return
	}
	if err == nil {
		t.Fatal("Send succeeded")
	}
	if k := fault.KindOf(err); k != tc.wantKind || message.IsPermanent(err) != tc.permanent {
		t.Fatalf("Send = %v: kind %v (permanent %v), want %v (permanent %v)", err, k, message.IsPermanent(err), tc.wantKind, tc.permanent)
	}
	if tc.retryAfter > 0 {
		if fe := fault.As(err); fe == nil || fe.RetryAfter != tc.retryAfter {
			t.Errorf("RetryAfter = %v, want %v", fe.RetryAfter, tc.retryAfter)
		}
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatal("the API key is in the error text")
	}
}

func TestMailgun(t *testing.T) {
	t.Parallel()
	cases := []providerCase{
		{name: "a queued message returns Mailgun's ID",
			answer: answer{status: 200, body: `{"id":"<20250314150926.1.ABC@mg.example.com>","message":"Queued. Thank you."}`},
			wantID: "<20250314150926.1.ABC@mg.example.com>"},
		{name: "400 (a bad parameter) is permanent",
			answer:  answer{status: 400, body: `{"message":"'to' parameter is not a valid address. please check documentation"}`},
			wantErr: true, wantKind: fault.Invalid, permanent: true},
		{name: "401 (a wrong key) is permanent",
			answer:  answer{status: 401, body: "Forbidden"},
			wantErr: true, wantKind: fault.Unauthenticated, permanent: true},
		{name: "404 (an unknown domain) is permanent",
			answer:  answer{status: 404, body: `{"message":"Domain not found: mg.example.com"}`},
			wantErr: true, wantKind: fault.Invalid, permanent: true},
		{name: "429 is temporary and keeps Retry-After",
			answer:  answer{status: 429, header: map[string]string{"Retry-After": "7"}, body: `{"message":"Too many requests"}`},
			wantErr: true, wantKind: fault.Unavailable, retryAfter: 7 * time.Second},
		{name: "500 is temporary",
			answer:  answer{status: 500, body: `{"message":"Internal Server Error"}`},
			wantErr: true, wantKind: fault.Unavailable},
		{name: "503 is temporary",
			answer:  answer{status: 503, body: "Service Unavailable"},
			wantErr: true, wantKind: fault.Unavailable},
		{name: "a provider that hangs is temporary",
			answer:  answer{hang: true},
			wantErr: true, wantKind: fault.Unavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := rendered(t)
			srv, calls := mailgunServer(t, tc.answer, m)
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			if tc.answer.hang {
				ctx, cancel = context.WithTimeout(t.Context(), 200*time.Millisecond)
			}
			defer cancel()
			id, err := newMailgun(t, srv.URL).Send(ctx, m)
			checkProviderResult(t, tc, id, err, mailgunKey)
			if calls.Load() != 1 {
				t.Errorf("%d requests, want 1", calls.Load())
			}
		})
	}
}

func TestMailgunConfiguration(t *testing.T) {
	t.Parallel()
	_, err := mail.NewMailgun(mail.MailgunConfig{BaseURL: "ftp://x"}, testFrom())
	fe := fault.As(err)
	if fe == nil || len(fe.Fields["api_key"]) == 0 || len(fe.Fields["domain"]) == 0 || len(fe.Fields["api_base"]) == 0 {
		t.Fatalf("NewMailgun = %v, want every bad setting named", err)
	}
	for _, base := range []string{"", mail.MailgunUS, mail.MailgunEU} {
		g, err := mail.NewMailgun(mail.MailgunConfig{APIKey: mailgunKey, Domain: "mg.example.com", BaseURL: base}, testFrom())
		if err != nil {
			t.Fatalf("NewMailgun(%q): %v", base, err)
		}
		if s := g.String(); strings.Contains(s, mailgunKey) {
			t.Errorf("String() shows the key: %s", s)
		}
	}
}

// sendgridRequest is the documented v3 Mail Send body.
type sendgridRequest struct {
	Personalizations []struct {
		To []struct {
			Email string `json:"email"`
			Name  string `json:"name"`
		} `json:"to"`
	} `json:"personalizations"`
	From struct {
		Email string `json:"email"`
		Name  string `json:"name"`
	} `json:"from"`
	ReplyTo *struct {
		Email string `json:"email"`
	} `json:"reply_to"`
	Subject string `json:"subject"`
	Content []struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"content"`
	CustomArgs map[string]string `json:"custom_args"`
}

func sendgridServer(t *testing.T, a answer, m message.Rendered) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Method != http.MethodPost || r.URL.Path != "/v3/mail/send" {
			t.Errorf("request %s %s, want POST /v3/mail/send", r.Method, r.URL.Path)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+sendgridKey {
			t.Errorf("Authorization %q, want the bearer key", got)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		var body sendgridRequest
		dec := json.NewDecoder(r.Body)
		if err := dec.Decode(&body); err != nil {
			t.Errorf("body is not JSON: %v", err)
		}
		if len(body.Personalizations) != 1 || len(body.Personalizations[0].To) != 1 ||
			body.Personalizations[0].To[0].Email != m.Email.To || body.Personalizations[0].To[0].Name != m.Email.ToName {
			t.Errorf("personalizations %+v", body.Personalizations)
		}
		if body.From.Email != "noreply@example.com" || body.From.Name != "Secuird Security" {
			t.Errorf("from %+v", body.From)
		}
		if body.ReplyTo == nil || body.ReplyTo.Email != "support@example.com" {
			t.Errorf("reply_to %+v", body.ReplyTo)
		}
		if body.Subject != m.Subject {
			t.Errorf("subject %q", body.Subject)
		}
		if len(body.Content) != 2 || body.Content[0].Type != "text/plain" || body.Content[0].Value != m.Text ||
			body.Content[1].Type != "text/html" || body.Content[1].Value != m.HTML {
			t.Errorf("content: want text/plain then text/html with the rendered bodies")
		}
		if body.CustomArgs["secuird_message_id"] != m.ID {
			t.Errorf("custom_args %v, want the idempotency key", body.CustomArgs)
		}
		a.write(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestSendGrid(t *testing.T) {
	t.Parallel()
	cases := []providerCase{
		{name: "202 Accepted returns X-Message-Id",
			answer: answer{status: 202, header: map[string]string{"X-Message-Id": "W86EgYT6SQKk0lRflfLRsA"}},
			wantID: "W86EgYT6SQKk0lRflfLRsA"},
		{name: "400 (a field is invalid) is permanent",
			answer:  answer{status: 400, body: `{"errors":[{"message":"The from email does not contain a valid address.","field":"from.email","help":"http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.from"}]}`},
			wantErr: true, wantKind: fault.Invalid, permanent: true},
		{name: "401 (a wrong key) is permanent",
			answer:  answer{status: 401, body: `{"errors":[{"field":null,"message":"authorization required"}]}`},
			wantErr: true, wantKind: fault.Unauthenticated, permanent: true},
		{name: "403 (an unverified sender) is permanent",
			answer:  answer{status: 403, body: `{"errors":[{"message":"The from address does not match a verified Sender Identity.","field":"from","help":null}]}`},
			wantErr: true, wantKind: fault.Forbidden, permanent: true},
		{name: "413 (too large) is permanent",
			answer:  answer{status: 413, body: `{"errors":[{"message":"The JSON payload you have included in your request is too large."}]}`},
			wantErr: true, wantKind: fault.Invalid, permanent: true},
		{name: "429 is temporary and keeps Retry-After",
			answer:  answer{status: 429, header: map[string]string{"Retry-After": "12"}, body: `{"errors":[{"message":"too many requests"}]}`},
			wantErr: true, wantKind: fault.Unavailable, retryAfter: 12 * time.Second},
		{name: "500 is temporary",
			answer:  answer{status: 500, body: `{"errors":[{"message":"internal error"}]}`},
			wantErr: true, wantKind: fault.Unavailable},
		{name: "a provider that hangs is temporary",
			answer:  answer{hang: true},
			wantErr: true, wantKind: fault.Unavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := rendered(t)
			srv, calls := sendgridServer(t, tc.answer, m)
			g, err := mail.NewSendGrid(mail.SendGridConfig{APIKey: sendgridKey, BaseURL: srv.URL}, testFrom())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			if tc.answer.hang {
				ctx, cancel = context.WithTimeout(t.Context(), 200*time.Millisecond)
			}
			defer cancel()
			id, err := g.Send(ctx, m)
			checkProviderResult(t, tc, id, err, sendgridKey)
			if calls.Load() != 1 {
				t.Errorf("%d requests, want 1", calls.Load())
			}
		})
	}
}

func TestSendGridConfiguration(t *testing.T) {
	t.Parallel()
	_, err := mail.NewSendGrid(mail.SendGridConfig{BaseURL: "::"}, testFrom())
	fe := fault.As(err)
	if fe == nil || len(fe.Fields["api_key"]) == 0 || len(fe.Fields["api_base"]) == 0 {
		t.Fatalf("NewSendGrid = %v, want every bad setting named", err)
	}
	g, err := mail.NewSendGrid(mail.SendGridConfig{APIKey: sendgridKey}, testFrom())
	if err != nil || strings.Contains(g.String(), sendgridKey) {
		t.Fatalf("NewSendGrid with defaults: %v %v", g, err)
	}
}
