package httpapi

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/secuird/secuird/adapters/i18n"
	"github.com/secuird/secuird/adapters/strength"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/web"
)

// Why a core message is not translated (the values of coreTextIgnored).
const (
	ignEnvelope = "the envelope of field problems: pages show the fields' own texts, a flash the kind's"
	ignProtocol = "OAuth/OIDC protocol text: an error_description for relying parties (developer-facing, ASCII by RFC 6749); the hosted OIDC pages answer by kind and code with their own keys"
	ignREST     = "REST API only: names JSON members or query parameters, or answers an operator endpoint no page calls (mail API, delivery log, key rotation, audit query)"
	ignInternal = "internal: recorded on an outbox message for the delivery log, never returned to a request"
	ignAdapter  = "the password policy's reasons (adapters/strength), mapped above and checked by TestCoreTextKeysExist"
	ignDynamic  = "built at run time with a value inside: pages answer by kind (and the form by field name); the parts that are core messages are mapped"
)

// coreTextIgnored are core messages the pages never translate, each with
// the reason. A message listed here must still occur in the core (the
// guard fails on stale entries). Dynamic messages (built at run time) are
// written as "pkg: expression", the way the guard reports them.
var coreTextIgnored = map[string]string{
	// The wrapper of every field problem.
	"Validation failed": ignEnvelope,

	// OAuth/OIDC protocol: authorize, token, device, exchange, logout,
	// dynamic registration, client authentication.
	"A sign-in with a second factor is required":                                    ignProtocol,
	"A valid initial access token is required":                                      ignProtocol,
	"Choose one of your organizations":                                              ignProtocol,
	"Client authentication failed":                                                  ignProtocol,
	"None of the requested scopes is allowed":                                       ignProtocol,
	"Not a refresh token of this client":                                            ignProtocol,
	"Only response_type=code is supported":                                          ignProtocol,
	"Polling too fast":                                                              ignProtocol,
	"The account is not active":                                                     ignProtocol,
	"The application requires an organization, and the user is not a member of any": ignProtocol,
	"The client assertion has a bad expiry":                                         ignProtocol,
	"The client assertion needs a jti":                                              ignProtocol,
	"The client assertion was used before":                                          ignProtocol,
	"The client has no organization":                                                ignProtocol,
	"The client may not exchange tokens":                                            ignProtocol,
	"The client may not use client_credentials":                                     ignProtocol,
	"The client may not use the authorization code flow":                            ignProtocol,
	"The client may not use the device flow":                                        ignProtocol,
	"The code is invalid or expired":                                                ignProtocol,
	"The code is not valid or has expired. Check the code on your device.":          ignProtocol,
	"The code was already used":                                                     ignProtocol,
	"The device code has expired":                                                   ignProtocol,
	"The device code is invalid":                                                    ignProtocol,
	"The device code was already used":                                              ignProtocol,
	"The device request has expired":                                                ignProtocol,
	"The openid scope is required":                                                  ignProtocol,
	"The post_logout_redirect_uri is not registered for this client":                ignProtocol,
	"The redirect_uri is not registered for this client":                            ignProtocol,
	"The refresh token is invalid or expired":                                       ignProtocol,
	"The refresh token is invalid":                                                  ignProtocol,
	"The refresh token was already used":                                            ignProtocol,
	"The scope may only narrow":                                                     ignProtocol,
	"The sign-in request is not finished":                                           ignProtocol,
	"The sign-in request is unknown or has expired":                                 ignProtocol,
	"The sign-in request was already completed":                                     ignProtocol,
	"The subject token belongs to another organization":                             ignProtocol,
	"The subject token is invalid":                                                  ignProtocol,
	"The subject token is invalid, revoked or has no user":                          ignProtocol,
	"The token is invalid or expired":                                               ignProtocol,
	"The token was revoked":                                                         ignProtocol,
	"The token's client is no longer active":                                        ignProtocol,
	"The user denied access":                                                        ignProtocol,
	"The user has not answered yet":                                                 ignProtocol,
	"The user has not consented":                                                    ignProtocol,
	"The user is not signed in":                                                     ignProtocol,
	"The user must choose an organization":                                          ignProtocol,
	"This client must use PKCE (code_challenge with S256)":                          ignProtocol,
	"Unknown client":                                                                ignProtocol,
	"Unknown user":                                                                  ignProtocol,
	"You are not a member of the requested organization":                            ignProtocol,
	"code_challenge is malformed":                                                   ignProtocol,
	"code_challenge_method must be S256":                                            ignProtocol,
	"max_age must not be negative":                                                  ignProtocol,
	"post_logout_redirect_uri needs client_id or id_token_hint":                     ignProtocol,
	"prompt=none cannot be combined with other values":                              ignProtocol,
	"Must be between 1 and 1000":                                                    ignProtocol,
	"Must be between 60 seconds and 30 days":                                        ignProtocol,
	"Token exchange cannot be registered dynamically":                               ignProtocol,

	// REST and operator endpoints only.
	"Send {\"confirm\": true} to delete this user permanently": ignREST,
	"Required": ignREST,
	"The organization has other members; send {\"confirm\": true} to delete it": ignREST,
	"Required when the organization has other members":                          ignREST,
	"Authentication required":                                                   ignREST,
	"Must be a positive number":                                                 ignREST,
	"Must be after since":                                                       ignREST,
	"Organization is required":                                                  ignREST,
	"Must be one of: mine, org, platform, auto":                                 ignREST,
	"A recipient is required":                                                   ignREST,
	"A template is required":                                                    ignREST,
	"Malformed value name":                                                      ignREST,
	"Must be pending, sent or dead":                                             ignREST,
	"Must be valid UTF-8 text":                                                  ignREST,
	"Must not contain line breaks":                                              ignREST,
	"Too long":                                                                  ignREST,
	"Too many values":                                                           ignREST,
	"Unknown template":                                                          ignREST,
	"The message was already sent":                                              ignREST,
	"Only a retiring key can be retired; rotate first":                          ignREST,

	// Delivery log of the outbox (internal).
	"The email provider timed out":     ignInternal,
	"The message crashed its delivery": ignInternal,

	// The password policy (adapters/strength) behind a port.
	"core/account: s.d.Policy.Weakness(pw, hints(u.Email, u.FullName))": ignAdapter,
	"core/account: s.d.Policy.Weakness(pw, hints)":                      ignAdapter,

	// Built at run time.
	"core/admin: \"No linked account for provider \" + strings.ToLower(provider)":                               ignDynamic,
	"core/admin: \"The account is already \" + string(to)":                                                      ignDynamic,
	"core/auditlog: \"Requires one of the following roles: \" + string(org.Owner) + \", \" + string(org.Admin)": ignDynamic,
	"core/oidc: \"Scheme \" + scheme + \" is not allowed\"":                                                     ignDynamic,
	"core/provider: \"Invalid scope \" + sc":                                                                    ignDynamic,
	"core/provider: \"Must be between \" + lo.String() + \" and \" + hi.String()":                               ignDynamic,
	"core/provider: \"Unknown audience \" + a":                                                                  ignDynamic,
	"core/provider: \"Unknown grant type \" + g":                                                                ignDynamic,
	"core/provider: \"token_exchange needs the \" + oidc.GrantTokenExchange + \" grant\"":                       ignDynamic,
	"core/provider: u + \": \" + p":                                                                             ignDynamic,
	"core/tenancy: \"No account for \" + email":                                                                 ignDynamic,
	"core/tenancy: \"Requires one of the following roles: \" + strings.Join(names, \", \")":                     ignDynamic,
	"core/tenancy: \"The owner's account \" + owner.Email + \" is deleted\"":                                    ignDynamic,
	"core/tenancy: \"Unknown role \" + string(m.Role)":                                                          ignDynamic,
	"core/throttle: fmt.Sprintf(\"invalid rate limit %q: %v\", strings.TrimSpace(p), err)":                      ignDynamic,
}

