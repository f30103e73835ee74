package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/tests/dbtest"
)

const (
	// chromiumPath is the browser the admin's browser tests drive.
	chromiumPath = "/usr/bin/chromium"
	// browserTimeout bounds one browser's whole life.
	browserTimeout = 4 * time.Minute
	// stepTimeout bounds one step, so that a stuck step fails (with a
	// screenshot) while the browser is still alive.
	stepTimeout = 15 * time.Second

	browserUser     = "root"
	browserPassword = "a-long-enough-secret"
)

// TestAdminBrowser drives the blog demo's admin in headless Chromium, as a
// user would, on SQLite and PostgreSQL: log in, search, filter and sort
// the posts, add one through a validation error, edit it, read its
// history, delete it with the bulk action, and switch to the dark theme.
// A failed step leaves a full-page screenshot and the page's HTML in the
// subtest's artifact directory (kept with go test -artifacts).
func TestAdminBrowser(t *testing.T) {
	t.Parallel()
	chrome := requireChromium(t)
	// SQLite and PostgreSQL, as the issue asks; MariaDB's admin behaviour is
	// covered over HTTP (TestAdminPages).
	for _, name := range []dialects.Name{dialects.SQLite, dialects.Postgres} {
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			testAdminBrowser(t, chrome, dbtest.New(t, name))
		})
	}
}

