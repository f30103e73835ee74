package tests

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/examples/blog/api"
	"github.com/quarry-go/quarry/examples/blog/site"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/media"
	"github.com/quarry-go/quarry/queries"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// mediaTestMax is the upload limit of the media blog's library.
const mediaTestMax = 256 << 10

// mediaBlog is the blog demo mounted as its main does (site.Mount: the
// admin with its media library), but with a library whose upload limit is
// mediaTestMax, on the demo's disks, every object under a key prefix of
// its own so that what a test stores can be listed exactly.
type mediaBlog struct {
	t      *testing.T
	db     *dbtest.DB
	app    *framework.App
	svc    *media.Service
	ctx    context.Context // with the key prefix, for the service's calls
	url    string
	prefix string
}

func newMediaBlog(t *testing.T, db *dbtest.DB) *mediaBlog {
	t.Helper()
	ctx := context.Background()
	app := newBlogApp(t, db)
	if err := api.Seed(ctx, app.Database()); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.New(app.Database()).SeedPermissions(ctx); err != nil {
		t.Fatal(err)
	}
	var svc *media.Service
	var svcErr error
	a, err := site.Mount(ctx, app, func(_ *authhttp.Auth, o *admin.Options) {
		if o.Media == nil {
			svcErr = fmt.Errorf("site.Mount gives the admin no media library")
			return
		}
		svc, svcErr = media.New(o.Media.Disks(), media.Options{MaxSize: mediaTestMax, Logger: slog.New(slog.DiscardHandler)})
		o.Media = svc
	})
	if err != nil || svcErr != nil {
		t.Fatal(err, svcErr)
	}
	api.Mount(app.Router(), app.Logger(), a)
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "tests/" + hex.EncodeToString(b[:]) + "/"
	app.WrapRouter(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(framework.WithKeyPrefix(r.Context(), prefix)))
		})
	})
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	users := []struct {
		name  string
		super bool
		perms []string
	}{
		{"root", true, nil},
		{"viewer", false, []string{media.PermView, "posts.view"}},
		{"uploader", false, []string{media.PermView, media.PermAdd}},
		{"editor", false, []string{media.PermChange, "posts.change"}},
		{"deleter", false, []string{media.PermView, media.PermDelete}},
		{"writer", false, []string{"posts.change"}},
	}
	for _, u := range users {
		addAdminUser(t, app, db, u.name, true, u.super, u.perms...)
	}
	return &mediaBlog{t: t, db: db, app: app, svc: svc, ctx: framework.WithKeyPrefix(ctx, prefix), url: srv.URL, prefix: prefix}
}

// as logs user in.
func (s *mediaBlog) as(user string) *adminBrowser {
	s.t.Helper()
	b := newBrowser(s.t, s.url)
	if resp := b.login(user, adminPassword, "/admin/"); resp.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("login as %s: %d", user, resp.StatusCode)
	}
	return &adminBrowser{browser: b}
}

// count runs a COUNT query on the test's database.
func (s *mediaBlog) count(query string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.db.SQL.QueryRow(query, args...).Scan(&n); err != nil {
		s.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// stored is the state of the library: its rows by status and the
// objects under the test's prefix.
func (s *mediaBlog) stored() string {
	s.t.Helper()
	var rows []string
	for _, st := range []string{"pending", "ready", "deleted"} {
		rows = append(rows, fmt.Sprintf("%s=%d", st, s.count("SELECT COUNT(*) FROM quarry_media WHERE status = "+s.db.Dialect().Placeholder(1), st)))
	}
	objects := 0
	for _, err := range s.svc.Disks().Default().List(s.ctx, s.prefix) {
		if err != nil {
			s.t.Fatal(err)
		}
		objects++
	}
	return strings.Join(rows, " ") + fmt.Sprintf(" objects=%d", objects)
}

// pngBytes encodes a w×h image.
func pngBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.NRGBA{uint8(x * 7), uint8(y * 5), 180, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// part is one part of a multipart body: a field, or a file when filename
// is set.
type part struct {
	name, value        string
	filename, fileType string
	data               []byte
}

// multipartBody encodes the parts in order.
func multipartBody(t testing.TB, parts ...part) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		if p.filename == "" && p.data == nil {
			if err := w.WriteField(p.name, p.value); err != nil {
				t.Fatal(err)
			}
			continue
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.filename))
		if p.fileType != "" {
			h.Set("Content-Type", p.fileType)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = pw.Write(p.data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), buf.Bytes()
}

// send makes a request with a body of type contentType and extra
// headers, and returns the answer.
func (b *adminBrowser) sendBody(method, path, contentType string, body []byte, header map[string]string) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.base+path, bytes.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

// upload posts a file through the library's upload form (token first).
func (b *adminBrowser) upload(filename, fileType string, data []byte, fields ...part) (*http.Response, string) {
	b.t.Helper()
	parts := append([]part{{name: "csrf_token", value: b.token()}}, fields...)
	ct, body := multipartBody(b.t, append(parts, part{name: "file", filename: filename, fileType: fileType, data: data})...)
	return b.sendBody("POST", "/admin/media/upload/", ct, body, nil)
}

// jsonOf decodes a JSON answer.
func jsonOf[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, body)
	}
	return v
}