// coreMessage is one user-facing message the core can produce: its text
// (or, when built at run time, "pkg: expression") and where it is made.
type coreMessage struct {
	text    string
	dynamic bool
	pos     string
}

// coreSource is the parsed core: files by package folder (relative to
// the module root, e.g. "core/account").
type coreSource struct {
	fset  *token.FileSet
	files map[string][]*ast.File
	// funcs by package folder and name (methods and closures assigned to
	// a local name are listed by their name too).
	funcs map[string]map[string][]*ast.FuncType
	// bodies of the functions above, for return statements.
	bodies map[*ast.FuncType]*ast.BlockStmt
}

// funcScope is the function a node sits in: its parameters, its local
// assignments, its fault.Validation variables, the function around a
// closure and the name it is declared (or, for a closure, assigned) as.
type funcScope struct {
	pkg    string
	name   string
	params []string
	vars   map[string]bool // locals of type fault.Validation
	outer  *funcScope
	typ    *ast.FuncType
	locals map[string][]ast.Expr
}

// messageCollector walks the core and gathers every message that reaches
// the user: fault.Error's Msg and Fields, fault.E's message, a
// fault.Validation's Add, and every argument of a core function that
// passes one of its parameters on to those (found until nothing changes,
// so helpers such as invalidGrant(op, msg) or errForbidden count). A
// message held in a local variable, a constant or returned by a core
// function (identity.PasswordLengthProblem, org.SlugProblem) is followed
// to its literals.
type messageCollector struct {
	src     *coreSource
	helpers map[string]map[int]bool // "pkg.func" -> message parameter positions
	found   map[string]coreMessage
	changed bool
}

