package tests

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestLoginRedirectBrowser logs in through headless Chromium with hostile
// next= values, both as a link to the login page carries them and posted
// raw in the form: wherever the browser lands, it is this site. A browser
// reads "\" as "/" and drops tabs, which is how "/./\evil.example" once
// left the site.
func TestLoginRedirectBrowser(t *testing.T) {
	t.Parallel()
	chrome := requireChromium(t)
	db := dbtest.New(t, dialects.SQLite)
	app := identityApp(t, db, framework.Config{}, nil)
	app.Router().HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("home")) })
	srv := httptest.NewServer(app.Handler())
	defer srv.Close()
	b := newBrowserTab(t, chrome, srv.URL)

	for _, next := range []string{
		`/./\evil.example`, `/\evil.example`, `/.\/evil.example`, "/\t/evil.example", "/\n/evil.example", "/.//evil.example",
		"//evil.example", "///evil.example", `/%5C%5Cevil.example`, `/%2F%2Fevil.example`, "https://evil.example/",
		"//ada@evil.example", "javascript:alert(document.domain)", "/%09/evil.example",
	} {
		for _, how := range []string{"link", "form"} {
			b.step(how+" next="+next, func(ctx context.Context) error {
				if err := b.open(ctx, "/login?next="+url.QueryEscape(next)); err != nil {
					return err
				}
				actions := []chromedp.Action[chromedp.Void]{
					chromedp.SendKeys(chromedp.ID("username"), "ada"),
					chromedp.SendKeys(chromedp.ID("password"), "plenty-long-secret"),
				}
				if err := chromedp.Do(ctx, actions...); err != nil {
					return err
				}
				if how == "form" {
					if _, err := evalJS[bool](ctx, `document.querySelector('input[name=next]').value = `+jsString(next)+`; true`); err != nil {
						return err
					}
				}
				// The redirect may lead anywhere, even to a host that does not
				// resolve: wait for the navigation, then read where it went.
				_, _ = chromedp.RunResponse(ctx, chromedp.Click(byText("form button", "Log in")))
				loc, err := chromedp.Run(ctx, chromedp.Location())
				if err != nil {
					return err
				}
				if !strings.HasPrefix(loc, srv.URL+"/") {
					return fmt.Errorf("the login sent the browser to %s", loc)
				}
				return nil
			})
		}
	}
}
