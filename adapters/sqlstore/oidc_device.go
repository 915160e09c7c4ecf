package sqlstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/ports"
)

var _ ports.DeviceGrantStore = (*Store)(nil)

// deviceRow is a row of oidc_device_grants.
type deviceRow struct {
	bun.BaseModel `bun:"table:oidc_device_grants,alias:odg"`

	ID             string     `bun:"id,pk"`
	ClientID       string     `bun:"client_id,notnull"`
	DeviceCodeHash string     `bun:"device_code_hash,notnull"`
	UserCodeHash   string     `bun:"user_code_hash,notnull"`
	Scopes         string     `bun:"scopes,notnull"`
	Status         string     `bun:"status,notnull"`
	PollInterval   int64      `bun:"poll_interval,notnull"`
	LastPolledAt   *time.Time `bun:"last_polled_at"`
	CreatedAt      time.Time  `bun:"created_at,notnull"`
	ExpiresAt      time.Time  `bun:"expires_at,notnull"`
	Subject        string     `bun:"subject,notnull"`
	SessionID      string     `bun:"session_id,notnull"`
	AMR            string     `bun:"amr,notnull"`
	ACR            string     `bun:"acr,notnull"`
	AuthTime       *time.Time `bun:"auth_time"`
}

func deviceToRow(g oidc.DeviceGrant) deviceRow {
	return deviceRow{
		ID: g.ID, ClientID: g.ClientID, DeviceCodeHash: g.DeviceCodeHash, UserCodeHash: g.UserCodeHash,
		Scopes: jsonList(g.Scopes), Status: string(g.Status), PollInterval: seconds(g.Interval),
		LastPolledAt: dbTimePtr(g.LastPolledAt), CreatedAt: dbTime(g.CreatedAt), ExpiresAt: dbTime(g.ExpiresAt),
		Subject: g.Subject, SessionID: g.SessionID, AMR: jsonList(g.AMR), ACR: g.ACR, AuthTime: optTime(g.AuthTime),
	}
}

func (r deviceRow) grant() oidc.DeviceGrant {
	return oidc.DeviceGrant{
		ID: r.ID, ClientID: r.ClientID, DeviceCodeHash: r.DeviceCodeHash, UserCodeHash: r.UserCodeHash,
		Scopes: parseList(r.Scopes), Status: oidc.DeviceStatus(r.Status), Interval: fromSeconds(r.PollInterval),
		LastPolledAt: dbTimePtr(r.LastPolledAt), CreatedAt: dbTime(r.CreatedAt), ExpiresAt: dbTime(r.ExpiresAt),
		Subject: r.Subject, SessionID: r.SessionID, AMR: parseList(r.AMR), ACR: r.ACR, AuthTime: derefTime(r.AuthTime),
	}
}

var deviceMsgs = msgs{notFound: "Device authorization not found", conflict: "Device authorization exists"}

// CreateDeviceGrant stores g. Conflict when the ID or a code hash exists.
func (s *Store) CreateDeviceGrant(ctx context.Context, g oidc.DeviceGrant) error {
	row := deviceToRow(g)
	_, err := s.db(ctx).NewInsert().Model(&row).Exec(ctx)
	return translateMsg("sqlstore.CreateDeviceGrant", err, deviceMsgs)
}

func (s *Store) deviceBy(ctx context.Context, op, col, v string) (oidc.DeviceGrant, error) {
	var row deviceRow
	if err := s.reader(ctx).NewSelect().Model(&row).Where("? = ?", bun.Ident("odg."+col), v).Scan(ctx); err != nil {
		return oidc.DeviceGrant{}, translateMsg(op, err, deviceMsgs)
	}
	return row.grant(), nil
}

// DeviceGrantByID returns the grant. NotFound when absent.
func (s *Store) DeviceGrantByID(ctx context.Context, id string) (oidc.DeviceGrant, error) {
	return s.deviceBy(ctx, "sqlstore.DeviceGrantByID", "id", id)
}

// DeviceGrantByUserCode returns the grant with that user code hash.
func (s *Store) DeviceGrantByUserCode(ctx context.Context, hash string) (oidc.DeviceGrant, error) {
	return s.deviceBy(ctx, "sqlstore.DeviceGrantByUserCode", "user_code_hash", hash)
}

// DeviceGrantByDeviceCode returns the grant with that device code hash.
func (s *Store) DeviceGrantByDeviceCode(ctx context.Context, hash string) (oidc.DeviceGrant, error) {
	return s.deviceBy(ctx, "sqlstore.DeviceGrantByDeviceCode", "device_code_hash", hash)
}

// UpdateDeviceGrant applies fn to the grant in one transaction, the row
// locked (Postgres) or the database write-locked (SQLite's one writer).
func (s *Store) UpdateDeviceGrant(ctx context.Context, id string, fn func(oidc.DeviceGrant) (oidc.DeviceGrant, error)) (oidc.DeviceGrant, error) {
	const op = "sqlstore.UpdateDeviceGrant"
	var out oidc.DeviceGrant
	err := s.InTx(ctx, func(ctx context.Context) error {
		q := s.db(ctx).NewSelect().Model((*deviceRow)(nil)).Where("odg.id = ?", id)
		if s.postgres() {
			q = q.For("UPDATE")
		}
		var row deviceRow
		if err := q.Scan(ctx, &row); err != nil {
			return translateMsg(op, err, deviceMsgs)
		}
		g, err := fn(row.grant())
		if err != nil {
			return err
		}
		g.ID, g.DeviceCodeHash, g.UserCodeHash, g.ClientID = row.ID, row.DeviceCodeHash, row.UserCodeHash, row.ClientID
		nr := deviceToRow(g)
		if _, err := s.db(ctx).NewUpdate().Model(&nr).WherePK().Exec(ctx); err != nil {
			return translateMsg(op, err, deviceMsgs)
		}
		out = nr.grant()
		return nil
	})
	return out, err
}

// DeleteExpiredDeviceGrants removes grants that expired before t.
func (s *Store) DeleteExpiredDeviceGrants(ctx context.Context, t time.Time) (int, error) {
	res, err := s.db(ctx).NewDelete().Model((*deviceRow)(nil)).Where("expires_at < ?", dbTime(t)).Exec(ctx)
	if err != nil {
		return 0, translate("sqlstore.DeleteExpiredDeviceGrants", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
