package mfa_test

import (
	"slices"
	"testing"
	"time"

	"github.com/secuird/secuird/core/mfa"
)

var t0 = time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)

func TestNeedOf(t *testing.T) {
	t.Parallel()
	none, totp, pk, both := mfa.Methods{}, mfa.Methods{TOTP: true}, mfa.Methods{WebAuthn: true}, mfa.Methods{TOTP: true, WebAuthn: true}
	ov := func(m mfa.OverrideMode, ft, fw bool) *mfa.Override {
		return &mfa.Override{Mode: m, ForceTOTP: ft, ForceWebAuthn: fw}
	}
	tests := []struct {
		name string
		mode mfa.Mode
		o    *mfa.Override
		ok   []mfa.Methods
		bad  []mfa.Methods
	}{
		{"disabled requires nothing", mfa.ModeDisabled, nil, []mfa.Methods{none}, nil},
		{"optional requires nothing", mfa.ModeOptional, nil, []mfa.Methods{none}, nil},
		{"require_totp needs TOTP", mfa.ModeRequireTOTP, nil, []mfa.Methods{totp, both}, []mfa.Methods{none, pk}},
		{"require_webauthn needs a passkey", mfa.ModeRequireWebAuthn, nil, []mfa.Methods{pk, both}, []mfa.Methods{none, totp}},
		{"either one satisfies require_totp_or_webauthn", mfa.ModeRequireTOTPOrWebAuthn, nil, []mfa.Methods{totp, pk, both}, []mfa.Methods{none}},
		{"exempt override wins over the org mode", mfa.ModeRequireWebAuthn, ov(mfa.OverrideExempt, true, true), []mfa.Methods{none}, nil},
		{"required override on an optional org needs either", mfa.ModeOptional, ov(mfa.OverrideRequired, false, false), []mfa.Methods{totp, pk}, []mfa.Methods{none}},
		{"inherit keeps the org mode", mfa.ModeRequireTOTP, ov(mfa.OverrideInherit, false, false), []mfa.Methods{totp}, []mfa.Methods{pk}},
		{"force_webauthn adds a passkey to require_totp", mfa.ModeRequireTOTP, ov(mfa.OverrideInherit, false, true), []mfa.Methods{both}, []mfa.Methods{totp, pk}},
		{"force_totp on an optional org needs TOTP", mfa.ModeOptional, ov(mfa.OverrideInherit, true, false), []mfa.Methods{totp}, []mfa.Methods{pk, none}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := mfa.NeedOf(mfa.Policy{Mode: tt.mode}, tt.o)
			for _, m := range tt.ok {
				if !n.SatisfiedBy(m) {
					t.Errorf("%+v not satisfied by %+v", n, m)
				}
			}
			for _, m := range tt.bad {
				if n.SatisfiedBy(m) {
					t.Errorf("%+v satisfied by %+v", n, m)
				}
			}
		})
	}
}

func TestEvaluateTransitions(t *testing.T) {
	t.Parallel()
	p := mfa.Policy{OrgID: "o", Mode: mfa.ModeRequireTOTP, GraceDays: 14, NotifyDaysBefore: 7, Version: 1}
	need := mfa.NeedOf(p, nil)
	none, totp := mfa.Methods{}, mfa.Methods{TOTP: true}

	c := mfa.Evaluate(nil, "o", "u", p, need, none, t0)
	if c.Status != mfa.StatusInGrace || !c.DeadlineAt.Equal(t0.Add(14*24*time.Hour)) {
		t.Fatalf("new requirement: %+v", c)
	}
	// The deadline stays while the policy version is unchanged.
	later := mfa.Evaluate(&c, "o", "u", p, need, none, t0.Add(24*time.Hour))
	if !later.DeadlineAt.Equal(*c.DeadlineAt) || later.Status != mfa.StatusInGrace {
		t.Fatalf("re-evaluation moved the deadline: %+v", later)
	}
	if got := c.At(t0.Add(15 * 24 * time.Hour)); got != mfa.StatusPastDue {
		t.Fatalf("after the deadline At = %s, want past_due", got)
	}
	overdue := mfa.Evaluate(&c, "o", "u", p, need, none, t0.Add(15*24*time.Hour))
	if overdue.Status != mfa.StatusPastDue {
		t.Fatalf("overdue evaluation: %s", overdue.Status)
	}
	sus, ok := mfa.Suspend(overdue, t0.Add(15*24*time.Hour))
	if !ok || sus.Status != mfa.StatusSuspended || sus.SuspendedAt == nil {
		t.Fatalf("Suspend = %+v, %v", sus, ok)
	}
	if _, ok := mfa.Suspend(c, t0); ok {
		t.Fatal("suspended a record in grace")
	}
	// A policy change does not lift a suspension; compliance does.
	p2 := p
	p2.Version = 2
	still := mfa.Evaluate(&sus, "o", "u", p2, need, none, t0.Add(16*24*time.Hour))
	if still.Status != mfa.StatusSuspended {
		t.Fatalf("policy change lifted the suspension: %s", still.Status)
	}
	ok2 := mfa.Evaluate(&sus, "o", "u", p2, need, totp, t0.Add(16*24*time.Hour))
	if ok2.Status != mfa.StatusCompliant || ok2.SuspendedAt != nil || ok2.DeadlineAt != nil {
		t.Fatalf("enrolment did not restore: %+v", ok2)
	}
	// Exempt: not applicable.
	if e := mfa.Evaluate(&sus, "o", "u", p2, mfa.Need{}, none, t0); e.Status != mfa.StatusNotApplicable {
		t.Fatalf("exempt: %s", e.Status)
	}
	// No grace: pending with the deadline now, which is past due at once.
	p0 := p
	p0.GraceDays = 0
	z := mfa.Evaluate(nil, "o", "u", p0, need, none, t0)
	if z.Status != mfa.StatusPending || z.At(t0) != mfa.StatusPastDue {
		t.Fatalf("no grace: %+v at %s", z, z.At(t0))
	}
	// A new policy version restarts the grace period of a waiting record.
	v2 := mfa.Evaluate(&c, "o", "u", p2, need, none, t0.Add(10*24*time.Hour))
	if !v2.DeadlineAt.Equal(t0.Add(24 * 24 * time.Hour)) {
		t.Fatalf("new version deadline %v", v2.DeadlineAt)
	}
}

