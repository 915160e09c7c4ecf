package outbox_test

import (
	"testing"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/core/outbox"
)

func TestGetForShowsOneMessageRedactedToPlatformAdminsOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, outbox.Policy{})
	e.enqueue(t, verifyMail("ada@example.com"))
	id := e.only(t).ID
	if _, err := e.svc.GetFor(t.Context(), identity.User{ID: "u"}, id); !fault.Is(err, fault.Forbidden) {
		t.Fatalf("GetFor(non-admin) = %v, want Forbidden", err)
	}
	admin := identity.User{ID: "a", IsPlatformAdmin: true}
	q, err := e.svc.GetFor(t.Context(), admin, id)
	if err != nil || q.ID != id || q.Email.Vars["link"] != message.Redacted {
		t.Fatalf("GetFor = %+v, %v; want the message with its link redacted", q, err)
	}
	if _, err := e.svc.GetFor(t.Context(), admin, "no-such-id"); !fault.Is(err, fault.NotFound) {
		t.Fatalf("GetFor(unknown) = %v, want NotFound", err)
	}
}
