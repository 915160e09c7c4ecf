package sqlstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/ports"
)

// authRequestRow is a row of oidc_auth_requests.
type authRequestRow struct {
	bun.BaseModel `bun:"table:oidc_auth_requests,alias:oar"`

	ID                 string     `bun:"id,pk"`
	ClientID           string     `bun:"client_id,notnull"`
	RedirectURI        string     `bun:"redirect_uri,notnull"`
	State              string     `bun:"state,notnull"`
	Nonce              string     `bun:"nonce,notnull"`
	Scopes             string     `bun:"scopes,notnull"`
	ResponseType       string     `bun:"response_type,notnull"`
	ResponseMode       string     `bun:"response_mode,notnull"`
	CodeChallenge      string     `bun:"code_challenge,notnull"`
	Prompt             string     `bun:"prompt,notnull"`
	MaxAge             *int64     `bun:"max_age"`
	LoginHint          string     `bun:"login_hint,notnull"`
	UILocales          string     `bun:"ui_locales,notnull"`
	ACRValues          string     `bun:"acr_values,notnull"`
	IDTokenHintSubject string     `bun:"id_token_hint_subject,notnull"`
	CreatedAt          time.Time  `bun:"created_at,notnull"`
	ExpiresAt          time.Time  `bun:"expires_at,notnull"`
	Subject            string     `bun:"subject,notnull"`
	SessionID          string     `bun:"session_id,notnull"`
	AuthTime           *time.Time `bun:"auth_time"`
	AMR                string     `bun:"amr,notnull"`
	ACR                string     `bun:"acr,notnull"`
	DoneAt             *time.Time `bun:"done_at"`
	CodeHash           *string    `bun:"code_hash"`
	CodeExpiresAt      *time.Time `bun:"code_expires_at"`
	CodeUsedAt         *time.Time `bun:"code_used_at"`
}

func authRequestToRow(a oidc.AuthRequest) authRequestRow {
	r := authRequestRow{
		ID: a.ID, ClientID: a.ClientID, RedirectURI: a.RedirectURI, State: a.State, Nonce: a.Nonce,
		Scopes: jsonList(a.Scopes), ResponseType: a.ResponseType, ResponseMode: a.ResponseMode,
		CodeChallenge: a.CodeChallenge, Prompt: jsonList(a.Prompt), LoginHint: a.LoginHint,
		UILocales: jsonList(a.UILocales), ACRValues: jsonList(a.ACRValues), IDTokenHintSubject: a.IDTokenHintSubject,
		CreatedAt: dbTime(a.CreatedAt), ExpiresAt: dbTime(a.ExpiresAt), Subject: a.Subject, SessionID: a.SessionID,
		AuthTime: optTime(a.AuthTime), AMR: jsonList(a.AMR), ACR: a.ACR, DoneAt: dbTimePtr(a.DoneAt),
		CodeExpiresAt: optTime(a.CodeExpiresAt), CodeUsedAt: dbTimePtr(a.CodeUsedAt),
	}
	if a.MaxAge != nil {
		n := seconds(*a.MaxAge)
		r.MaxAge = &n
	}
	if a.CodeHash != "" {
		h := a.CodeHash
		r.CodeHash = &h
	}
	return r
}

func (r authRequestRow) authRequest() oidc.AuthRequest {
	a := oidc.AuthRequest{
		ID: r.ID, ClientID: r.ClientID, RedirectURI: r.RedirectURI, State: r.State, Nonce: r.Nonce,
		Scopes: parseList(r.Scopes), ResponseType: r.ResponseType, ResponseMode: r.ResponseMode,
		CodeChallenge: r.CodeChallenge, Prompt: parseList(r.Prompt), LoginHint: r.LoginHint,
		UILocales: parseList(r.UILocales), ACRValues: parseList(r.ACRValues), IDTokenHintSubject: r.IDTokenHintSubject,
		CreatedAt: dbTime(r.CreatedAt), ExpiresAt: dbTime(r.ExpiresAt), Subject: r.Subject, SessionID: r.SessionID,
		AuthTime: derefTime(r.AuthTime), AMR: parseList(r.AMR), ACR: r.ACR, DoneAt: dbTimePtr(r.DoneAt),
		CodeExpiresAt: derefTime(r.CodeExpiresAt), CodeUsedAt: dbTimePtr(r.CodeUsedAt),
	}
	if r.MaxAge != nil {
		d := fromSeconds(*r.MaxAge)
		a.MaxAge = &d
	}
	if r.CodeHash != nil {
		a.CodeHash = *r.CodeHash
	}
	return a
}

