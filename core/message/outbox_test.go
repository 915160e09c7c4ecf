package message_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	ok := message.Email{To: "ada@example.com", ToName: "Ada\tLovelace", Template: message.VerifyEmail,
		Vars: map[string]string{"org_name": "Acme\r\nCorp", "link": "https://x.example/?a=1&b=2"}}
	if err := ok.Check("test"); err != nil {
		t.Fatalf("a valid message was refused: %v", err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(*message.Email)
		field string
	}{
		{"refuses an empty recipient", func(m *message.Email) { m.To = " " }, "to"},
		{"refuses two recipients", func(m *message.Email) { m.To = "a@example.com, b@example.com" }, "to"},
		{"refuses a recipient with a line break", func(m *message.Email) { m.To = "a@example.com\nBcc: b@example.com" }, "to"},
		{"refuses an over-long recipient", func(m *message.Email) { m.To = strings.Repeat("a", 250) + "@example.com" }, "to"},
		{"refuses a name with CR/LF", func(m *message.Email) { m.ToName = "Eve\r\nBcc: x@example.com" }, "to_name"},
		{"refuses a name with a Unicode line separator", func(m *message.Email) { m.ToName = "Eve\u2028Bcc" }, "to_name"},
		{"refuses an unknown template", func(m *message.Email) { m.Template = "nope" }, "template"},
		{"refuses invalid UTF-8 in a value", func(m *message.Email) { m.Vars["name"] = "\xff" }, "vars.name"},
		{"refuses a NUL byte in a value", func(m *message.Email) { m.Vars["name"] = "a\x00" }, "vars.name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := ok
			m.Vars = map[string]string{"org_name": "x"}
			tc.edit(&m)
			fe := fault.As(m.Check("test"))
			if fe == nil || fe.Kind != fault.Invalid || len(fe.Fields[tc.field]) == 0 {
				t.Fatalf("Check = %v, want Invalid on %s", fe, tc.field)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	m := message.Email{Vars: map[string]string{"link": "secret", "name": "Ada"}, Sensitive: []string{"link", "absent"}}
	r := m.Redact()
	if r.Vars["link"] != message.Redacted || r.Vars["name"] != "Ada" || len(r.Vars) != 2 {
		t.Fatalf("Redact = %v", r.Vars)
	}
	if m.Vars["link"] != "secret" {
		t.Fatal("Redact changed the original")
	}
}

func TestIsPermanent(t *testing.T) {
	t.Parallel()
	for k, want := range map[fault.Kind]bool{
		fault.Invalid: true, fault.NotFound: true, fault.Conflict: true, fault.Unauthenticated: true, fault.Forbidden: true,
		fault.Unavailable: false, fault.RateLimited: false, fault.Internal: false,
	} {
		if got := message.IsPermanent(fault.E("p", k, "")); got != want {
			t.Errorf("IsPermanent(%v) = %v, want %v", k, got, want)
		}
	}
	if message.IsPermanent(nil) || message.IsPermanent(errors.New("network")) {
		t.Error("nil or an unclassified error is permanent")
	}
}

func TestTemplatesAreKnown(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, n := range message.Templates() {
		if seen[n] || !message.Known(n) {
			t.Errorf("template %q duplicated or unknown", n)
		}
		seen[n] = true
	}
	if len(seen) != 14 {
		t.Errorf("%d templates, want 14", len(seen))
	}
}
