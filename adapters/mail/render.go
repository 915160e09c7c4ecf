package mail

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	texttemplate "text/template"
	"unicode"
	"unicode/utf8"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/ports"
)

var _ ports.MailRenderer = (*Renderer)(nil)

// Brand is what every email shows of the product: its name, logo and
// colour, and where to ask for help.
type Brand struct {
	// Name appears in subjects, headings and the footer ("Secuird").
	Name string
	// LogoURL is an absolute http(s) URL of a logo image; empty shows the
	// name as a word mark.
	LogoURL string
	// PrimaryColor is a CSS hex colour (#rgb or #rrggbb) for buttons and
	// the header rule.
	PrimaryColor string
	// SupportEmail, when set, is offered in every footer.
	SupportEmail string
	// URL is the product's public address, shown in the text footer.
	URL string
}

// DefaultBrand is the brand used when none is configured.
func DefaultBrand() Brand {
	return Brand{Name: "Secuird", PrimaryColor: "#2563eb"}
}

// maxSubjectLen caps a rendered subject, in characters.
const maxSubjectLen = 200

// Renderer renders messages from the email templates: for each message
// NAME, NAME.txt defines "subject" and "content" (text/template) and
// NAME.html defines "content" (html/template, which escapes every value for
// its context), each placed in the shared layout of layout.txt or
// layout.html. Templates are parsed once, by NewRenderer; a value a
// template needs that the message lacks is an error, not an empty string.
type Renderer struct {
	brand Brand
	text  map[string]*texttemplate.Template
	html  map[string]*htmltemplate.Template
}

// view is what every template sees.
type view struct {
	Brand   Brand
	Subject string
	Vars    map[string]string
}

// action is a call to action: the button and its link as plain text.
type action struct {
	URL   string
	Label string
	Color string
}

// NewRenderer parses the templates of every message in message.Templates
// from fsys (web.Emails() in production) for brand; zero brand fields take
// DefaultBrand's. A missing or malformed file is an error naming every one.
func NewRenderer(brand Brand, fsys fs.FS) (*Renderer, error) {
	def := DefaultBrand()
	if strings.TrimSpace(brand.Name) == "" {
		brand.Name = def.Name
	}
	if brand.PrimaryColor == "" {
		brand.PrimaryColor = def.PrimaryColor
	}
	r := &Renderer{
		brand: brand,
		text:  map[string]*texttemplate.Template{},
		html:  map[string]*htmltemplate.Template{},
	}
	funcs := map[string]any{
		"button": func(url, label string) action { return action{URL: url, Label: label, Color: brand.PrimaryColor} },
	}
	var errs []error
	for _, name := range message.Templates() {
		tt, err := texttemplate.New(name).Funcs(funcs).Option("missingkey=error").ParseFS(fsys, "layout.txt", name+".txt")
		if err == nil {
			err = requireDefined(name+".txt", tt.Lookup, "layout", "subject", "content")
		}
		if err != nil {
			errs = append(errs, err)
		} else {
			r.text[name] = tt
		}
		ht, err := htmltemplate.New(name).Funcs(funcs).Option("missingkey=error").ParseFS(fsys, "layout.html", name+".html")
		if err == nil {
			err = requireDefined(name+".html", func(n string) *htmltemplate.Template { return ht.Lookup(n) }, "layout", "content")
		}
		if err != nil {
			errs = append(errs, err)
		} else {
			r.html[name] = ht
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("email templates: %w", errors.Join(errs...))
	}
	return r, nil
}

func requireDefined[T comparable](file string, lookup func(string) T, names ...string) error {
	var zero T
	for _, n := range names {
		if lookup(n) == zero {
			return fmt.Errorf("%s: no {{define %q}}", file, n)
		}
	}
	return nil
}

// Brand returns the brand in use.
func (r *Renderer) Brand() Brand { return r.brand }

// Render renders m. The subject is made one line (control characters and
// runs of white space become one space) and capped, so no value can break
// out of the Subject header. Invalid when the template is unknown or needs
// a value m lacks.
func (r *Renderer) Render(m message.Email) (message.Rendered, error) {
	const op = "mail.Render"
	tt, ok := r.text[m.Template]
	ht, ok2 := r.html[m.Template]
	if !ok || !ok2 {
		return message.Rendered{}, &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Unknown email template",
			Fields: map[string][]string{"template": {"Unknown template"}}}
	}
	v := view{Brand: r.brand, Vars: m.Vars}
	if v.Vars == nil {
		v.Vars = map[string]string{}
	}
	var b bytes.Buffer
	if err := tt.ExecuteTemplate(&b, "subject", v); err != nil {
		return message.Rendered{}, renderError(op, m.Template, err)
	}
	v.Subject = oneLine(b.String(), maxSubjectLen)
	b.Reset()
	if err := tt.ExecuteTemplate(&b, "layout", v); err != nil {
		return message.Rendered{}, renderError(op, m.Template, err)
	}
	text := tidyText(b.String())
	b.Reset()
	if err := ht.ExecuteTemplate(&b, "layout", v); err != nil {
		return message.Rendered{}, renderError(op, m.Template, err)
	}
	return message.Rendered{Email: m, Subject: v.Subject, Text: text, HTML: b.String()}, nil
}

func renderError(op, name string, err error) error {
	return &fault.Error{Op: op, Kind: fault.Invalid, Msg: "The email cannot be rendered", Err: fmt.Errorf("%s: %w", name, err)}
}

// oneLine turns s into one header-safe line: every control character
// (CR and LF included) and run of white space becomes a single space, and
// the result is trimmed and cut to at most n characters.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n-1]) + "…"
	}
	return s
}

// tidyText normalises a rendered text part: LF line ends, no trailing
// blanks, at most one empty line in a row, one final newline.
func tidyText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			blank++
			if blank > 1 || len(out) == 0 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
}
