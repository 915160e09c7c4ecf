package porttest

// The MFA suites cover MFAStore (TOTP methods, backup codes, passkeys),
// MFAPolicyStore (policies, overrides, compliance records) and Lease.
// Besides round trips and fault kinds they check the single-use rules under
// concurrency (a TOTP step and a backup code are accepted once) and tenant
// isolation of policies and compliance records.

import (
	"bytes"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/ports"
)

// MFAStoreUnderTest is every port the MFA suites need.
type MFAStoreUnderTest interface {
	ports.Transactor
	ports.UserStore
	ports.OrgStore
	ports.MembershipStore
	ports.MFAStore
	ports.MFAPolicyStore
	ports.Lease
}

// RunMFA runs RunMFAStore, RunMFAPolicyStore and RunLease in parallel
// subtests against stores from open (fresh, migrated, empty).
func RunMFA(t *testing.T, open func(t *testing.T) MFAStoreUnderTest) {
	t.Run("MFAStore", func(t *testing.T) {
		t.Parallel()
		RunMFAStore(t, open)
	})
	t.Run("MFAPolicyStore", func(t *testing.T) {
		t.Parallel()
		RunMFAPolicyStore(t, open)
	})
	t.Run("Lease", func(t *testing.T) {
		t.Parallel()
		RunLease(t, open)
	})
}

func mfaSampleTOTP(userID string) mfa.TOTP {
	return mfa.TOTP{UserID: userID, SealedSecret: []byte{1, 2, 3, 0, 255}, SealKeyID: "v1", CreatedAt: durBase, UpdatedAt: durBase}
}

