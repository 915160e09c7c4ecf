package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	up := func(context.Context) error { return nil }
	down := func(context.Context) error { return errors.New("dial tcp 127.0.0.1:5432: connection refused") }
	cases := []struct {
		name     string
		db, eph  func(context.Context) error
		status   int
		overall  string
		dbStatus string
	}{
		{"healthy when every dependency answers", up, up, 200, "healthy", "ok"},
		{"503 when the database does not answer", down, up, 503, "unhealthy", "unavailable"},
		{"503 when the ephemeral store does not answer", up, down, 503, "unhealthy", "ok"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			app := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, Deps{Version: "v-test", Health: []HealthCheck{
				{Name: "database", Ping: c.db}, {Name: "ephemeral_store", Ping: c.eph},
			}})
			resp, err := app.Test(httptest.NewRequest("GET", "/api/health", nil))
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			var h struct {
				Status, Service, Version string
				Checks                   map[string]struct{ Status string }
			}
			if err := json.Unmarshal(raw, &h); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != c.status || h.Status != c.overall || h.Service != "secuird" || h.Version != "v-test" || h.Checks["database"].Status != c.dbStatus {
				t.Fatalf("got %d %s", resp.StatusCode, raw)
			}
			if bytes.Contains(raw, []byte("connection refused")) {
				t.Fatal("health leaks error text")
			}
		})
	}
}
