package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/ports"
)

// SendGrid API base URLs.
const (
	SendGridGlobal = "https://api.sendgrid.com"
	SendGridEU     = "https://api.eu.sendgrid.com"
)

// SendGridConfig configures the SendGrid provider.
type SendGridConfig struct {
	// APIKey is a key with the Mail Send permission.
	APIKey string
	// BaseURL is SendGridGlobal (default) or SendGridEU, or a test server.
	BaseURL string
	// Client is the HTTP client (default: 30 s timeout).
	Client *http.Client
}

// SendGrid sends through the SendGrid v3 Mail Send API: POST
// {base}/v3/mail/send with a bearer key and a JSON body; 202 Accepted
// means queued. It is safe for concurrent use.
type SendGrid struct {
	cfg    SendGridConfig
	from   From
	client *http.Client
	url    string
}

var _ ports.MailSender = (*SendGrid)(nil)

// NewSendGrid checks the configuration and returns the provider.
func NewSendGrid(cfg SendGridConfig, from From) (*SendGrid, error) {
	const op = "mail.NewSendGrid"
	var v fault.Validation
	if strings.TrimSpace(cfg.APIKey) == "" {
		v.Add("api_key", "Required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = SendGridGlobal
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		v.Add("api_base", "Must be an http(s) URL such as "+SendGridGlobal)
	}
	if err := v.Err(op); err != nil {
		return nil, err
	}
	if err := from.Validate(); err != nil {
		return nil, err
	}
	return &SendGrid{cfg: cfg, from: from, client: newHTTPClient(cfg.Client),
		url: strings.TrimRight(cfg.BaseURL, "/") + "/v3/mail/send"}, nil
}

type sgAddress struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
}

type sgContent struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type sgPersonalization struct {
	To []sgAddress `json:"to"`
}

type sgMail struct {
	Personalizations []sgPersonalization `json:"personalizations"`
	From             sgAddress           `json:"from"`
	ReplyTo          *sgAddress          `json:"reply_to,omitempty"`
	Subject          string              `json:"subject"`
	Content          []sgContent         `json:"content"`
	Categories       []string            `json:"categories,omitempty"`
	CustomArgs       map[string]string   `json:"custom_args,omitempty"`
}

// Send posts m and returns SendGrid's X-Message-Id. The outbox ID travels
// in custom_args (secuird_message_id), which SendGrid repeats in its event
// webhooks. SendGrid requires the text/plain content before text/html.
func (g *SendGrid) Send(ctx context.Context, m message.Rendered) (string, error) {
	const op = "mail.SendGrid.Send"
	body := sgMail{
		Personalizations: []sgPersonalization{{To: []sgAddress{{Email: m.Email.To, Name: oneLineText(m.Email.ToName)}}}},
		From:             sgAddress{Email: g.from.Address, Name: oneLineText(g.from.Name)},
		Subject:          oneLineText(m.Subject),
		Content:          []sgContent{{Type: "text/plain", Value: m.Text}},
		CustomArgs:       map[string]string{"secuird_message_id": m.ID},
	}
	if m.HTML != "" {
		body.Content = append(body.Content, sgContent{Type: "text/html", Value: m.HTML})
	}
	if m.Email.Template != "" {
		body.Categories = []string{"secuird-" + m.Email.Template}
	}
	if g.from.ReplyTo != "" {
		body.ReplyTo = &sgAddress{Email: g.from.ReplyTo}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return "", fault.Internalf(op, "encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url, bytes.NewReader(raw))
	if err != nil {
		return "", fault.Internalf(op, "build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+g.cfg.APIKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := g.client.Do(req)
	if err != nil {
		return "", providerTransportError(op, "sendgrid", err)
	}
	defer resp.Body.Close()
	answer := readBody(resp.Body)
	if resp.StatusCode/100 != 2 {
		return "", providerStatusError(op, "sendgrid", resp, answer)
	}
	return resp.Header.Get("X-Message-Id"), nil
}

// String names the provider for logs (never the key).
func (g *SendGrid) String() string { return "sendgrid via " + g.cfg.BaseURL }
