package sqlstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/uptrace/bun"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/ports"
)

// The OpenID Provider ports a Store implements.
var (
	_ ports.ClientStore       = (*Store)(nil)
	_ ports.AuthRequestStore  = (*Store)(nil)
	_ ports.RefreshTokenStore = (*Store)(nil)
	_ ports.ConsentStore      = (*Store)(nil)
	_ ports.SigningKeyStore   = (*Store)(nil)
)

// jsonList encodes a string list as JSON text ("[]" for none).
func jsonList(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l)
	return string(b)
}

// parseList decodes JSON text written by jsonList (nil for empty).
func parseList(s string) []string {
	var l []string
	if s == "" || json.Unmarshal([]byte(s), &l) != nil || len(l) == 0 {
		return nil
	}
	return l
}

func seconds(d time.Duration) int64     { return int64(d / time.Second) }
func fromSeconds(n int64) time.Duration { return time.Duration(n) * time.Second }

// derefTime returns *t in UTC, or the zero time for nil.
func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return dbTime(*t)
}

// optTime returns nil for the zero time, else t in UTC.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	v := dbTime(t)
	return &v
}

// clientRow is a row of oidc_clients.
type clientRow struct {
	bun.BaseModel `bun:"table:oidc_clients,alias:oc"`

	ID                     string     `bun:"id,pk"`
	ClientID               string     `bun:"client_id,notnull"`
	OrgID                  string     `bun:"organization_id,notnull"`
	Name                   string     `bun:"name,notnull"`
	SecretHash             string     `bun:"secret_hash,notnull"`
	SecretKind             string     `bun:"secret_kind,notnull"`
	AuthMethod             string     `bun:"auth_method,notnull"`
	RedirectURIs           string     `bun:"redirect_uris,notnull"`
	PostLogoutRedirectURIs string     `bun:"post_logout_redirect_uris,notnull"`
	GrantTypes             string     `bun:"grant_types,notnull"`
	Scopes                 string     `bun:"scopes,notnull"`
	AccessTokenFormat      string     `bun:"access_token_format,notnull"`
	AccessTokenTTL         int64      `bun:"access_token_ttl,notnull"`
	RefreshTokenTTL        int64      `bun:"refresh_token_ttl,notnull"`
	RefreshIdleTTL         int64      `bun:"refresh_idle_ttl,notnull"`
	IDTokenTTL             int64      `bun:"id_token_ttl,notnull"`
	IDTokenAlg             string     `bun:"id_token_alg,notnull"`
	RequirePKCE            bool       `bun:"require_pkce,notnull"`
	ConsentMode            string     `bun:"consent_mode,notnull"`
	LogoURI                string     `bun:"logo_uri,notnull"`
	ClientURI              string     `bun:"client_uri,notnull"`
	PolicyURI              string     `bun:"policy_uri,notnull"`
	TosURI                 string     `bun:"tos_uri,notnull"`
	BackchannelLogoutURI   string     `bun:"backchannel_logout_uri,notnull"`
	JWKS                   string     `bun:"jwks,notnull"`
	TokenExchange          bool       `bun:"token_exchange,notnull"`
	DevMode                bool       `bun:"dev_mode,notnull"`
	Active                 bool       `bun:"is_active,notnull"`
	CreatedAt              time.Time  `bun:"created_at,notnull"`
	UpdatedAt              time.Time  `bun:"updated_at,notnull"`
	DeletedAt              *time.Time `bun:"deleted_at"`
}

func clientToRow(c oidc.Client) clientRow {
	return clientRow{
		ID: c.ID, ClientID: c.ClientID, OrgID: c.OrgID, Name: c.Name, SecretHash: c.SecretHash,
		SecretKind: string(c.SecretKind), AuthMethod: string(c.AuthMethod),
		RedirectURIs: jsonList(c.RedirectURIs), PostLogoutRedirectURIs: jsonList(c.PostLogoutRedirectURIs),
		GrantTypes: jsonList(c.GrantTypes), Scopes: jsonList(c.Scopes),
		AccessTokenFormat: string(c.AccessTokenFormat), AccessTokenTTL: seconds(c.AccessTokenTTL),
		RefreshTokenTTL: seconds(c.RefreshTokenTTL), RefreshIdleTTL: seconds(c.RefreshIdleTTL),
		IDTokenTTL: seconds(c.IDTokenTTL), IDTokenAlg: c.IDTokenAlg, RequirePKCE: c.RequirePKCE,
		ConsentMode: string(c.ConsentMode), LogoURI: c.LogoURI, ClientURI: c.ClientURI, PolicyURI: c.PolicyURI,
		TosURI: c.TosURI, BackchannelLogoutURI: c.BackchannelLogoutURI, JWKS: c.JWKS,
		TokenExchange: c.TokenExchange, DevMode: c.DevMode, Active: c.Active,
		CreatedAt: dbTime(c.CreatedAt), UpdatedAt: dbTime(c.UpdatedAt), DeletedAt: dbTimePtr(c.DeletedAt),
	}
}

