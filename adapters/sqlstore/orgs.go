package sqlstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/ports"
)

// The tenancy ports a Store implements.
var (
	_ ports.OrgStore        = (*Store)(nil)
	_ ports.MembershipStore = (*Store)(nil)
	_ ports.InviteStore     = (*Store)(nil)
	_ ports.APIKeyStore     = (*Store)(nil)
)

// orgRow is a row of organizations.
type orgRow struct {
	bun.BaseModel `bun:"table:organizations,alias:o"`

	ID          string     `bun:"id,pk"`
	Name        string     `bun:"name,notnull"`
	Slug        string     `bun:"slug,notnull"`
	Description string     `bun:"description,nullzero"`
	LogoURL     string     `bun:"logo_url,nullzero"`
	IsActive    bool       `bun:"is_active,notnull"`
	CreatedAt   time.Time  `bun:"created_at,notnull"`
	UpdatedAt   time.Time  `bun:"updated_at,notnull"`
	DeletedAt   *time.Time `bun:"deleted_at"`
}

func orgToRow(o org.Organization) orgRow {
	return orgRow{
		ID: o.ID, Name: clean(o.Name), Slug: o.Slug, Description: clean(o.Description), LogoURL: clean(o.LogoURL),
		IsActive: o.IsActive, CreatedAt: dbTime(o.CreatedAt), UpdatedAt: dbTime(o.UpdatedAt), DeletedAt: dbTimePtr(o.DeletedAt),
	}
}

func (r orgRow) org() org.Organization {
	return org.Organization{
		ID: r.ID, Name: r.Name, Slug: r.Slug, Description: r.Description, LogoURL: r.LogoURL, IsActive: r.IsActive,
		CreatedAt: dbTime(r.CreatedAt), UpdatedAt: dbTime(r.UpdatedAt), DeletedAt: dbTimePtr(r.DeletedAt),
	}
}

var orgMsgs = msgs{notFound: "Organization not found", conflict: "An organization with this slug already exists"}

// CreateOrg inserts o. Conflict when a live organization has the same slug
// (or the ID is taken).
func (s *Store) CreateOrg(ctx context.Context, o org.Organization) error {
	const op = "sqlstore.CreateOrg"
	row := orgToRow(o)
	if _, err := s.db(ctx).NewInsert().Model(&row).Exec(ctx); err != nil {
		return translateMsg(op, err, orgMsgs)
	}
	return nil
}

// OrgByID returns a live organization. NotFound when absent or deleted.
func (s *Store) OrgByID(ctx context.Context, id string) (org.Organization, error) {
	return s.orgWhere(ctx, "sqlstore.OrgByID", "o.id = ?", id)
}

// OrgBySlug returns the live organization with that slug. NotFound otherwise.
func (s *Store) OrgBySlug(ctx context.Context, slug string) (org.Organization, error) {
	return s.orgWhere(ctx, "sqlstore.OrgBySlug", "o.slug = ?", slug)
}

// OrgBySlugAny returns the organization with that slug, deleted or not:
// the live one first, otherwise the most recently deleted. NotFound when
// absent.
func (s *Store) OrgBySlugAny(ctx context.Context, slug string) (org.Organization, error) {
	const op = "sqlstore.OrgBySlugAny"
	var row orgRow
	err := s.reader(ctx).NewSelect().Model(&row).Where("o.slug = ?", slug).
		OrderExpr("o.deleted_at IS NOT NULL, o.deleted_at DESC, o.id").Limit(1).Scan(ctx)
	if err != nil {
		return org.Organization{}, translateMsg(op, err, orgMsgs)
	}
	return row.org(), nil
}

func (s *Store) orgWhere(ctx context.Context, op, cond string, arg any) (org.Organization, error) {
	var row orgRow
	err := s.reader(ctx).NewSelect().Model(&row).Where(cond, arg).Where("o.deleted_at IS NULL").Scan(ctx)
	if err != nil {
		return org.Organization{}, translateMsg(op, err, orgMsgs)
	}
	return row.org(), nil
}

// LockOrg returns the live organization. Inside a transaction on Postgres
// the row stays locked (SELECT ... FOR UPDATE) until the transaction ends;
// SQLite's single writer serialises transactions anyway.
func (s *Store) LockOrg(ctx context.Context, id string) (org.Organization, error) {
	const op = "sqlstore.LockOrg"
	var row orgRow
	q := s.db(ctx).NewSelect().Model(&row).Where("o.id = ?", id).Where("o.deleted_at IS NULL")
	if s.postgres() && s.txFrom(ctx) != nil {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return org.Organization{}, translateMsg(op, err, orgMsgs)
	}
	return row.org(), nil
}

// UpdateOrg applies fn to the live organization inside one transaction
// (joining the caller's), with the row locked on Postgres, and stores the
// result, keeping ID and CreatedAt. NotFound when absent or deleted;
// Conflict when the new slug is taken; fn's own error is returned as is.
func (s *Store) UpdateOrg(ctx context.Context, id string, fn func(org.Organization) (org.Organization, error)) (org.Organization, error) {
	const op = "sqlstore.UpdateOrg"
	var out org.Organization
	err := s.InTx(ctx, func(ctx context.Context) error {
		old, err := s.LockOrg(ctx, id)
		if err != nil {
			return fault.Wrap(op, fault.NotFound, err)
		}
		nu, err := fn(old)
		if err != nil {
			return err
		}
		nu.ID, nu.CreatedAt = old.ID, old.CreatedAt
		next := orgToRow(nu)
		if _, err := s.db(ctx).NewUpdate().Model(&next).WherePK().Exec(ctx); err != nil {
			return translateMsg(op, err, orgMsgs)
		}
		out = next.org()
		return nil
	})
	if err != nil {
		return org.Organization{}, err
	}
	return out, nil
}

// DeleteOrg soft-deletes and deactivates the live organization at `at`.
// NotFound when absent or already deleted.
func (s *Store) DeleteOrg(ctx context.Context, id string, at time.Time) error {
	const op = "sqlstore.DeleteOrg"
	at = dbTime(at)
	res, err := s.db(ctx).NewUpdate().Model((*orgRow)(nil)).
		Set("deleted_at = ?", at).Set("updated_at = ?", at).Set("is_active = ?", false).
		Where("id = ?", id).Where("deleted_at IS NULL").
		Exec(ctx)
	if err != nil {
		return translateMsg(op, err, orgMsgs)
	}
	return affectedOne(op, res, orgMsgs.notFound)
}

// affectedOne turns "no row changed" into NotFound.
func affectedOne(op string, res interface{ RowsAffected() (int64, error) }, notFound string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return translate(op, err)
	}
	if n == 0 {
		return fault.E(op, fault.NotFound, notFound)
	}
	return nil
}

// affected returns how many rows a statement changed.
func affected(op string, res interface{ RowsAffected() (int64, error) }) (int, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, translate(op, err)
	}
	return int(n), nil
}
