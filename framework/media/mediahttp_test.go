package media_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/media"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// call is one request of the API and what must come back.
type call struct {
	name    string
	as      *client // nil: anonymous
	method  string
	path    string
	ct      string
	body    []byte
	status  int
	has     []string
	lacking []string
}

// do runs the call and returns the body.
func (c call) do(t *testing.T, e *env) string {
	t.Helper()
	req, err := http.NewRequest(c.method, e.srv.URL+c.path, bytes.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.ct != "" {
		req.Header.Set("Content-Type", c.ct)
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if c.as != nil {
		hc = c.as.c
		req.Header.Set("X-CSRF-Token", c.as.token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != c.status {
		t.Errorf("%s: %s %s = %d, want %d\n%s", c.name, c.method, c.path, resp.StatusCode, c.status, got)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode >= 400 && ct != framework.ProblemContentType {
		t.Errorf("%s: %d answered as %q, want problem details\n%s", c.name, resp.StatusCode, ct, got)
	}
	for _, s := range c.has {
		if !strings.Contains(string(got), s) {
			t.Errorf("%s: the answer lacks %q\n%s", c.name, s, got)
		}
	}
	for _, s := range append(c.lacking, "SQLSTATE", "Error 1", "constraint", "syntax error", "internal error", "media: ") {
		if strings.Contains(string(got), s) {
			t.Errorf("%s: the answer holds %q\n%s", c.name, s, got)
		}
	}
	return string(got)
}

// form is a multipart body: fields in order, then the file (if name is
// not "").
func form(t *testing.T, fields [][2]string, filename, ct string, file []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := w.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	if filename != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filename))
		if ct != "" {
			h.Set("Content-Type", ct)
		}
		p, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		p.Write(file)
	}
	w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

// TestHTTP drives the REST API (package mediahttp, tested here beside the
// service whose fixtures it shares) over HTTP on every dialect: permissions,
// uploads and their refusals (never a 500, never database text, nothing
// stored), reads through signed URLs, edits, direct uploads, deletion.
func TestHTTP(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		e := newEnv(t, db)
		e.user("viewer", media.PermView)
		e.user("uploader", media.PermView, media.PermAdd)
		e.user("other", media.PermView, media.PermAdd)
		e.user("editor", media.PermView, media.PermChange, media.PermDelete)
		viewer, uploader, other, editor, visitor := e.login("viewer"), e.login("uploader"), e.login("other"), e.login("editor"), e.login("")
		pic := pngOf(t, 400, 300)
		ct, body := form(t, [][2]string{{"alt_text", "A test"}, {"tags", "one, Two"}}, "../Pic.png", "image/png", pic)

		// An upload, to read back.
		out := call{name: "upload", as: uploader, method: "POST", path: "/media/", ct: ct, body: body, status: 201,
			has: []string{`"filename":"Pic.png"`, `"content_type":"image/png"`, `"width":400`, `"tags":["one","two"]`, `"status":"ready"`,
				`"url":"/_storage/default/media/`, `"thumbnail_url":"/media/`}}.do(t, e)
		var up struct {
			ID           int64
			URL          string
			ThumbnailURL string `json:"thumbnail_url"`
		}
		if err := json.Unmarshal([]byte(out), &up); err != nil || up.ID == 0 {
			t.Fatalf("upload answer %s: %v", out, err)
		}
		id := fmt.Sprint(up.ID)

		htmlCT, htmlBody := form(t, nil, "x.png", "image/png", []byte("<html><script>alert(1)</script></html>"))
		lieCT, lieBody := form(t, nil, "x.jpg", "image/jpeg", pic)
		bigCT, bigBody := form(t, nil, "big.png", "", append(pngOf(t, 2, 2), make([]byte, maxSize+1)...))
		noFileCT, noFileBody := form(t, [][2]string{{"alt_text", "x"}}, "", "", nil)
		oddCT, oddBody := form(t, [][2]string{{"owner_id", "1"}}, "x.png", "", pic)
		csrfCT, csrfBody := form(t, [][2]string{{"csrf_token", uploader.token}, {"tags", "csrf"}}, "c.png", "image/png", pic)
		hugeHeader := "--B\r\nContent-Disposition: form-data; name=\"alt_text\"\r\nX-Pad: " + strings.Repeat("p", 70<<10) + "\r\n\r\nx\r\n--B--\r\n"
		badColCT, badColBody := form(t, [][2]string{{"collection", "999999"}}, "x.png", "", pic)
		for _, c := range []call{
			{name: "anonymous list", method: "GET", path: "/media/", status: 401},
			{name: "visitor list", as: visitor, method: "GET", path: "/media/", status: 401},
			{name: "viewer upload", as: viewer, method: "POST", path: "/media/", ct: ct, body: body, status: 403},
			{name: "editor upload", as: editor, method: "POST", path: "/media/", ct: ct, body: body, status: 403},
			{name: "viewer delete", as: viewer, method: "DELETE", path: "/media/" + id, status: 403},
			{name: "HTML upload", as: uploader, method: "POST", path: "/media/", ct: htmlCT, body: htmlBody, status: 415, has: []string{"text/html"}},
			{name: "lying type", as: uploader, method: "POST", path: "/media/", ct: lieCT, body: lieBody, status: 415, has: []string{"image/jpeg was declared"}},
			{name: "too large", as: uploader, method: "POST", path: "/media/", ct: bigCT, body: bigBody, status: 413},
			{name: "no file part", as: uploader, method: "POST", path: "/media/", ct: noFileCT, body: noFileBody, status: 400, has: []string{"no part named file"}},
			{name: "unknown field", as: uploader, method: "POST", path: "/media/", ct: oddCT, body: oddBody, status: 400, has: []string{"unknown form field", "owner_id"}},
			{name: "missing collection", as: uploader, method: "POST", path: "/media/", ct: badColCT, body: badColBody, status: 422, has: []string{"no collection 999999"}},
			{name: "the CSRF field before the file", as: uploader, method: "POST", path: "/media/", ct: csrfCT, body: csrfBody, status: 201, has: []string{`"tags":["csrf"]`}},
			{name: "a huge part header", as: uploader, method: "POST", path: "/media/", ct: "multipart/form-data; boundary=B", body: []byte(hugeHeader), status: 400, has: []string{"before the file"}},
			{name: "JSON upload", as: uploader, method: "POST", path: "/media/", ct: "application/json", body: []byte(`{}`), status: 415},
			{name: "truncated multipart", as: uploader, method: "POST", path: "/media/", ct: ct, body: body[:len(body)/2], status: 400},
			{name: "method not allowed", as: uploader, method: "PUT", path: "/media/", status: 405},
			{name: "no such endpoint", as: uploader, method: "GET", path: "/media/1/nope", status: 404},

			{name: "list images", as: viewer, method: "GET", path: "/media/?type=image&tag=two&q=pic", status: 200, has: []string{`"id":` + id, `"next":null`}},
			{name: "list by a bad type", as: viewer, method: "GET", path: "/media/?type=image/%25", status: 422},
			{name: "list with a bad limit", as: viewer, method: "GET", path: "/media/?limit=1000", status: 400},
			{name: "list with a bad cursor", as: viewer, method: "GET", path: "/media/?before=-1", status: 400},
			{name: "get", as: viewer, method: "GET", path: "/media/" + id, status: 200, has: []string{`"alt_text":"A test"`}},
			{name: "get a missing id", as: viewer, method: "GET", path: "/media/999999", status: 404},
			{name: "get a non-id", as: viewer, method: "GET", path: "/media/abc", status: 404},
			{name: "content", as: viewer, method: "GET", path: "/media/" + id + "/content", status: 302},
			{name: "a thumbnail of a bad width", as: viewer, method: "GET", path: "/media/" + id + "/content?thumb=12", status: 422},

			{name: "rename", as: editor, method: "PATCH", path: "/media/" + id, ct: "application/json", body: []byte(`{"filename":"New\u0000 name.png","tags":["x"]}`),
				status: 200, has: []string{`"filename":"New name.png"`, `"tags":["x"]`}},
			{name: "rename by the uploader", as: uploader, method: "PATCH", path: "/media/" + id, ct: "application/json", body: []byte(`{"filename":"y"}`), status: 403},
			{name: "patch an unknown field", as: editor, method: "PATCH", path: "/media/" + id, ct: "application/json", body: []byte(`{"size":1}`), status: 400},
			{name: "patch as a form", as: editor, method: "PATCH", path: "/media/" + id, ct: "application/x-www-form-urlencoded", body: []byte(`filename=y`), status: 415},
			{name: "patch malformed JSON", as: editor, method: "PATCH", path: "/media/" + id, ct: "application/json", body: []byte(`{"filename":`), status: 400},
			{name: "patch a long alt", as: editor, method: "PATCH", path: "/media/" + id, ct: "application/json", body: []byte(`{"alt_text":"` + strings.Repeat("é", 501) + `"}`), status: 422},
			{name: "collection", as: uploader, method: "POST", path: "/media/collections", ct: "application/json", body: []byte(`{"name":"Album"}`), status: 201, has: []string{`"name":"Album"`}},
			{name: "collection without a name", as: uploader, method: "POST", path: "/media/collections", ct: "application/json", body: []byte(`{"name":"  "}`), status: 422},
			{name: "collections", as: viewer, method: "GET", path: "/media/collections", status: 200, has: []string{`"name":"Album"`}},
			{name: "tags", as: viewer, method: "GET", path: "/media/tags", status: 200, has: []string{`"name":"x"`}},
		} {
			c.do(t, e)
		}

		// The content redirect leads to the bytes, through a signed URL.
		resp, err := viewer.c.Get(e.srv.URL + "/media/" + id + "/content")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if !strings.Contains(loc, "/_storage/default/media/") || !strings.Contains(loc, "sig=") {
			t.Fatalf("content redirects to %q; want a signed URL", loc)
		}
		resp, err = http.Get(e.srv.URL + loc)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(got, pic) {
			t.Errorf("the signed URL: %d, %d bytes; want the upload", resp.StatusCode, len(got))
		}
		if resp, err := http.Get(e.srv.URL + strings.Replace(loc, "sig=", "sig=x", 1)); err != nil || resp.StatusCode != 403 {
			t.Errorf("a tampered signed URL: %v %v; want 403", resp.StatusCode, err)
		}
		resp, err = viewer.c.Get(e.srv.URL + up.ThumbnailURL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != 302 || !strings.Contains(loc, "/_thumbs/160.png") {
			t.Errorf("thumbnail: %d to %q", resp.StatusCode, loc)
		}

		// A direct upload: begin, PUT to the disk, finalize (by its owner).
		out = call{name: "begin", as: uploader, method: "POST", path: "/media/uploads", ct: "application/json",
			body: fmt.Appendf(nil, `{"filename":"d.png","content_type":"image/png","size":%d}`, len(pic)), status: 201,
			has: []string{`"status":"pending"`, `"method":"PUT"`}}.do(t, e)
		var begun struct {
			Media  struct{ ID int64 }
			Upload struct {
				URL     string
				Headers map[string]string
			}
		}
		if err := json.Unmarshal([]byte(out), &begun); err != nil || begun.Media.ID == 0 {
			t.Fatalf("begin answer %s: %v", out, err)
		}
		did := fmt.Sprint(begun.Media.ID)
		call{name: "finalize before the PUT", as: uploader, method: "POST", path: "/media/" + did + "/finalize", status: 409}.do(t, e)
		req, _ := http.NewRequest("PUT", e.srv.URL+begun.Upload.URL, bytes.NewReader(pic))
		for k, v := range begun.Upload.Headers {
			req.Header.Set(k, v)
		}
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode >= 300 {
			t.Fatalf("PUT: %v %v", resp, err)
		}
		for _, c := range []call{
			{name: "finalize by another user", as: other, method: "POST", path: "/media/" + did + "/finalize", status: 403},
			{name: "finalize", as: uploader, method: "POST", path: "/media/" + did + "/finalize", status: 200, has: []string{`"status":"ready"`, `"width":400`}},
			{name: "finalize again", as: uploader, method: "POST", path: "/media/" + did + "/finalize", status: 200, has: []string{`"status":"ready"`}},
			{name: "begin HTML", as: uploader, method: "POST", path: "/media/uploads", ct: "application/json", body: []byte(`{"filename":"a.html","content_type":"text/html","size":10}`), status: 415},
			{name: "begin too large", as: uploader, method: "POST", path: "/media/uploads", ct: "application/json", body: fmt.Appendf(nil, `{"filename":"a.png","content_type":"image/png","size":%d}`, maxSize+1), status: 413},
			{name: "delete", as: editor, method: "DELETE", path: "/media/" + id, status: 204},
			{name: "deleted is gone", as: viewer, method: "GET", path: "/media/" + id, status: 404},
			{name: "deleted content is gone", as: viewer, method: "GET", path: "/media/" + id + "/content", status: 404},
			{name: "trash as a viewer", as: viewer, method: "GET", path: "/media/?status=deleted", status: 403},
			{name: "trash", as: editor, method: "GET", path: "/media/?status=deleted", status: 200, has: []string{`"id":` + id}},
			{name: "uploads in progress", as: editor, method: "GET", path: "/media/?status=pending", status: 400},
			{name: "restore", as: editor, method: "POST", path: "/media/" + id + "/restore", status: 200, has: []string{`"status":"ready"`}},
		} {
			c.do(t, e)
		}
		if n := len(e.rows(media.Ready)); n != 3 {
			t.Errorf("%d ready media; want the two uploads and the direct upload", n)
		}
		if n := len(e.rows(media.Pending)); n != 0 {
			t.Errorf("%d pending media left", n)
		}
	})
}