func parseCore(t *testing.T) *coreSource {
	t.Helper()
	root := filepath.Join("..", "..")
	src := &coreSource{fset: token.NewFileSet(), files: map[string][]*ast.File{},
		funcs: map[string]map[string][]*ast.FuncType{}, bodies: map[*ast.FuncType]*ast.BlockStmt{}}
	err := filepath.WalkDir(filepath.Join(root, "core"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(src.fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		src.files[pkg] = append(src.files[pkg], f)
		if src.funcs[pkg] == nil {
			src.funcs[pkg] = map[string][]*ast.FuncType{}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if n.Body != nil {
					src.funcs[pkg][n.Name.Name] = append(src.funcs[pkg][n.Name.Name], n.Type)
					src.bodies[n.Type] = n.Body
				}
			case *ast.AssignStmt:
				for i, r := range n.Rhs {
					if fl, ok := r.(*ast.FuncLit); ok && i < len(n.Lhs) {
						if id, ok := n.Lhs[i].(*ast.Ident); ok {
							src.funcs[pkg][id.Name] = append(src.funcs[pkg][id.Name], fl.Type)
							src.bodies[fl.Type] = fl.Body
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// importPkg maps a file's import names to core package folders.
func importPkg(f *ast.File) map[string]string {
	out := map[string]string{}
	const mod = "github.com/secuird/secuird/"
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if !strings.HasPrefix(p, mod+"core/") {
			continue
		}
		name := p[strings.LastIndex(p, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		out[name] = strings.TrimPrefix(p, mod)
	}
	return out
}

func paramNames(ft *ast.FuncType) []string {
	var out []string
	if ft.Params == nil {
		return out
	}
	for _, fld := range ft.Params.List {
		if len(fld.Names) == 0 {
			out = append(out, "_")
		}
		for _, n := range fld.Names {
			out = append(out, n.Name)
		}
	}
	return out
}

// isValidationType reports whether e is fault.Validation or *fault.Validation
// (Validation inside package fault).
func isValidationType(e ast.Expr, pkg string) bool {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	switch e := e.(type) {
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		return ok && x.Name == "fault" && e.Sel.Name == "Validation"
	case *ast.Ident:
		return pkg == "core/fault" && e.Name == "Validation"
	}
	return false
}

// isFaultError reports whether a composite literal's type is fault.Error.
func isFaultError(e ast.Expr, pkg string) bool {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		return ok && x.Name == "fault" && e.Sel.Name == "Error"
	case *ast.Ident:
		return pkg == "core/fault" && e.Name == "Error"
	}
	return false
}

func (m *messageCollector) exprText(e ast.Expr) string {
	var b bytes.Buffer
	_ = printer.Fprint(&b, m.src.fset, e)
	return b.String()
}

func (m *messageCollector) add(text string, dynamic bool, pos token.Pos) {
	if _, ok := m.found[text]; ok {
		return
	}
	p := m.src.fset.Position(pos)
	m.found[text] = coreMessage{text: text, dynamic: dynamic, pos: filepath.Base(filepath.Dir(p.Filename)) + "/" + filepath.Base(p.Filename) + ":" + strconv.Itoa(p.Line)}
}

// collectLocals gathers the assignments to local names in body.
func collectLocals(body *ast.BlockStmt) map[string][]ast.Expr {
	out := map[string][]ast.Expr{}
	if body == nil {
		return out
	}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if len(n.Lhs) == len(n.Rhs) {
				for i, l := range n.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						out[id.Name] = append(out[id.Name], n.Rhs[i])
					}
				}
			} else if len(n.Rhs) == 1 {
				// p, err := f(): the message is the first result.
				if id, ok := n.Lhs[0].(*ast.Ident); ok {
					out[id.Name] = append(out[id.Name], n.Rhs[0])
				}
			}
		case *ast.ValueSpec:
			for i, id := range n.Names {
				if i < len(n.Values) {
					out[id.Name] = append(out[id.Name], n.Values[i])
				}
			}
		}
		return true
	})
	return out
}

// message follows e, an expression that becomes a user-facing message,
// to its literals.
func (m *messageCollector) message(e ast.Expr, sc *funcScope, imports map[string]string, seen map[ast.Expr]bool) {
	if seen[e] {
		return
	}
	seen[e] = true
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind == token.STRING {
			s, err := strconv.Unquote(x.Value)
			if err == nil {
				m.add(s, false, x.Pos())
				return
			}
		}
	case *ast.ParenExpr:
		m.message(x.X, sc, imports, seen)
		return
	case *ast.BinaryExpr:
		// "prefix " + value: dynamic as a whole, but a core function's
		// message inside it (u + ": " + oidc.RedirectURIProblem(u)) is
		// followed too.
		for _, op := range []ast.Expr{x.X, x.Y} {
			m.operand(op, sc, imports, seen)
		}
	case *ast.Ident:
		for s := sc; s != nil; s = s.outer {
			if i := slices.Index(s.params, x.Name); i >= 0 {
				if s.name != "" {
					key := s.pkg + "." + s.name
					if m.helpers[key] == nil {
						m.helpers[key] = map[int]bool{}
					}
					if !m.helpers[key][i] {
						m.helpers[key][i] = true
						m.changed = true
					}
				}
				return
			}
			if vals, ok := s.locals[x.Name]; ok {
				for _, v := range vals {
					m.message(v, s, imports, seen)
				}
				return
			}
		}
		if v := m.packageConst(sc.pkg, x.Name); v != nil {
			m.message(v, sc, imports, seen)
			return
		}
	case *ast.SelectorExpr:
		if x.Sel.Name == "Msg" && sc.pkg == "core/fault" {
			return // fault.Wrap keeps an existing error's message
		}
		if pk, ok := x.X.(*ast.Ident); ok {
			if p, ok := imports[pk.Name]; ok {
				if v := m.packageConst(p, x.Sel.Name); v != nil {
					m.message(v, sc, importsOf(m.src, p), seen)
					return
				}
			}
		}
	case *ast.CallExpr:
		if pkg, name, ok := m.callee(x, sc.pkg, imports); ok {
			fts := m.src.funcs[pkg][name]
			if len(fts) > 0 {
				for _, ft := range fts {
					m.returns(ft, pkg, name, seen)
				}
				return
			}
		}
	}
	m.add(sc.pkg+": "+m.exprText(e), true, e.Pos())
}

// operand follows one operand of a concatenation when it is a core
// function's result (directly or through a local variable).
func (m *messageCollector) operand(e ast.Expr, sc *funcScope, imports map[string]string, seen map[ast.Expr]bool) {
	switch x := e.(type) {
	case *ast.BinaryExpr:
		m.operand(x.X, sc, imports, seen)
		m.operand(x.Y, sc, imports, seen)
	case *ast.CallExpr:
		if pkg, name, ok := m.callee(x, sc.pkg, imports); ok && len(m.src.funcs[pkg][name]) > 0 {
			m.message(x, sc, imports, seen)
		}
	case *ast.Ident:
		for s := sc; s != nil; s = s.outer {
			if vals, ok := s.locals[x.Name]; ok {
				for _, v := range vals {
					if _, ok := v.(*ast.CallExpr); ok {
						m.operand(v, s, imports, seen)
					}
				}
				return
			}
		}
	}
}

// importsOf is the import table of package pkg (its first file's; the
// core uses the same names throughout).
func importsOf(src *coreSource, pkg string) map[string]string {
	out := map[string]string{}
	for _, f := range src.files[pkg] {
		for k, v := range importPkg(f) {
			out[k] = v
		}
	}
	return out
}

// packageConst is the value of a package-level constant or variable.
func (m *messageCollector) packageConst(pkg, name string) ast.Expr {
	for _, f := range m.src.files[pkg] {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || (gd.Tok != token.CONST && gd.Tok != token.VAR) {
				continue
			}
			for _, s := range gd.Specs {
				vs, ok := s.(*ast.ValueSpec)
				if !ok {
					continue
				}
				for i, n := range vs.Names {
					if n.Name == name && i < len(vs.Values) {
						return vs.Values[i]
					}
				}
			}
		}
	}
	return nil
}

// returns follows the first result of every return statement of a core
// function whose result is a message (identity.PasswordLengthProblem).
func (m *messageCollector) returns(ft *ast.FuncType, pkg, name string, seen map[ast.Expr]bool) {
	body := m.src.bodies[ft]
	sc := &funcScope{pkg: pkg, name: name, params: paramNames(ft), locals: collectLocals(body), typ: ft}
	imports := importsOf(m.src, pkg)
	ast.Inspect(body, func(n ast.Node) bool {
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		if r, ok := n.(*ast.ReturnStmt); ok && len(r.Results) > 0 {
			if lit, ok := r.Results[0].(*ast.BasicLit); ok && lit.Value == `""` {
				return true // no problem
			}
			m.message(r.Results[0], sc, imports, seen)
		}
		return true
	})
}

// callee names the core function a call invokes: fault.E, a function or
// closure of the same package, a method (by name) of the same package.
func (m *messageCollector) callee(c *ast.CallExpr, pkg string, imports map[string]string) (string, string, bool) {
	switch f := c.Fun.(type) {
	case *ast.Ident:
		return pkg, f.Name, true
	case *ast.SelectorExpr:
		if x, ok := f.X.(*ast.Ident); ok {
			if p, ok := imports[x.Name]; ok {
				return p, f.Sel.Name, true
			}
		}
		// s.method(...): a method of this package, when one has the name.
		if _, ok := m.src.funcs[pkg][f.Sel.Name]; ok {
			return pkg, f.Sel.Name, true
		}
	}
	return "", "", false
}

// fields follows a Fields value (map[string][]string) to its messages.
func (m *messageCollector) fields(e ast.Expr, sc *funcScope, imports map[string]string) {
	switch x := e.(type) {
	case *ast.CompositeLit:
		for _, el := range x.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			if list, ok := kv.Value.(*ast.CompositeLit); ok {
				for _, msg := range list.Elts {
					m.message(msg, sc, imports, map[ast.Expr]bool{})
				}
			} else {
				m.add(sc.pkg+": "+m.exprText(kv.Value), true, kv.Value.Pos())
			}
		}
		return
	case *ast.Ident:
		for s := sc; s != nil; s = s.outer {
			if vals, ok := s.locals[x.Name]; ok {
				for _, v := range vals {
					m.fields(v, s, imports)
				}
				return
			}
		}
		if x.Name == "nil" {
			return
		}
	case *ast.SelectorExpr:
		// fault.Wrap copies an existing error's fields, Validation.Err
		// hands on the problems Add collected: no new messages.
		if x.Sel.Name == "Fields" || (x.Sel.Name == "fields" && sc.pkg == "core/fault") {
			return
		}
	}
	m.add(sc.pkg+": Fields "+m.exprText(e), true, e.Pos())
}

