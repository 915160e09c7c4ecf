package mail_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secuird/secuird/adapters/mail"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
)

func TestFileWritesOneEMLPerMessage(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "mail")
	f, err := mail.NewFile(dir, testFrom())
	if err != nil {
		t.Fatal(err)
	}
	m := rendered(t)
	path, err := f.Send(t.Context(), m)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if path != filepath.Join(dir, m.ID+".eml") {
		t.Fatalf("wrote %s", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := parseMIME(t, data)
	if decodeHeader(t, p.header.Get("Subject")) != m.Subject || p.header.Get("Message-Id") != "<"+m.ID+"@example.com>" {
		t.Errorf("headers %v", p.header)
	}
	if norm(p.parts["text/plain"]) != norm(m.Text) || norm(p.parts["text/html"]) != norm(m.HTML) {
		t.Error("bodies differ from the rendering")
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm()&0o077 != 0 {
		t.Errorf("file mode %v (%v): want it private", st.Mode(), err)
	}
	// A resend replaces the file: the directory never holds a message twice.
	if _, err := f.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("%d files after a resend, want 1", len(entries))
	}
}

func TestFileKeepsIDsInsideItsDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f, err := mail.NewFile(dir, testFrom())
	if err != nil {
		t.Fatal(err)
	}
	m := rendered(t)
	m.ID = "../../etc/passwd"
	path, err := f.Send(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(path) != dir {
		t.Fatalf("wrote outside the directory: %s", path)
	}
}

func TestConsoleSendLogsAReadableRendering(t *testing.T) {
	t.Parallel()
	m := rendered(t)
	link := m.Email.Vars["link"]
	for _, tc := range []struct {
		name     string
		hide     bool
		wantLink bool
	}{
		{"shows the link in development", false, true},
		{"hides the link elsewhere", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			c := mail.NewConsole(slog.New(slog.NewJSONHandler(&buf, nil)))
			if tc.hide {
				c = c.HideSecrets()
			}
			if _, err := c.Send(t.Context(), m); err != nil {
				t.Fatal(err)
			}
			var rec struct {
				Msg     string            `json:"msg"`
				Subject string            `json:"subject"`
				Text    string            `json:"text"`
				To      string            `json:"to"`
				Vars    map[string]string `json:"vars"`
			}
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("log line %q: %v", buf.String(), err)
			}
			if rec.Msg != mail.ConsoleLogMessage || rec.Subject != m.Subject || !strings.Contains(rec.Text, "reset the password") || rec.To != "Zoë Ärger <"+m.Email.To+">" {
				t.Errorf("logged %+v", rec)
			}
			if shown := strings.Contains(buf.String(), link); shown != tc.wantLink {
				t.Errorf("link shown = %v, want %v", shown, tc.wantLink)
			}
			if tc.hide && (rec.Vars["link"] != message.Redacted || !strings.Contains(rec.Text, message.Redacted)) {
				t.Errorf("secrets not replaced: %+v", rec)
			}
		})
	}
}

func TestConsoleEnqueueCanHideSecrets(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	c := mail.NewConsole(slog.New(slog.NewTextHandler(&buf, nil))).HideSecrets()
	m, _ := mail.Sample(message.VerifyEmail)
	if err := c.Enqueue(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), m.Vars["link"]) || !strings.Contains(buf.String(), message.Redacted) {
		t.Fatalf("logged %s", buf.String())
	}
}

func TestRecorderSendRecordsTheRendering(t *testing.T) {
	t.Parallel()
	r := mail.NewRecorder()
	m := rendered(t)
	id, err := r.Send(t.Context(), m)
	if err != nil || id == "" {
		t.Fatalf("Send = %q, %v", id, err)
	}
	got, err := r.Wait(t.Context(), m.Email.To, message.PasswordReset)
	if err != nil || got.Vars["link"] != m.Email.Vars["link"] {
		t.Fatalf("Wait = %+v, %v", got, err)
	}
	rs := r.Rendered()
	if len(rs) != 1 || rs[0].ID != m.ID || rs[0].Subject != m.Subject || rs[0].HTML != m.HTML {
		t.Fatalf("Rendered() = %+v", rs)
	}
	if _, err := r.Send(t.Context(), message.Rendered{}); !fault.Is(err, fault.Invalid) {
		t.Fatalf("Send of an empty message = %v", err)
	}
}

// scripted is a provider that answers with err (nil: success).
type scripted struct {
	id    string
	err   error
	calls int
}

func (s *scripted) Send(context.Context, message.Rendered) (string, error) {
	s.calls++
	return s.id, s.err
}

func TestFallback(t *testing.T) {
	t.Parallel()
	permanent := fault.E("test", fault.Unauthenticated, "bad key")
	temporary := fault.E("test", fault.Unavailable, "down")
	cases := []struct {
		name          string
		primary       error
		secondary     error
		wantID        string
		wantSecondary int
		wantKind      fault.Kind
		wantErr       bool
	}{
		{"uses the primary when it works", nil, nil, "p", 0, 0, false},
		{"falls back when the primary refuses for good", permanent, nil, "s", 1, 0, false},
		{"keeps a temporary failure for the outbox to retry", temporary, nil, "", 0, fault.Unavailable, true},
		{"reports the fallback's failure when both fail", permanent, temporary, "", 1, fault.Unavailable, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, s := &scripted{id: "p", err: tc.primary}, &scripted{id: "s", err: tc.secondary}
			id, err := (&mail.Fallback{Primary: p, Secondary: s}).Send(t.Context(), rendered(t))
			if (err != nil) != tc.wantErr || id != tc.wantID && !tc.wantErr || s.calls != tc.wantSecondary || p.calls != 1 {
				t.Fatalf("Send = %q, %v; primary %d calls, secondary %d", id, err, p.calls, s.calls)
			}
			if tc.wantErr && fault.KindOf(err) != tc.wantKind {
				t.Fatalf("kind %v, want %v", fault.KindOf(err), tc.wantKind)
			}
			if tc.primary != nil && tc.secondary != nil && !errors.Is(err, tc.primary) {
				t.Error("the primary's failure is lost")
			}
		})
	}
}
