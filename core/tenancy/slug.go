package tenancy

import (
	"context"
	"strings"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/org"
)

// OrgBySlug is GetOrg for an organization named by its slug (the hosted
// administration pages' /orgs/{slug}). Unknown, deleted and malformed
// slugs, and organizations the caller does not belong to, are all the
// same NotFound, so that slugs cannot be probed.
func (s *Service) OrgBySlug(ctx context.Context, a Actor, slug string) (OrgDetail, error) {
	const op = "tenancy.OrgBySlug"
	slug = strings.TrimSpace(slug)
	if slug == "" || len(slug) > org.MaxNameLen {
		return OrgDetail{}, errOrgNotFound(op)
	}
	o, err := s.d.Orgs.OrgBySlug(ctx, slug)
	if err != nil {
		return OrgDetail{}, s.notFound(op, err)
	}
	d, err := s.GetOrg(ctx, a, o.ID)
	if fault.Is(err, fault.NotFound) {
		return OrgDetail{}, errOrgNotFound(op)
	}
	return d, err
}
