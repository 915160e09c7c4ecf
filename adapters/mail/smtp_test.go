package mail_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/secuird/secuird/adapters/mail"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
)

// selfSigned returns a server certificate for 127.0.0.1 and localhost and
// a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "secuird test smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// received is one message as the test server got it.
type received struct {
	from    string
	to      []string
	data    []byte
	user    string // the authenticated user, "" without AUTH
	mech    string
	overTLS bool
}

// smtpServer is an in-process SMTP server (emersion/go-smtp).
type smtpServer struct {
	host, port string
	mu         sync.Mutex
	got        []received
	user, pass string
	// rcptErr, when set, answers every RCPT TO.
	rcptErr error
}

type smtpOpts struct {
	startTLS bool // offer STARTTLS
	implicit bool // speak TLS from the first byte
	rcptErr  error
}

func startSMTP(t *testing.T, o smtpOpts) (*smtpServer, *x509.CertPool) {
	t.Helper()
	cert, pool := selfSigned(t)
	srv := &smtpServer{user: "mailer", pass: "s3cret-smtp-pass", rcptErr: o.rcptErr}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: srv, conn: c}, nil
	}))
	s.Domain = "localhost"
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.AllowInsecureAuth = false // AUTH only over TLS
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if o.startTLS {
		s.TLSConfig = tc
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.implicit {
		s.TLSConfig = tc
		ln = tls.NewListener(ln, tc)
	}
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
	srv.host, srv.port, _ = net.SplitHostPort(ln.Addr().String())
	return srv, pool
}

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

func (s *smtpServer) portNumber(t *testing.T) int {
	n, err := strconv.Atoi(s.port)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

type smtpSession struct {
	srv  *smtpServer
	conn *smtp.Conn
	cur  received
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain, sasl.Login} }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != s.srv.user || pass != s.srv.pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		s.cur.user, s.cur.mech = user, mech
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, errors.New("unsupported mechanism")
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.srv.rcptErr != nil {
		return s.srv.rcptErr
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	_, s.cur.overTLS = s.conn.TLSConnectionState()
	s.srv.mu.Lock()
	s.srv.got = append(s.srv.got, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset() {
	user, mech := s.cur.user, s.cur.mech
	s.cur = received{user: user, mech: mech}
}

func (s *smtpSession) Logout() error { return nil }

// loginServer is the server side of the (non-standard but common) LOGIN
// mechanism, which go-sasl implements only for clients.
type loginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if len(response) > 0 { // initial response carries the user name
			l.user = string(response)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.user = string(response)
		l.step++
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(response))
	}
}

func testFrom() mail.From {
	return mail.From{Address: "noreply@example.com", Name: "Secuird Security", ReplyTo: "support@example.com"}
}

// rendered is a realistic rendered message for the providers' tests.
func rendered(t *testing.T) message.Rendered {
	t.Helper()
	r := newRenderer(t, mail.DefaultBrand())
	m, _ := mail.Sample(message.PasswordReset)
	m.ToName = "Zoë Ärger"
	out, err := r.Render(m)
	if err != nil {
		t.Fatal(err)
	}
	out.ID = "0b6b5f3e-5d8b-4f0e-9a4e-3c2d1b0a9f88"
	return out
}

// parsed is a received message taken apart.
type parsed struct {
	header netmail.Header
	parts  map[string]string // content type -> decoded body
	order  []string
}

func parseMIME(t *testing.T, data []byte) parsed {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v\n%s", err, data)
	}
	p := parsed{header: msg.Header, parts: map[string]string{}}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q, want multipart/alternative", msg.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		var body io.Reader = part
		switch strings.ToLower(part.Header.Get("Content-Transfer-Encoding")) {
		case "quoted-printable":
			body = quotedprintable.NewReader(part)
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, part)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		p.parts[ct] = string(b)
		p.order = append(p.order, ct)
	}
	return p
}