func TestReminderDue(t *testing.T) {
	t.Parallel()
	p := mfa.Policy{Mode: mfa.ModeRequireTOTP, GraceDays: 14, NotifyDaysBefore: 7, Version: 1}
	c := mfa.Evaluate(nil, "o", "u", p, mfa.NeedOf(p, nil), mfa.Methods{}, t0)
	tests := []struct {
		name string
		at   time.Time
		last *time.Time
		want bool
	}{
		{"not before the notify window", t0.Add(6 * 24 * time.Hour), nil, false},
		{"inside the window", t0.Add(8 * 24 * time.Hour), nil, true},
		{"at most once a day", t0.Add(8 * 24 * time.Hour), ptr(t0.Add(8*24*time.Hour - time.Hour)), false},
		{"again a day later", t0.Add(9 * 24 * time.Hour), ptr(t0.Add(8 * 24 * time.Hour)), true},
		{"not once past due", t0.Add(15 * 24 * time.Hour), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cc := c
			cc.LastNotifiedAt = tt.last
			if got := mfa.ReminderDue(cc, p, tt.at); got != tt.want {
				t.Fatalf("ReminderDue = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCombineTakesTheStrictestStatus(t *testing.T) {
	t.Parallel()
	d1, d2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
	rows := []mfa.OrgStanding{
		{OrgID: "a", Status: mfa.StatusCompliant},
		{OrgID: "b", Status: mfa.StatusInGrace, Record: mfa.Compliance{DeadlineAt: &d2}, Missing: []string{"totp_or_webauthn"}},
		{OrgID: "c", Status: mfa.StatusPastDue, Record: mfa.Compliance{DeadlineAt: &d1}, Missing: []string{"webauthn"}},
	}
	a := mfa.Combine(rows)
	if a.Overall != mfa.StatusPastDue || !a.Restricted() || !a.Deadline.Equal(d1) || !slices.Equal(a.Missing, []string{"webauthn"}) {
		t.Fatalf("Combine = %+v", a)
	}
	if e := mfa.Combine(nil); e.Overall != mfa.StatusNotApplicable || e.Restricted() {
		t.Fatalf("no orgs: %+v", e)
	}
	sus := mfa.Combine(append(rows, mfa.OrgStanding{OrgID: "d", Status: mfa.StatusSuspended}))
	if sus.Overall != mfa.StatusSuspended {
		t.Fatalf("suspended does not win: %s", sus.Overall)
	}
}

func TestAMR(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    []mfa.Factor
		uv   bool
		want []string
	}{
		{"password only", []mfa.Factor{mfa.FactorPassword}, false, []string{"pwd"}},
		{"password and TOTP", []mfa.Factor{mfa.FactorPassword, mfa.FactorOTP}, false, []string{"pwd", "otp", "mfa"}},
		{"passkey with user verification", []mfa.Factor{mfa.FactorHWK}, true, []string{"hwk", "mfa"}},
		{"passkey without user verification", []mfa.Factor{mfa.FactorSWK}, false, []string{"swk"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := mfa.AMR(tt.f, tt.uv); !slices.Equal(got, tt.want) {
				t.Fatalf("AMR = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCodeFormats(t *testing.T) {
	t.Parallel()
	if c, ok := mfa.NormalizeBackupCode(" abcd-ef01 2345 6789 "); !ok || c != "ABCDEF0123456789" {
		t.Fatalf("NormalizeBackupCode = %q, %v", c, ok)
	}
	if _, ok := mfa.NormalizeBackupCode("XYZ"); ok {
		t.Fatal("accepted a malformed backup code")
	}
	if !mfa.ValidTOTPCode("012345") || mfa.ValidTOTPCode("12345a") || mfa.ValidTOTPCode("1234567") {
		t.Fatal("ValidTOTPCode")
	}
}

func ptr(t time.Time) *time.Time { return &t }