// RunMFAStore checks TOTP methods, backup codes and passkeys.
func RunMFAStore(t *testing.T, open func(t *testing.T) MFAStoreUnderTest) {
	t.Run("TOTP round trip, verification and replay refusal", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ctx := t.Context()
		u := durCreateUser(t, s)
		_, err := s.TOTPMethod(ctx, u.ID)
		durWantKind(t, err, fault.NotFound)
		durWantKind(t, s.AcceptTOTPStep(ctx, u.ID, 5, durBase), fault.NotFound)
		durOK(t, "PutTOTPMethod", s.PutTOTPMethod(ctx, mfaSampleTOTP(u.ID), []string{"h1", "h2"}))
		got, err := s.TOTPMethod(ctx, u.ID)
		durOK(t, "TOTPMethod", err)
		if !bytes.Equal(got.SealedSecret, []byte{1, 2, 3, 0, 255}) || got.SealKeyID != "v1" || got.Verified() {
			t.Fatalf("TOTPMethod = %+v", got)
		}
		durCheckTime(t, "CreatedAt", got.CreatedAt, durBase)
		// Unverified: steps are not accepted yet.
		durWantKind(t, s.AcceptTOTPStep(ctx, u.ID, 5, durBase), fault.NotFound)
		durOK(t, "MarkTOTPVerified", s.MarkTOTPVerified(ctx, u.ID, 10, durBase))
		durWantKind(t, s.MarkTOTPVerified(ctx, u.ID, 11, durBase), fault.NotFound)
		got, _ = s.TOTPMethod(ctx, u.ID)
		if !got.Verified() || got.LastStep != 10 {
			t.Fatalf("after MarkTOTPVerified: %+v", got)
		}
		durWantKind(t, s.AcceptTOTPStep(ctx, u.ID, 10, durBase), fault.Conflict)
		durWantKind(t, s.AcceptTOTPStep(ctx, u.ID, 9, durBase), fault.Conflict)
		durOK(t, "AcceptTOTPStep", s.AcceptTOTPStep(ctx, u.ID, 11, durBase))
		durWantKind(t, s.AcceptTOTPStep(ctx, u.ID, 11, durBase), fault.Conflict)
	})
	t.Run("a TOTP step is accepted once under concurrency", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ctx := t.Context()
		u := durCreateUser(t, s)
		durOK(t, "PutTOTPMethod", s.PutTOTPMethod(ctx, mfaSampleTOTP(u.ID), nil))
		durOK(t, "MarkTOTPVerified", s.MarkTOTPVerified(ctx, u.ID, 1, durBase))
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if err := s.AcceptTOTPStep(ctx, u.ID, 2, durBase); err == nil {
					wins.Add(1)
				} else if !fault.Is(err, fault.Conflict) {
					t.Errorf("AcceptTOTPStep: %v", err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d concurrent acceptances of one step, want 1", wins.Load())
		}
	})
	t.Run("backup codes are single use and replaced together", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ctx := t.Context()
		u := durCreateUser(t, s)
		durWantKind(t, s.ReplaceBackupCodes(ctx, u.ID, []string{"x"}, durBase), fault.NotFound)
		durOK(t, "PutTOTPMethod", s.PutTOTPMethod(ctx, mfaSampleTOTP(u.ID), []string{"a", "b", "c"}))
		if n, err := s.CountBackupCodes(ctx, u.ID); err != nil || n != 3 {
			t.Fatalf("CountBackupCodes = %d, %v", n, err)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				if left, err := s.UseBackupCode(ctx, u.ID, "b", durBase); err == nil {
					wins.Add(1)
					if left != 2 {
						t.Errorf("remaining = %d, want 2", left)
					}
				} else if !fault.Is(err, fault.NotFound) {
					t.Errorf("UseBackupCode: %v", err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d uses of one code, want 1", wins.Load())
		}
		other := durCreateUser(t, s)
		_, err := s.UseBackupCode(ctx, other.ID, "a", durBase)
		durWantKind(t, err, fault.NotFound)
		durOK(t, "ReplaceBackupCodes", s.ReplaceBackupCodes(ctx, u.ID, []string{"d"}, durBase))
		_, err = s.UseBackupCode(ctx, u.ID, "a", durBase)
		durWantKind(t, err, fault.NotFound)
		if n, _ := s.CountBackupCodes(ctx, u.ID); n != 1 {
			t.Fatalf("after replace: %d codes, want 1", n)
		}
		durOK(t, "DeleteTOTPMethod", s.DeleteTOTPMethod(ctx, u.ID))
		durWantKind(t, s.DeleteTOTPMethod(ctx, u.ID), fault.NotFound)
		if n, _ := s.CountBackupCodes(ctx, u.ID); n != 0 {
			t.Fatalf("after delete: %d codes", n)
		}
	})
	t.Run("passkeys round trip, are unique by credential ID and scoped to their user", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ctx := t.Context()
		u, other := durCreateUser(t, s), durCreateUser(t, s)
		used := durBase.Add(time.Minute)
		p := mfa.Passkey{ID: durID(t), UserID: u.ID, CredentialID: []byte{9, 8, 7, 0}, Name: "YubiKey", SignCount: 4,
			Transports: []string{"usb", "nfc"}, AAGUID: "cb69481e8ff7403993ec0a2729a154a8", BackupEligible: true, Discoverable: true,
			Record: []byte(`{"k":1}`), CreatedAt: durBase, UpdatedAt: durBase, LastUsedAt: &used}
		durOK(t, "AddPasskey", s.AddPasskey(ctx, p))
		dup := p
		dup.ID, dup.UserID = durID(t), other.ID
		durWantKind(t, s.AddPasskey(ctx, dup), fault.Conflict)
		got, err := s.PasskeyByCredentialID(ctx, []byte{9, 8, 7, 0})
		durOK(t, "PasskeyByCredentialID", err)
		if got.ID != p.ID || got.Name != "YubiKey" || got.SignCount != 4 || len(got.Transports) != 2 || got.AAGUID != p.AAGUID ||
			!got.BackupEligible || !got.Discoverable || string(got.Record) != `{"k":1}` {
			t.Fatalf("PasskeyByCredentialID = %+v", got)
		}
		durCheckTimePtr(t, "LastUsedAt", got.LastUsedAt, &used)
		_, err = s.PasskeyByCredentialID(ctx, []byte{1})
		durWantKind(t, err, fault.NotFound)
		list, err := s.Passkeys(ctx, other.ID)
		if err != nil || len(list) != 0 {
			t.Fatalf("other's Passkeys = %v, %v", list, err)
		}
		_, err = s.RenamePasskey(ctx, other.ID, p.ID, "mine", durBase)
		durWantKind(t, err, fault.NotFound)
		r, err := s.RenamePasskey(ctx, u.ID, p.ID, "Work key", durBase)
		if err != nil || r.Name != "Work key" {
			t.Fatalf("RenamePasskey = %+v, %v", r, err)
		}
		durWantKind(t, s.RecordPasskeyUse(ctx, u.ID, p.ID, 3, 9, []byte("{}"), durBase), fault.Conflict)
		durOK(t, "RecordPasskeyUse", s.RecordPasskeyUse(ctx, u.ID, p.ID, 4, 9, []byte(`{"k":2}`), durBase))
		durWantKind(t, s.RecordPasskeyUse(ctx, other.ID, p.ID, 9, 10, nil, durBase), fault.NotFound)
		got, _ = s.PasskeyByCredentialID(ctx, p.CredentialID)
		if got.SignCount != 9 || string(got.Record) != `{"k":2}` {
			t.Fatalf("after RecordPasskeyUse: %+v", got)
		}
		durWantKind(t, s.DeletePasskey(ctx, other.ID, p.ID), fault.NotFound)
		durOK(t, "DeletePasskey", s.DeletePasskey(ctx, u.ID, p.ID))
		durWantKind(t, s.DeletePasskey(ctx, u.ID, p.ID), fault.NotFound)
		p2 := p
		p2.ID, p2.CredentialID = durID(t), []byte{1, 1}
		durOK(t, "AddPasskey", s.AddPasskey(ctx, p2))
		if n, err := s.DeletePasskeys(ctx, u.ID); err != nil || n != 1 {
			t.Fatalf("DeletePasskeys = %d, %v", n, err)
		}
	})
}

