package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secuird/secuird/app"
	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/ports/porttest/testenv"
)

// auditRow is an entry as the audit views show it.
type auditRow struct {
	ID             string         `json:"id"`
	CreatedAt      time.Time      `json:"created_at"`
	UserID         *string        `json:"user_id"`
	Action         string         `json:"action"`
	ResourceType   *string        `json:"resource_type"`
	ResourceID     *string        `json:"resource_id"`
	OrganizationID *string        `json:"organization_id"`
	IPAddress      *string        `json:"ip_address"`
	UserAgent      *string        `json:"user_agent"`
	RequestID      *string        `json:"request_id"`
	Success        bool           `json:"success"`
	ErrorMessage   *string        `json:"error_message"`
	Description    *string        `json:"description"`
	ExtraData      map[string]any `json:"extra_data"`
	Seq            int64          `json:"seq"`
	PrevHash       string         `json:"prev_hash"`
	Hash           string         `json:"hash"`
}

type auditPage struct {
	Items      []auditRow `json:"items"`
	NextCursor *string    `json:"next_cursor"`
	Count      int        `json:"count"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// auditAll reads every page of an audit view (path with its query).
func (s *server) auditAll(t *testing.T, path, token string) []auditRow {
	t.Helper()
	var out []auditRow
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("too many pages")
		}
		p := path
		if cursor != "" {
			p += sep(p) + "cursor=" + url.QueryEscape(cursor)
		}
		r := s.call(t, "GET", p, token, nil)
		expect(t, r, 200, "")
		var page auditPage
		r.data(t, &page)
		if page.Count != len(page.Items) {
			t.Fatalf("count %d for %d items", page.Count, len(page.Items))
		}
		out = append(out, page.Items...)
		if page.NextCursor == nil {
			return out
		}
		cursor = *page.NextCursor
	}
}

func sep(p string) string {
	if strings.Contains(p, "?") {
		return "&"
	}
	return "?"
}

func actions(rows []auditRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Action)
	}
	return out
}

func TestAuditAPI(t *testing.T) {
	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			requireBackendServices(t, name)
			s := startServer(t, backend)
			// The first account becomes a platform admin; the flag is also
			// set explicitly, as an operator would.
			root := s.register(t, "audit-root@example.com")
			owner := s.register(t, "audit-owner@example.com")
			admin := s.register(t, "audit-admin@example.com")
			member := s.register(t, "audit-member@example.com")
			outsider := s.register(t, "audit-outsider@example.com")
			_, err := s.app.Store().UpdateUser(context.Background(), root.User.ID, func(u identity.User) (identity.User, error) {
				u.IsPlatformAdmin = true
				return u, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			orgA := s.createOrg(t, owner.Token, "Audit Acme", "audit-acme")
			orgB := s.createOrg(t, outsider.Token, "Audit Other", "audit-other")
			for _, m := range []struct{ email, role string }{{"audit-admin@example.com", "admin"}, {"audit-member@example.com", "member"}} {
				r := s.call(t, "POST", "/api/v1/organizations/"+orgA+"/members", root.Token, map[string]any{"email": m.email, "role": m.role})
				expect(t, r, 201, "")
			}
			// A login with a spreadsheet formula for a user agent.
			const formulaUA = "=HYPERLINK(\"http://evil.example\",\"x\")"
			expect(t, s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "audit-member@example.com", "password": pw}, "User-Agent", formulaUA), 200, "")
			expect(t, s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "audit-member@example.com", "password": "wrong-password-1"}), 401, "AUTHENTICATION_ERROR")

			t.Run("my activity holds only my own entries", func(t *testing.T) {
				rows := s.auditAll(t, "/api/v1/auth/audit-logs", member.Token)
				if len(rows) < 2 || !slices.Contains(actions(rows), audit.UserRegister) || !slices.Contains(actions(rows), audit.UserLogin) {
					t.Fatalf("own activity = %v", actions(rows))
				}
				for _, r := range rows {
					if str(r.UserID) != member.User.ID {
						t.Fatalf("someone else's entry in my activity: %+v", r)
					}
					if len(r.Hash) != 64 || r.Seq < 1 || r.ID == "" || r.CreatedAt.IsZero() || r.CreatedAt.Location() != time.UTC {
						t.Fatalf("entry lacks its chain fields or time: %+v", r)
					}
				}
				other := s.call(t, "GET", "/api/v1/auth/audit-logs?actor="+owner.User.ID, member.Token, nil)
				expect(t, other, 200, "")
				var page auditPage
				other.data(t, &page)
				if len(page.Items) != 0 {
					t.Fatalf("asking for another actor in my activity returned %d entries", len(page.Items))
				}
			})

			t.Run("an organization's audit is for its admins and platform admins", func(t *testing.T) {
				path := "/api/v1/organizations/" + orgA + "/audit-logs"
				for _, tok := range []string{owner.Token, admin.Token, root.Token} {
					rows := s.auditAll(t, path, tok)
					if !slices.Contains(actions(rows), audit.OrgCreate) || !slices.Contains(actions(rows), audit.OrgMemberAdd) {
						t.Fatalf("org audit = %v", actions(rows))
					}
					for _, r := range rows {
						if str(r.OrganizationID) != orgA {
							t.Fatalf("another tenant's entry in the org audit: %+v", r)
						}
					}
				}
				expect(t, s.call(t, "GET", path, member.Token, nil), 403, "AUTHORIZATION_ERROR")
				expect(t, s.call(t, "GET", path, outsider.Token, nil), 404, "NOT_FOUND")
				expect(t, s.call(t, "GET", "/api/v1/organizations/no-such-org/audit-logs", owner.Token, nil), 404, "NOT_FOUND")
				expect(t, s.call(t, "GET", path, "", nil), 401, "AUTH_REQUIRED")
				// Refusals stay envelopes when an export was asked for.
				expect(t, s.call(t, "GET", path+"?format=csv", member.Token, nil), 403, "AUTHORIZATION_ERROR")
				expect(t, s.call(t, "GET", path+"?format=jsonl", outsider.Token, nil), 404, "NOT_FOUND")
			})

			t.Run("the system view shows everything only to platform admins", func(t *testing.T) {
				all := s.auditAll(t, "/api/v1/audit-logs?limit=200", root.Token)
				var sawB, sawUsers bool
				for _, r := range all {
					sawB = sawB || str(r.OrganizationID) == orgB
					sawUsers = sawUsers || str(r.UserID) == outsider.User.ID
				}
				if !sawB || !sawUsers {
					t.Fatalf("platform admin's view lacks other tenants: %v", actions(all))
				}
				// An org owner sees only their own rows: never another tenant's.
				mine := s.auditAll(t, "/api/v1/audit-logs", owner.Token)
				for _, r := range mine {
					if str(r.UserID) != owner.User.ID {
						t.Fatalf("an org owner saw someone else's entry: %+v", r)
					}
				}
				orgRows := s.auditAll(t, "/api/v1/audit-logs?organization_id="+orgA, owner.Token)
				if len(orgRows) == 0 {
					t.Fatal("the organization filter showed its admin nothing")
				}
				for _, r := range orgRows {
					if str(r.OrganizationID) != orgA {
						t.Fatalf("organization filter leaked %+v", r)
					}
				}
				expect(t, s.call(t, "GET", "/api/v1/audit-logs?organization_id="+orgA, outsider.Token, nil), 404, "NOT_FOUND")
				expect(t, s.call(t, "GET", "/api/v1/audit-logs?organization_id="+orgA, member.Token, nil), 403, "AUTHORIZATION_ERROR")
			})

			t.Run("filters narrow the view", func(t *testing.T) {
				rows := s.auditAll(t, "/api/v1/audit-logs?action="+audit.OrgCreate, root.Token)
				if len(rows) != 2 {
					t.Fatalf("org.create entries = %d, want 2", len(rows))
				}
				failed := s.auditAll(t, "/api/v1/audit-logs?success=false&user_id="+member.User.ID, root.Token)
				if len(failed) == 0 {
					t.Fatal("the failed login is missing")
				}
				for _, r := range failed {
					if r.Success || str(r.UserID) != member.User.ID {
						t.Fatalf("filter leaked %+v", r)
					}
				}
				res := s.auditAll(t, "/api/v1/audit-logs?resource_type=organization&resource_id="+orgB, root.Token)
				if len(res) == 0 || str(res[0].ResourceID) != orgB {
					t.Fatalf("resource filter = %+v", res)
				}
				future := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
				if got := s.auditAll(t, "/api/v1/audit-logs?since="+future, root.Token); len(got) != 0 {
					t.Fatalf("entries from the future: %d", len(got))
				}
				past := url.QueryEscape(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
				if got := s.auditAll(t, "/api/v1/audit-logs?since="+past+"&until="+future, root.Token); len(got) == 0 {
					t.Fatal("no entries in the last hour")
				}
				for _, bad := range []struct{ query, field string }{
					{"since=yesterday", "since"}, {"until=2025-13-01T00:00:00Z", "until"}, {"success=maybe", "success"},
					{"limit=0", "limit"}, {"limit=201", "limit"}, {"per_page=x", "limit"}, {"format=xml", "format"},
					{"since=" + future + "&until=" + past, "until"}, {"cursor=not-a-cursor!", ""},
				} {
					r := s.call(t, "GET", "/api/v1/audit-logs?"+bad.query, root.Token, nil)
					expect(t, r, 400, "VALIDATION_ERROR")
					if _, ok := r.env.Error.Details[bad.field]; bad.field != "" && !ok {
						t.Errorf("%s: no details for %s: %s", bad.query, bad.field, r.raw)
					}
				}
			})

			t.Run("pages follow the cursor without overlap", func(t *testing.T) {
				all := s.auditAll(t, "/api/v1/audit-logs?limit=200", root.Token)
				paged := s.auditAll(t, "/api/v1/audit-logs?per_page=3", root.Token)
				if len(all) != len(paged) {
					t.Fatalf("pages of 3 hold %d entries, one page %d", len(paged), len(all))
				}
				for i := range all {
					if all[i].ID != paged[i].ID {
						t.Fatalf("entry %d differs: %s vs %s", i, all[i].ID, paged[i].ID)
					}
				}
				r := s.call(t, "GET", "/api/v1/audit-logs", root.Token, nil)
				var page auditPage
				r.data(t, &page)
				if len(all) <= 50 && page.NextCursor != nil {
					t.Fatalf("a cursor on the only page: %s", r.env.Data)
				}
			})

			t.Run("exports stream JSON Lines and CSV", func(t *testing.T) {
				all := s.auditAll(t, "/api/v1/audit-logs?limit=200", root.Token)
				r := s.call(t, "GET", "/api/v1/audit-logs?format=jsonl", root.Token, nil)
				if r.status != 200 || r.header.Get("Content-Type") != "application/x-ndjson" ||
					!strings.HasPrefix(r.header.Get("Content-Disposition"), `attachment; filename="audit-logs-auto-`) ||
					!strings.HasSuffix(r.header.Get("Content-Disposition"), `.jsonl"`) || r.header.Get("X-Request-ID") == "" {
					t.Fatalf("jsonl export: %d %v", r.status, r.header)
				}
				lines := strings.Split(strings.TrimSuffix(string(r.raw), "\n"), "\n")
				if len(lines) != len(all) {
					t.Fatalf("jsonl export has %d lines, the view %d entries", len(lines), len(all))
				}
				for i, line := range lines {
					var row auditRow
					if err := json.Unmarshal([]byte(line), &row); err != nil {
						t.Fatalf("line %d: %v", i, err)
					}
					if row.ID != all[i].ID || row.Hash != all[i].Hash {
						t.Fatalf("line %d is %s, the view's entry %s", i, row.ID, all[i].ID)
					}
				}

				r = s.call(t, "GET", "/api/v1/auth/audit-logs?format=csv", member.Token, nil)
				if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") ||
					!strings.HasSuffix(r.header.Get("Content-Disposition"), `.csv"`) {
					t.Fatalf("csv export: %d %v", r.status, r.header)
				}
				recs, err := csv.NewReader(bytes.NewReader(r.raw)).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				mine := s.auditAll(t, "/api/v1/auth/audit-logs", member.Token)
				if len(recs) != len(mine)+1 || recs[0][0] != "id" || recs[0][len(recs[0])-1] != "hash" {
					t.Fatalf("csv has %d records for %d entries: %v", len(recs), len(mine), recs[0])
				}
				sawFormula := false
				for _, rec := range recs[1:] {
					for _, cell := range rec {
						if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
							t.Fatalf("a cell a spreadsheet would run: %q", cell)
						}
						sawFormula = sawFormula || cell == "'"+formulaUA
					}
				}
				if !sawFormula {
					t.Fatal("the formula user agent is missing from the export")
				}

				r = s.call(t, "GET", "/api/v1/organizations/"+orgA+"/audit-logs?format=csv&action="+audit.OrgMemberAdd, owner.Token, nil)
				recs, err = csv.NewReader(bytes.NewReader(r.raw)).ReadAll()
				if err != nil || r.status != 200 || len(recs) != 3 || !strings.Contains(r.header.Get("Content-Disposition"), "audit-logs-org-") {
					t.Fatalf("filtered org export: %d %v %q", r.status, err, r.raw)
				}
			})

			t.Run("the chains verify", func(t *testing.T) {
				v, err := s.app.Store().VerifyAudit(context.Background())
				if err != nil || !v.Intact() || len(v.Chains) != 3 {
					t.Fatalf("VerifyAudit = %+v, %v; want 3 intact chains", v, err)
				}
			})
		})
	}
}

