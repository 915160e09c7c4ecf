// Package otp implements ports.OTP with pquerna/otp: RFC 6238 TOTP keys
// (20-byte secrets, SHA-1, 6 digits, 30 s), codes at a given instant, and
// provisioning URIs rendered as PNG QR codes.
package otp

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"time"

	potp "github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/ports"
)

var _ ports.OTP = TOTP{}

// TOTP is the ports.OTP adapter. The zero value is ready.
type TOTP struct{}

var opts = totp.ValidateOpts{Period: uint(mfa.TOTPPeriod / time.Second), Digits: potp.DigitsSix, Algorithm: potp.AlgorithmSHA1}

// NewKey makes a random secret and its otpauth:// URI.
func (TOTP) NewKey(issuer, account string) (string, string, error) {
	k, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: account, Period: opts.Period, SecretSize: 20,
		Digits: opts.Digits, Algorithm: opts.Algorithm,
	})
	if err != nil {
		return "", "", fault.Wrap("otp.NewKey", fault.Internal, err)
	}
	return k.Secret(), k.URL(), nil
}

// Code returns the code of secret at t.
func (TOTP) Code(secret string, t time.Time) (string, error) {
	c, err := totp.GenerateCodeCustom(secret, t, opts)
	if err != nil {
		return "", fault.Wrap("otp.Code", fault.Internal, err)
	}
	return c, nil
}

// QRCode renders uri as a 256x256 PNG data URI.
func (TOTP) QRCode(uri string) (string, error) {
	const op = "otp.QRCode"
	k, err := potp.NewKeyFromURL(uri)
	if err != nil {
		return "", fault.Wrap(op, fault.Internal, err)
	}
	img, err := k.Image(256, 256)
	if err != nil {
		return "", fault.Wrap(op, fault.Internal, err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return "", fault.Wrap(op, fault.Internal, err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes()), nil
}