// walk visits one package's files once, gathering messages at the sinks
// and at the helpers known so far.
func (m *messageCollector) walk() {
	for pkg, files := range m.src.files {
		for _, f := range files {
			imports := importPkg(f)
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				sc := &funcScope{pkg: pkg, name: fd.Name.Name, params: paramNames(fd.Type), locals: collectLocals(fd.Body),
					vars: map[string]bool{}, typ: fd.Type}
				if fd.Recv != nil {
					for _, r := range fd.Recv.List {
						if isValidationType(r.Type, pkg) {
							for _, n := range r.Names {
								sc.vars[n.Name] = true
							}
						}
					}
				}
				for _, fld := range fd.Type.Params.List {
					if isValidationType(fld.Type, pkg) {
						for _, n := range fld.Names {
							sc.vars[n.Name] = true
						}
					}
				}
				m.walkBody(fd.Body, sc, imports)
			}
		}
	}
}

func (m *messageCollector) walkBody(body ast.Node, sc *funcScope, imports map[string]string) {
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			// A closure assigned to a local name is a helper by that name.
			for i, r := range n.Rhs {
				fl, ok := r.(*ast.FuncLit)
				if !ok {
					continue
				}
				name := ""
				if i < len(n.Lhs) {
					if id, ok := n.Lhs[i].(*ast.Ident); ok {
						name = id.Name
					}
				}
				inner := &funcScope{pkg: sc.pkg, name: name, params: paramNames(fl.Type), outer: sc, vars: sc.vars, typ: fl.Type}
				m.walkBody(fl.Body, inner, imports)
			}
			for _, r := range n.Rhs {
				if _, ok := r.(*ast.FuncLit); !ok {
					m.walkBody(r, sc, imports)
				}
			}
			return false
		case *ast.FuncLit:
			inner := &funcScope{pkg: sc.pkg, params: paramNames(n.Type), outer: sc, vars: sc.vars, typ: n.Type}
			m.walkBody(n.Body, inner, imports)
			return false
		case *ast.DeclStmt:
			if gd, ok := n.Decl.(*ast.GenDecl); ok && gd.Tok == token.VAR {
				for _, s := range gd.Specs {
					vs, ok := s.(*ast.ValueSpec)
					if !ok {
						continue
					}
					if vs.Type != nil && isValidationType(vs.Type, sc.pkg) {
						for _, id := range vs.Names {
							sc.vars[id.Name] = true
						}
					}
				}
			}
		case *ast.CompositeLit:
			if isFaultError(n.Type, sc.pkg) {
				for _, el := range n.Elts {
					kv, ok := el.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					switch k, _ := kv.Key.(*ast.Ident); {
					case k == nil:
					case k.Name == "Msg":
						m.message(kv.Value, sc, imports, map[ast.Expr]bool{})
					case k.Name == "Fields":
						m.fields(kv.Value, sc, imports)
					}
				}
			}
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Add" && len(n.Args) == 2 {
				if x, ok := sel.X.(*ast.Ident); ok && sc.vars[x.Name] {
					m.message(n.Args[1], sc, imports, map[ast.Expr]bool{})
				}
			}
			if pkg, name, ok := m.callee(n, sc.pkg, imports); ok {
				for i := range m.helpers[pkg+"."+name] {
					if i < len(n.Args) {
						m.message(n.Args[i], sc, imports, map[ast.Expr]bool{})
					}
				}
			}
		}
		return true
	})
}