var authReqMsgs = msgs{notFound: "Authorization request not found or expired", conflict: "Authorization request exists"}

// CreateAuthRequest stores a. Conflict when the ID (or code hash) exists.
func (s *Store) CreateAuthRequest(ctx context.Context, a oidc.AuthRequest) error {
	row := authRequestToRow(a)
	_, err := s.db(ctx).NewInsert().Model(&row).Exec(ctx)
	return translateMsg("sqlstore.CreateAuthRequest", err, authReqMsgs)
}

// AuthRequestByID returns the request. NotFound when absent.
func (s *Store) AuthRequestByID(ctx context.Context, id string) (oidc.AuthRequest, error) {
	var row authRequestRow
	if err := s.reader(ctx).NewSelect().Model(&row).Where("oar.id = ?", id).Scan(ctx); err != nil {
		return oidc.AuthRequest{}, translateMsg("sqlstore.AuthRequestByID", err, authReqMsgs)
	}
	return row.authRequest(), nil
}

// UpdateAuthRequest applies fn to the request in one transaction.
func (s *Store) UpdateAuthRequest(ctx context.Context, id string, fn func(oidc.AuthRequest) (oidc.AuthRequest, error)) (oidc.AuthRequest, error) {
	const op = "sqlstore.UpdateAuthRequest"
	var out oidc.AuthRequest
	err := s.InTx(ctx, func(ctx context.Context) error {
		q := s.db(ctx).NewSelect().Model((*authRequestRow)(nil)).Where("oar.id = ?", id)
		if s.postgres() {
			q = q.For("UPDATE")
		}
		var row authRequestRow
		if err := q.Scan(ctx, &row); err != nil {
			return translateMsg(op, err, authReqMsgs)
		}
		a, err := fn(row.authRequest())
		if err != nil {
			return err
		}
		a.ID = row.ID
		nr := authRequestToRow(a)
		if _, err := s.db(ctx).NewUpdate().Model(&nr).WherePK().Exec(ctx); err != nil {
			return translateMsg(op, err, authReqMsgs)
		}
		out = nr.authRequest()
		return nil
	})
	return out, err
}

// RedeemAuthCode marks the code used with one conditional UPDATE ...
// RETURNING, so exactly one concurrent caller wins; a loser (or a later
// caller) gets Conflict with the request.
func (s *Store) RedeemAuthCode(ctx context.Context, codeHash string, now time.Time) (oidc.AuthRequest, error) {
	const op = "sqlstore.RedeemAuthCode"
	now = dbTime(now)
	var row authRequestRow
	err := s.db(ctx).NewUpdate().Model(&row).Set("code_used_at = ?", now).
		Where("code_hash = ?", codeHash).Where("code_used_at IS NULL").
		Returning("*").Scan(ctx)
	if err == nil {
		return row.authRequest(), nil
	}
	if !fault.Is(translate(op, err), fault.NotFound) {
		return oidc.AuthRequest{}, translate(op, err)
	}
	var used authRequestRow
	if err := s.db(ctx).NewSelect().Model(&used).Where("oar.code_hash = ?", codeHash).Scan(ctx); err != nil {
		return oidc.AuthRequest{}, translateMsg(op, err, authReqMsgs)
	}
	return used.authRequest(), &fault.Error{Op: op, Kind: fault.Conflict, Msg: "The code was already used"}
}