// createOrg creates an organization and returns its ID.
func (s *server) createOrg(t *testing.T, token, name, slug string) string {
	t.Helper()
	r := s.call(t, "POST", "/api/v1/organizations", token, map[string]any{"name": name, "slug": slug})
	expect(t, r, 201, "")
	var d struct {
		Organization struct {
			ID string `json:"id"`
		} `json:"organization"`
	}
	r.data(t, &d)
	if d.Organization.ID == "" {
		t.Fatalf("no organization id: %s", r.env.Data)
	}
	return d.Organization.ID
}

// `secuird audit verify` passes an intact trail and reports a row changed
// or removed behind the application's back (with the database's refusal
// switched off, as someone with database access would).
func TestAuditVerifyCommand(t *testing.T) {
	type target struct {
		vars   map[string]string
		tamper func(t *testing.T, stmts ...string)
	}
	targets := map[string]func(t *testing.T) target{
		"sqlite": func(t *testing.T) target {
			dir := t.TempDir()
			return target{
				vars: map[string]string{"SECUIRD_ENV": "test", "SECUIRD_DATA_DIR": dir},
				tamper: func(t *testing.T, stmts ...string) {
					db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "secuird.db")+"?_pragma=busy_timeout(10000)")
					if err != nil {
						t.Fatal(err)
					}
					defer db.Close()
					run(t, db, append([]string{"DROP TRIGGER IF EXISTS audit_logs_no_update", "DROP TRIGGER IF EXISTS audit_logs_no_delete"}, stmts...)...)
				},
			}
		},
		"postgres": func(t *testing.T) target {
			dbURL := testenv.PostgresURL(t)
			schema := randomName()
			t.Cleanup(func() {
				db, err := sql.Open("pgx", dbURL)
				if err == nil {
					run(t, db, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
					_ = db.Close()
				}
			})
			return target{
				vars: map[string]string{"SECUIRD_ENV": "test", "SECUIRD_DATA_DIR": t.TempDir(), "DATABASE_URL": dbURL, "SECUIRD_DATABASE_SCHEMA": schema},
				tamper: func(t *testing.T, stmts ...string) {
					db, err := sql.Open("pgx", dbURL)
					if err != nil {
						t.Fatal(err)
					}
					defer db.Close()
					// One connection, so the search path holds for every statement.
					conn, err := db.Conn(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					defer conn.Close()
					for _, q := range append([]string{"SET search_path TO " + schema, "ALTER TABLE audit_logs DISABLE TRIGGER USER"}, stmts...) {
						if _, err := conn.ExecContext(context.Background(), q); err != nil {
							t.Fatalf("%s: %v", q, err)
						}
					}
				},
			}
		},
	}
	for name, mk := range targets {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tg := mk(t)
			getenv := func(k string) string { return tg.vars[k] }
			verify := func(args ...string) (int, string, string) {
				var out, errb bytes.Buffer
				code := app.Main(append([]string{"audit", "verify"}, args...), getenv, &out, &errb)
				return code, out.String(), errb.String()
			}
			if code, _, e := verify(); code != 2 || !strings.Contains(e, "migrated") {
				t.Fatalf("verify before migrating: exit %d, %q", code, e)
			}

			cfg, err := app.Load(getenv)
			if err != nil {
				t.Fatal(err)
			}
			a, err := app.New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			base := time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC)
			for i, org := range []string{"", "org-1", "", "org-1", "", "org-1", ""} {
				e := audit.Entry{ID: "cmd-" + string(rune('a'+i)), At: base.Add(time.Duration(i) * time.Second), OrgID: org, Action: audit.UserLogin, Success: true}
				if err := a.Store().AppendAudit(context.Background(), e); err != nil {
					t.Fatal(err)
				}
			}
			_ = a.Close()

			code, out, e := verify()
			if code != 0 || !strings.Contains(out, "audit trail intact: 2 chains, 7 rows") || !strings.Contains(out, "chain platform: 4 rows") {
				t.Fatalf("intact trail: exit %d\n%s%s", code, out, e)
			}
			code, out, _ = verify("--json")
			var rep struct {
				Intact bool `json:"intact"`
				Chains []struct {
					Chain    string `json:"chain"`
					HeadHash string `json:"head_hash"`
				} `json:"chains"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || !rep.Intact || len(rep.Chains) != 2 || len(rep.Chains[1].HeadHash) != 64 {
				t.Fatalf("--json: exit %d, %v\n%s", code, err, out)
			}

			// Change an action in the platform chain.
			tg.tamper(t, "UPDATE audit_logs SET action = 'user.logout' WHERE id = 'cmd-c'")
			code, out, _ = verify()
			if code != 1 || !strings.Contains(out, "chain platform: 4 rows") || !strings.Contains(out, "BROKEN at seq 2, id cmd-c: hash_mismatch") ||
				!strings.Contains(out, "chain org org-1: 3 rows") || !strings.Contains(out, "audit trail TAMPERED: 1 of 2 chains broken") {
				t.Fatalf("changed row: exit %d\n%s", code, out)
			}
			// Remove a row from the organization's chain too.
			tg.tamper(t, "DELETE FROM audit_logs WHERE id = 'cmd-d'")
			code, out, _ = verify()
			if code != 1 || !strings.Contains(out, "BROKEN at seq 3, id cmd-f: seq_gap") || !strings.Contains(out, "2 of 2 chains broken") {
				t.Fatalf("deleted row: exit %d\n%s", code, out)
			}
			if code, _, e := verify("extra"); code != 2 || !strings.Contains(e, "unexpected argument") {
				t.Fatalf("extra argument: exit %d, %q", code, e)
			}
		})
	}
}

func run(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}