func testAdminBrowser(t *testing.T, chrome string, db *dbtest.DB) {
	srv := serveBlogAdmin(t, db)
	b := newBrowserTab(t, chrome, srv.URL)

	const (
		title    = "Typed in a browser"
		newTitle = "Edited in a browser"
		slug     = "browser-post"
	)
	seeded := []string{"A moth in relay 70", "Compilers, a draft", "Notes on the Analytical Engine"}
	var changeURL string // the new post's change page

	for _, s := range []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"log in", func(ctx context.Context) error {
			if err := b.logIn(ctx); err != nil {
				return err
			}
			return b.wantText(ctx, "h1", "Site administration")
		}},
		{"index lists the tables by group", func(ctx context.Context) error {
			groups, err := evalJS[map[string][]string](ctx, `Object.fromEntries(
					Array.from(document.querySelectorAll("div.groups section"), s => [
						s.querySelector("h2").textContent.trim(),
						Array.from(s.querySelectorAll("tbody th a"), a => a.textContent.trim())]))`)
			if err != nil {
				return err
			}
			if err := wantAll(groups["Application"], "posts", "authors", "tags", "post tags"); err != nil {
				return fmt.Errorf("index, group Application: %w", err)
			}
			if err := wantAll(groups["Framework"], "users", "groups", "permissions", "audit log"); err != nil {
				return fmt.Errorf("index, group Framework: %w", err)
			}
			if slices.Contains(groups["Framework"], "posts") || slices.Contains(groups["Application"], "users") {
				return fmt.Errorf("index: tables in the wrong group: %q", groups)
			}
			// The demo's media library (admin.Options.Media) and its tables.
			if !slices.Equal(groups["Media"], []string{"Media", "media collections", "media tags"}) {
				return fmt.Errorf("index, group Media: %q", groups["Media"])
			}
			nav, err := b.texts(ctx, "nav.side h2")
			if err != nil {
				return err
			}
			if !slices.Equal(nav, []string{"Application", "Reports", "Media", "Framework"}) {
				return fmt.Errorf("navigation groups %q, want Application, Reports (the demo's quarry:admin queries), Media, then Framework", nav)
			}
			links, err := b.texts(ctx, "nav.side a")
			if err != nil {
				return err
			}
			return wantAll(links, "posts", "authors", "tags", "users")
		}},
		{"search", func(ctx context.Context) error {
			if err := b.open(ctx, "/admin/posts/"); err != nil {
				return err
			}
			if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("q"), "moth")); err != nil {
				return err
			}
			if err := b.follow(ctx, http.StatusOK, chromedp.Click(byText("form.search button", "Search"))); err != nil {
				return err
			}
			rows, err := b.texts(ctx, "table.rows tbody tr")
			if err != nil {
				return err
			}
			if len(rows) != 1 || !strings.Contains(rows[0], "A moth in relay 70") {
				return fmt.Errorf("search for moth: rows %q, want the one post A moth in relay 70", rows)
			}
			return b.wantText(ctx, "form.search .count", "1 row")
		}},
		{"filter", func(ctx context.Context) error {
			if err := b.follow(ctx, http.StatusOK, chromedp.Click(byText("form.search a", "Clear search and filters"))); err != nil {
				return err
			}
			if err := b.wantRows(ctx, "title", seeded...); err != nil {
				return fmt.Errorf("after clearing the search: %w", err)
			}
			if err := b.follow(ctx, http.StatusOK, chromedp.Click(facetLink("published", "No"))); err != nil {
				return err
			}
			if err := b.wantRows(ctx, "title", "Compilers, a draft"); err != nil {
				return fmt.Errorf("filtered on published = No: %w", err)
			}
			return b.wantText(ctx, `aside.filters li.selected a[aria-current="true"]`, "No")
		}},
		{"sort", func(ctx context.Context) error {
			if err := b.follow(ctx, http.StatusOK, chromedp.Click(facetLink("published", "All"))); err != nil {
				return err
			}
			descending := slices.Clone(seeded)
			slices.Reverse(descending)
			for _, want := range []struct {
				dir, ariaSort string
				titles        []string
			}{
				{"asc", "ascending", seeded},
				{"desc", "descending", descending},
			} {
				if err := b.follow(ctx, http.StatusOK, chromedp.Click(chromedp.JSPath(headerJS("title")+`.querySelector("a")`))); err != nil {
					return err
				}
				got, err := b.column(ctx, "title")
				if err != nil {
					return err
				}
				if !slices.Equal(got, want.titles) {
					return fmt.Errorf("sorted %s by title: %q, want %q", want.dir, got, want.titles)
				}
				th, err := evalJS[map[string]string](ctx, `(th => ({class: th.className, sort: th.getAttribute("aria-sort") || ""}))(`+headerJS("title")+`)`)
				if err != nil {
					return err
				}
				if !slices.Contains(strings.Fields(th["class"]), want.dir) || th["sort"] != want.ariaSort {
					return fmt.Errorf("sorted %s by title: header class %q, aria-sort %q; want class %s, aria-sort %s",
						want.dir, th["class"], th["sort"], want.dir, want.ariaSort)
				}
			}
			return nil
		}},
		{"add with a validation error", func(ctx context.Context) error {
			if err := b.open(ctx, "/admin/posts/add/"); err != nil {
				return err
			}
			grace, err := evalJS[string](ctx, `Array.from(document.querySelectorAll("#f-author_id option")).find(o => o.text === "Grace Hopper").value`)
			if err != nil {
				return fmt.Errorf("author choices: %w", err)
			}
			if err := chromedp.Do(ctx,
				chromedp.SendKeys(chromedp.ID("f-title"), title),
				chromedp.SetValue(chromedp.ID("f-author_id"), grace),
				chromedp.SendKeys(chromedp.ID("f-body"), "Typed by a headless browser."),
			); err != nil {
				return err
			}
			if err := b.follow(ctx, http.StatusUnprocessableEntity, chromedp.Click(chromedp.CSS(`button[name=_save]`))); err != nil {
				return err
			}
			errs, err := b.texts(ctx, "p.field-error")
			if err != nil {
				return err
			}
			slugErr, err := evalJS[string](ctx, `document.querySelector("#f-slug").closest(".field").querySelector("p.field-error")?.textContent.trim() ?? ""`)
			if err != nil {
				return err
			}
			if len(errs) != 1 || slugErr != "This field is required." {
				return fmt.Errorf("field errors %q, slug's %q; want only This field is required. next to slug", errs, slugErr)
			}
			if err := b.wantValue(ctx, "f-title", title); err != nil {
				return fmt.Errorf("the typed title is lost: %w", err)
			}
			if err := b.wantValue(ctx, "f-author_id", grace); err != nil {
				return fmt.Errorf("the chosen author is lost: %w", err)
			}
			return nil
		}},
		{"fix the error and save", func(ctx context.Context) error {
			if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("f-slug"), slug)); err != nil {
				return err
			}
			if err := b.follow(ctx, http.StatusOK, chromedp.Click(chromedp.CSS(`button[name=_save]`))); err != nil {
				return err
			}
			if err := b.wantPath(ctx, "/admin/posts/"); err != nil {
				return err
			}
			if err := b.wantMessage(ctx, "Added “"+title+"” to posts."); err != nil {
				return err
			}
			if err := b.wantRows(ctx, "title", append([]string{title}, seeded...)...); err != nil {
				return err
			}
			titles, err := b.column(ctx, "title")
			if err != nil {
				return err
			}
			if titles[0] != title {
				return fmt.Errorf("the new post is not first in the list, newest first: %q", titles)
			}
			return nil
		}},
		{"edit and continue", func(ctx context.Context) error {
			if err := b.follow(ctx, http.StatusOK, chromedp.Click(chromedp.JSPath(rowJS(title)+`.querySelector('a[href^="/admin/posts/"]')`))); err != nil {
				return err
			}
			loc, err := chromedp.Run(ctx, chromedp.Location())
			if err != nil {
				return err
			}
			if !regexp.MustCompile(`/admin/posts/[0-9]+/change/$`).MatchString(loc) {
				return fmt.Errorf("the post's link led to %s, not its change page", loc)
			}
			changeURL = strings.TrimPrefix(loc, b.base)
			if err := b.wantValue(ctx, "f-title", title); err != nil {
				return err
			}
			if err := chromedp.Do(ctx,
				// Not SetValue(…, ""): in chromedp v0.23.0 it fails
				// ("could not set value"), as JSON v2's omitempty
				// drops the empty argument.
				chromedp.Clear(chromedp.ID("f-title")),
				chromedp.SendKeys(chromedp.ID("f-title"), newTitle),
			); err != nil {
				return err
			}
			if err := b.follow(ctx, http.StatusOK, chromedp.Click(chromedp.CSS(`button[name=_continue]`))); err != nil {
				return err
			}
			if err := b.wantPath(ctx, changeURL); err != nil {
				return err
			}
			if err := b.wantMessage(ctx, "Changed “"+newTitle+"” in posts."); err != nil {
				return err
			}
			return b.wantValue(ctx, "f-title", newTitle)
		}},
		{"history", func(ctx context.Context) error {
			if err := b.follow(ctx, http.StatusOK, chromedp.Click(byText(".head-actions a", "History"))); err != nil {
				return err
			}
			actions, err := b.texts(ctx, "ol.history > li > p > strong")
			if err != nil {
				return err
			}
			if !slices.Equal(actions, []string{"admin.update", "admin.create"}) {
				return fmt.Errorf("history entries %q, want admin.update then admin.create", actions)
			}
			change, err := evalJS[[]string](ctx, `Array.from(document.querySelectorAll("ol.history > li:first-child table.changes tbody tr"))
					.filter(tr => tr.querySelector("th").textContent.trim() === "title")
					.flatMap(tr => Array.from(tr.querySelectorAll("td"), td => td.textContent.trim()))`)
			if err != nil {
				return err
			}
			if !slices.Equal(change, []string{title, newTitle}) {
				return fmt.Errorf("the update's title change is %q, want before %q and after %q", change, title, newTitle)
			}
			return nil
		}},
		{"delete selected", func(ctx context.Context) error {
			if err := b.open(ctx, "/admin/posts/"); err != nil {
				return err
			}
			box := chromedp.JSPath(rowJS(newTitle) + `.querySelector('input[name="_selected"]')`)
			if err := chromedp.Do(ctx,
				chromedp.Click(box),
				chromedp.SetValue(chromedp.ID("action"), "delete"),
			); err != nil {
				return err
			}
			if checked, err := chromedp.Run(ctx, chromedp.JavascriptAttribute[bool](box, "checked")); err != nil || !checked {
				return fmt.Errorf("the row's checkbox is not ticked after a click (err %v)", err)
			}
			if err := b.follow(ctx, http.StatusOK, chromedp.Click(byText("div.actions button", "Go"))); err != nil {
				return err
			}
			doomed, err := b.texts(ctx, "ul.delete-list li")
			if err != nil {
				return err
			}
			if !slices.Equal(doomed, []string{newTitle}) {
				return fmt.Errorf("the confirmation lists %q, want only %q", doomed, newTitle)
			}
			if err := b.follow(ctx, http.StatusOK, chromedp.Click(byText("form button", "Yes, delete"))); err != nil {
				return err
			}
			if err := b.wantPath(ctx, "/admin/posts/"); err != nil {
				return err
			}
			if err := b.wantMessage(ctx, "Deleted 1 row(s) of posts."); err != nil {
				return err
			}
			return b.wantRows(ctx, "title", seeded...)
		}},
		{"deleted row is gone", func(ctx context.Context) error {
			resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.base+changeURL))
			if err != nil {
				return err
			}
			if resp.Status != http.StatusNotFound {
				return fmt.Errorf("GET %s after the delete: status %d, want 404", changeURL, resp.Status)
			}
			return nil
		}},
		{"dark mode", func(ctx context.Context) error {
			if err := b.open(ctx, "/admin/"); err != nil {
				return err
			}
			// Hidden in the HTML; the page's script shows it.
			shown, err := evalJS[bool](ctx, `(e => !e.hidden && e.getClientRects().length > 0)(document.getElementById("theme-toggle"))`)
			if err != nil {
				return err
			}
			if !shown {
				return errors.New("the theme toggle is hidden once the page has loaded")
			}
			var light string
			for _, want := range []string{"system", "light", "dark"} {
				if want != "system" {
					if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("theme-toggle"))); err != nil {
						return err
					}
				}
				th, err := b.theme(ctx)
				if err != nil {
					return err
				}
				wantAttr := want
				if want == "system" {
					wantAttr = "" // no data-theme: the system's preference
				}
				if th.Label != want || th.Attr != wantAttr {
					return fmt.Errorf("theme toggle shows %q with data-theme %q, want %q", th.Label, th.Attr, want)
				}
				switch want {
				case "light":
					light = th.Background
				case "dark":
					if th.Background == light {
						return fmt.Errorf("the body's background is %s in both the light and the dark theme", light)
					}
				}
			}
			if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
				return err
			}
			th, err := b.theme(ctx)
			if err != nil {
				return err
			}
			if th.Attr != "dark" || th.Label != "dark" || th.Background == light {
				return fmt.Errorf("after a reload: data-theme %q, toggle %q, background %s; want the dark theme kept", th.Attr, th.Label, th.Background)
			}
			return nil
		}},
	} {
		b.step(s.name, s.run)
	}
}