// coreMessages is every user-facing message of the core.
func coreMessages(t *testing.T) map[string]coreMessage {
	t.Helper()
	m := &messageCollector{src: parseCore(t), helpers: map[string]map[int]bool{}, found: map[string]coreMessage{}}
	for range 20 {
		m.changed = false
		m.walk()
		if !m.changed {
			break
		}
	}
	if m.changed {
		t.Fatal("message helpers did not settle")
	}
	return m.found
}

// Every user-facing message of the core has a catalogue key (or is on
// the ignore list with a reason), and every key exists in every language.
func TestCoreTextsAreMapped(t *testing.T) {
	msgs := coreMessages(t)
	if len(msgs) < 50 {
		t.Fatalf("only %d core messages found: the collector is broken", len(msgs))
	}
	// The sanity of the collector: a few messages it must find, each by a
	// different route.
	for _, want := range []string{
		"Validation failed",                               // Validation.Err
		"Password must be at least 8 characters",          // identity.PasswordLengthProblem
		"Use lower-case letters, digits and hyphens only", // org.SlugProblem
		"The code is invalid or expired",                  // invalidGrant helper
		"This person is already a member",                 // fault.Error Msg
		"Passwords do not match",                          // Validation.Add
		"Enter the 6-digit code",                          // Fields literal
	} {
		if _, ok := msgs[want]; !ok {
			t.Errorf("collector missed %q", want)
		}
	}
	var missing []string
	for text, msg := range msgs {
		_, ignored := coreTextIgnored[text]
		_, mapped := coreTextKey(text)
		switch {
		case mapped && ignored:
			t.Errorf("%q is both mapped and ignored", text)
		case !mapped && !ignored:
			missing = append(missing, strconv.Quote(text)+"  ("+msg.pos+")")
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("%d core messages have no catalogue key (add them to coreTexts in ui_coretext.go and to web/locales/*/core.json, or to coreTextIgnored with a reason):\n%s",
			len(missing), strings.Join(missing, "\n"))
	}
	for text := range coreTextIgnored {
		if _, ok := msgs[text]; !ok {
			t.Errorf("ignored %q no longer occurs in the core: remove it", text)
		}
	}
	for text := range coreTexts {
		if _, ok := msgs[text]; !ok && !slices.Contains(coreTextsFromAdapters(), text) {
			t.Errorf("mapped %q no longer occurs in the core: remove it", text)
		}
	}
}

// coreTextsFromAdapters are messages that reach the core's errors from an
// adapter behind a port (the password policy's reasons).
func coreTextsFromAdapters() []string {
	return []string{strength.ReasonPersonal, strength.ReasonPattern, strength.ReasonCommon}
}

// The password policy's reasons (adapters/strength, passed on by the
// core) are mapped too, and every mapped key is in the catalogue.
func TestCoreTextKeysExist(t *testing.T) {
	cat, err := i18n.Load(web.Locales())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range coreTextsFromAdapters() {
		if _, ok := coreTextKey(r); !ok {
			t.Errorf("password policy reason %q has no catalogue key", r)
		}
	}
	for text, key := range coreTexts {
		if !strings.HasPrefix(key, "core.") {
			t.Errorf("%q maps to %q, outside the core. area", text, key)
		}
		if _, ok := cat.Lookup(i18n.Default, key); !ok {
			t.Errorf("%q maps to %q, which the catalogue lacks", text, key)
		}
	}
	for _, key := range []string{coreFieldFallback} {
		if _, ok := cat.Lookup(i18n.Default, key); !ok {
			t.Errorf("fallback %q is not in the catalogue", key)
		}
	}
	// Every core. key is used by the mapping (no orphans).
	used := map[string]bool{coreFieldFallback: true}
	for _, k := range coreTexts {
		used[k] = true
	}
	for _, k := range cat.Keys() {
		if strings.HasPrefix(k, "core.") && !used[k] {
			t.Errorf("catalogue key %q is used by no core message", k)
		}
	}
}

// coreFlashKey and coreFieldKeys translate a fault by code, by message,
// else by kind; an unknown field problem gets the generic field text.
func TestCoreFaultKeys(t *testing.T) {
	t.Parallel()
	if got := coreFlashKey(fault.E("x", fault.Conflict, "Two-factor authentication is already enabled")); !strings.HasPrefix(got, "core.") {
		t.Errorf("coreFlashKey = %q", got)
	}
	if got := coreFieldKeys(fault.E("x", fault.Conflict, "no fields")); got != nil {
		t.Errorf("coreFieldKeys without fields = %v, want nil", got)
	}
}
