package mail_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/secuird/secuird/adapters/mail"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
)

func TestConsoleLogsTheMessage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		email  message.Email
		wantTo string
	}{
		{
			name: "logs template, recipient and link",
			email: message.Email{To: "bob@acme-corp.com", Template: message.VerifyEmail,
				Vars: map[string]string{"link": "http://localhost:8080/verify-email?token=abc", "name": "Bob"}},
			wantTo: "bob@acme-corp.com",
		},
		{
			name:   "shows the recipient's name when there is one",
			email:  message.Email{To: "bob@acme-corp.com", ToName: "Bob Builder", Template: message.PasswordChanged},
			wantTo: "Bob Builder <bob@acme-corp.com>",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			c := mail.NewConsole(slog.New(slog.NewJSONHandler(&buf, nil)))
			if err := c.Enqueue(t.Context(), tc.email); err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
			var rec struct {
				Level    string            `json:"level"`
				Msg      string            `json:"msg"`
				Template string            `json:"template"`
				To       string            `json:"to"`
				Vars     map[string]string `json:"vars"`
			}
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("log line %q: %v", buf.String(), err)
			}
			if rec.Level != "INFO" || rec.Msg != mail.ConsoleLogMessage || rec.Template != tc.email.Template || rec.To != tc.wantTo {
				t.Errorf("logged %+v", rec)
			}
			for k, v := range tc.email.Vars {
				if rec.Vars[k] != v {
					t.Errorf("vars[%q] = %q, want %q", k, rec.Vars[k], v)
				}
			}
		})
	}
}

func TestConsoleTextOutputShowsTheLink(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	c := mail.NewConsole(slog.New(slog.NewTextHandler(&buf, nil)))
	link := "http://localhost:8080/reset-password?token=xyz"
	err := c.Enqueue(t.Context(), message.Email{To: "a@b.c", Template: message.PasswordReset, Vars: map[string]string{"link": link}})
	if err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, "vars.link=\""+link+"\"") || !strings.Contains(out, "template=password_reset") {
		t.Errorf("console output lacks the link or template: %s", out)
	}
}

func TestEnqueueRejectsIncompleteMessages(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		email message.Email
		field string
	}{
		{"rejects a message without recipient", message.Email{Template: message.VerifyEmail}, "to"},
		{"rejects a message without template", message.Email{To: "a@b.c"}, "template"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			console := mail.NewConsole(slog.New(slog.NewTextHandler(&buf, nil)))
			rec := mail.NewRecorder()
			for name, err := range map[string]error{
				"console":  console.Enqueue(t.Context(), tc.email),
				"recorder": rec.Enqueue(t.Context(), tc.email),
			} {
				fe := fault.As(err)
				if fe == nil || fe.Kind != fault.Invalid || len(fe.Fields[tc.field]) == 0 {
					t.Errorf("%s: err = %v, want Invalid on %s", name, err, tc.field)
				}
			}
			if buf.Len() != 0 || len(rec.Messages()) != 0 {
				t.Error("an invalid message was delivered")
			}
		})
	}
}
