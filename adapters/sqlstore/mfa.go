package sqlstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/ports"
)

var _ ports.MFAStore = (*Store)(nil)

// totpRow is a row of mfa_totp.
type totpRow struct {
	bun.BaseModel `bun:"table:mfa_totp,alias:tp"`

	UserID       string     `bun:"user_id,pk"`
	SecretSealed []byte     `bun:"secret_sealed,notnull"`
	SealKeyID    string     `bun:"seal_key_id,notnull"`
	VerifiedAt   *time.Time `bun:"verified_at"`
	LastStep     int64      `bun:"last_step,notnull"`
	CreatedAt    time.Time  `bun:"created_at,notnull"`
	UpdatedAt    time.Time  `bun:"updated_at,notnull"`
}

func (r totpRow) totp() mfa.TOTP {
	return mfa.TOTP{UserID: r.UserID, SealedSecret: r.SecretSealed, SealKeyID: r.SealKeyID, VerifiedAt: dbTimePtr(r.VerifiedAt),
		LastStep: r.LastStep, CreatedAt: dbTime(r.CreatedAt), UpdatedAt: dbTime(r.UpdatedAt)}
}

// backupCodeRow is a row of mfa_backup_codes.
type backupCodeRow struct {
	bun.BaseModel `bun:"table:mfa_backup_codes,alias:bc"`

	ID        string     `bun:"id,pk"`
	UserID    string     `bun:"user_id,notnull"`
	CodeHash  string     `bun:"code_hash,notnull"`
	UsedAt    *time.Time `bun:"used_at"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
}

// passkeyRow is a row of webauthn_credentials.
type passkeyRow struct {
	bun.BaseModel `bun:"table:webauthn_credentials,alias:wc"`

	ID             string     `bun:"id,pk"`
	UserID         string     `bun:"user_id,notnull"`
	CredentialID   string     `bun:"credential_id,notnull"`
	Name           string     `bun:"name,notnull"`
	SignCount      int64      `bun:"sign_count,notnull"`
	Transports     string     `bun:"transports,notnull"`
	AAGUID         string     `bun:"aaguid,notnull"`
	BackupEligible bool       `bun:"backup_eligible,notnull"`
	Discoverable   bool       `bun:"discoverable,notnull"`
	Record         []byte     `bun:"record,notnull"`
	CreatedAt      time.Time  `bun:"created_at,notnull"`
	UpdatedAt      time.Time  `bun:"updated_at,notnull"`
	LastUsedAt     *time.Time `bun:"last_used_at"`
}

func credKey(id []byte) string { return base64.RawURLEncoding.EncodeToString(id) }

func passkeyToRow(p mfa.Passkey) (passkeyRow, error) {
	tr := p.Transports
	if tr == nil {
		tr = []string{}
	}
	js, err := json.Marshal(tr)
	if err != nil {
		return passkeyRow{}, err
	}
	return passkeyRow{
		ID: p.ID, UserID: p.UserID, CredentialID: credKey(p.CredentialID), Name: clean(p.Name), SignCount: int64(p.SignCount),
		Transports: string(js), AAGUID: p.AAGUID, BackupEligible: p.BackupEligible, Discoverable: p.Discoverable,
		Record: p.Record, CreatedAt: dbTime(p.CreatedAt), UpdatedAt: dbTime(p.UpdatedAt), LastUsedAt: dbTimePtr(p.LastUsedAt),
	}, nil
}

func (r passkeyRow) passkey() mfa.Passkey {
	id, _ := base64.RawURLEncoding.DecodeString(r.CredentialID)
	var tr []string
	_ = json.Unmarshal([]byte(r.Transports), &tr)
	if tr == nil {
		tr = []string{}
	}
	return mfa.Passkey{
		ID: r.ID, UserID: r.UserID, CredentialID: id, Name: r.Name, SignCount: uint32(r.SignCount), //nolint:gosec // stored from a uint32
		Transports: tr, AAGUID: r.AAGUID, BackupEligible: r.BackupEligible, Discoverable: r.Discoverable, Record: r.Record,
		CreatedAt: dbTime(r.CreatedAt), UpdatedAt: dbTime(r.UpdatedAt), LastUsedAt: dbTimePtr(r.LastUsedAt),
	}
}

var (
	totpMsgs    = msgs{notFound: "Two-factor authentication is not set up", conflict: "This code was used already"}
	passkeyMsgs = msgs{notFound: "Passkey not found", conflict: "This passkey is registered already"}
)

// TOTPMethod returns the user's TOTP method. NotFound when there is none.
func (s *Store) TOTPMethod(ctx context.Context, userID string) (mfa.TOTP, error) {
	const op = "sqlstore.TOTPMethod"
	var r totpRow
	if err := s.reader(ctx).NewSelect().Model(&r).Where("tp.user_id = ?", userID).Scan(ctx); err != nil {
		return mfa.TOTP{}, translateMsg(op, err, totpMsgs)
	}
	return r.totp(), nil
}

// PutTOTPMethod replaces the user's TOTP method and backup codes in one
// transaction. NotFound when the user does not exist.
func (s *Store) PutTOTPMethod(ctx context.Context, t mfa.TOTP, codeHashes []string) error {
	const op = "sqlstore.PutTOTPMethod"
	row := totpRow{UserID: t.UserID, SecretSealed: t.SealedSecret, SealKeyID: t.SealKeyID, VerifiedAt: dbTimePtr(t.VerifiedAt),
		LastStep: t.LastStep, CreatedAt: dbTime(t.CreatedAt), UpdatedAt: dbTime(t.UpdatedAt)}
	return s.InTx(ctx, func(ctx context.Context) error {
		_, err := s.db(ctx).NewInsert().Model(&row).
			On("CONFLICT (user_id) DO UPDATE").
			Set("secret_sealed = EXCLUDED.secret_sealed").
			Set("seal_key_id = EXCLUDED.seal_key_id").
			Set("verified_at = EXCLUDED.verified_at").
			Set("last_step = EXCLUDED.last_step").
			Set("created_at = EXCLUDED.created_at").
			Set("updated_at = EXCLUDED.updated_at").
			Exec(ctx)
		if err != nil {
			return translateMsg(op, err, msgs{notFound: "User not found"})
		}
		return s.replaceCodes(ctx, op, t.UserID, codeHashes, row.UpdatedAt)
	})
}

func (s *Store) replaceCodes(ctx context.Context, op, userID string, hashes []string, at time.Time) error {
	if _, err := s.db(ctx).NewDelete().Model((*backupCodeRow)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return translate(op, err)
	}
	if len(hashes) == 0 {
		return nil
	}
	rows := make([]backupCodeRow, 0, len(hashes))
	for _, h := range hashes {
		rows = append(rows, backupCodeRow{ID: uuid.NewString(), UserID: userID, CodeHash: h, CreatedAt: dbTime(at)})
	}
	if _, err := s.db(ctx).NewInsert().Model(&rows).Exec(ctx); err != nil {
		return translateMsg(op, err, totpMsgs)
	}
	return nil
}

// MarkTOTPVerified marks the unverified method verified. NotFound when
// there is no unverified method.
func (s *Store) MarkTOTPVerified(ctx context.Context, userID string, step int64, at time.Time) error {
	const op = "sqlstore.MarkTOTPVerified"
	at = dbTime(at)
	res, err := s.db(ctx).NewUpdate().Model((*totpRow)(nil)).
		Set("verified_at = ?", at).Set("last_step = ?", step).Set("updated_at = ?", at).
		Where("user_id = ?", userID).Where("verified_at IS NULL").
		Exec(ctx)
	if err != nil {
		return translate(op, err)
	}
	return affectedOne(op, res, totpMsgs.notFound)
}

// AcceptTOTPStep moves the last accepted step forward, or fails with
// Conflict (replay) or NotFound (no verified method).
func (s *Store) AcceptTOTPStep(ctx context.Context, userID string, step int64, at time.Time) error {
	const op = "sqlstore.AcceptTOTPStep"
	at = dbTime(at)
	res, err := s.db(ctx).NewUpdate().Model((*totpRow)(nil)).
		Set("last_step = ?", step).Set("updated_at = ?", at).
		Where("user_id = ?", userID).Where("verified_at IS NOT NULL").Where("last_step < ?", step).
		Exec(ctx)
	if err != nil {
		return translate(op, err)
	}
	n, err := affected(op, res)
	if err != nil {
		return err
	}
	if n == 1 {
		return nil
	}
	t, err := s.TOTPMethod(ctx, userID)
	if err != nil {
		return err
	}
	if !t.Verified() {
		return fault.E(op, fault.NotFound, totpMsgs.notFound)
	}
	return fault.E(op, fault.Conflict, totpMsgs.conflict)
}

// DeleteTOTPMethod removes the method and its codes. NotFound when none.
func (s *Store) DeleteTOTPMethod(ctx context.Context, userID string) error {
	const op = "sqlstore.DeleteTOTPMethod"
	return s.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.db(ctx).NewDelete().Model((*backupCodeRow)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
			return translate(op, err)
		}
		res, err := s.db(ctx).NewDelete().Model((*totpRow)(nil)).Where("user_id = ?", userID).Exec(ctx)
		if err != nil {
			return translate(op, err)
		}
		return affectedOne(op, res, totpMsgs.notFound)
	})
}

// ReplaceBackupCodes replaces the user's codes. NotFound without a method.
func (s *Store) ReplaceBackupCodes(ctx context.Context, userID string, codeHashes []string, at time.Time) error {
	const op = "sqlstore.ReplaceBackupCodes"
	return s.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.TOTPMethod(ctx, userID); err != nil {
			return err
		}
		return s.replaceCodes(ctx, op, userID, codeHashes, at)
	})
}

// UseBackupCode consumes one unused code. NotFound when none matches.
func (s *Store) UseBackupCode(ctx context.Context, userID, codeHash string, at time.Time) (int, error) {
	const op = "sqlstore.UseBackupCode"
	var left int
	err := s.InTx(ctx, func(ctx context.Context) error {
		res, err := s.db(ctx).NewUpdate().Model((*backupCodeRow)(nil)).
			Set("used_at = ?", dbTime(at)).
			Where("user_id = ?", userID).Where("code_hash = ?", codeHash).Where("used_at IS NULL").
			Exec(ctx)
		if err != nil {
			return translate(op, err)
		}
		if err := affectedOne(op, res, "Invalid backup code"); err != nil {
			return err
		}
		left, err = s.CountBackupCodes(ctx, userID)
		return err
	})
	return left, err
}

// CountBackupCodes counts the user's unused codes.
func (s *Store) CountBackupCodes(ctx context.Context, userID string) (int, error) {
	const op = "sqlstore.CountBackupCodes"
	n, err := s.reader(ctx).NewSelect().Model((*backupCodeRow)(nil)).
		Where("user_id = ?", userID).Where("used_at IS NULL").Count(ctx)
	if err != nil {
		return 0, translate(op, err)
	}
	return int(n), nil
}

// AddPasskey stores p. Conflict when the credential ID is taken.
func (s *Store) AddPasskey(ctx context.Context, p mfa.Passkey) error {
	const op = "sqlstore.AddPasskey"
	row, err := passkeyToRow(p)
	if err != nil {
		return fault.Wrap(op, fault.Invalid, err)
	}
	if _, err := s.db(ctx).NewInsert().Model(&row).Exec(ctx); err != nil {
		return translateMsg(op, err, msgs{notFound: "User not found", conflict: passkeyMsgs.conflict})
	}
	return nil
}

// Passkeys lists the user's passkeys, oldest first.
func (s *Store) Passkeys(ctx context.Context, userID string) ([]mfa.Passkey, error) {
	const op = "sqlstore.Passkeys"
	var rows []passkeyRow
	if err := s.reader(ctx).NewSelect().Model(&rows).Where("wc.user_id = ?", userID).
		OrderExpr("wc.created_at ASC, wc.id ASC").Scan(ctx); err != nil {
		return nil, translate(op, err)
	}
	out := make([]mfa.Passkey, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.passkey())
	}
	return out, nil
}

// PasskeyByCredentialID finds a passkey. NotFound when unknown.
func (s *Store) PasskeyByCredentialID(ctx context.Context, credentialID []byte) (mfa.Passkey, error) {
	const op = "sqlstore.PasskeyByCredentialID"
	var r passkeyRow
	if err := s.reader(ctx).NewSelect().Model(&r).Where("wc.credential_id = ?", credKey(credentialID)).Scan(ctx); err != nil {
		return mfa.Passkey{}, translateMsg(op, err, passkeyMsgs)
	}
	return r.passkey(), nil
}

// RecordPasskeyUse stores the new counter and record if the counter is
// still prev. NotFound when not the user's; Conflict when it moved.
func (s *Store) RecordPasskeyUse(ctx context.Context, userID, id string, prev, signCount uint32, record []byte, at time.Time) error {
	const op = "sqlstore.RecordPasskeyUse"
	at = dbTime(at)
	res, err := s.db(ctx).NewUpdate().Model((*passkeyRow)(nil)).
		Set("sign_count = ?", int64(signCount)).Set("record = ?", record).Set("last_used_at = ?", at).Set("updated_at = ?", at).
		Where("id = ?", id).Where("user_id = ?", userID).Where("sign_count = ?", int64(prev)).
		Exec(ctx)
	if err != nil {
		return translate(op, err)
	}
	n, err := affected(op, res)
	if err != nil || n == 1 {
		return err
	}
	exists, err := s.reader(ctx).NewSelect().Model((*passkeyRow)(nil)).Where("id = ?", id).Where("user_id = ?", userID).Exists(ctx)
	if err != nil {
		return translate(op, err)
	}
	if !exists {
		return fault.E(op, fault.NotFound, passkeyMsgs.notFound)
	}
	return fault.E(op, fault.Conflict, "The passkey was used concurrently")
}

// RenamePasskey renames one of the user's passkeys.
func (s *Store) RenamePasskey(ctx context.Context, userID, id, name string, at time.Time) (mfa.Passkey, error) {
	const op = "sqlstore.RenamePasskey"
	var out mfa.Passkey
	err := s.InTx(ctx, func(ctx context.Context) error {
		res, err := s.db(ctx).NewUpdate().Model((*passkeyRow)(nil)).
			Set("name = ?", clean(name)).Set("updated_at = ?", dbTime(at)).
			Where("id = ?", id).Where("user_id = ?", userID).Exec(ctx)
		if err != nil {
			return translate(op, err)
		}
		if err := affectedOne(op, res, passkeyMsgs.notFound); err != nil {
			return err
		}
		var r passkeyRow
		if err := s.db(ctx).NewSelect().Model(&r).Where("wc.id = ?", id).Scan(ctx); err != nil {
			return translateMsg(op, err, passkeyMsgs)
		}
		out = r.passkey()
		return nil
	})
	return out, err
}

// DeletePasskey removes one of the user's passkeys.
func (s *Store) DeletePasskey(ctx context.Context, userID, id string) error {
	const op = "sqlstore.DeletePasskey"
	res, err := s.db(ctx).NewDelete().Model((*passkeyRow)(nil)).Where("id = ?", id).Where("user_id = ?", userID).Exec(ctx)
	if err != nil {
		return translate(op, err)
	}
	return affectedOne(op, res, passkeyMsgs.notFound)
}

// DeletePasskeys removes every passkey of the user.
func (s *Store) DeletePasskeys(ctx context.Context, userID string) (int, error) {
	const op = "sqlstore.DeletePasskeys"
	res, err := s.db(ctx).NewDelete().Model((*passkeyRow)(nil)).Where("user_id = ?", userID).Exec(ctx)
	if err != nil {
		return 0, translate(op, err)
	}
	return affected(op, res)
}
