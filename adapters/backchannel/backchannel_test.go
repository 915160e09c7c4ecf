package backchannel_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/secuird/secuird/adapters/backchannel"
)

func TestSenderRefusesLoopbackTargetsWithoutTheDevFlag(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.PostFormValue("logout_token")
	}))
	defer srv.Close()
	err := backchannel.New(backchannel.Options{}).SendLogoutToken(t.Context(), srv.URL+"/bc", "tok")
	if !errors.Is(err, backchannel.ErrForbiddenTarget) {
		t.Fatalf("loopback target without the dev flag: %v", err)
	}
	if err := backchannel.New(backchannel.Options{AllowPrivate: true}).SendLogoutToken(t.Context(), srv.URL+"/bc", "tok"); err != nil {
		t.Fatalf("with the dev flag: %v", err)
	}
	if tok := <-got; tok != "tok" {
		t.Errorf("received %q", tok)
	}
}

func TestSenderRefusesPrivateAndLinkLocalAddresses(t *testing.T) {
	t.Parallel()
	s := backchannel.New(backchannel.Options{})
	for _, uri := range []string{"http://10.0.0.1/bc", "http://192.168.1.1/bc", "http://169.254.169.254/latest", "http://[::1]/bc",
		"http://0.0.0.0/bc", "http://100.64.0.1/bc", "http://[fe80::1]/bc"} {
		if err := s.SendLogoutToken(t.Context(), uri, "tok"); !errors.Is(err, backchannel.ErrForbiddenTarget) {
			t.Errorf("%s: %v", uri, err)
		}
	}
}

func TestSenderFollowsNoRedirectAndWantsA2xx(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/bc", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer srv.Close()
	s := backchannel.New(backchannel.Options{AllowPrivate: true})
	for _, path := range []string{"/redirect", "/bc"} {
		if err := s.SendLogoutToken(t.Context(), srv.URL+path, "tok"); err == nil {
			t.Errorf("%s: delivered", path)
		}
	}
	if err := s.SendLogoutToken(t.Context(), "ftp://example.com/bc", "tok"); err == nil {
		t.Error("ftp URI accepted")
	}
}
