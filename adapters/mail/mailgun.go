package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	netmail "net/mail"
	"net/url"
	"strings"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/ports"
)

// Mailgun API base URLs: a sending domain lives in one region.
const (
	MailgunUS = "https://api.mailgun.net"
	MailgunEU = "https://api.eu.mailgun.net"
)

// MailgunConfig configures the Mailgun provider.
type MailgunConfig struct {
	// APIKey is the private API key or a domain sending key.
	APIKey string
	// Domain is the sending domain (mg.example.com).
	Domain string
	// BaseURL is MailgunUS (default) or MailgunEU, or a test server.
	BaseURL string
	// Client is the HTTP client (default: 30 s timeout).
	Client *http.Client
}

// Mailgun sends through the Mailgun messages API: POST
// {base}/v3/{domain}/messages with HTTP basic auth (user "api", the key as
// password) and a multipart/form-data body. It is safe for concurrent use.
type Mailgun struct {
	cfg    MailgunConfig
	from   From
	client *http.Client
	url    string
}

var _ ports.MailSender = (*Mailgun)(nil)

// NewMailgun checks the configuration and returns the provider.
func NewMailgun(cfg MailgunConfig, from From) (*Mailgun, error) {
	const op = "mail.NewMailgun"
	var v fault.Validation
	if strings.TrimSpace(cfg.APIKey) == "" {
		v.Add("api_key", "Required")
	}
	if strings.TrimSpace(cfg.Domain) == "" || strings.ContainsAny(cfg.Domain, "/?#@ ") {
		v.Add("domain", "Required: the sending domain, such as mg.example.com")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = MailgunUS
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		v.Add("api_base", "Must be an http(s) URL such as "+MailgunUS+" or "+MailgunEU)
	}
	if err := v.Err(op); err != nil {
		return nil, err
	}
	if err := from.Validate(); err != nil {
		return nil, err
	}
	return &Mailgun{
		cfg: cfg, from: from, client: newHTTPClient(cfg.Client),
		url: strings.TrimRight(cfg.BaseURL, "/") + "/v3/" + url.PathEscape(cfg.Domain) + "/messages",
	}, nil
}

// Send posts m and returns Mailgun's message ID. The outbox ID travels as
// the Message-ID header (h:Message-Id) and as the custom variable
// v:secuird_message_id, which Mailgun repeats in its events and webhooks.
func (g *Mailgun) Send(ctx context.Context, m message.Rendered) (string, error) {
	const op = "mail.Mailgun.Send"
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fields := [][2]string{
		{"from", (&netmail.Address{Name: oneLineText(g.from.Name), Address: g.from.Address}).String()},
		{"to", (&netmail.Address{Name: oneLineText(m.Email.ToName), Address: m.Email.To}).String()},
		{"subject", oneLineText(m.Subject)},
		{"text", m.Text},
		{"html", m.HTML},
		{"h:Message-Id", "<" + g.from.messageID(m) + ">"},
		{"h:Auto-Submitted", "auto-generated"},
		{"v:secuird_message_id", m.ID},
		{"o:tag", "secuird-" + m.Email.Template},
	}
	if g.from.ReplyTo != "" {
		fields = append(fields, [2]string{"h:Reply-To", g.from.ReplyTo})
	}
	for _, f := range fields {
		if f[1] == "" {
			continue
		}
		if err := w.WriteField(f[0], f[1]); err != nil {
			return "", fault.Internalf(op, "build form: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return "", fault.Internalf(op, "build form: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url, &body)
	if err != nil {
		return "", fault.Internalf(op, "build request: %w", err)
	}
	req.SetBasicAuth("api", g.cfg.APIKey)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	resp, err := g.client.Do(req)
	if err != nil {
		return "", providerTransportError(op, "mailgun", err)
	}
	defer resp.Body.Close()
	raw := readBody(resp.Body)
	if resp.StatusCode/100 != 2 {
		return "", providerStatusError(op, "mailgun", resp, raw)
	}
	var ok struct {
		ID      string `json:"id"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(raw, &ok) // accepted either way; the ID is a nicety
	return ok.ID, nil
}

// String names the provider for logs (never the key).
func (g *Mailgun) String() string { return "mailgun " + g.cfg.Domain + " via " + g.cfg.BaseURL }
