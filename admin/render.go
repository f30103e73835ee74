package admin

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/quarry-go/quarry/framework/records"

	"github.com/quarry-go/quarry/framework"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	fsrv := http.FileServer(http.FS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fsrv.ServeHTTP(w, r)
	})
}

type pages struct{ t map[string]*template.Template }

var pageNames = []string{"index", "list", "form", "delete", "history", "error", "password", "media", "media_detail", "report"}

var funcs = template.FuncMap{
	"join":  strings.Join,
	"upper": strings.ToUpper,
	"time":  func(t time.Time) string { return t.UTC().Format(records.DateTimeDisplay) + " UTC" },
	"add":   func(a, b int) int { return a + b },
}

func loadPages() (*pages, error) {
	p := &pages{t: map[string]*template.Template{}}
	for _, n := range pageNames {
		t, err := template.New(n).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+n+".html")
		if err != nil {
			return nil, fmt.Errorf("admin: template %s: %w", n, err)
		}
		p.t[n] = t
	}
	return p, nil
}

// base is what every page's layout shows.
type base struct {
	Title       string
	Site        string
	Logo        string // a checked logo URL, or ""
	Accent      string // a checked #rrggbb, or ""
	AccentFG    string // text on the accent: #ffffff or #0d1020
	Stylesheets []string
	Prefix      string
	Username    string
	CSRF        string
	LogoutPath  string
	Banner      string // Options.Banner's text, or ""
	Messages    []string
	Crumbs      []crumb
	Nav         []navGroup
	CurrentName string
}

type crumb struct{ Label, URL string }

type navGroup struct {
	Name   string
	Tables []navTable
}

type navTable struct {
	Name, Label, URL string
	Count            string
	CanAdd           bool
	AddURL           string
}

const flashKey = "quarry.admin.flash"

// flash keeps a message for the next page the user sees.
func (rq *request) flash(msg string) {
	sm := rq.a.opts.Auth.Sessions()
	old := sm.GetString(rq.ctx(), flashKey)
	if old != "" {
		msg = old + "\n" + msg
	}
	sm.Put(rq.ctx(), flashKey, msg)
}

func (rq *request) base(title string, crumbs ...crumb) *base {
	b := &base{Title: title, Stylesheets: rq.a.opts.Stylesheets, Prefix: rq.prefix(), CSRF: rq.a.opts.Auth.CSRFToken(rq.ctx()),
		LogoutPath: rq.a.opts.Auth.LogoutURL(rq.r), Crumbs: append([]crumb{{"Home", rq.prefix() + "/"}}, crumbs...)}
	rq.brand(b)
	if rq.user.ID != 0 {
		b.Username = rq.user.Username
		rq.banner(b)
	}
	if rq.m != nil {
		b.CurrentName = rq.m.Name
	}
	if msg := rq.a.opts.Auth.Sessions().PopString(rq.ctx(), flashKey); msg != "" {
		b.Messages = strings.Split(msg, "\n")
	}
	if rq.st != nil && rq.user.ID != 0 {
		for _, m := range rq.st.order {
			if m.managed || !rq.can("view", m) {
				continue
			}
			if len(b.Nav) == 0 || b.Nav[len(b.Nav)-1].Name != m.group {
				b.Nav = append(b.Nav, navGroup{Name: m.group})
			}
			g := &b.Nav[len(b.Nav)-1]
			g.Tables = append(g.Tables, navTable{Name: m.Name, Label: m.label, URL: rq.tableURL(m), CanAdd: rq.can("add", m), AddURL: rq.tableURL(m) + "add/"})
		}
		rq.mediaNav(b)
		rq.reportsNav(b)
	}
	return b
}

