package tests

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	validator "github.com/pb33f/libopenapi-validator"

	"github.com/quarry-go/quarry/examples/blog/db"
	"github.com/quarry-go/quarry/framework/api/apitest"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// openAPIValidator fetches the demo's OpenAPI document of its generated
// endpoints, checks it against the OpenAPI 3.1 specification and returns
// the validator of answers.
func openAPIValidator(t *testing.T, base string) (validator.Validator, map[string]any) {
	return openAPIValidatorAt(t, base+"/api/q/openapi.json")
}

// openAPIValidatorAt is openAPIValidator of the document at u.
func openAPIValidatorAt(t *testing.T, u string) (validator.Validator, map[string]any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	v := apitest.Validator(t, spec)
	var raw map[string]any
	if err := json.Unmarshal(spec, &raw); err != nil {
		t.Fatal(err)
	}
	return v, raw
}

// call makes one request and checks the answer against the document; it
// returns the status and body.
func callChecked(t *testing.T, v validator.Validator, c *http.Client, method, u, body string, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, val := range header {
		req.Header.Set(k, val)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// 401 and 403 answers of the auth layer are documented for the
	// endpoints that need a permission; every answer must match.
	check, _ := http.NewRequest(method, u, strings.NewReader(body))
	if body != "" {
		check.Header.Set("Content-Type", "application/json")
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if ok, errs := v.ValidateHttpResponse(check, resp); !ok {
		for _, e := range errs {
			t.Errorf("%s %s → %d does not match the OpenAPI document: %s (%s)\n%s", method, u, resp.StatusCode, e.Message, e.Reason, b)
		}
	}
	return resp.StatusCode, string(b)
}

// TestBlogEndpoints drives the endpoints quarry gen wrote from the demo's
// annotated queries on every dialect: each answers as its OpenAPI
// document says (checked by libopenapi-validator), public reads need no
// login, writes the permission named in the annotation, and bad
// parameters get 422 with an error per field.
func TestBlogEndpoints(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, dbt *dbtest.DB) {
		app, srv := newBlog(t, dbt)
		v, _ := openAPIValidator(t, srv.URL)
		writer := newAPIUser(t, app, srv.URL, "qwriter", "authors.add", "posts.delete", "posts.change")
		reader := newAPIUser(t, app, srv.URL, "qreader", "posts.view")
		anon := http.DefaultClient
		sameOrigin := map[string]string{"Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}
		for _, c := range []struct {
			name, method, path, body string
			as                       *apiUser
			status                   int
			has                      []string
		}{
			{"authors", "GET", "/api/q/authors", "", nil, 200, []string{`"items":[`, `"name":"Ada Lovelace"`, `"created_at":"`}},
			{"one author", "GET", "/api/q/authors/1", "", nil, 200, []string{`"id":1`, `"email":"ada@example.com"`}},
			{"a missing author", "GET", "/api/q/authors/999", "", nil, 404, nil},
			{"an author id that is not one", "GET", "/api/q/authors/x", "", nil, 422, []string{`"id":"want an integer of 64 bits"`}},
			{"posts", "GET", "/api/q/posts?limit=2&offset=0", "", nil, 200, []string{`"author_name":"`, `"published_at":`}},
			{"posts without a limit", "GET", "/api/q/posts", "", nil, 422, []string{`"limit":"required"`, `"offset":"required"`}},
			{"posts with an unknown parameter", "GET", "/api/q/posts?limit=1&offset=0&sort=x", "", nil, 422, []string{`"sort":"unknown parameter"`}},
			{"post count", "GET", "/api/q/posts/count", "", nil, 200, []string{`{"result":`}},
			{"tags", "GET", "/api/q/tags", "", nil, 200, []string{`"post_count":`}},
			{"create an author without a login", "POST", "/api/q/authors", `{"name":"N","email":"n@example.com","bio":""}`, nil, 401, nil},
			{"create an author without the permission", "POST", "/api/q/authors", `{"name":"N","email":"n@example.com","bio":""}`, reader, 403, nil},
			{"create an author", "POST", "/api/q/authors", `{"name":"Niklaus Wirth","email":"nw@example.com","bio":"Pascal"}`, writer, 201, []string{`{"result":`}},
			{"create an author with bad fields", "POST", "/api/q/authors", `{"name":7,"bio":"x","extra":1}`, writer, 422,
				[]string{`"name":"want a string"`, `"email":"required"`, `"extra":"unknown field"`}},
			{"publish", "POST", "/api/q/posts/1/publish", `{"published_at":"2026-11-29T12:00:00Z"}`, writer, 200, []string{`"rows_affected":`}},
			{"publish with a bad time", "POST", "/api/q/posts/1/publish", `{"published_at":"noon"}`, writer, 422, []string{`"published_at":"want a time`}},
			{"delete a post", "DELETE", "/api/q/posts/2", "", writer, 200, []string{`{"rows_affected":1}`}},
			{"delete it again", "DELETE", "/api/q/posts/2", "", writer, 200, []string{`{"rows_affected":0}`}},
		} {
			client, header := anon, map[string]string{}
			if c.as != nil {
				client = c.as.c
				header = map[string]string{"X-CSRF-Token": c.as.token}
				for k, val := range sameOrigin {
					header[k] = val
				}
			}
			status, body := callChecked(t, v, client, c.method, srv.URL+c.path, c.body, header)
			if status != c.status {
				t.Errorf("%s: %s %s = %d, want %d\n%s", c.name, c.method, c.path, status, c.status, body)
			}
			for _, h := range c.has {
				if !strings.Contains(body, h) {
					t.Errorf("%s: the answer lacks %s\n%s", c.name, h, body)
				}
			}
		}
		if n := len(db.Endpoints); n != 8 {
			t.Errorf("%d generated endpoints; the demo annotates 8 queries", n)
		}
	})
}

// TestBlogEndpointsProperties drives every operation of the generated
// endpoints' OpenAPI document with parameters drawn from their schemas
// and from a corpus of hostile values (in the spirit of schemathesis),
// as a user holding every permission: no answer is a 5xx, every answer
// matches the document. SQLite only: the parsing and the answers are the
// same on every dialect, which TestBlogEndpoints covers.
func TestBlogEndpointsProperties(t *testing.T) {
	t.Parallel()
	dbt := dbtest.New(t, "sqlite")
	app, srv := newBlog(t, dbt)
	v, doc := openAPIValidator(t, srv.URL)
	u := newAPIUser(t, app, srv.URL, "qall", "authors.add", "posts.delete", "posts.change")
	header := map[string]string{"X-CSRF-Token": u.token, "Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}
	if calls := driveDocument(t, srv.URL, v, doc, u, header, 40); calls < 300 {
		t.Errorf("only %d calls", calls)
	}

	// quarry openapi writes, from the query files, the document served.
	r := quarry(t, filepath.Join(repoRoot(t), "examples", "blog"), nil, "openapi", "--title", "Quarry blog demo: endpoints from queries")
	resp, err := http.Get(srv.URL + "/api/q/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if r.code != 0 || strings.TrimSpace(r.stdout) != strings.TrimSpace(string(served)) {
		t.Errorf("quarry openapi (exit %d, %s) differs from the document served:\n%s", r.code, r.stderr, r.stdout)
	}
}

// driveDocument calls every operation of the OpenAPI document doc perOp
// times, as u with header, with parameters and bodies drawn from the
// schemas and from a corpus of hostile values: no answer may be a 5xx,
// and callChecked checks each against the document. It returns the
// calls made.
func driveDocument(t *testing.T, base string, v validator.Validator, doc map[string]any, u *apiUser, header map[string]string, perOp int) int {
	t.Helper()
	values := map[string][]any{
		"integer": {0, 1, 2, -1, 9223372036854775807, "9223372036854775808", 1.5, "x", "", nil, true},
		"string":  {"", "a", "é", strings.Repeat("x", 300), "a\x00b", "\u202e", 5, nil, false},
		"boolean": {true, false, "yes", 0, nil},
		"date":    {"2026-11-29", "2026-11-29T10:00:00Z", "2026-13-45", "", 12, nil},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(schema map[string]any) (any, bool) {
		typ := schema["type"]
		if ts, ok := typ.([]any); ok {
			typ = ts[0]
		}
		kind, _ := typ.(string)
		if schema["format"] == "date-time" {
			kind = "date"
		}
		corpus := values[kind]
		if corpus == nil {
			corpus = values["string"]
		}
		if rng.IntN(8) == 0 {
			return nil, false // left out
		}
		return corpus[rng.IntN(len(corpus))], true
	}
	paths := doc["paths"].(map[string]any)
	names := make([]string, 0, len(paths))
	for p := range paths {
		names = append(names, p)
	}
	sort.Strings(names)
	calls := 0
	for _, p := range names {
		for method, raw := range paths[p].(map[string]any) {
			op := raw.(map[string]any)
			for range perOp {
				path, q := p, url.Values{}
				if params, ok := op["parameters"].([]any); ok {
					for _, x := range params {
						prm := x.(map[string]any)
						val, ok := pick(prm["schema"].(map[string]any))
						s := ""
						if ok && val != nil {
							b, _ := json.Marshal(val)
							s = strings.Trim(string(b), `"`)
						}
						switch prm["in"] {
						case "path":
							if s == "" {
								s = "1"
							}
							path = strings.ReplaceAll(path, "{"+prm["name"].(string)+"}", url.PathEscape(s))
						case "query":
							if ok {
								q.Set(prm["name"].(string), s)
							}
						}
					}
				}
				body := ""
				if rb, ok := op["requestBody"].(map[string]any); ok {
					schema := rb["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
					if ref, ok := schema["$ref"].(string); ok {
						schema = doc["components"].(map[string]any)["schemas"].(map[string]any)[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
					}
					obj := map[string]any{}
					for name, s := range schema["properties"].(map[string]any) {
						if val, ok := pick(s.(map[string]any)); ok {
							obj[name] = val
						}
					}
					if rng.IntN(10) == 0 {
						obj["unexpected"] = 1
					}
					b, _ := json.Marshal(obj)
					body = string(b)
				}
				target := base + path
				if len(q) > 0 {
					target += "?" + q.Encode()
				}
				status, got := callChecked(t, v, u.c, strings.ToUpper(method), target, body, header)
				calls++
				if status >= 500 {
					t.Errorf("%s %s %s = %d\n%s", strings.ToUpper(method), target, body, status, got)
				}
			}
		}
	}
	return calls

}
