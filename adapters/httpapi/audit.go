package httpapi

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/auditlog"
	"github.com/secuird/secuird/core/fault"
)

// auditRoutes serves the audit views (SEED-SPEC 4.2, 4.10):
//
//	GET /auth/audit-logs                  the caller's own entries
//	GET /organizations/{org}/audit-logs   an organization's (owners, admins, platform admins)
//	GET /audit-logs                       everything for platform admins; else the caller's own,
//	                                      or with organization_id that organization's (its admins)
//
// Each takes the filters action, actor (or user_id), resource_type,
// resource_id, success, since and until (RFC 3339), and either a page
// (limit or per_page, 1-200, default 50; cursor) in the envelope, or with
// format=jsonl or format=csv every matching entry as a download.
func (h *handlers) auditRoutes(v1 fiber.Router) {
	if h.d.Audit == nil {
		return
	}
	auth := h.requireSession
	v1.Get("/auth/audit-logs", auth, func(c *fiber.Ctx) error { return h.auditLogs(c, auditlog.Mine) })
	v1.Get("/organizations/:org/audit-logs", auth, func(c *fiber.Ctx) error { return h.auditLogs(c, auditlog.Org) })
	v1.Get("/audit-logs", auth, func(c *fiber.Ctx) error { return h.auditLogs(c, auditlog.Auto) })
}

// Export formats.
const (
	auditFormatJSON  = "json"
	auditFormatJSONL = "jsonl"
	auditFormatCSV   = "csv"
)

func (h *handlers) auditLogs(c *fiber.Ctx, scope auditlog.Scope) error {
	q, format, err := auditQuery(c, scope)
	if err != nil {
		return fail(c, err)
	}
	viewer := principal(c).User
	if format != auditFormatJSON {
		return h.exportAudit(c, q, format)
	}
	p, err := h.d.Audit.List(c.UserContext(), viewer, q)
	if err != nil {
		return fail(c, err)
	}
	items := make([]auditEntryView, len(p.Entries))
	for i, e := range p.Entries {
		items[i] = viewAuditEntry(e)
	}
	var next any
	if p.Next != "" {
		next = p.Next
	}
	return respond(c, fiber.StatusOK, "Audit logs", fiber.Map{"items": items, "next_cursor": next, "count": len(items)})
}

// auditQuery reads the query string. Every value is copied: an export
// outlives the request's buffers.
func auditQuery(c *fiber.Ctx, scope auditlog.Scope) (auditlog.Query, string, error) {
	const op = "httpapi.auditQuery"
	var v fault.Validation
	get := func(names ...string) string {
		for _, n := range names {
			if s := c.Query(n); s != "" {
				return strings.Clone(s)
			}
		}
		return ""
	}
	q := auditlog.Query{
		Scope:        scope,
		OrgID:        get("organization_id"),
		ActorID:      get("actor", "user_id"),
		Action:       get("action"),
		ResourceType: get("resource_type"),
		ResourceID:   get("resource_id"),
		Cursor:       get("cursor"),
	}
	if scope == auditlog.Org {
		q.OrgID = strings.Clone(c.Params("org"))
	}
	if s := get("success"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			v.Add("success", "Must be true or false")
		} else {
			q.Success = &b
		}
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		if s := get(t.name); s != "" {
			at, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				v.Add(t.name, "Must be an RFC 3339 time, e.g. 2025-01-31T13:45:00Z")
			} else {
				*t.dst = at
			}
		}
	}
	if s := get("limit", "per_page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > auditlog.MaxLimit {
			v.Add("limit", "Must be a whole number from 1 to 200")
		} else {
			q.Limit = n
		}
	}
	format := strings.ToLower(get("format"))
	switch format {
	case "", auditFormatJSON:
		format = auditFormatJSON
	case auditFormatJSONL, "ndjson":
		format = auditFormatJSONL
	case auditFormatCSV:
	default:
		v.Add("format", "Must be one of: json, jsonl, csv")
	}
	return q, format, v.Err(op)
}