// RunMFAPolicyStore checks policies, overrides and compliance records.
func RunMFAPolicyStore(t *testing.T, open func(t *testing.T) MFAStoreUnderTest) {
	t.Run("policies and overrides round trip per organization", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ctx := t.Context()
		a, b := tenCreateOrg(t, s), tenCreateOrg(t, s)
		u := durCreateUser(t, s)
		_, err := s.OrgMFAPolicy(ctx, a.ID)
		durWantKind(t, err, fault.NotFound)
		p := mfa.Policy{OrgID: a.ID, Mode: mfa.ModeRequireTOTP, GraceDays: 3, NotifyDaysBefore: 1, Version: 1, UpdatedByID: u.ID, CreatedAt: durBase, UpdatedAt: durBase}
		durOK(t, "PutOrgMFAPolicy", s.PutOrgMFAPolicy(ctx, p))
		p.Mode, p.Version = mfa.ModeRequireTOTPOrWebAuthn, 2
		durOK(t, "PutOrgMFAPolicy", s.PutOrgMFAPolicy(ctx, p))
		got, err := s.OrgMFAPolicy(ctx, a.ID)
		if err != nil || got.Mode != mfa.ModeRequireTOTPOrWebAuthn || got.Version != 2 || got.GraceDays != 3 || got.NotifyDaysBefore != 1 || got.UpdatedByID != u.ID {
			t.Fatalf("OrgMFAPolicy = %+v, %v", got, err)
		}
		_, err = s.OrgMFAPolicy(ctx, b.ID)
		durWantKind(t, err, fault.NotFound)
		durWantKind(t, s.PutOrgMFAPolicy(ctx, mfa.Policy{OrgID: durID(t), Mode: mfa.ModeOptional, CreatedAt: durBase, UpdatedAt: durBase}), fault.NotFound)

		o := mfa.Override{OrgID: a.ID, UserID: u.ID, Mode: mfa.OverrideExempt, ForceWebAuthn: true, CreatedAt: durBase, UpdatedAt: durBase}
		durOK(t, "PutMFAOverride", s.PutMFAOverride(ctx, o))
		o.Mode = mfa.OverrideRequired
		durOK(t, "PutMFAOverride", s.PutMFAOverride(ctx, o))
		go1, err := s.MFAOverride(ctx, a.ID, u.ID)
		if err != nil || go1.Mode != mfa.OverrideRequired || !go1.ForceWebAuthn || go1.ForceTOTP {
			t.Fatalf("MFAOverride = %+v, %v", go1, err)
		}
		_, err = s.MFAOverride(ctx, b.ID, u.ID)
		durWantKind(t, err, fault.NotFound)
	})
	t.Run("compliance records list live members only, per organization", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ctx := t.Context()
		a, b := tenCreateOrg(t, s), tenCreateOrg(t, s)
		u1, u2, u3 := durCreateUser(t, s), durCreateUser(t, s), durCreateUser(t, s)
		for _, u := range []string{u1.ID, u2.ID, u3.ID} {
			tenAdd(t, s, a.ID, u, org.Member)
		}
		tenAdd(t, s, b.ID, u1.ID, org.Member)
		dl := durBase.Add(48 * time.Hour)
		put := func(orgID, userID string, st mfa.Status) {
			durOK(t, "PutMFACompliance", s.PutMFACompliance(ctx, mfa.Compliance{OrgID: orgID, UserID: userID, Status: st, PolicyVersion: 1,
				AppliedAt: durBase, DeadlineAt: &dl, NotificationCount: 2, CreatedAt: durBase, UpdatedAt: durBase}))
		}
		put(a.ID, u1.ID, mfa.StatusInGrace)
		put(a.ID, u2.ID, mfa.StatusCompliant)
		put(a.ID, u3.ID, mfa.StatusInGrace)
		put(b.ID, u1.ID, mfa.StatusSuspended)
		c, err := s.MFACompliance(ctx, a.ID, u1.ID)
		durOK(t, "MFACompliance", err)
		if c.Status != mfa.StatusInGrace || c.NotificationCount != 2 || c.PolicyVersion != 1 {
			t.Fatalf("MFACompliance = %+v", c)
		}
		durCheckTimePtr(t, "DeadlineAt", c.DeadlineAt, &dl)
		list, n, err := s.ListMFACompliance(ctx, a.ID, ports.ComplianceQuery{Status: mfa.StatusInGrace, Limit: 1})
		if err != nil || n != 2 || len(list) != 1 || list[0].OrgID != a.ID {
			t.Fatalf("ListMFACompliance = %v, %d, %v", list, n, err)
		}
		_, n, _ = s.ListMFACompliance(ctx, b.ID, ports.ComplianceQuery{})
		if n != 1 {
			t.Fatalf("org B lists %d records, want 1", n)
		}
		withUsers, n, err := s.ListMFAComplianceMembers(ctx, a.ID, ports.ComplianceQuery{Status: mfa.StatusInGrace, Offset: 1, Limit: 5})
		if err != nil || n != 2 || len(withUsers) != 1 || withUsers[0].OrgID != a.ID || withUsers[0].Email == "" ||
			(withUsers[0].UserID != u1.ID && withUsers[0].UserID != u2.ID && withUsers[0].UserID != u3.ID) {
			t.Fatalf("ListMFAComplianceMembers = %+v, %d, %v", withUsers, n, err)
		}
		for _, u := range []identity.User{u1, u2, u3} {
			if withUsers[0].UserID == u.ID && (withUsers[0].Email != u.Email || withUsers[0].FullName != u.FullName) {
				t.Fatalf("ListMFAComplianceMembers user = %+v, want %+v", withUsers[0], u)
			}
		}
		some, err := s.MFAComplianceOfUsers(ctx, a.ID, []string{u1.ID, u2.ID, "00000000-0000-4000-8000-000000000000"})
		if err != nil || len(some) != 2 || some[u1.ID].Status != mfa.StatusInGrace || some[u2.ID].Status != mfa.StatusCompliant {
			t.Fatalf("MFAComplianceOfUsers = %+v, %v", some, err)
		}
		if none, err := s.MFAComplianceOfUsers(ctx, a.ID, nil); err != nil || len(none) != 0 {
			t.Fatalf("MFAComplianceOfUsers(none) = %+v, %v", none, err)
		}
		if other, err := s.MFAComplianceOfUsers(ctx, b.ID, []string{u2.ID, u3.ID}); err != nil || len(other) != 0 {
			t.Fatalf("MFAComplianceOfUsers of another organization = %+v, %v", other, err)
		}
		mine, err := s.UserMFACompliance(ctx, u1.ID)
		if err != nil || len(mine) != 2 {
			t.Fatalf("UserMFACompliance = %v, %v", mine, err)
		}
		// A removed member's record is neither listed nor kept.
		durOK(t, "RemoveMember", s.RemoveMember(ctx, a.ID, u3.ID, durBase))
		_, n, _ = s.ListMFACompliance(ctx, a.ID, ports.ComplianceQuery{})
		if n != 2 {
			t.Fatalf("after removal org A lists %d records, want 2", n)
		}
		all, err := s.ScanMFACompliance(ctx, "", "", 2)
		durOK(t, "ScanMFACompliance", err)
		if len(all) != 2 {
			t.Fatalf("first scan page has %d records", len(all))
		}
		rest, _ := s.ScanMFACompliance(ctx, all[1].OrgID, all[1].UserID, 10)
		if len(all)+len(rest) != 3 {
			t.Fatalf("scan saw %d records, want 3", len(all)+len(rest))
		}
		durOK(t, "DeleteOrg", s.DeleteOrg(ctx, b.ID, durBase))
		gone, err := s.DeleteStaleMFACompliance(ctx)
		if err != nil || gone != 2 {
			t.Fatalf("DeleteStaleMFACompliance = %d, %v (want the removed member's and the deleted org's)", gone, err)
		}
		_, err = s.MFACompliance(ctx, b.ID, u1.ID)
		durWantKind(t, err, fault.NotFound)
	})
}

