package httpapi

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/auditlog"
	"github.com/secuird/secuird/core/identity"
)

func TestCSVSafe(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"=1+1", "'=1+1"},
		{"+cmd", "'+cmd"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"a=b", "a=b"},
		{"'quoted", "'quoted"},
	} {
		if got := csvSafe(tc.in); got != tc.want {
			t.Errorf("csvSafe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// pagedLog is an in-memory trail of n entries, newest first, whose
// ListAudit fails once the cursor reaches failAt (0: never). It stands in
// for the store to force a failure in the middle of an export.
type pagedLog struct {
	n, failAt int
}

func (l pagedLog) AppendAudit(context.Context, audit.Entry) error { return nil }

func (l pagedLog) ListAudit(_ context.Context, f audit.Filter) ([]audit.Entry, string, error) {
	start := 0
	if f.Cursor != "" {
		start, _ = strconv.Atoi(f.Cursor)
	}
	if l.failAt > 0 && start >= l.failAt {
		return nil, "", errors.New("disk on fire")
	}
	var out []audit.Entry
	for i := start; i < l.n && len(out) < f.Limit; i++ {
		out = append(out, audit.Entry{ID: "e" + strconv.Itoa(i), At: time.Unix(int64(l.n-i), 0), Action: "x", Seq: int64(l.n - i)})
	}
	next := ""
	if start+len(out) < l.n {
		next = strconv.Itoa(start + len(out))
	}
	return out, next, nil
}

// serveExport answers GET / with an export of log for a platform admin.
func serveExport(t *testing.T, log pagedLog, format string) string {
	t.Helper()
	app := newFiber(Options{})
	h := &handlers{d: Deps{Audit: auditlog.New(auditlog.Deps{Log: log})}}
	app.Get("/", func(c *fiber.Ctx) error {
		c.Locals(principalKey, &account.Principal{User: identity.User{ID: "root", IsPlatformAdmin: true}})
		return h.exportAudit(c, auditlog.Query{Scope: auditlog.Platform}, format)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String() + "/"
}

func TestAuditExportStreamsEveryPage(t *testing.T) {
	t.Parallel()
	const n = 1234
	for _, format := range []string{auditFormatJSONL, auditFormatCSV} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			url := serveExport(t, pagedLog{n: n}, format)
			resp, err := http.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 || resp.ContentLength != -1 {
				t.Fatalf("status %d, length %d; want a streamed 200", resp.StatusCode, resp.ContentLength)
			}
			lines := 0
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				lines++
			}
			if err := sc.Err(); err != nil {
				t.Fatal(err)
			}
			want := n
			if format == auditFormatCSV {
				want++ // the header
			}
			if lines != want {
				t.Fatalf("%d lines, want %d", lines, want)
			}
		})
	}
}

func TestAuditExportFailureTruncatesTheTransfer(t *testing.T) {
	t.Parallel()
	url := serveExport(t, pagedLog{n: 1000, failAt: 400}, auditFormatJSONL)
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Fatalf("a failed export ended like a complete one (%d lines)", strings.Count(string(body), "\n"))
	}
	if n := strings.Count(string(body), "\n"); n > 400 {
		t.Fatalf("%d lines before the failure, want at most 400", n)
	}
}
