package otp_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/secuird/secuird/adapters/otp"
)

func TestKeyURIAndCodesFollowRFC6238(t *testing.T) {
	t.Parallel()
	var o otp.TOTP
	secret, uri, err := o.NewKey("Secuird", "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) != 32 { // 20 bytes in base32
		t.Fatalf("secret length %d, want 32", len(secret))
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("issuer") != "Secuird" || u.Query().Get("secret") != secret {
		t.Fatalf("uri %q", uri)
	}
	// RFC 6238 appendix B, SHA-1: secret "12345678901234567890", T=59 -> 94287082 (8 digits); 6 digits -> 287082.
	code, err := o.Code("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", time.Unix(59, 0))
	if err != nil || code != "287082" {
		t.Fatalf("Code = %q, %v; want 287082", code, err)
	}
	qr, err := o.QRCode(uri)
	if err != nil || !strings.HasPrefix(qr, "data:image/png;base64,") {
		t.Fatalf("QRCode = %.40q, %v", qr, err)
	}
}
