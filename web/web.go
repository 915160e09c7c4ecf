// Package web embeds Secuird's templates (hosted pages and emails) and
// static assets, so the binary carries everything it serves or sends.
//
// templates/email holds one HTML and one plain-text file per message
// (NAME.html, NAME.txt) plus the shared layouts (layout.html, layout.txt);
// the mail adapter parses them once at start-up.
package web

import (
	"embed"
	"io/fs"
)

//go:embed templates static locales
var files embed.FS

// FS returns every embedded file, rooted at this package's folder
// (templates/..., static/...).
func FS() fs.FS { return files }

// Emails returns the email templates, rooted at templates/email.
func Emails() fs.FS {
	sub, err := fs.Sub(files, "templates/email")
	if err != nil {
		// The path is a constant inside the embedded tree: unreachable.
		panic("web: " + err.Error())
	}
	return sub
}

// Static returns the static assets, rooted at static.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic("web: " + err.Error())
	}
	return sub
}

// Locales returns the message catalogue, rooted at locales
// (<lang>/<area>.json).
func Locales() fs.FS {
	sub, err := fs.Sub(files, "locales")
	if err != nil {
		panic("web: " + err.Error())
	}
	return sub
}