// exportAudit streams every entry of q as JSON Lines or CSV, as a
// download. Authorization and validation happen first, so refusals are
// enveloped; then the entries are written while they are read, a page at
// a time, so memory stays flat. A failure after the first byte cannot
// change the status any more: the connection is cut without the final
// chunk, so the client sees a truncated transfer rather than a short file
// that looks complete.
func (h *handlers) exportAudit(c *fiber.Ctx, q auditlog.Query, format string) error {
	seq, err := h.d.Audit.Export(c.UserContext(), principal(c).User, q)
	if err != nil {
		return fail(c, err)
	}
	name := "audit-logs-" + string(q.Scope)
	if q.Scope == auditlog.Org {
		name += "-" + fileSafe(q.OrgID)
	}
	return streamAudit(c, seq, name, format)
}

// streamAudit sends seq as a download named name (plus a time stamp and
// the format's extension) in format (CSV or JSON lines), written while it
// is read, a page at a time.
func streamAudit(c *fiber.Ctx, seq iter.Seq2[audit.Entry, error], name, format string) error {
	name += "-" + time.Now().UTC().Format("20060102T150405Z")
	write := writeJSONLines
	if format == auditFormatCSV {
		write = writeCSV
		name += ".csv"
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	} else {
		name += ".jsonl"
		c.Set(fiber.HeaderContentType, "application/x-ndjson")
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")

	lg := logger(c)
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriterSize(pw, 32<<10)
		err := write(bw, seq)
		if err == nil {
			err = bw.Flush()
		}
		if err != nil && fault.As(err) != nil {
			lg.Error("audit export failed", "error", err.Error())
		}
		// nil ends the body; an error makes the server drop the connection.
		// When the client went away, the server has closed pr and the
		// writes above failed fast.
		_ = pw.CloseWithError(err)
	}()
	c.Context().SetBodyStream(pr, -1)
	return nil
}

// writeJSONLines writes one JSON object per line.
func writeJSONLines(w *bufio.Writer, seq iter.Seq2[audit.Entry, error]) error {
	for e, err := range seq {
		if err != nil {
			return err
		}
		b, err := json.Marshal(viewAuditEntry(e))
		if err != nil {
			return fault.Internalf("httpapi.writeJSONLines", "encode entry %s: %w", e.ID, err)
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// auditCSVHeader names the CSV columns; the same fields as the JSON view.
var auditCSVHeader = []string{
	"id", "created_at", "user_id", "action", "resource_type", "resource_id", "organization_id",
	"ip_address", "user_agent", "request_id", "success", "error_message", "description",
	"extra_data", "seq", "prev_hash", "hash",
}

// writeCSV writes a header and one row per entry, every cell made safe
// for spreadsheets (csvSafe).
func writeCSV(w *bufio.Writer, seq iter.Seq2[audit.Entry, error]) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(auditCSVHeader); err != nil {
		return err
	}
	for e, err := range seq {
		if err != nil {
			return err
		}
		extra, err := audit.CanonicalExtra(e.Extra)
		if err != nil {
			return fault.Internalf("httpapi.writeCSV", "encode entry %s: %w", e.ID, err)
		}
		row := []string{
			e.ID, audit.FormatTime(e.At), e.ActorID, e.Action, e.ResourceType, e.ResourceID, e.OrgID,
			e.IP, e.UserAgent, e.RequestID, strconv.FormatBool(e.Success), e.Error, e.Description,
			extra, strconv.FormatInt(e.Seq, 10), e.PrevHash, e.Hash,
		}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe defuses formula injection: a cell that a spreadsheet would run
// as a formula (starting with =, +, -, @, a tab or a carriage return) gets
// a leading single quote, which spreadsheets show as text.
func csvSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// fileSafe keeps letters, digits, '-' and '_' for a download's file name.
func fileSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		}
		if b.Len() >= 64 {
			break
		}
	}
	return b.String()
}

// auditEntryView is an audit entry as the API shows it. Empty optional
// text is null.
type auditEntryView struct {
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

func viewAuditEntry(e audit.Entry) auditEntryView {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	return auditEntryView{
		ID: e.ID, CreatedAt: e.At.UTC(), UserID: opt(e.ActorID), Action: e.Action,
		ResourceType: opt(e.ResourceType), ResourceID: opt(e.ResourceID), OrganizationID: opt(e.OrgID),
		IPAddress: opt(e.IP), UserAgent: opt(e.UserAgent), RequestID: opt(e.RequestID),
		Success: e.Success, ErrorMessage: opt(e.Error), Description: opt(e.Description),
		ExtraData: e.Extra, Seq: e.Seq, PrevHash: e.PrevHash, Hash: e.Hash,
	}
}
