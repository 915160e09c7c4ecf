// Package backchannel delivers OIDC back-channel logout tokens to relying
// parties over HTTP, safely: the resolved address of every connection is
// checked at dial time (so DNS rebinding cannot slip past), loopback,
// private, link-local, unspecified and multicast targets are refused
// unless AllowPrivate is set (development only:
// SECUIRD_OIDC_ALLOW_PRIVATE_BACKCHANNEL=true), no redirect is followed,
// and every delivery times out.
package backchannel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/secuird/secuird/ports"
)

// Options configure the sender.
type Options struct {
	// AllowPrivate permits loopback and private targets (development).
	AllowPrivate bool
	// Timeout bounds one delivery (5 s).
	Timeout time.Duration
}

// Sender implements ports.BackchannelSender.
type Sender struct {
	client *http.Client
}

var _ ports.BackchannelSender = (*Sender)(nil)

// ErrForbiddenTarget is returned for a target address that is not allowed.
var ErrForbiddenTarget = errors.New("back-channel logout target is a loopback, private or link-local address")

// New builds a sender.
func New(o Options) *Sender {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	dialer := &net.Dialer{Timeout: o.Timeout, Control: func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return ErrForbiddenTarget
		}
		if !o.AllowPrivate && forbidden(ip.Unmap()) {
			return ErrForbiddenTarget
		}
		return nil
	}}
	tr := &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: o.Timeout, ResponseHeaderTimeout: o.Timeout,
		MaxIdleConns: 10, IdleConnTimeout: 30 * time.Second, Proxy: nil}
	return &Sender{client: &http.Client{Transport: tr, Timeout: o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// forbidden reports whether ip is not a public unicast address.
func forbidden(ip netip.Addr) bool {
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip) || // carrier-grade NAT
		netip.MustParsePrefix("0.0.0.0/8").Contains(ip)
}

// SendLogoutToken POSTs logout_token (form-encoded) to uri and expects a
// 2xx answer (OIDC Back-Channel Logout 2.5, 2.8).
func (s *Sender) SendLogoutToken(ctx context.Context, uri, logoutToken string) error {
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return fmt.Errorf("back-channel logout URI is not an http(s) URL")
	}
	body := url.Values{"logout_token": {logoutToken}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cache-Control", "no-store")
	res, err := s.client.Do(req)
	if err != nil {
		if errors.Is(err, ErrForbiddenTarget) {
			return ErrForbiddenTarget
		}
		return fmt.Errorf("back-channel logout delivery failed: %w", unwrapURL(err))
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("back-channel logout answered %d", res.StatusCode)
	}
	return nil
}

// unwrapURL drops the URL (which may carry query data) from a client error.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