// requireChromium returns the browser's path, or skips the test when it
// is missing (fails under QUARRY_TEST_REQUIRE_ALL=1).
func requireChromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv(dbtest.EnvRequireAll) == "1" {
			t.Fatalf("%s is required with %s=1: %v", chromiumPath, dbtest.EnvRequireAll, err)
		}
		t.Skipf("browser tests need Chromium at %s (install the Debian package chromium): %v", chromiumPath, err)
	}
	return chromiumPath
}

// serveBlogAdmin serves the blog demo with its browser side as its main
// does: migrations, seed data, a superuser and the permissions, the API,
// the login pages and the admin.
func serveBlogAdmin(t *testing.T, db *dbtest.DB) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	app, srv := newBlog(t, db)
	users := auth.New(app.Database())
	if _, err := users.SeedPermissions(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := users.CreateUser(ctx, auth.CreateUserParams{Username: browserUser, Password: browserPassword, Superuser: true}); err != nil {
		t.Fatal(err)
	}
	return srv
}

// browserTab is the one tab of a headless Chromium of its own, on the
// site at base.
type browserTab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// newBrowserTab starts Chromium with a fresh profile; it is stopped when the
// test ends, or after browserTimeout.
func newBrowserTab(t *testing.T, chrome, base string) *browserTab {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		// Without these Chromium keeps calling home, which floods a closed
		// network with failing requests.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		// It leaves its singleton socket (and, with disable-dev-shm-usage,
		// its shared memory) in $TMPDIR when it is stopped.
		chromedp.Env("TMPDIR="+t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start %s: %v", chrome, err)
	}
	return &browserTab{t: t, ctx: ctx, base: base}
}

