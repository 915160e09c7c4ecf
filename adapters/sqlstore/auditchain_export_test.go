package sqlstore

import (
	"context"
	"sync"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/ports/porttest"
)

// AuditTamper returns a porttest.AuditTamper that edits s's audit_logs
// directly (tests only). Its first edit switches off the append-only
// triggers, as someone with write access to the database would: on
// Postgres it disables them, on SQLite it drops them.
func (s *Store) AuditTamper() porttest.AuditTamper { return &auditTamper{s: s} }

// ExecRaw runs one statement in the context's transaction, else on the
// writer connection (tests only).
func (s *Store) ExecRaw(ctx context.Context, query string, args ...any) error {
	_, err := s.db(ctx).NewRaw(query, args...).Exec(ctx)
	return err
}

type auditTamper struct {
	s    *Store
	once sync.Once
	err  error
}

func (x *auditTamper) unlock(ctx context.Context) error {
	x.once.Do(func() {
		if x.s.postgres() {
			x.err = x.s.ExecRaw(ctx, "ALTER TABLE audit_logs DISABLE TRIGGER USER")
			return
		}
		for _, trg := range []string{"audit_logs_no_update", "audit_logs_no_delete"} {
			if err := x.s.ExecRaw(ctx, "DROP TRIGGER IF EXISTS "+trg); err != nil {
				x.err = err
				return
			}
		}
	})
	return x.err
}

// row stores e's fields as they are, without cleaning; the chain key
// follows e.OrgID.
func (x *auditTamper) row(e audit.Entry) (auditRow, error) {
	extra, err := audit.CanonicalExtra(e.Extra)
	if err != nil {
		return auditRow{}, err
	}
	return auditRow{
		ID: e.ID, CreatedAt: dbTime(e.At), UserID: e.ActorID, Action: e.Action,
		ResourceType: e.ResourceType, ResourceID: e.ResourceID, OrganizationID: e.OrgID,
		IPAddress: e.IP, UserAgent: e.UserAgent, RequestID: e.RequestID, Success: e.Success,
		ErrorMessage: e.Error, Description: e.Description, ExtraData: extra,
		Chain: e.OrgID, Seq: e.Seq, PrevHash: e.PrevHash, Hash: e.Hash,
	}, nil
}

func (x *auditTamper) Overwrite(ctx context.Context, e audit.Entry) error {
	if err := x.unlock(ctx); err != nil {
		return err
	}
	row, err := x.row(e)
	if err != nil {
		return err
	}
	_, err = x.s.w.NewUpdate().Model(&row).ExcludeColumn("chain").WherePK().Exec(ctx)
	return err
}

func (x *auditTamper) Delete(ctx context.Context, id string) error {
	if err := x.unlock(ctx); err != nil {
		return err
	}
	_, err := x.s.w.NewDelete().Model((*auditRow)(nil)).Where("id = ?", id).Exec(ctx)
	return err
}

func (x *auditTamper) Insert(ctx context.Context, e audit.Entry) error {
	row, err := x.row(e)
	if err != nil {
		return err
	}
	_, err = x.s.w.NewInsert().Model(&row).Exec(ctx)
	return err
}