// mediaNav puts the media library first in the "Media" group (made,
// after the application's groups, when the user sees no table of it).
func (rq *request) mediaNav(b *base) {
	m, ok := rq.mediaModel()
	if !ok || !rq.can("view", m) {
		return
	}
	lib := navTable{Name: m.Name, Label: "Media", URL: rq.mediaURL(""), CanAdd: rq.can("add", m), AddURL: rq.mediaURL("") + "#upload"}
	i := slices.IndexFunc(b.Nav, func(g navGroup) bool { return g.Name == mediaGroup })
	if i < 0 {
		i = slices.IndexFunc(b.Nav, func(g navGroup) bool {
			return slices.ContainsFunc(g.Tables, func(t navTable) bool { return rq.st.models[t.Name].framework })
		})
		if i < 0 {
			i = len(b.Nav)
		}
		b.Nav = slices.Insert(b.Nav, i, navGroup{Name: mediaGroup})
	}
	b.Nav[i].Tables = append([]navTable{lib}, b.Nav[i].Tables...)
}

// banner fills the page's banner from Options.Banner (signed-in users
// only).
func (rq *request) banner(b *base) {
	if rq.a.opts.Banner != nil {
		b.Banner = strings.TrimSpace(rq.a.opts.Banner(rq.r))
	}
}

// render writes the page, or an error page when the template fails
// (nothing is written before the whole page is rendered).
func (rq *request) render(status int, page string, data any) {
	var buf bytes.Buffer
	if err := rq.a.pages.t[page].ExecuteTemplate(&buf, "layout", data); err != nil {
		if page == "error" {
			http.Error(rq.w, "internal error", http.StatusInternalServerError)
			return
		}
		rq.internal(fmt.Errorf("render %s: %w", page, err))
		return
	}
	rq.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	rq.w.WriteHeader(status)
	_, _ = buf.WriteTo(rq.w)
}

type errorPage struct {
	*base
	Status  int
	Message string
}

// fail shows an error page with status and a message for the user.
func (rq *request) fail(status int, msg string) {
	title := http.StatusText(status)
	var b *base
	if rq.user.ID != 0 && (status != http.StatusInternalServerError) {
		b = rq.base(title)
	} else {
		b = &base{Title: title, Prefix: rq.prefix(), Crumbs: []crumb{{"Home", rq.prefix() + "/"}}}
		rq.brand(b)
		if rq.user.ID != 0 {
			b.Username, b.LogoutPath = rq.user.Username, rq.a.opts.Auth.LogoutURL(rq.r)
			b.CSRF = rq.a.opts.Auth.CSRFToken(rq.ctx())
			rq.banner(b)
		}
	}
	rq.render(status, "error", errorPage{base: b, Status: status, Message: msg})
}

// redirect answers a form post with 303 See Other.
func (rq *request) redirect(to string) { http.Redirect(rq.w, rq.r, to, http.StatusSeeOther) }

// prefix is where the admin is, as the browser sees it: Options.Prefix
// under the request's base path (framework.BasePath: /t/acme/admin in a
// tenant served under a path prefix).
func (rq *request) prefix() string { return framework.BasePath(rq.ctx()) + rq.a.prefix }

func (rq *request) tableURL(m *model) string { return rq.prefix() + "/" + url.PathEscape(m.Name) + "/" }

func (rq *request) rowURL(m *model, key string, what string) string {
	return rq.tableURL(m) + url.PathEscape(key) + "/" + what + "/"
}

// rowPage is the page a list links a row to: its change page, or for a
// view with a KeyOf table that table's change page (when the user may
// view it).
func (rq *request) rowPage(m *model, key string) string {
	if m.keyOf == "" {
		return rq.rowURL(m, key, "change")
	}
	if target, ok := rq.st.models[m.keyOf]; ok && rq.can("view", target) {
		return rq.rowURL(target, key, "change")
	}
	return ""
}

// refURL is the page of the row of target whose one-column key is key:
// its change page, or a file's page in the media library.
func (rq *request) refURL(target *model, key string) string {
	if target.managed && target.Name == mediaTable {
		return rq.mediaURL(url.PathEscape(key) + "/")
	}
	return rq.rowURL(target, records.EncodeKey([]string{key}), "change")
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
