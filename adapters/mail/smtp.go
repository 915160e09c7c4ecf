package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/ports"
)

// SMTP TLS modes.
const (
	// TLSStartTLS upgrades a plain connection with STARTTLS and refuses a
	// server that does not offer it.
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (usually port 465).
	TLSImplicit = "tls"
	// TLSNone sends in the clear (a local relay such as Mailpit on 1025).
	TLSNone = "none"
)

// SMTP authentication mechanisms.
const (
	AuthAuto  = "auto" // the strongest mechanism the server offers
	AuthPlain = "plain"
	AuthLogin = "login"
)

// SMTPConfig configures the SMTP provider.
type SMTPConfig struct {
	Host string
	Port int
	// Username and Password enable SMTP AUTH (with Username set).
	Username string
	Password string
	// TLS is TLSStartTLS (default), TLSImplicit or TLSNone.
	TLS string
	// Auth is AuthAuto (default), AuthPlain or AuthLogin.
	Auth string
	// Timeout bounds connecting and each command (30 s).
	Timeout time.Duration
	// TLSConfig, when set, is used for TLS (private CAs, tests); its
	// ServerName defaults to Host. Certificates are always verified.
	TLSConfig *tls.Config
	// HELO is the name the client greets with (default: go-mail's).
	HELO string
}

// SMTP sends through an SMTP server with wneessen/go-mail, one connection
// per message. It is safe for concurrent use.
type SMTP struct {
	cfg  SMTPConfig
	from From
}

var _ ports.MailSender = (*SMTP)(nil)

// NewSMTP checks the configuration and returns the provider; it does not
// connect.
func NewSMTP(cfg SMTPConfig, from From) (*SMTP, error) {
	const op = "mail.NewSMTP"
	var v fault.Validation
	if strings.TrimSpace(cfg.Host) == "" {
		v.Add("host", "Required")
	}
	if cfg.Port <= 0 || cfg.Port > 65535 {
		v.Add("port", "Must be between 1 and 65535")
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = TLSStartTLS
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		v.Add("tls", "Must be starttls, tls or none")
	}
	switch cfg.Auth {
	case "":
		cfg.Auth = AuthAuto
	case AuthAuto, AuthPlain, AuthLogin:
	default:
		v.Add("auth", "Must be auto, plain or login")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if err := v.Err(op); err != nil {
		return nil, err
	}
	if err := from.Validate(); err != nil {
		return nil, err
	}
	return &SMTP{cfg: cfg, from: from}, nil
}

func (s *SMTP) options() []gomail.Option {
	c := s.cfg
	opts := []gomail.Option{gomail.WithPort(c.Port), gomail.WithTimeout(c.Timeout)}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.TLSConfig != nil {
		tc = c.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = c.Host
	}
	switch c.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSConfig(tc))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory), gomail.WithTLSConfig(tc))
	}
	if c.Username != "" {
		mech := gomail.SMTPAuthAutoDiscover
		switch c.Auth {
		case AuthPlain:
			mech = gomail.SMTPAuthPlain
		case AuthLogin:
			mech = gomail.SMTPAuthLogin
		}
		opts = append(opts, gomail.WithSMTPAuth(mech), gomail.WithUsername(c.Username), gomail.WithPassword(c.Password))
	}
	if c.HELO != "" {
		opts = append(opts, gomail.WithHELO(c.HELO))
	}
	return opts
}

// Send delivers m: a multipart/alternative message (text, then HTML) whose
// Message-ID is built from m.ID. The provider ID is that Message-ID.
// SMTP replies 5xx and refused configurations are permanent (Invalid),
// 4xx, network errors and timeouts temporary (Unavailable).
func (s *SMTP) Send(ctx context.Context, m message.Rendered) (string, error) {
	const op = "mail.SMTP.Send"
	msg, err := buildMsg(s.from, m)
	if err != nil {
		return "", err
	}
	client, err := gomail.NewClient(s.cfg.Host, s.options()...)
	if err != nil {
		return "", &fault.Error{Op: op, Kind: fault.Invalid, Msg: "The SMTP settings are invalid", Err: err}
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return "", smtpError(op, err)
	}
	return "<" + s.from.messageID(m) + ">", nil
}

// smtpError classifies an SMTP failure. A reply code decides when there is
// one (5xx permanent, 4xx temporary); refused mechanisms and policies are
// permanent; everything else (the network, timeouts) is temporary. The
// text never holds the password (go-mail does not log AUTH data).
func smtpError(op string, err error) error {
	permanent := func() error {
		return &fault.Error{Op: op, Kind: fault.Invalid, Msg: "The SMTP server refused the message", Err: err}
	}
	temporary := func() error {
		return &fault.Error{Op: op, Kind: fault.Unavailable, Msg: "The SMTP server is unavailable", Err: err}
	}
	var tp *textproto.Error
	if errors.As(err, &tp) {
		if tp.Code >= 500 {
			return permanent()
		}
		return temporary()
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		switch code := se.ErrorCode(); {
		case code >= 500:
			return permanent()
		case code >= 400:
			return temporary()
		}
		if se.Reason == gomail.ErrGetSender || se.Reason == gomail.ErrGetRcpts || se.Reason == gomail.ErrNoUnencoded {
			return permanent()
		}
		return temporary()
	}
	for _, refused := range []error{
		gomail.ErrPlainAuthNotSupported, gomail.ErrLoginAuthNotSupported, gomail.ErrNoSupportedAuthDiscovered,
		gosmtp.ErrUnencrypted, gosmtp.ErrWrongHostname,
	} {
		if errors.Is(err, refused) {
			return permanent()
		}
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return temporary()
	}
	if strings.Contains(err.Error(), "does not support STARTTLS") || strings.Contains(err.Error(), "server does not support SMTP AUTH") {
		return permanent()
	}
	return temporary()
}

// buildMsg builds the MIME message of m from f: From (with name), To (with
// name), Reply-To, Subject, Date, a Message-ID from the outbox ID,
// Auto-Submitted (RFC 3834, so auto-responders stay quiet) and a
// multipart/alternative body with the plain text first and the HTML last
// (clients show the last part they can). go-mail encodes every header, so
// a name or subject cannot inject one. Invalid when an address is refused.
func buildMsg(f From, m message.Rendered) (*gomail.Msg, error) {
	const op = "mail.buildMsg"
	msg := gomail.NewMsg()
	invalid := func(field string, err error) error {
		return &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed",
			Fields: map[string][]string{field: {"Not a valid email address"}}, Err: err}
	}
	if err := msg.FromFormat(oneLineText(f.Name), f.Address); err != nil {
		return nil, invalid("from", err)
	}
	if err := msg.AddToFormat(oneLineText(m.Email.ToName), m.Email.To); err != nil {
		return nil, invalid("to", err)
	}
	if f.ReplyTo != "" {
		if err := msg.ReplyTo(f.ReplyTo); err != nil {
			return nil, invalid("reply_to", err)
		}
	}
	msg.Subject(oneLineText(m.Subject))
	msg.SetMessageIDWithValue(f.messageID(m))
	msg.SetDate()
	msg.SetUserAgent("Secuird")
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	if m.Email.Template != "" {
		msg.SetGenHeader("X-Secuird-Template", m.Email.Template)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// String names the provider and its server for logs (never the password).
func (s *SMTP) String() string {
	return fmt.Sprintf("smtp://%s:%d (tls=%s)", s.cfg.Host, s.cfg.Port, s.cfg.TLS)
}