// RunLease checks that a lease has one holder at a time.
func RunLease(t *testing.T, open func(t *testing.T) MFAStoreUnderTest) {
	t.Run("one holder until expiry", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		ctx := t.Context()
		until := durBase.Add(time.Minute)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Go(func() {
				ok, err := s.AcquireLease(ctx, "job", "holder-"+strconv.Itoa(i), durBase, until)
				if err != nil {
					t.Errorf("AcquireLease: %v", err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d holders, want 1", wins.Load())
		}
		ok, err := s.AcquireLease(ctx, "job", "zz", until.Add(time.Second), until.Add(time.Hour))
		if err != nil || !ok {
			t.Fatalf("expired lease not taken over: %v, %v", ok, err)
		}
		ok, _ = s.AcquireLease(ctx, "job", "zz", until.Add(2*time.Second), until.Add(2*time.Hour))
		if !ok {
			t.Fatal("holder could not renew")
		}
		ok, _ = s.AcquireLease(ctx, "job", "a", until.Add(3*time.Second), until.Add(time.Hour))
		if ok {
			t.Fatal("held lease taken")
		}
		durOK(t, "ReleaseLease", s.ReleaseLease(ctx, "job", "zz"))
		ok, _ = s.AcquireLease(ctx, "job", "a", until.Add(3*time.Second), until.Add(time.Hour))
		if !ok {
			t.Fatal("released lease not taken")
		}
	})
}