func (r clientRow) client() oidc.Client {
	return oidc.Client{
		ID: r.ID, ClientID: r.ClientID, OrgID: r.OrgID, Name: r.Name, SecretHash: r.SecretHash,
		SecretKind: oidc.SecretKind(r.SecretKind), AuthMethod: oidc.AuthMethod(r.AuthMethod),
		RedirectURIs: parseList(r.RedirectURIs), PostLogoutRedirectURIs: parseList(r.PostLogoutRedirectURIs),
		GrantTypes: parseList(r.GrantTypes), Scopes: parseList(r.Scopes),
		AccessTokenFormat: oidc.TokenFormat(r.AccessTokenFormat), AccessTokenTTL: fromSeconds(r.AccessTokenTTL),
		RefreshTokenTTL: fromSeconds(r.RefreshTokenTTL), RefreshIdleTTL: fromSeconds(r.RefreshIdleTTL),
		IDTokenTTL: fromSeconds(r.IDTokenTTL), IDTokenAlg: r.IDTokenAlg, RequirePKCE: r.RequirePKCE,
		ConsentMode: oidc.ConsentMode(r.ConsentMode), LogoURI: r.LogoURI, ClientURI: r.ClientURI, PolicyURI: r.PolicyURI,
		TosURI: r.TosURI, BackchannelLogoutURI: r.BackchannelLogoutURI, JWKS: r.JWKS,
		TokenExchange: r.TokenExchange, DevMode: r.DevMode, Active: r.Active,
		CreatedAt: dbTime(r.CreatedAt), UpdatedAt: dbTime(r.UpdatedAt), DeletedAt: dbTimePtr(r.DeletedAt),
	}
}

var clientMsgs = msgs{notFound: "Client not found", conflict: "A client with this client_id already exists"}

// CreateClient inserts c. Conflict when the client_id or ID exists.
func (s *Store) CreateClient(ctx context.Context, c oidc.Client) error {
	row := clientToRow(c)
	_, err := s.db(ctx).NewInsert().Model(&row).Exec(ctx)
	return translateMsg("sqlstore.CreateClient", err, clientMsgs)
}

// ClientByClientID returns a client that is not deleted. NotFound otherwise.
func (s *Store) ClientByClientID(ctx context.Context, clientID string) (oidc.Client, error) {
	var row clientRow
	err := s.reader(ctx).NewSelect().Model(&row).Where("oc.client_id = ?", clientID).Where("oc.deleted_at IS NULL").Scan(ctx)
	if err != nil {
		return oidc.Client{}, translateMsg("sqlstore.ClientByClientID", err, clientMsgs)
	}
	return row.client(), nil
}

// ClientsByOrg lists the org's clients that are not deleted, by name.
func (s *Store) ClientsByOrg(ctx context.Context, orgID string) ([]oidc.Client, error) {
	var rows []clientRow
	err := s.reader(ctx).NewSelect().Model(&rows).Where("oc.organization_id = ?", orgID).Where("oc.deleted_at IS NULL").
		Order("oc.name", "oc.client_id").Scan(ctx)
	if err != nil {
		return nil, translate("sqlstore.ClientsByOrg", err)
	}
	out := make([]oidc.Client, len(rows))
	for i, r := range rows {
		out[i] = r.client()
	}
	return out, nil
}

// ClientsByClientIDs returns the live clients among clientIDs in one query.
func (s *Store) ClientsByClientIDs(ctx context.Context, clientIDs []string) ([]oidc.Client, error) {
	if len(clientIDs) == 0 {
		return []oidc.Client{}, nil
	}
	var rows []clientRow
	err := s.reader(ctx).NewSelect().Model(&rows).Where("oc.client_id IN (?)", bun.List(clientIDs)).Where("oc.deleted_at IS NULL").
		Order("oc.client_id").Scan(ctx)
	if err != nil {
		return nil, translate("sqlstore.ClientsByClientIDs", err)
	}
	out := make([]oidc.Client, len(rows))
	for i, r := range rows {
		out[i] = r.client()
	}
	return out, nil
}

