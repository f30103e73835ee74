package tests

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestAdminMediaBrowser drives the demo's media library in headless
// Chromium, on SQLite and PostgreSQL as TestAdminBrowser does: upload a
// picture with the form (no script involved), see its thumbnail load,
// drop a second picture on the page (sent straight to the disk through a
// presigned PUT), choose the first as a post's cover with the picker,
// save, and move the picture to the trash.
func TestAdminMediaBrowser(t *testing.T) {
	t.Parallel()
	chrome := requireChromium(t)
	for _, name := range []dialects.Name{dialects.SQLite, dialects.Postgres} {
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			testAdminMediaBrowser(t, chrome, dbtest.New(t, name))
		})
	}
}

func testAdminMediaBrowser(t *testing.T, chrome string, db *dbtest.DB) {
	srv := serveBlogAdmin(t, db)
	b := newBrowserTab(t, chrome, srv.URL)
	file := filepath.Join(t.TempDir(), "cover.png")
	if err := os.WriteFile(file, pngBytes(t, 320, 200), 0o644); err != nil {
		t.Fatal(err)
	}
	dropped := pngBytes(t, 90, 60)
	var coverID int64
	mediaID := func(filename string) (int64, error) {
		var id int64
		err := db.SQL.QueryRow("SELECT id FROM quarry_media WHERE status = 'ready' AND filename = "+db.Dialect().Placeholder(1), filename).Scan(&id)
		return id, err
	}
	for _, s := range []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"log in", b.logIn},
		{"open the library from the navigation", func(ctx context.Context) error {
			if err := b.follow(ctx, http.StatusOK, chromedp.Click(byText("nav.side a", "Media"))); err != nil {
				return err
			}
			if err := b.wantPath(ctx, "/admin/media/"); err != nil {
				return err
			}
			if err := b.wantText(ctx, "h1", "Media"); err != nil {
				return err
			}
			// The page's script shows the drop hint.
			shown, err := evalJS[bool](ctx, `!document.querySelector("#media-drop .drop-hint").hidden`)
			if err != nil || !shown {
				return fmt.Errorf("the drop hint is hidden once the page has loaded (%v)", err)
			}
			return nil
		}},
		{"upload with the form", func(ctx context.Context) error {
			if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.ID("upload-file"), []string{file})); err != nil {
				return err
			}
			if err := b.follow(ctx, http.StatusOK, chromedp.Click(byText("#media-upload button", "Upload"))); err != nil {
				return err
			}
			if err := b.wantPath(ctx, "/admin/media/"); err != nil {
				return err
			}
			if err := b.wantMessage(ctx, "Uploaded “cover.png”"); err != nil {
				return err
			}
			id, err := mediaID("cover.png")
			if err != nil {
				return fmt.Errorf("no ready cover.png in quarry_media: %w", err)
			}
			coverID = id
			return b.waitImage(ctx, queryJS(fmt.Sprintf(`[data-media-id="%d"] img.media-thumb`, id)), 160)
		}},
		{"drop a file: a direct upload", func(ctx context.Context) error {
			// The page's fetch calls are recorded in sessionStorage, which
			// outlives the reload that follows the upload.
			js := `(() => {
				sessionStorage.setItem("calls", "[]");
				const f = window.fetch;
				window.fetch = (u, o) => {
					const calls = JSON.parse(sessionStorage.getItem("calls"));
					calls.push((o && o.method || "GET") + " " + String(u).split("?")[0]);
					sessionStorage.setItem("calls", JSON.stringify(calls));
					return f(u, o);
				};
				const bytes = Uint8Array.from(atob(` + jsString(base64.StdEncoding.EncodeToString(dropped)) + `), c => c.charCodeAt(0));
				const dt = new DataTransfer();
				dt.items.add(new File([bytes], "dropped.png", {type: "image/png"}));
				const zone = document.getElementById("media-drop");
				zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
				return zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
			})()`
			if _, err := evalJS[bool](ctx, js); err != nil {
				return err
			}
			if err := b.waitFor(ctx, `document.querySelector(".media-card .media-name") && Array.from(document.querySelectorAll(".media-card .media-name"), e => e.textContent).includes("dropped.png")`,
				"the dropped file in the library"); err != nil {
				status, _ := b.texts(ctx, "#media-upload-status li")
				return fmt.Errorf("%w (upload status: %q)", err, status)
			}
			raw, err := evalJS[string](ctx, `sessionStorage.getItem("calls")`)
			if err != nil {
				return err
			}
			var calls []string
			if err := json.Unmarshal([]byte(raw), &calls); err != nil {
				return err
			}
			id, err := mediaID("dropped.png")
			if err != nil {
				return fmt.Errorf("no ready dropped.png in quarry_media: %w", err)
			}
			want := []string{"POST /admin/media/uploads/", "PUT /_storage/default/", fmt.Sprintf("POST /admin/media/%d/finalize/", id)}
			if len(calls) != 3 || calls[0] != want[0] || !strings.HasPrefix(calls[1], want[1]) || calls[2] != want[2] {
				return fmt.Errorf("the drop made the requests %q, want begin, PUT to the disk, finalize: %q", calls, want)
			}
			if err := b.wantMessage(ctx, "Uploaded “dropped.png”"); err != nil {
				return err
			}
			return b.waitImage(ctx, queryJS(fmt.Sprintf(`[data-media-id="%d"] img.media-thumb`, id)), 90)
		}},
		{"choose the cover of a post", func(ctx context.Context) error {
			if err := b.open(ctx, "/admin/posts/"); err != nil {
				return err
			}
			if err := b.follow(ctx, http.StatusOK, chromedp.Click(chromedp.JSPath(rowJS("A moth in relay 70")+`.querySelector('a[href^="/admin/posts/"]')`))); err != nil {
				return err
			}
			if err := b.wantText(ctx, "#f-cover_id option:checked", "—"); err != nil {
				return err
			}
			if err := chromedp.Do(ctx, chromedp.Click(byText("[data-media-picker] button", "Choose…"))); err != nil {
				return err
			}
			item := fmt.Sprintf(`dialog.media-chooser[open] button[data-media-id="%d"]`, coverID)
			if err := b.waitFor(ctx, queryJS(item+" img")+`?.naturalWidth > 0`, "the chooser's thumbnail of cover.png"); err != nil {
				return err
			}
			names, err := b.texts(ctx, "dialog.media-chooser .media-name")
			if err != nil {
				return err
			}
			if !slices.Equal(names, []string{"dropped.png", "cover.png"}) {
				return fmt.Errorf("the chooser lists %q, want the newest first", names)
			}
			// Search.
			if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("dialog.media-chooser input[type=search]"), "cover\n")); err != nil {
				return err
			}
			if err := b.waitFor(ctx, `document.querySelectorAll("dialog.media-chooser .media-name").length === 1`, "the chooser's search"); err != nil {
				return err
			}
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(item))); err != nil {
				return err
			}
			if open, err := evalJS[bool](ctx, `document.querySelector("dialog.media-chooser").open`); err != nil || open {
				return fmt.Errorf("the chooser stays open after the choice (%v)", err)
			}
			if err := b.wantValue(ctx, "f-cover_id", strconv.FormatInt(coverID, 10)); err != nil {
				return err
			}
			if err := b.wantText(ctx, "[data-media-current] .media-name", "cover.png"); err != nil {
				return err
			}
			if err := b.waitImage(ctx, queryJS("[data-media-current] img.media-preview"), 160); err != nil {
				return err
			}
			// Clear empties it; choose again.
			if err := chromedp.Do(ctx, chromedp.Click(byText("[data-media-picker] button", "Clear"))); err != nil {
				return err
			}
			if err := b.wantValue(ctx, "f-cover_id", ""); err != nil {
				return err
			}
			if err := b.wantText(ctx, "[data-media-current] .media-name", "No file chosen"); err != nil {
				return err
			}
			if err := chromedp.Do(ctx, chromedp.Click(byText("[data-media-picker] button", "Choose…"))); err != nil {
				return err
			}
			if err := b.waitFor(ctx, `!!`+queryJS(item), "the chooser's files"); err != nil {
				return err
			}
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(item))); err != nil {
				return err
			}
			return b.wantValue(ctx, "f-cover_id", strconv.FormatInt(coverID, 10))
		}},
		{"save the post", func(ctx context.Context) error {
			if err := b.follow(ctx, http.StatusOK, chromedp.Click(chromedp.CSS(`button[name=_save]`))); err != nil {
				return err
			}
			if err := b.wantPath(ctx, "/admin/posts/"); err != nil {
				return err
			}
			if err := b.wantMessage(ctx, "Changed “A moth in relay 70” in posts."); err != nil {
				return err
			}
			var cover int64
			if err := db.SQL.QueryRow("SELECT cover_id FROM posts WHERE slug = 'first-bug'").Scan(&cover); err != nil || cover != coverID {
				return fmt.Errorf("posts.cover_id is %d (%v), want %d", cover, err, coverID)
			}
			cells, err := b.column(ctx, "cover_id")
			if err != nil {
				return err
			}
			if !slices.Contains(cells, "cover.png") {
				return fmt.Errorf("the list's cover_id column is %q, want cover.png in it", cells)
			}
			return b.waitImage(ctx, rowJS("A moth in relay 70")+`?.querySelector("img.cell-thumb")`, 160)
		}},
		{"move the picture to the trash", func(ctx context.Context) error {
			if err := b.open(ctx, "/admin/media/"); err != nil {
				return err
			}
			if err := b.follow(ctx, http.StatusOK, chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-media-id="%d"] a.media-link`, coverID)))); err != nil {
				return err
			}
			if err := b.wantPath(ctx, fmt.Sprintf("/admin/media/%d/", coverID)); err != nil {
				return err
			}
			used, err := b.texts(ctx, "ul.media-usage li")
			if err != nil {
				return err
			}
			if !slices.Equal(used, []string{"1 row of posts (cover_id)"}) {
				return fmt.Errorf("the file's page says it is used by %q", used)
			}
			if err := b.follow(ctx, http.StatusOK, chromedp.Click(byText("#media-delete button", "Move to the trash"))); err != nil {
				return err
			}
			if err := b.wantPath(ctx, "/admin/media/"); err != nil {
				return err
			}
			if err := b.wantMessage(ctx, "Moved “cover.png” to the trash."); err != nil {
				return err
			}
			left, err := b.texts(ctx, ".media-card .media-name")
			if err != nil {
				return err
			}
			if !slices.Equal(left, []string{"dropped.png"}) {
				return fmt.Errorf("the library shows %q after the delete, want only dropped.png", left)
			}
			if err := b.follow(ctx, http.StatusOK, chromedp.Click(byText(".head-actions a", "Trash"))); err != nil {
				return err
			}
			return b.wantText(ctx, ".media-card .media-name", "cover.png")
		}},
	} {
		b.step(s.name, s.run)
	}
}

// queryJS is a JavaScript expression for the first element the CSS
// selector matches.
func queryJS(css string) string { return `document.querySelector(` + jsString(css) + `)` }

// waitFor waits until the JavaScript expression is true, across page
// loads.
func (b *browserTab) waitFor(ctx context.Context, js, what string) error {
	var last error
	for {
		ok, err := evalJS[bool](ctx, js)
		if err == nil && ok {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %v (last error: %v)", what, ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitImage waits until the image the JavaScript expression el names
// has loaded, and checks its width in pixels.
func (b *browserTab) waitImage(ctx context.Context, el string, width int) error {
	if err := b.waitFor(ctx, `(e => !!e && e.complete && e.naturalWidth > 0)(`+el+`)`, "the image "+el); err != nil {
		return err
	}
	w, err := evalJS[int](ctx, el+`.naturalWidth`)
	if err != nil {
		return err
	}
	if w != width {
		return fmt.Errorf("the image %s is %d pixels wide, want %d", el, w, width)
	}
	return nil
}