// logIn logs the browser user in through the login page and checks that
// it lands on the admin's index.
func (b *browserTab) logIn(ctx context.Context) error {
	if err := b.open(ctx, "/login?next=/admin/"); err != nil {
		return err
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("username"), browserUser),
		chromedp.SendKeys(chromedp.ID("password"), browserPassword),
	); err != nil {
		return err
	}
	if err := b.follow(ctx, http.StatusOK, chromedp.Click(byText("form button", "Log in"))); err != nil {
		return err
	}
	return b.wantPath(ctx, "/admin/")
}

// step runs one named step of a scenario with its own timeout. When it
// fails, the page is saved (screenshot and HTML) and the test stops.
func (b *browserTab) step(name string, run func(ctx context.Context) error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	err := run(ctx)
	cancel()
	if err == nil {
		return
	}
	b.t.Errorf("step %q: %v", name, err)
	b.savePage(name)
	b.t.FailNow()
}

// savePage writes a full-page screenshot and the HTML of the current page
// to the test's artifact directory, and logs where.
func (b *browserTab) savePage(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	b.t.Logf("the page was %s", loc)
	file := filepath.Join(b.t.ArtifactDir(), regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(name, "-"))
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.WriteFile(file+".png", png, 0o644)
	}
	if err != nil {
		b.t.Logf("no screenshot: %v", err)
	} else {
		b.t.Logf("screenshot: %s.png", file)
	}
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err == nil {
		err = os.WriteFile(file+".html", []byte(html), 0o644)
	}
	if err != nil {
		b.t.Logf("no HTML: %v", err)
	} else {
		b.t.Logf("HTML: %s.html", file)
	}
}