// UpdateClient applies fn to the org's live client in one transaction.
func (s *Store) UpdateClient(ctx context.Context, orgID, clientID string, fn func(oidc.Client) (oidc.Client, error)) (oidc.Client, error) {
	const op = "sqlstore.UpdateClient"
	var out oidc.Client
	err := s.InTx(ctx, func(ctx context.Context) error {
		q := s.db(ctx).NewSelect().Model((*clientRow)(nil)).Where("oc.client_id = ?", clientID).
			Where("oc.organization_id = ?", orgID).Where("oc.deleted_at IS NULL")
		if s.postgres() {
			q = q.For("UPDATE")
		}
		var row clientRow
		if err := q.Scan(ctx, &row); err != nil {
			return translateMsg(op, err, clientMsgs)
		}
		old := row.client()
		c, err := fn(old)
		if err != nil {
			return err
		}
		c.ID, c.ClientID, c.OrgID, c.CreatedAt = old.ID, old.ClientID, old.OrgID, old.CreatedAt
		nr := clientToRow(c)
		if _, err := s.db(ctx).NewUpdate().Model(&nr).WherePK().Exec(ctx); err != nil {
			return translateMsg(op, err, clientMsgs)
		}
		out = nr.client()
		return nil
	})
	if err != nil {
		return oidc.Client{}, err
	}
	return out, nil
}

// consentRow is a row of oidc_consents.
type consentRow struct {
	bun.BaseModel `bun:"table:oidc_consents,alias:ocs"`

	UserID    string    `bun:"user_id,pk"`
	ClientID  string    `bun:"client_id,pk"`
	Scopes    string    `bun:"scopes,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
}

func (r consentRow) consent() oidc.Consent {
	return oidc.Consent{UserID: r.UserID, ClientID: r.ClientID, Scopes: parseList(r.Scopes), CreatedAt: dbTime(r.CreatedAt), UpdatedAt: dbTime(r.UpdatedAt)}
}

var consentMsgs = msgs{notFound: "Consent not found"}

// PutConsent creates or replaces the user's consent for the client (the
// first CreatedAt is kept).
func (s *Store) PutConsent(ctx context.Context, c oidc.Consent) error {
	row := consentRow{UserID: c.UserID, ClientID: c.ClientID, Scopes: jsonList(c.Scopes), CreatedAt: dbTime(c.CreatedAt), UpdatedAt: dbTime(c.UpdatedAt)}
	_, err := s.db(ctx).NewInsert().Model(&row).
		On("CONFLICT (user_id, client_id) DO UPDATE").
		Set("scopes = EXCLUDED.scopes").Set("updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	return translate("sqlstore.PutConsent", err)
}

// Consent returns the user's consent for the client. NotFound when none.
func (s *Store) Consent(ctx context.Context, userID, clientID string) (oidc.Consent, error) {
	var row consentRow
	err := s.reader(ctx).NewSelect().Model(&row).Where("ocs.user_id = ?", userID).Where("ocs.client_id = ?", clientID).Scan(ctx)
	if err != nil {
		return oidc.Consent{}, translateMsg("sqlstore.Consent", err, consentMsgs)
	}
	return row.consent(), nil
}

// ConsentsByUser lists the user's consents, newest first.
func (s *Store) ConsentsByUser(ctx context.Context, userID string) ([]oidc.Consent, error) {
	var rows []consentRow
	err := s.reader(ctx).NewSelect().Model(&rows).Where("ocs.user_id = ?", userID).Order("ocs.updated_at DESC", "ocs.client_id").Scan(ctx)
	if err != nil {
		return nil, translate("sqlstore.ConsentsByUser", err)
	}
	out := make([]oidc.Consent, len(rows))
	for i, r := range rows {
		out[i] = r.consent()
	}
	return out, nil
}

// DeleteConsent removes one consent. NotFound when absent.
func (s *Store) DeleteConsent(ctx context.Context, userID, clientID string) error {
	const op = "sqlstore.DeleteConsent"
	res, err := s.db(ctx).NewDelete().Model((*consentRow)(nil)).Where("user_id = ?", userID).Where("client_id = ?", clientID).Exec(ctx)
	if err != nil {
		return translate(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fault.E(op, fault.NotFound, consentMsgs.notFound)
	}
	return nil
}