// begunJSON is the answer to the start of a direct upload.
type begunJSON struct {
	ID     int64
	Upload struct {
		Method, URL string
		Headers     map[string]string
	}
	Finalize string
}

// chooserJSON is a page of the picker's chooser.
type chooserJSON struct {
	Items []struct {
		ID       int64
		Filename string
		Thumb    string
		URL      string
	}
	Next *string
}

var (
	thumbRe    = regexp.MustCompile(`<img src="([^"]+)" alt="" class="media-thumb"`)
	mediaIDRe  = regexp.MustCompile(`data-media-id="(\d+)"`)
	formErrRe  = regexp.MustCompile(`(?s)<p class="form-error" role="alert"[^>]*>(.*?)</p>`)
	fieldErrRe = regexp.MustCompile(`id="m-(\w+)-err">([^<]*)<`)
)

// formError is the error a page shows above its form.
func formError(body string) string {
	m := formErrRe.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// TestAdminMedia drives the admin's media library over HTTP on every
// dialect: the library's place in the admin, uploads through the form
// (and every refusal, each storing nothing), direct uploads, the file's
// page (edits, a stale form), the trash, the picker of the posts' cover,
// and the permissions of each.
func TestAdminMedia(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		s := newMediaBlog(t, db)
		root := s.as("root")
		pic := pngBytes(t, 400, 300)
		var id int64 // the uploaded picture

		t.Run("the library in the admin", func(t *testing.T) {
			index := root.get("/admin/", http.StatusOK)
			wantContains(t, "index", index, `<a href="/admin/media/">Media</a>`, `href="/admin/media/#upload"`, "<h2>Media</h2>",
				`href="/admin/quarry_media_collections/"`, `href="/admin/quarry_media_tags/"`)
			wantAbsent(t, "index", index, `href="/admin/quarry_media/"`, `href="/admin/quarry_media_tag_links/"`)
			// Application, then Media, then Framework.
			groups := regexp.MustCompile(`<nav class="side"[\s\S]*?</nav>`).FindString(index)
			if a, m, f := strings.Index(groups, "<h2>Application</h2>"), strings.Index(groups, "<h2>Media</h2>"), strings.Index(groups, "<h2>Framework</h2>"); !(a >= 0 && a < m && m < f) {
				t.Errorf("navigation groups out of order: %s", groups)
			}
			for path, to := range map[string]string{"/admin/quarry_media/": "/admin/media/", "/admin/quarry_media/7/change/": "/admin/media/7/",
				"/admin/quarry_media_tag_links/": "/admin/media/", "/admin/quarry_media/add/": "/admin/media/"} {
				resp, _ := root.do("GET", path, nil, nil)
				expect(t, "GET "+path, resp, http.StatusFound, to)
			}
			if resp, body := root.do("POST", "/admin/quarry_media/7/delete/", url.Values{"csrf_token": {root.token()}}, nil); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "edited in the media library") {
				t.Errorf("generic delete of a media row: %d\n%s", resp.StatusCode, excerpt(body))
			}
			lib := root.get("/admin/media/", http.StatusOK)
			wantContains(t, "empty library", lib, "No files yet.", `enctype="multipart/form-data"`, `data-begin="/admin/media/uploads/"`,
				`<input type="file" id="upload-file" name="file" required`)
			// The token is the form's first field: the auth layer reads it
			// from the body's first part.
			form := regexp.MustCompile(`(?s)<form method="post" action="/admin/media/upload/".*?</form>`).FindString(lib)
			if i, j := strings.Index(form, `name="csrf_token"`), strings.Index(form, `name="file"`); i < 0 || j < i {
				t.Errorf("the upload form does not carry its token before the file:\n%s", form)
			}
		})

		t.Run("upload", func(t *testing.T) {
			resp, body := root.upload("Holiday <pic>.png", "image/png", pic, part{name: "tags", value: "Trips, summer"})
			expect(t, "upload", resp, http.StatusSeeOther, "/admin/media/")
			lib := root.get("/admin/media/", http.StatusOK)
			wantContains(t, "library after the upload", lib, "Uploaded “Holiday &lt;pic&gt;.png” (", "Holiday &lt;pic&gt;.png", "image/png", "400×300")
			m := mediaIDRe.FindStringSubmatch(lib)
			th := thumbRe.FindStringSubmatch(lib)
			if m == nil || th == nil {
				t.Fatalf("no card with a thumbnail in the library (upload answered %s):\n%s", body, excerpt(lib))
			}
			id, _ = strconv.ParseInt(m[1], 10, 64)
			thumb := html.UnescapeString(th[1])
			if !strings.HasPrefix(thumb, "/_storage/default/"+s.prefix+"media/") || !strings.Contains(thumb, "_thumbs/160.png") {
				t.Errorf("thumbnail URL %s", thumb)
			}
			resp, img := root.do("GET", thumb, nil, nil)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
				t.Fatalf("GET the thumbnail: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if cfg, err := png.DecodeConfig(strings.NewReader(img)); err != nil || cfg.Width != 160 || cfg.Height != 120 {
				t.Errorf("thumbnail: %v %+v, want 160×120", err, cfg)
			}
			got, err := s.svc.Get(s.ctx, s.app.Database(), id)
			if err != nil || got.Status != media.Ready || got.Size != int64(len(pic)) || !slices.Equal(got.Tags, []string{"summer", "trips"}) || got.OwnerID == 0 {
				t.Errorf("stored %+v, %v", got, err)
			}
			if n := s.count("SELECT COUNT(*) FROM quarry_audit_log WHERE table_name = 'quarry_media' AND action = 'admin.create' AND object_id = "+db.Dialect().Placeholder(1), strconv.FormatInt(id, 10)); n != 1 {
				t.Errorf("audit entries of the upload: %d", n)
			}
			// The script's path through the same endpoint answers JSON.
			ct, mp := multipartBody(t, part{name: "file", filename: "note.txt", fileType: "text/plain", data: []byte("a plain note\n")})
			resp, body = root.sendBody("POST", "/admin/media/upload/", ct, mp, map[string]string{"X-CSRF-Token": root.token(), "Accept": "application/json"})
			if item := jsonOf[map[string]any](t, body); resp.StatusCode != http.StatusCreated || item["filename"] != "note.txt" || item["family"] != "text" {
				t.Errorf("upload for the script: %d %s", resp.StatusCode, body)
			}
		})

		t.Run("refused uploads store nothing", func(t *testing.T) {
			before := s.stored()
			html5 := []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")
			big := append(slices.Clone(pic[:64]), make([]byte, mediaTestMax)...)
			ct, noToken := multipartBody(t, part{name: "file", filename: "a.png", fileType: "image/png", data: pic})
			ct2, tokenLast := multipartBody(t, part{name: "file", filename: "a.png", fileType: "image/png", data: pic}, part{name: "csrf_token", value: root.token()})
			ct3, empty := multipartBody(t, part{name: "csrf_token", value: root.token()}, part{name: "file", filename: "", data: []byte{}})
			uploader := s.as("uploader")
			viewer := s.as("viewer")
			for _, c := range []struct {
				name   string
				send   func() (*http.Response, string)
				status int
				msg    string
			}{
				{"HTML declared as a PNG", func() (*http.Response, string) { return root.upload("evil.png", "image/png", html5) },
					http.StatusUnsupportedMediaType, "File type not allowed: the file is text/html"},
				{"a PNG declared as a JPEG", func() (*http.Response, string) { return root.upload("pic.jpg", "image/jpeg", pic) },
					http.StatusUnsupportedMediaType, "File is not of its declared type: the bytes are image/png, image/jpeg was declared."},
				{"over the limit", func() (*http.Response, string) { return root.upload("big.png", "image/png", big) },
					http.StatusRequestEntityTooLarge, "The file is larger than the limit of 256.0 KiB (262,144 bytes)."},
				{"an empty file input", func() (*http.Response, string) { return root.sendBody("POST", "/admin/media/upload/", ct3, empty, nil) },
					http.StatusBadRequest, "Choose a file to upload."},
				{"a malformed body", func() (*http.Response, string) {
					return root.sendBody("POST", "/admin/media/upload/", "multipart/form-data; boundary=xyz", []byte("--xyz\r\nnonsense"), map[string]string{"X-CSRF-Token": root.token()})
				}, http.StatusBadRequest, "The upload could not be read (a malformed multipart body)"},
				{"not multipart", func() (*http.Response, string) {
					return root.sendBody("POST", "/admin/media/upload/", "image/png", pic, map[string]string{"X-CSRF-Token": root.token()})
				}, http.StatusUnsupportedMediaType, "Send uploads as multipart/form-data"},
				{"no CSRF token", func() (*http.Response, string) {
					return root.sendBody("POST", "/admin/media/upload/", ct, noToken, nil)
				},
					http.StatusForbidden, "CSRF check failed: missing token"},
				{"the CSRF token after the file", func() (*http.Response, string) {
					return root.sendBody("POST", "/admin/media/upload/", ct2, tokenLast, nil)
				},
					http.StatusForbidden, "CSRF check failed: missing token"},
				{"a user without quarry_media.add", func() (*http.Response, string) { return viewer.upload("ok.png", "image/png", pic) },
					http.StatusForbidden, "You do not have permission to add media."},
				{"another user's token", func() (*http.Response, string) {
					parts := []part{{name: "csrf_token", value: uploader.token()}, {name: "file", filename: "ok.png", fileType: "image/png", data: pic}}
					ct, body := multipartBody(t, parts...)
					return root.sendBody("POST", "/admin/media/upload/", ct, body, nil)
				}, http.StatusForbidden, "CSRF check failed: wrong token"},
			} {
				resp, body := c.send()
				if resp.StatusCode != c.status || !strings.Contains(html.UnescapeString(body), c.msg) {
					t.Errorf("%s: %d, want %d with %q\n%s", c.name, resp.StatusCode, c.status, c.msg, excerpt(body))
				}
				if after := s.stored(); after != before {
					t.Errorf("%s stored something: %s, was %s", c.name, after, before)
				}
			}
			// A refused form shows the library again, the message in the
			// upload card.
			_, body := root.upload("evil.png", "image/png", html5)
			wantContains(t, "refused upload page", body, `<p class="form-error" role="alert" id="upload-error">`, `class="media-grid"`)
			// Allowed to upload: the uploader's own upload works.
			resp, _ := uploader.upload("mine.png", "image/png", pngBytes(t, 20, 20))
			expect(t, "the uploader's upload", resp, http.StatusSeeOther, "/admin/media/")
		})

		t.Run("direct upload", func(t *testing.T) {
			data := pngBytes(t, 50, 40)
			form := url.Values{"filename": {"direct.png"}, "content_type": {"image/png"}, "size": {strconv.Itoa(len(data))}, "tags": {"direct"}}
			resp, body := root.post("/admin/media/uploads/", form, http.StatusCreated)
			if resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("begin: %s", body)
			}
			begun := jsonOf[begunJSON](t, body)
			if begun.Upload.Method != "PUT" || !strings.HasPrefix(begun.Upload.URL, "/_storage/default/"+s.prefix) || begun.Finalize != fmt.Sprintf("/admin/media/%d/finalize/", begun.ID) {
				t.Fatalf("begin answered %s", body)
			}
			// Finalizing before the bytes are there: 409, still pending.
			resp, body = root.do("POST", begun.Finalize, url.Values{"csrf_token": {root.token()}}, map[string]string{"Accept": "application/json"})
			if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "has not been uploaded") {
				t.Errorf("finalize before the PUT: %d %s", resp.StatusCode, body)
			}
			put, _ := http.NewRequest(begun.Upload.Method, s.url+begun.Upload.URL, bytes.NewReader(data))
			for k, v := range begun.Upload.Headers {
				put.Header.Set(k, v)
			}
			put.ContentLength = int64(len(data))
			presp, err := http.DefaultClient.Do(put)
			if err != nil {
				t.Fatal(err)
			}
			presp.Body.Close()
			if presp.StatusCode/100 != 2 {
				t.Fatalf("PUT to the presigned URL: %d", presp.StatusCode)
			}
			// Another user may not finalize it.
			other := s.as("uploader")
			resp, body = other.do("POST", begun.Finalize, url.Values{"csrf_token": {other.token()}}, map[string]string{"Accept": "application/json"})
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "belongs to another user") {
				t.Errorf("finalize by another user: %d %s", resp.StatusCode, body)
			}
			resp, body = root.do("POST", begun.Finalize, url.Values{"csrf_token": {root.token()}}, map[string]string{"Accept": "application/json"})
			if item := jsonOf[map[string]any](t, body); resp.StatusCode != http.StatusOK || item["filename"] != "direct.png" || !strings.Contains(fmt.Sprint(item["thumb"]), "/_storage/") {
				t.Errorf("finalize: %d %s", resp.StatusCode, body)
			}
			if m, err := s.svc.Get(s.ctx, s.app.Database(), begun.ID); err != nil || m.Status != media.Ready || m.Width != 50 {
				t.Errorf("after finalize: %+v %v", m, err)
			}
			// Refused at the start: too large, a type not allowed, no size.
			for _, c := range []struct {
				form   url.Values
				status int
				msg    string
			}{
				{url.Values{"filename": {"x.png"}, "content_type": {"image/png"}, "size": {strconv.Itoa(mediaTestMax + 1)}}, http.StatusRequestEntityTooLarge, "File too large"},
				{url.Values{"filename": {"x.svg"}, "content_type": {"image/svg+xml"}, "size": {"10"}}, http.StatusUnsupportedMediaType, "image/svg+xml"},
				{url.Values{"filename": {"x.png"}, "content_type": {"image/png"}, "size": {"ten"}}, http.StatusBadRequest, "The size must be the file's size in bytes"},
			} {
				c.form.Set("csrf_token", root.token())
				resp, body := root.do("POST", "/admin/media/uploads/", c.form, nil)
				if resp.StatusCode != c.status || !strings.Contains(body, c.msg) {
					t.Errorf("begin %v: %d %s, want %d %q", c.form, resp.StatusCode, body, c.status, c.msg)
				}
			}
			viewer := s.as("viewer")
			if resp, _ := viewer.do("POST", "/admin/media/uploads/", url.Values{"csrf_token": {viewer.token()}, "filename": {"x.png"}, "content_type": {"image/png"}, "size": {"10"}}, nil); resp.StatusCode != http.StatusForbidden {
				t.Errorf("begin without quarry_media.add: %d", resp.StatusCode)
			}
		})

		var collection int64
		t.Run("the file's page", func(t *testing.T) {
			c, err := s.svc.CreateCollection(s.ctx, s.app.Database(), 0, "Covers")
			if err != nil {
				t.Fatal(err)
			}
			collection = c.ID
			page := fmt.Sprintf("/admin/media/%d/", id)
			body := root.get(page, http.StatusOK)
			// 400 pixels wide: the image is its own 640-pixel thumbnail.
			wantContains(t, "detail", body, "<h1>Holiday &lt;pic&gt;.png</h1>", "image/png", "400×300 pixels", "root", `class="media-large" id="media-preview"`,
				`id="media-file"`, `name="_version"`, `<option value="`+strconv.FormatInt(collection, 10)+`">Covers</option>`, `value="summer, trips"`, `action="`+page+`delete/"`)
			wantAbsent(t, "detail", body, "<script>alert")
			save := func(b *adminBrowser, form url.Values, status int) string {
				t.Helper()
				_, out := b.post(page, form, status)
				return out
			}
			version := versionOf(t, body)
			// Refused: an empty name, a tag with a control character.
			out := save(root, url.Values{"_version": {version}, "filename": {"  "}, "tags": {"a"}}, http.StatusUnprocessableEntity)
			if m := fieldErrRe.FindStringSubmatch(out); m == nil || m[1] != "filename" || m[2] != "This field is required." {
				t.Errorf("empty file name: %q\n%s", m, excerpt(out))
			}
			out = save(root, url.Values{"_version": {version}, "filename": {"x.png"}, "tags": {"ok, bad\x01tag"}}, http.StatusUnprocessableEntity)
			if msg := formError(out); !strings.Contains(msg, "holds a comma, or a control") {
				t.Errorf("control character in a tag: %q", msg)
			}
			form := url.Values{"_version": {version}, "filename": {"Cover.png"}, "alt_text": {"A striped test card"}, "public": {"true"},
				"collection": {strconv.FormatInt(collection, 10)}, "tags": {"Cards,  Demo , cards"}}
			resp, _ := root.post(page, form, http.StatusSeeOther)
			expect(t, "save", resp, http.StatusSeeOther, page)
			m, err := s.svc.Get(s.ctx, s.app.Database(), id)
			if err != nil || m.Filename != "Cover.png" || m.AltText != "A striped test card" || !m.Public || m.CollectionID != collection || !slices.Equal(m.Tags, []string{"cards", "demo"}) {
				t.Errorf("after the save: %+v %v", m, err)
			}
			wantContains(t, "detail after the save", root.get(page, http.StatusOK), "Saved “Cover.png”.", `alt="A striped test card"`)
			// The same form again: someone else's change came first.
			out = save(root, form, http.StatusConflict)
			if msg := formError(out); !strings.Contains(msg, "Someone else changed this file") {
				t.Errorf("stale form: %q", msg)
			}
			// Edits need quarry_media.change.
			viewer := s.as("viewer")
			vbody := viewer.get(page, http.StatusOK)
			wantAbsent(t, "detail for a viewer", vbody, `id="media-edit"`, `id="media-delete"`)
			if resp, _ := viewer.do("POST", page, url.Values{"csrf_token": {viewer.token()}, "filename": {"x"}}, nil); resp.StatusCode != http.StatusForbidden {
				t.Errorf("edit by a viewer: %d", resp.StatusCode)
			}
			for _, p := range []string{"/admin/media/0/", "/admin/media/abc/", "/admin/media/999999/"} {
				root.get(p, http.StatusNotFound)
			}
			// The filters find it.
			for _, q := range []string{"?q=cover", "?type=image", "?tag=Demo", "?collection=" + strconv.FormatInt(collection, 10)} {
				if lib := root.get("/admin/media/"+q, http.StatusOK); !strings.Contains(lib, fmt.Sprintf(`data-media-id="%d"`, id)) {
					t.Errorf("filter %s misses the file", q)
				}
			}
			if lib := root.get("/admin/media/?type=video", http.StatusOK); strings.Contains(lib, "data-media-id") || !strings.Contains(lib, "No files match these filters.") {
				t.Error("filter type=video lists files")
			}
			for q, msg := range map[string]string{"?type=model": "The type filter must be one of image, video, audio, application, text.",
				"?collection=-1": "The collection filter must be a positive whole number", "?before=x": "The page link is not valid"} {
				if body := root.get("/admin/media/"+q, http.StatusBadRequest); !strings.Contains(html.UnescapeString(body), msg) {
					t.Errorf("filter %s: missing %q", q, msg)
				}
			}
		})

		t.Run("pages", func(t *testing.T) {
			for i := range 50 {
				if _, err := s.svc.Upload(s.ctx, s.app.Database(), strings.NewReader(fmt.Sprintf("note %d\n", i)), media.UploadInput{Filename: fmt.Sprintf("note-%02d.txt", i)}); err != nil {
					t.Fatal(err)
				}
			}
			first := root.get("/admin/media/?type=text", http.StatusOK)
			older := hrefOf(first, "next")
			if n := len(mediaIDRe.FindAllString(first, -1)); n != 48 || older == "" || hrefOf(first, "first") != "" {
				t.Fatalf("first page: %d files, older %q", n, older)
			}
			second := root.get(older, http.StatusOK)
			if n := len(mediaIDRe.FindAllString(second, -1)); n != 3 || hrefOf(second, "next") != "" || hrefOf(second, "first") != "/admin/media/?type=text" {
				t.Errorf("second page (%s): %d files", older, n)
			}
			if !strings.Contains(first, "note-49.txt") || !strings.Contains(second, "note.txt") {
				t.Error("the pages are not newest first")
			}
		})

		t.Run("the picker", func(t *testing.T) {
			var postID int64
			var title, slug, body string
			var author int64
			if err := db.SQL.QueryRow("SELECT id, title, slug, body, author_id FROM posts WHERE slug = 'compilers-draft'").Scan(&postID, &title, &slug, &body, &author); err != nil {
				t.Fatal(err)
			}
			change := fmt.Sprintf("/admin/posts/%d/change/", postID)
			page := root.get(change, http.StatusOK)
			wantContains(t, "post form", page, `data-media-picker data-choose="/admin/media/choose/"`, `<select id="f-cover_id" name="cover_id"`,
				fmt.Sprintf(`<option value="%d">Cover.png (#%d)</option>`, id, id), `data-media-choose`, `data-media-clear`, "No file chosen",
				`href="/admin/media/" target="_blank"`)
			wantAbsent(t, "post form", page, fmt.Sprintf(`<option value="%d" selected>`, id))
			// The chooser's list, searched and paged.
			resp, out := root.do("GET", "/admin/media/choose/?q=cover", nil, nil)
			chosen := jsonOf[chooserJSON](t, out)
			if resp.StatusCode != http.StatusOK || len(chosen.Items) != 1 || chosen.Items[0].ID != id || !strings.Contains(chosen.Items[0].Thumb, "_thumbs/160.png") || chosen.Next != nil {
				t.Errorf("chooser search: %d %s", resp.StatusCode, out)
			}
			if _, out := root.do("GET", "/admin/media/choose/", nil, nil); !strings.Contains(out, `"next":"`) {
				t.Errorf("the chooser's first page has no next page: %s", out)
			}
			if resp, out := root.do("GET", "/admin/media/choose/?type=nope", nil, nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(out, "The type filter") {
				t.Errorf("chooser with a bad filter: %d %s", resp.StatusCode, out)
			}
			// Choosing the file: the post refers to it.
			form := url.Values{"_version": {versionOf(t, page)}, "title": {title}, "slug": {slug}, "body": {body}, "author_id": {strconv.FormatInt(author, 10)},
				"cover_id": {strconv.FormatInt(id, 10)}, "published_at": {""}, "_continue": {"1"}}
			resp, _ = root.post(change, form, http.StatusSeeOther)
			expect(t, "save the post", resp, http.StatusSeeOther, change)
			var cover int64
			if err := db.SQL.QueryRow("SELECT cover_id FROM posts WHERE id = "+db.Dialect().Placeholder(1), postID).Scan(&cover); err != nil || cover != id {
				t.Fatalf("posts.cover_id = %d (%v), want %d", cover, err, id)
			}
			page = root.get(change, http.StatusOK)
			wantContains(t, "post form with a cover", page, fmt.Sprintf(`<option value="%d" selected>Cover.png (#%d)</option>`, id, id),
				`class="media-preview"`, fmt.Sprintf(`<a href="/admin/media/%d/" target="_blank" rel="noopener" class="media-name">Cover.png</a>`, id))
			list := root.get("/admin/posts/", http.StatusOK)
			wantContains(t, "posts list", list, `class="cell-thumb"`, fmt.Sprintf(`<a href="/admin/media/%d/">Cover.png</a>`, id))
			// The file's page names the post.
			wantContains(t, "detail with a user", root.get(fmt.Sprintf("/admin/media/%d/", id), http.StatusOK), "1 row of posts</a> (cover_id)")
			// No such file: the form says so.
			form.Set("_version", versionOf(t, page))
			form.Set("cover_id", "999999")
			_, out = root.post(change, form, http.StatusUnprocessableEntity)
			if msg := fieldErrorOf(out, "cover_id"); msg != "No file of the media library has the id 999999." {
				t.Errorf("a missing file: %q", msg)
			}
			// quarry_media.change implies view: the picker.
			wantContains(t, "post form for a user with quarry_media.change", s.as("editor").get(change, http.StatusOK), `data-media-picker`)
			// A user who may not view media gets the plain foreign-key input.
			wpage := s.as("writer").get(change, http.StatusOK)
			wantContains(t, "post form without quarry_media.view", wpage, `<input id="f-cover_id" name="cover_id" value="`+strconv.FormatInt(id, 10)+`"`)
			wantAbsent(t, "post form without quarry_media.view", wpage, `data-media-picker`, "Cover.png")
			// A user who may not change the post sees the file.
			wantContains(t, "post form, read-only", s.as("viewer").get(change, http.StatusOK),
				fmt.Sprintf(`class="media-preview"> <a href="/admin/media/%d/">Cover.png</a>`, id))

			// Past 200 files the control without JavaScript is a text input
			// with suggestions, as for any large table.
			q := db.Dialect().Queries(db.SQL)
			for i := range 200 {
				if _, err := q.MediaCreate(s.ctx, queries.MediaCreateParams{Disk: "default", ObjectKey: fmt.Sprintf("%sbulk/%d/f.bin", s.prefix, i),
					Filename: fmt.Sprintf("bulk-%03d.bin", i), ContentType: "application/octet-stream", Size: 1, Checksum: "00", Status: "ready", Now: time.Now().UTC()}); err != nil {
					t.Fatal(err)
				}
			}
			page = root.get(change, http.StatusOK)
			wantContains(t, "post form, large library", page, `<input type="text" id="f-cover_id" name="cover_id" value="`+strconv.FormatInt(id, 10)+`" inputmode="numeric" autocomplete="off" list="f-cover_id-list" data-lookup="/admin/media/lookup">`,
				`data-media-choose`, "Cover.png")
			for q, want := range map[string]string{strconv.FormatInt(id, 10): `[{"key":"` + strconv.FormatInt(id, 10) + `","label":"Cover.png"}`, "bulk-19": `"label":"bulk-199.bin"`} {
				resp, out := root.do("GET", "/admin/media/lookup?q="+url.QueryEscape(q), nil, nil)
				if resp.StatusCode != http.StatusOK || !strings.Contains(out, want) {
					t.Errorf("lookup %q: %d %s, want %s", q, resp.StatusCode, out, want)
				}
			}
			if _, err := db.SQL.Exec("DELETE FROM quarry_media WHERE filename LIKE 'bulk-%'"); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("trash and restore", func(t *testing.T) {
			page := fmt.Sprintf("/admin/media/%d/", id)
			viewer := s.as("viewer")
			if resp, _ := viewer.do("POST", page+"delete/", url.Values{"csrf_token": {viewer.token()}}, nil); resp.StatusCode != http.StatusForbidden {
				t.Errorf("delete by a viewer: %d", resp.StatusCode)
			}
			deleter := s.as("deleter")
			resp, _ := deleter.post(page+"delete/", url.Values{}, http.StatusSeeOther)
			expect(t, "delete", resp, http.StatusSeeOther, "/admin/media/")
			lib := deleter.get("/admin/media/", http.StatusOK)
			wantContains(t, "library after the delete", lib, "Moved “Cover.png” to the trash.")
			if strings.Contains(lib, fmt.Sprintf(`data-media-id="%d"`, id)) {
				t.Error("the deleted file is still in the library")
			}
			trash := deleter.get("/admin/media/trash/", http.StatusOK)
			wantContains(t, "trash", trash, fmt.Sprintf(`data-media-id="%d"`, id), "Cover.png")
			wantAbsent(t, "trash for a user without change", trash, page+"restore/")
			if m, _ := s.svc.Get(s.ctx, s.app.Database(), id); m.Status != media.Deleted {
				t.Errorf("status after the delete: %s", m.Status)
			}
			// The post still refers to it; choosing it anew is refused.
			var postID int64
			if err := db.SQL.QueryRow("SELECT id FROM posts WHERE slug = 'first-bug'").Scan(&postID); err != nil {
				t.Fatal(err)
			}
			change := fmt.Sprintf("/admin/posts/%d/change/", postID)
			cp := root.get(change, http.StatusOK)
			var title, slug, body, publishedAt string
			var author int64
			if err := db.SQL.QueryRow("SELECT title, slug, body, author_id FROM posts WHERE id = "+db.Dialect().Placeholder(1), postID).Scan(&title, &slug, &body, &author); err != nil {
				t.Fatal(err)
			}
			publishedAt, _ = formFieldValue(cp, "published_at")
			form := url.Values{"_version": {versionOf(t, cp)}, "title": {title}, "slug": {slug}, "body": {body}, "author_id": {strconv.FormatInt(author, 10)},
				"published": {"true"}, "published_at": {publishedAt}, "cover_id": {strconv.FormatInt(id, 10)}}
			_, out := root.post(change, form, http.StatusUnprocessableEntity)
			if msg := fieldErrorOf(out, "cover_id"); msg != fmt.Sprintf("Media %d is in the trash: restore it or choose another file.", id) {
				t.Errorf("choosing a file in the trash: %q", msg)
			}
			// Restore, from the trash.
			editor := s.as("editor")
			if trash := editor.get("/admin/media/trash/", http.StatusOK); !strings.Contains(trash, page+"restore/") {
				t.Error("no restore button for a user with change")
			}
			resp, _ = editor.post(page+"restore/", url.Values{}, http.StatusSeeOther)
			expect(t, "restore", resp, http.StatusSeeOther, page)
			if m, _ := s.svc.Get(s.ctx, s.app.Database(), id); m.Status != media.Ready {
				t.Errorf("status after the restore: %s", m.Status)
			}
			editor.post(page+"restore/", url.Values{}, http.StatusConflict)
			actions := s.count("SELECT COUNT(*) FROM quarry_audit_log WHERE table_name = 'quarry_media' AND action IN ('admin.delete', 'admin.restore', 'admin.update') AND object_id = "+db.Dialect().Placeholder(1), strconv.FormatInt(id, 10))
			if actions != 3 {
				t.Errorf("audit entries of the edit, delete and restore: %d", actions)
			}
			hist := root.get(fmt.Sprintf("/admin/quarry_media/%d/history/", id), http.StatusOK)
			wantContains(t, "history", hist, "admin.restore", "admin.delete", "admin.update", "Holiday &lt;pic&gt;.png", "Cover.png")
		})
	})
}

// TestAdminMediaTableConflict: an application table named media would
// have the library's address; admin.New says so unless it is excluded.
func TestAdminMediaTableConflict(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t, dialects.SQLite)
	app := newBlogApp(t, db)
	if _, err := db.SQL.Exec("CREATE TABLE media (id INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	_, err := site.Mount(context.Background(), app)
	if err == nil || !strings.Contains(err.Error(), "the media library (Options.Media) is served at /admin/media/, the address of table media") {
		t.Fatalf("site.Mount with a table named media: %v", err)
	}
	app2 := newBlogApp(t, dbtest.New(t, dialects.SQLite))
	if _, err := app2.DB().Exec("CREATE TABLE media (id INTEGER NOT NULL PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if _, err := site.Mount(context.Background(), app2, func(_ *authhttp.Auth, o *admin.Options) { o.ExcludeTables = []string{"media"} }); err != nil {
		t.Errorf("with the table excluded: %v", err)
	}
}