func decodeHeader(t *testing.T, v string) string {
	t.Helper()
	d, err := new(mime.WordDecoder).DecodeHeader(v)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSMTPDelivers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		opts smtpOpts
		tls  string
		auth string
		mech string
	}{
		{"STARTTLS with AUTH PLAIN", smtpOpts{startTLS: true}, mail.TLSStartTLS, mail.AuthPlain, sasl.Plain},
		{"STARTTLS with AUTH LOGIN", smtpOpts{startTLS: true}, mail.TLSStartTLS, mail.AuthLogin, sasl.Login},
		{"implicit TLS with AUTH PLAIN", smtpOpts{implicit: true}, mail.TLSImplicit, mail.AuthPlain, sasl.Plain},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, pool := startSMTP(t, tc.opts)
			s, err := mail.NewSMTP(mail.SMTPConfig{
				Host: srv.host, Port: srv.portNumber(t), Username: srv.user, Password: srv.pass,
				TLS: tc.tls, Auth: tc.auth, Timeout: 10 * time.Second,
				TLSConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
			}, testFrom())
			if err != nil {
				t.Fatal(err)
			}
			m := rendered(t)
			id, err := s.Send(t.Context(), m)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if id != "<"+m.ID+"@example.com>" {
				t.Errorf("provider ID %q, want the Message-ID", id)
			}
			got := srv.messages()
			if len(got) != 1 {
				t.Fatalf("server received %d messages", len(got))
			}
			r := got[0]
			if !r.overTLS || r.user != srv.user || r.mech != tc.mech {
				t.Errorf("received over TLS=%v as %q with %q, want TLS as %q with %s", r.overTLS, r.user, r.mech, srv.user, tc.mech)
			}
			if r.from != "noreply@example.com" || len(r.to) != 1 || r.to[0] != m.Email.To {
				t.Errorf("envelope from %q to %v", r.from, r.to)
			}
			p := parseMIME(t, r.data)
			h := p.header
			for name, want := range map[string]string{
				"From":           `"Secuird Security" <noreply@example.com>`,
				"Reply-To":       "<support@example.com>",
				"Subject":        m.Subject,
				"Message-Id":     "<" + m.ID + "@example.com>",
				"Auto-Submitted": "auto-generated",
			} {
				if got := decodeHeader(t, h.Get(name)); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			to, err := h.AddressList("To")
			if err != nil || len(to) != 1 || to[0].Name != "Zoë Ärger" || to[0].Address != m.Email.To {
				t.Errorf("To = %v (%v)", to, err)
			}
			if _, err := h.Date(); err != nil {
				t.Errorf("Date: %v", err)
			}
			if len(p.order) != 2 || p.order[0] != "text/plain" || p.order[1] != "text/html" {
				t.Fatalf("parts %v, want text/plain then text/html", p.order)
			}
			if norm(p.parts["text/plain"]) != norm(m.Text) || norm(p.parts["text/html"]) != norm(m.HTML) {
				t.Errorf("bodies differ from the rendering:\n%s", p.parts["text/plain"])
			}
			if bytes.Contains(r.data, []byte(srv.pass)) {
				t.Error("the SMTP password is in the message")
			}
		})
	}
}

// norm ignores line-ending differences introduced by transfer encoding.
func norm(s string) string { return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n") }

func TestSMTPClassifiesFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		opts      smtpOpts
		tls       string
		password  string
		permanent bool
	}{
		{"a wrong password is permanent", smtpOpts{startTLS: true}, mail.TLSStartTLS, "wrong", true},
		{"a refused recipient (550) is permanent", smtpOpts{startTLS: true, rcptErr: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}}, mail.TLSStartTLS, "", true},
		{"a deferred recipient (451) is temporary", smtpOpts{startTLS: true, rcptErr: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}}, mail.TLSStartTLS, "", false},
		{"a server without STARTTLS is refused for good", smtpOpts{}, mail.TLSStartTLS, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, pool := startSMTP(t, tc.opts)
			pass := srv.pass
			if tc.password != "" {
				pass = tc.password
			}
			s, err := mail.NewSMTP(mail.SMTPConfig{
				Host: srv.host, Port: srv.portNumber(t), Username: srv.user, Password: pass, TLS: tc.tls, Timeout: 10 * time.Second,
				TLSConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
			}, testFrom())
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Send(t.Context(), rendered(t))
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if message.IsPermanent(err) != tc.permanent {
				t.Fatalf("Send = %v (kind %v): permanent = %v, want %v", err, fault.KindOf(err), message.IsPermanent(err), tc.permanent)
			}
			if strings.Contains(err.Error(), "s3cret-smtp-pass") {
				t.Fatal("the error text holds the password")
			}
			if len(srv.messages()) != 0 {
				t.Fatal("a refused message was delivered")
			}
		})
	}
}

