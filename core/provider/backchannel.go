package provider

import (
	"context"
	"time"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/oidc"
)

// Back-channel delivery policy: up to backchannelAttempts tries, waiting
// 10 s, 20 s, 40 s ... (at most an hour) between them.
const (
	backchannelAttempts = 8
	backchannelBackoff  = 10 * time.Second
	backchannelMaxWait  = time.Hour
	backchannelLease    = 2 * time.Minute
)

// queueBackchannel enqueues a logout token for every client that received
// tokens under the ended SSO session and registered a back-channel logout
// URI. Failures to enqueue are returned (the logout itself is done).
func (s *Service) queueBackchannel(ctx context.Context, sess identity.Session) error {
	const op = "provider.queueBackchannel"
	if s.d.Backchannel == nil {
		return nil
	}
	ids, err := s.d.Backchannel.ClientsOfSession(ctx, sess.ID)
	if err != nil {
		return fault.Wrap(op, fault.Unavailable, err)
	}
	now := s.now()
	var jobs []oidc.BackchannelLogout
	for _, id := range ids {
		c, err := s.d.Clients.ClientByClientID(ctx, id)
		if err != nil || c.BackchannelLogoutURI == "" {
			continue
		}
		jobs = append(jobs, oidc.BackchannelLogout{ID: s.newID(), ClientID: c.ClientID, URI: c.BackchannelLogoutURI, Subject: sess.UserID,
			SessionID: sess.ID, Status: oidc.BackchannelPending, NextAttemptAt: now, CreatedAt: now})
	}
	return fault.Wrap(op, fault.Internal, s.d.Backchannel.EnqueueBackchannel(ctx, jobs))
}

// DeliveryReport counts what DeliverBackchannel did.
type DeliveryReport struct {
	Delivered, Retrying, Failed int
}

// DeliverBackchannel sends due back-channel logout tokens (signed, with
// iss, aud, iat, exp, jti, sub, sid and the back-channel logout event; no
// nonce) and records the outcome: delivered, retry later with backoff, or
// failed after the last attempt. Deliveries are leased, so nodes running
// it together do not send one twice within the lease.
func (s *Service) DeliverBackchannel(ctx context.Context, limit int) (DeliveryReport, error) {
	const op = "provider.DeliverBackchannel"
	var rep DeliveryReport
	if s.d.Backchannel == nil || s.d.LogoutSigner == nil || s.d.BackchannelSender == nil {
		return rep, nil
	}
	jobs, err := s.d.Backchannel.ClaimBackchannel(ctx, s.now(), limit, backchannelLease)
	if err != nil {
		return rep, fault.Wrap(op, fault.Unavailable, err)
	}
	for _, j := range jobs {
		now := s.now()
		var b [16]byte
		s.d.Random.Read(b[:])
		claims := map[string]any{"iss": s.cfg.Issuer, "aud": j.ClientID, "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
			"jti": encodeB64(b[:]), "sub": j.Subject, "sid": j.SessionID, "events": map[string]any{oidc.EventBackchannelLogout: map[string]any{}}}
		tok, err := s.d.LogoutSigner.SignLogoutToken(ctx, claims)
		if err == nil {
			err = s.d.BackchannelSender.SendLogoutToken(ctx, j.URI, tok)
		}
		j.Attempts++
		switch {
		case err == nil:
			j.Status, j.DeliveredAt, j.LastError = oidc.BackchannelDelivered, &now, ""
			rep.Delivered++
		case j.Attempts >= backchannelAttempts:
			j.Status, j.LastError = oidc.BackchannelFailed, errText(err)
			rep.Failed++
		default:
			wait := backchannelBackoff << (j.Attempts - 1)
			if wait > backchannelMaxWait || wait <= 0 {
				wait = backchannelMaxWait
			}
			j.NextAttemptAt, j.LastError = now.Add(wait), errText(err)
			rep.Retrying++
		}
		if err := s.d.Backchannel.UpdateBackchannel(ctx, j); err != nil {
			return rep, fault.Wrap(op, fault.Unavailable, err)
		}
	}
	return rep, nil
}

// errText is a short, safe description of a delivery error for the queue.
func errText(err error) string {
	if fe := fault.As(err); fe != nil && fe.Msg != "" {
		return fe.Msg
	}
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}
