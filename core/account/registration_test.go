package account_test

import (
	"context"
	"testing"
)

// TestRegistrationLoginResult checks that a registration hands the hosted
// pages the same session a login result would carry.
func TestRegistrationLoginResult(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.register(t, "lr@example.com")
	lr := r.LoginResult()
	if lr.Token == "" || lr.Token != r.Token || lr.Session.ID != r.Session.ID || lr.User.ID != r.User.ID || lr.Pending != nil {
		t.Fatalf("LoginResult = %+v, registration %+v", lr, r)
	}
	// Without MFA wiring nothing restricts the first session.
	if lr.RequiresMFAEnrollment || lr.Session.ComplianceOnly || lr.Compliance != nil {
		t.Fatalf("restricted first session without a policy: %+v", lr)
	}
	if _, err := e.svc.Authenticate(context.Background(), lr.Token); err != nil {
		t.Fatalf("the registration's session does not authenticate: %v", err)
	}
}
