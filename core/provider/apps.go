package provider

import (
	"context"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
)

// ConnectedApp is a remembered consent with what the account page shows
// of its client.
type ConnectedApp struct {
	oidc.Consent
	// Name and LogoURI are the client's; Name is the client ID when the
	// client is gone (deleted since), LogoURI then empty.
	Name    string
	LogoURI string
	// Gone is true when the client no longer exists.
	Gone bool
}

// ConnectedApps lists the user's remembered consents with their clients'
// names and logos: two queries however many consents.
func (s *Service) ConnectedApps(ctx context.Context, userID string) ([]ConnectedApp, error) {
	const op = "provider.ConnectedApps"
	l, err := s.d.Consents.ConsentsByUser(ctx, userID)
	if err != nil {
		return nil, fault.Wrap(op, fault.Internal, err)
	}
	ids := make([]string, 0, len(l))
	for _, c := range l {
		ids = append(ids, c.ClientID)
	}
	clients, err := s.d.Clients.ClientsByClientIDs(ctx, ids)
	if err != nil {
		return nil, fault.Wrap(op, fault.Internal, err)
	}
	byID := make(map[string]oidc.Client, len(clients))
	for _, c := range clients {
		byID[c.ClientID] = c
	}
	out := make([]ConnectedApp, 0, len(l))
	for _, c := range l {
		app := ConnectedApp{Consent: c, Name: c.ClientID, Gone: true}
		if cl, ok := byID[c.ClientID]; ok {
			app.Name, app.LogoURI, app.Gone = cl.Name, cl.LogoURI, false
			if app.Name == "" {
				app.Name = cl.ClientID
			}
		}
		out = append(out, app)
	}
	return out, nil
}
