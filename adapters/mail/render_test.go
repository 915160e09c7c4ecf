package mail_test

import (
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/secuird/secuird/adapters/mail"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/web"
)

// update rewrites the golden files: go test ./adapters/mail -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func newRenderer(t *testing.T, b mail.Brand) *mail.Renderer {
	t.Helper()
	r, err := mail.NewRenderer(b, web.Emails())
	if err != nil {
		t.Fatalf("NewRenderer: %v", err)
	}
	return r
}

// goldenBrand is the brand of the golden files: a support address so that
// the footers show it.
func goldenBrand() mail.Brand {
	b := mail.DefaultBrand()
	b.SupportEmail = "support@example.com"
	b.URL = "https://id.example.com"
	return b
}

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	r := newRenderer(t, goldenBrand())
	for _, name := range message.Templates() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m, ok := mail.Sample(name)
			if !ok {
				t.Fatalf("no sample for %s", name)
			}
			out, err := r.Render(m)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			golden(t, name+".txt", "Subject: "+out.Subject+"\n\n"+out.Text)
			golden(t, name+".html", out.HTML)
		})
	}
}

func golden(t *testing.T, file, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", file)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n--- got ---\n%s", file, got)
	}
}

func TestRenderEveryMessageMeetsTheHouseRules(t *testing.T) {
	t.Parallel()
	r := newRenderer(t, mail.DefaultBrand())
	for _, name := range message.Templates() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m, _ := mail.Sample(name)
			out, err := r.Render(m)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.Subject, "Secuird") && !strings.Contains(out.Subject, "Acme Corp") && !strings.Contains(out.Subject, "Alan Turing") {
				t.Errorf("subject %q names neither the brand nor the organization", out.Subject)
			}
			for part, body := range map[string]string{"text": out.Text, "html": out.HTML} {
				if !strings.Contains(body, "Secuird") {
					t.Errorf("%s part does not carry the brand", part)
				}
				if link := m.Vars["link"]; link != "" && !strings.Contains(body, htmlEscapeAmp(part, link)) {
					t.Errorf("%s part lacks the link %s", part, link)
				}
				if exp := m.Vars["expires_in"]; exp != "" && !strings.Contains(body, "expires in") {
					t.Errorf("%s part does not state the link's lifetime", part)
				}
			}
			if m.Vars["link"] != "" && !strings.Contains(out.HTML, "copy this link") {
				t.Error("HTML part does not repeat the link as plain text")
			}
			if !strings.Contains(out.HTML, "<table role=\"presentation\"") || strings.Contains(out.HTML, "<style") || strings.Contains(out.HTML, "<script") {
				t.Error("HTML part is not table-laid out with inline styles only")
			}
		})
	}
}

// htmlEscapeAmp returns link as it appears in a part: HTML escapes "&".
func htmlEscapeAmp(part, link string) string {
	if part == "html" {
		return strings.ReplaceAll(link, "&", "&amp;")
	}
	return link
}

func TestRenderSecurityMessagesSayWhatToDoIfItWasNotYou(t *testing.T) {
	t.Parallel()
	r := newRenderer(t, mail.DefaultBrand())
	for _, name := range []string{
		message.VerifyEmail, message.PasswordReset, message.PasswordChanged, message.NewSignIn,
		message.MFAEnabled, message.MFADisabled, message.BackupCodeUsed, message.OrgInvite,
	} {
		m, _ := mail.Sample(name)
		out, err := r.Render(m)
		if err != nil {
			t.Fatal(err)
		}
		for part, body := range map[string]string{"text": out.Text, "html": out.HTML} {
			low := strings.ToLower(strings.ReplaceAll(body, "&#39;", "'"))
			if !strings.Contains(low, "didn't") && !strings.Contains(low, "wasn't you") && !strings.Contains(low, "not expecting") {
				t.Errorf("%s %s part has no \"didn't request this?\" line", name, part)
			}
		}
	}
}