// open loads the page at path and wants it answered with 200.
func (b *browserTab) open(ctx context.Context, path string) error {
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if resp.Status != http.StatusOK {
		return fmt.Errorf("open %s: status %d", path, resp.Status)
	}
	return nil
}

// follow runs actions that load another page, such as a click on a link
// or a submit button, waits for the page (after any redirect) and wants
// it answered with status.
func (b *browserTab) follow(ctx context.Context, status int64, actions ...chromedp.Action[chromedp.Void]) error {
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		return err
	}
	if resp.Status != status {
		return fmt.Errorf("%s: status %d, want %d", strings.TrimPrefix(resp.URL, b.base), resp.Status, status)
	}
	return nil
}

// wantPath checks that the browser shows the page at path.
func (b *browserTab) wantPath(ctx context.Context, path string) error {
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return err
	}
	if loc != b.base+path {
		return fmt.Errorf("the browser is at %s, want %s", strings.TrimPrefix(loc, b.base), path)
	}
	return nil
}

// wantRows checks the values of the list's column, in any order (rows
// seeded in the same second have no order of their own).
func (b *browserTab) wantRows(ctx context.Context, col string, want ...string) error {
	got, err := b.column(ctx, col)
	if err != nil {
		return err
	}
	if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
		return fmt.Errorf("the list's %s column is %q, want %q in any order", col, got, want)
	}
	return nil
}

// evalJS runs a JavaScript expression in the page and decodes its value.
func evalJS[T any](ctx context.Context, js string) (T, error) {
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		err = fmt.Errorf("evaluate %s: %w", js, err)
	}
	return v, err
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// texts returns the text (spaces collapsed) of every element the CSS selector
// matches, none when none does (it does not wait).
func (b *browserTab) texts(ctx context.Context, css string) ([]string, error) {
	return evalJS[[]string](ctx, `Array.from(document.querySelectorAll(`+jsString(css)+`), e => e.textContent.replace(/\s+/g, " ").trim())`)
}

