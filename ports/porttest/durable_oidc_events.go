package porttest

import (
	"fmt"
	"testing"
	"time"

	"github.com/secuird/secuird/core/oidc"
)

// runOIDCEvents checks ports.OIDCEventLog: a batch larger than one INSERT
// round-trips, newest first, per client.
func runOIDCEvents(t *testing.T, open func(t *testing.T) OIDCStore) {
	t.Run("oidc events append in batches and list newest first per client", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		var batch []oidc.Event
		for i := range 1203 {
			client := "c1"
			if i%2 == 1 {
				client = "c2"
			}
			batch = append(batch, oidc.Event{ID: durID(t), At: durBase.Add(time.Duration(i) * time.Second), Type: oidc.EventTokenIssue,
				ClientID: client, UserID: "u", Success: true, IP: "192.0.2.1", RequestID: fmt.Sprint(i), Metadata: map[string]any{"grant": "client_credentials"}})
		}
		durOK(t, "AppendOIDCEvents", s.AppendOIDCEvents(t.Context(), batch))
		durOK(t, "AppendOIDCEvents empty", s.AppendOIDCEvents(t.Context(), nil))
		got, err := s.OIDCEvents(t.Context(), "c1", 3)
		durOK(t, "OIDCEvents", err)
		if len(got) != 3 || got[0].RequestID != "1202" || got[1].RequestID != "1200" {
			t.Fatalf("newest c1 events: %+v", got)
		}
		durCheckTime(t, "At", got[0].At, batch[1202].At)
		if got[0].Metadata["grant"] != "client_credentials" || got[0].IP != "192.0.2.1" || !got[0].Success || got[0].Type != oidc.EventTokenIssue {
			t.Errorf("event %+v", got[0])
		}
		all, err := s.OIDCEvents(t.Context(), "c2", 0)
		durOK(t, "OIDCEvents all", err)
		if len(all) != 601 {
			t.Errorf("c2 has %d events, want 601", len(all))
		}
	})
}