func TestSMTPUnreachableOrHangingServerIsTemporary(t *testing.T) {
	t.Parallel()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := port(t, closed.Addr())
	_ = closed.Close()

	// A server that accepts and then says nothing.
	hang, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hang.Close() })
	var conns sync.WaitGroup
	go func() {
		for {
			c, err := hang.Accept()
			if err != nil {
				return
			}
			conns.Go(func() { _, _ = io.Copy(io.Discard, c); _ = c.Close() })
		}
	}()

	for name, p := range map[string]int{"connection refused": closedPort, "silent server": port(t, hang.Addr())} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := mail.NewSMTP(mail.SMTPConfig{Host: "127.0.0.1", Port: p, TLS: mail.TLSNone, Timeout: 300 * time.Millisecond}, testFrom())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			_, err = s.Send(ctx, rendered(t))
			if !fault.Is(err, fault.Unavailable) {
				t.Fatalf("Send = %v, want Unavailable", err)
			}
		})
	}
}

func port(t *testing.T, a net.Addr) int {
	t.Helper()
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		t.Fatalf("address %v is not TCP", a)
	}
	return ta.Port
}

func TestSMTPHeadersCannotBeInjected(t *testing.T) {
	t.Parallel()
	srv, pool := startSMTP(t, smtpOpts{startTLS: true})
	s, err := mail.NewSMTP(mail.SMTPConfig{
		Host: srv.host, Port: srv.portNumber(t), TLS: mail.TLSStartTLS, Timeout: 10 * time.Second,
		TLSConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}, mail.From{Address: "noreply@example.com", Name: "Secuird"})
	if err != nil {
		t.Fatal(err)
	}
	m := rendered(t)
	// A rendering that bypassed the renderer's one-line subject.
	m.Subject = "Hello\r\nBcc: victim@example.com\r\nX-Evil: 1"
	m.Email.ToName = "Eve\r\nCc: other@example.com"
	if _, err := s.Send(t.Context(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.messages()
	if len(got) != 1 {
		t.Fatalf("received %d", len(got))
	}
	p := parseMIME(t, got[0].data)
	for _, h := range []string{"Bcc", "Cc", "X-Evil"} {
		if v := p.header.Get(h); v != "" {
			t.Errorf("injected header %s: %q", h, v)
		}
	}
	if len(got[0].to) != 1 {
		t.Errorf("envelope recipients %v", got[0].to)
	}
}

func TestNewSMTPNamesEveryBadSetting(t *testing.T) {
	t.Parallel()
	_, err := mail.NewSMTP(mail.SMTPConfig{Port: 0, TLS: "ssl", Auth: "cram"}, testFrom())
	fe := fault.As(err)
	if fe == nil || fe.Kind != fault.Invalid {
		t.Fatalf("NewSMTP = %v, want Invalid", err)
	}
	for _, f := range []string{"host", "port", "tls", "auth"} {
		if len(fe.Fields[f]) == 0 {
			t.Errorf("no problem reported for %s: %v", f, err)
		}
	}
	if _, err := mail.NewSMTP(mail.SMTPConfig{Host: "h", Port: 25}, mail.From{Address: "not an address"}); !fault.Is(err, fault.Invalid) {
		t.Errorf("a bad From address was accepted: %v", err)
	}
}