func TestRenderEscapesEveryValue(t *testing.T) {
	t.Parallel()
	r := newRenderer(t, mail.DefaultBrand())
	hostile := `<script>alert("x")</script>`
	m := message.Email{To: "a@example.com", Template: message.OrgInvite, Vars: map[string]string{
		"name":         hostile,
		"org_name":     "Evil\r\nBcc: victim@example.com <b>Corp</b>",
		"inviter_name": `" onmouseover="alert(1)`,
		"role":         "admin & owner",
		"link":         `javascript:alert(document.cookie)`,
		"expires_in":   "7 days",
	}}
	out, err := r.Render(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", `" onmouseover="`, "<b>Corp</b>", `href="javascript:`, "admin & owner"} {
		if strings.Contains(out.HTML, bad) {
			t.Errorf("HTML part contains %q unescaped", bad)
		}
	}
	for _, good := range []string{"&lt;script&gt;", "&lt;b&gt;Corp&lt;/b&gt;", "admin &amp; owner", "#ZgotmplZ"} {
		if !strings.Contains(out.HTML, good) {
			t.Errorf("HTML part lacks the escaped form %q", good)
		}
	}
	if strings.ContainsAny(out.Subject, "\r\n") || out.Subject != "You're invited to join Evil Bcc: victim@example.com <b>Corp</b> on Secuird" {
		t.Errorf("subject %q is not one line", out.Subject)
	}
	// Plain text needs no escaping: the value is shown as typed.
	if !strings.Contains(out.Text, hostile) {
		t.Errorf("text part altered the value: %s", out.Text)
	}
}

func TestRenderBrand(t *testing.T) {
	t.Parallel()
	r := newRenderer(t, mail.Brand{Name: "Acme ID", LogoURL: "https://cdn.example.com/logo.png", PrimaryColor: "#ff6600", SupportEmail: "help@acme.example"})
	m, _ := mail.Sample(message.VerifyEmail)
	out, err := r.Render(m)
	if err != nil {
		t.Fatal(err)
	}
	if out.Subject != "Confirm your email address for Acme ID" {
		t.Errorf("subject %q", out.Subject)
	}
	for _, want := range []string{`src="https://cdn.example.com/logo.png"`, `alt="Acme ID"`, "#ff6600", "help@acme.example"} {
		if !strings.Contains(out.HTML, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(out.HTML, "Secuird") || strings.Contains(out.Text, "Secuird") {
		t.Error("the default brand shows through a configured one")
	}
}

func TestRenderRefusesWhatItCannotRender(t *testing.T) {
	t.Parallel()
	r := newRenderer(t, mail.DefaultBrand())
	for _, tc := range []struct {
		name string
		m    message.Email
	}{
		{"rejects an unknown template", message.Email{To: "a@example.com", Template: "nope"}},
		{"rejects a message without a value its template needs", message.Email{To: "a@example.com", Template: message.VerifyEmail, Vars: map[string]string{"expires_in": "1 hour"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := r.Render(tc.m); !fault.Is(err, fault.Invalid) {
				t.Fatalf("Render = %v, want Invalid", err)
			}
		})
	}
}

func TestNewRendererNamesEveryMissingTemplate(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{}
	for _, name := range []string{"layout.html", "layout.txt"} {
		b, err := fs.ReadFile(web.Emails(), name)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: b}
	}
	fsys["verify_email.txt"] = &fstest.MapFile{Data: []byte(`{{define "subject"}}x{{end}}{{define "content"}}y{{end}}`)}
	_, err := mail.NewRenderer(mail.DefaultBrand(), fsys)
	if err == nil {
		t.Fatal("NewRenderer accepted missing templates")
	}
	for _, missing := range []string{"verify_email.html", "password_reset.txt", "test_message.html"} {
		if !strings.Contains(err.Error(), missing) {
			t.Errorf("error does not name %s: %v", missing, err)
		}
	}
}
