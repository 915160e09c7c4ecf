package web

import "io/fs"

// Pages returns the hosted page templates (layout.html and one file per
// page), rooted at templates/pages.
func Pages() fs.FS {
	sub, err := fs.Sub(files, "templates/pages")
	if err != nil {
		panic("web: " + err.Error())
	}
	return sub
}