// DeleteExpiredAuthRequests removes requests (and codes) that expired before t.
func (s *Store) DeleteExpiredAuthRequests(ctx context.Context, t time.Time) (int, error) {
	t = dbTime(t)
	res, err := s.db(ctx).NewDelete().Model((*authRequestRow)(nil)).
		Where("expires_at < ?", t).
		Where("(code_expires_at IS NULL OR code_expires_at < ?)", t).Exec(ctx)
	if err != nil {
		return 0, translate("sqlstore.DeleteExpiredAuthRequests", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// refreshRow is a row of oidc_refresh_tokens.
type refreshRow struct {
	bun.BaseModel `bun:"table:oidc_refresh_tokens,alias:ort"`

	ID            string     `bun:"id,pk"`
	FamilyID      string     `bun:"family_id,notnull"`
	ParentID      string     `bun:"parent_id,notnull"`
	TokenHash     string     `bun:"token_hash,notnull"`
	ClientID      string     `bun:"client_id,notnull"`
	Subject       string     `bun:"subject,notnull"`
	SessionID     string     `bun:"session_id,notnull"`
	Scopes        string     `bun:"scopes,notnull"`
	AMR           string     `bun:"amr,notnull"`
	ACR           string     `bun:"acr,notnull"`
	AuthTime      *time.Time `bun:"auth_time"`
	CreatedAt     time.Time  `bun:"created_at,notnull"`
	ExpiresAt     time.Time  `bun:"expires_at,notnull"`
	IdleExpiresAt time.Time  `bun:"idle_expires_at,notnull"`
	RotatedAt     *time.Time `bun:"rotated_at"`
	RevokedAt     *time.Time `bun:"revoked_at"`
	RevokedReason string     `bun:"revoked_reason,notnull"`
}

func refreshToRow(t oidc.RefreshToken) refreshRow {
	return refreshRow{
		ID: t.ID, FamilyID: t.FamilyID, ParentID: t.ParentID, TokenHash: t.TokenHash, ClientID: t.ClientID,
		Subject: t.Subject, SessionID: t.SessionID, Scopes: jsonList(t.Scopes), AMR: jsonList(t.AMR), ACR: t.ACR,
		AuthTime: optTime(t.AuthTime), CreatedAt: dbTime(t.CreatedAt), ExpiresAt: dbTime(t.ExpiresAt),
		IdleExpiresAt: dbTime(t.IdleExpiresAt), RotatedAt: dbTimePtr(t.RotatedAt), RevokedAt: dbTimePtr(t.RevokedAt),
		RevokedReason: t.RevokedReason,
	}
}

func (r refreshRow) token() oidc.RefreshToken {
	return oidc.RefreshToken{
		ID: r.ID, FamilyID: r.FamilyID, ParentID: r.ParentID, TokenHash: r.TokenHash, ClientID: r.ClientID,
		Subject: r.Subject, SessionID: r.SessionID, Scopes: parseList(r.Scopes), AMR: parseList(r.AMR), ACR: r.ACR,
		AuthTime: derefTime(r.AuthTime), CreatedAt: dbTime(r.CreatedAt), ExpiresAt: dbTime(r.ExpiresAt),
		IdleExpiresAt: dbTime(r.IdleExpiresAt), RotatedAt: dbTimePtr(r.RotatedAt), RevokedAt: dbTimePtr(r.RevokedAt),
		RevokedReason: r.RevokedReason,
	}
}

var refreshMsgs = msgs{notFound: "Refresh token not found", conflict: "Refresh token already used"}

// CreateRefreshToken stores t. Conflict when the hash or ID exists.
func (s *Store) CreateRefreshToken(ctx context.Context, t oidc.RefreshToken) error {
	row := refreshToRow(t)
	_, err := s.db(ctx).NewInsert().Model(&row).Exec(ctx)
	return translateMsg("sqlstore.CreateRefreshToken", err, refreshMsgs)
}

// RefreshTokenByHash returns the token whatever its state. NotFound when absent.
func (s *Store) RefreshTokenByHash(ctx context.Context, hash string) (oidc.RefreshToken, error) {
	var row refreshRow
	if err := s.reader(ctx).NewSelect().Model(&row).Where("ort.token_hash = ?", hash).Scan(ctx); err != nil {
		return oidc.RefreshToken{}, translateMsg("sqlstore.RefreshTokenByHash", err, refreshMsgs)
	}
	return row.token(), nil
}

// RotateRefreshToken claims the old token with a conditional UPDATE (one
// winner) and inserts next in the same transaction.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash string, now time.Time, next oidc.RefreshToken) error {
	const op = "sqlstore.RotateRefreshToken"
	now = dbTime(now)
	return s.InTx(ctx, func(ctx context.Context) error {
		res, err := s.db(ctx).NewUpdate().Model((*refreshRow)(nil)).Set("rotated_at = ?", now).
			Where("token_hash = ?", oldHash).Where("rotated_at IS NULL").Where("revoked_at IS NULL").Exec(ctx)
		if err != nil {
			return translate(op, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := s.RefreshTokenByHash(ctx, oldHash); err != nil {
				return err
			}
			return &fault.Error{Op: op, Kind: fault.Conflict, Msg: refreshMsgs.conflict}
		}
		row := refreshToRow(next)
		_, err = s.db(ctx).NewInsert().Model(&row).Exec(ctx)
		return translateMsg(op, err, refreshMsgs)
	})
}

// RevokeRefreshFamily revokes every live token of the family.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID, reason string, now time.Time) (int, error) {
	res, err := s.db(ctx).NewUpdate().Model((*refreshRow)(nil)).
		Set("revoked_at = ?", dbTime(now)).Set("revoked_reason = ?", reason).
		Where("family_id = ?", familyID).Where("revoked_at IS NULL").Exec(ctx)
	if err != nil {
		return 0, translate("sqlstore.RevokeRefreshFamily", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// RevokeRefreshTokens revokes the live tokens matching f and returns the
// families touched.
func (s *Store) RevokeRefreshTokens(ctx context.Context, f ports.RefreshFilter, reason string, now time.Time) ([]string, error) {
	const op = "sqlstore.RevokeRefreshTokens"
	if f.Subject == "" {
		return nil, fault.E(op, fault.Invalid, "A subject is required")
	}
	var fams []string
	err := s.InTx(ctx, func(ctx context.Context) error {
		fams = fams[:0]
		q := s.db(ctx).NewSelect().Model((*refreshRow)(nil)).Column("family_id").Distinct().
			Where("subject = ?", f.Subject).Where("revoked_at IS NULL")
		if f.ClientID != "" {
			q = q.Where("client_id = ?", f.ClientID)
		}
		if f.SessionID != "" {
			q = q.Where("session_id = ?", f.SessionID)
		}
		if err := q.Scan(ctx, &fams); err != nil {
			return translate(op, err)
		}
		if len(fams) == 0 {
			return nil
		}
		_, err := s.db(ctx).NewUpdate().Model((*refreshRow)(nil)).
			Set("revoked_at = ?", dbTime(now)).Set("revoked_reason = ?", reason).
			Where("family_id IN (?)", bun.List(fams)).Where("revoked_at IS NULL").Exec(ctx)
		return translate(op, err)
	})
	return fams, err
}

// signingKeyRow is a row of oidc_signing_keys.
type signingKeyRow struct {
	bun.BaseModel `bun:"table:oidc_signing_keys,alias:osk"`

	ID         string     `bun:"id,pk"`
	Alg        string     `bun:"alg,notnull"`
	State      string     `bun:"state,notnull"`
	PrivateEnc []byte     `bun:"private_key_enc,notnull"`
	SealKeyID  string     `bun:"seal_key_id,notnull"`
	PublicJWK  string     `bun:"public_jwk,notnull"`
	CreatedAt  time.Time  `bun:"created_at,notnull"`
	ActivateAt time.Time  `bun:"activate_at,notnull"`
	RetiredAt  *time.Time `bun:"retired_at"`
	UpdatedAt  time.Time  `bun:"updated_at,notnull"`
}

func keyToRow(k oidc.SigningKey) signingKeyRow {
	return signingKeyRow{ID: k.ID, Alg: k.Alg, State: string(k.State), PrivateEnc: k.PrivateEnc, SealKeyID: k.SealKeyID,
		PublicJWK: k.PublicJWK, CreatedAt: dbTime(k.CreatedAt), ActivateAt: dbTime(k.ActivateAt), RetiredAt: dbTimePtr(k.RetiredAt),
		UpdatedAt: dbTime(k.UpdatedAt)}
}

func (r signingKeyRow) key() oidc.SigningKey {
	return oidc.SigningKey{ID: r.ID, Alg: r.Alg, State: oidc.KeyState(r.State), PrivateEnc: r.PrivateEnc, SealKeyID: r.SealKeyID,
		PublicJWK: r.PublicJWK, CreatedAt: dbTime(r.CreatedAt), ActivateAt: dbTime(r.ActivateAt), RetiredAt: dbTimePtr(r.RetiredAt),
		UpdatedAt: dbTime(r.UpdatedAt)}
}

var keyMsgs = msgs{notFound: "Signing key not found", conflict: "An active key of this algorithm exists"}

// CreateSigningKey stores k. Conflict on a duplicate ID or a second active
// key of one algorithm.
func (s *Store) CreateSigningKey(ctx context.Context, k oidc.SigningKey) error {
	row := keyToRow(k)
	_, err := s.db(ctx).NewInsert().Model(&row).Exec(ctx)
	return translateMsg("sqlstore.CreateSigningKey", err, keyMsgs)
}

// SigningKeys lists every key that is not retired, oldest first.
func (s *Store) SigningKeys(ctx context.Context) ([]oidc.SigningKey, error) {
	return s.signingKeys(ctx, false)
}

// AllSigningKeys lists every key, oldest first.
func (s *Store) AllSigningKeys(ctx context.Context) ([]oidc.SigningKey, error) {
	return s.signingKeys(ctx, true)
}

func (s *Store) signingKeys(ctx context.Context, all bool) ([]oidc.SigningKey, error) {
	var rows []signingKeyRow
	q := s.reader(ctx).NewSelect().Model(&rows).Order("osk.created_at", "osk.id")
	if !all {
		q = q.Where("osk.state <> ?", string(oidc.KeyRetired))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, translate("sqlstore.SigningKeys", err)
	}
	out := make([]oidc.SigningKey, len(rows))
	for i, r := range rows {
		out[i] = r.key()
	}
	return out, nil
}

// UpdateSigningKey applies fn to the key in one transaction; key material
// cannot change.
func (s *Store) UpdateSigningKey(ctx context.Context, id string, fn func(oidc.SigningKey) (oidc.SigningKey, error)) (oidc.SigningKey, error) {
	const op = "sqlstore.UpdateSigningKey"
	var out oidc.SigningKey
	err := s.InTx(ctx, func(ctx context.Context) error {
		q := s.db(ctx).NewSelect().Model((*signingKeyRow)(nil)).Where("osk.id = ?", id)
		if s.postgres() {
			q = q.For("UPDATE")
		}
		var row signingKeyRow
		if err := q.Scan(ctx, &row); err != nil {
			return translateMsg(op, err, keyMsgs)
		}
		old := row.key()
		k, err := fn(old)
		if err != nil {
			return err
		}
		k.ID, k.Alg, k.PrivateEnc, k.SealKeyID, k.PublicJWK, k.CreatedAt = old.ID, old.Alg, old.PrivateEnc, old.SealKeyID, old.PublicJWK, old.CreatedAt
		nr := keyToRow(k)
		if _, err := s.db(ctx).NewUpdate().Model(&nr).WherePK().Exec(ctx); err != nil {
			return translateMsg(op, err, keyMsgs)
		}
		out = nr.key()
		return nil
	})
	return out, err
}
