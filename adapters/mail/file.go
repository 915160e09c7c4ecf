package mail

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/ports"
)

// File "delivers" each message by writing it, as the RFC 5322 message an
// SMTP server would receive (multipart/alternative), to DIR/ID.eml: open
// it in any mail client. Named by the outbox ID, a resent message replaces
// its file, so a directory never holds a message twice. For local use and
// tests; the files hold live links.
type File struct {
	dir  string
	from From
}

var _ ports.MailSender = (*File)(nil)

// NewFile returns a File provider writing under dir, which it creates
// (mode 0700) if missing.
func NewFile(dir string, from From) (*File, error) {
	const op = "mail.NewFile"
	if strings.TrimSpace(dir) == "" {
		return nil, fault.E(op, fault.Invalid, "A directory is required")
	}
	if err := from.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, &fault.Error{Op: op, Kind: fault.Unavailable, Msg: "Cannot create the mail directory", Err: err}
	}
	return &File{dir: dir, from: from}, nil
}

// Dir returns the directory the files go to.
func (f *File) Dir() string { return f.dir }

// Send writes m to DIR/ID.eml atomically (a temporary file renamed into
// place) and returns the file's path. Unavailable when the disk refuses.
func (f *File) Send(ctx context.Context, m message.Rendered) (string, error) {
	const op = "mail.File.Send"
	if err := ctx.Err(); err != nil {
		return "", &fault.Error{Op: op, Kind: fault.Unavailable, Msg: "Cancelled", Err: err}
	}
	msg, err := buildMsg(f.from, m)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return "", &fault.Error{Op: op, Kind: fault.Invalid, Msg: "The message cannot be encoded", Err: err}
	}
	name := safeFileName(m.ID)
	if name == "" {
		name = "message"
	}
	path := filepath.Join(f.dir, name+".eml")
	tmp, err := os.CreateTemp(f.dir, "."+name+"-*.tmp")
	if err != nil {
		return "", &fault.Error{Op: op, Kind: fault.Unavailable, Msg: "Cannot write the message", Err: err}
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		_ = tmp.Close()
		return "", &fault.Error{Op: op, Kind: fault.Unavailable, Msg: "Cannot write the message", Err: err}
	}
	if err := tmp.Close(); err != nil {
		return "", &fault.Error{Op: op, Kind: fault.Unavailable, Msg: "Cannot write the message", Err: err}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", &fault.Error{Op: op, Kind: fault.Unavailable, Msg: "Cannot write the message", Err: err}
	}
	return path, nil
}

// safeFileName keeps the characters of an ID that are safe in a file name.
func safeFileName(id string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return -1
	}, strings.TrimLeft(id, "."))
}