// wantText checks the text of the first element the CSS selector matches.
func (b *browserTab) wantText(ctx context.Context, css, want string) error {
	got, err := b.texts(ctx, css)
	if err != nil {
		return err
	}
	if len(got) == 0 {
		return fmt.Errorf("no %s on the page", css)
	}
	if got[0] != want {
		return fmt.Errorf("%s says %q, want %q", css, got[0], want)
	}
	return nil
}

// wantValue checks the value of the form field with the id.
func (b *browserTab) wantValue(ctx context.Context, id, want string) error {
	got, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID(id)))
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("#%s holds %q, want %q", id, got, want)
	}
	return nil
}

// wantMessage checks that the page shows one message, holding each part.
func (b *browserTab) wantMessage(ctx context.Context, parts ...string) error {
	msgs, err := b.texts(ctx, "p.message")
	if err != nil {
		return err
	}
	if len(msgs) != 1 {
		return fmt.Errorf("messages %q, want one with %q", msgs, parts)
	}
	for _, p := range parts {
		if !strings.Contains(msgs[0], p) {
			return fmt.Errorf("message %q lacks %q", msgs[0], p)
		}
	}
	return nil
}

// wantAll checks that got holds each of want.
func wantAll(got []string, want ...string) error {
	var missing []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	if missing != nil {
		return fmt.Errorf("%q lacks %q", got, missing)
	}
	return nil
}

// headerJS is a JavaScript expression for the list's header of the column.
func headerJS(col string) string {
	return `Array.from(document.querySelectorAll("table.rows thead th")).find(th => th.textContent.trim().split(/\s/)[0] === ` + jsString(col) + `)`
}

// rowJS is a JavaScript expression for the list's first row whose text
// holds s.
func rowJS(s string) string {
	return `Array.from(document.querySelectorAll("table.rows tbody tr")).find(tr => tr.textContent.includes(` + jsString(s) + `))`
}

// column returns the texts of the list's column, from the top row down.
func (b *browserTab) column(ctx context.Context, col string) ([]string, error) {
	return evalJS[[]string](ctx, `(th => th ? Array.from(document.querySelectorAll("table.rows tbody tr"), tr => tr.children[th.cellIndex].textContent.trim()) : null)(`+headerJS(col)+`)`)
}

// byText selects the first element matching the CSS selector whose text
// is label.
func byText(css, label string) chromedp.JSPath {
	return chromedp.JSPath(`Array.from(document.querySelectorAll(` + jsString(css) + `)).find(e => e.textContent.trim() === ` + jsString(label) + `)`)
}

// facetLink selects the link with the label in the list's filter on the
// column.
func facetLink(col, label string) chromedp.JSPath {
	return chromedp.JSPath(`Array.from(document.querySelectorAll("aside.filters section.facet"))
		.filter(s => s.querySelector("h3").textContent.trim() === ` + jsString("By "+col) + `)
		.flatMap(s => Array.from(s.querySelectorAll("a")))
		.find(a => a.textContent.trim() === ` + jsString(label) + `)`)
}

// themeShown is what the page shows of the colour theme.
type themeShown struct {
	Label      string `json:"label"`      // the toggle's text
	Attr       string `json:"attr"`       // <html data-theme>
	Stored     string `json:"stored"`     // in localStorage
	Background string `json:"background"` // the body's computed background colour
}

// theme reads the colour theme the page shows, checking that the page
// and localStorage agree.
func (b *browserTab) theme(ctx context.Context) (themeShown, error) {
	th, err := evalJS[themeShown](ctx, `({
		label: document.querySelector("#theme-toggle span").textContent.trim(),
		attr: document.documentElement.getAttribute("data-theme") || "",
		stored: localStorage.getItem("quarry-admin-theme") || "",
		background: getComputedStyle(document.body).backgroundColor,
	})`)
	if err == nil && th.Stored != th.Attr {
		err = errors.New("the theme stored in localStorage is " + th.Stored + ", the page's " + th.Attr)
	}
	return th, err
}
