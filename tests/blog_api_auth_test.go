package tests

import (
	"testing"

	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestBlogAPIAuth: the demo API's reads are public, its writes need a
// logged-in user holding the table's permission (401 without a login, 403
// without the permission, problem JSON whatever the client accepts), and a
// cross-site write with a valid session cookie is refused; a refused write
// stores nothing. On every dialect.
func TestBlogAPIAuth(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		app, srv := newBlog(t, db)
		visitor := newAPIUser(t, app, srv.URL, "") // a session, no login
		reader := newAPIUser(t, app, srv.URL, "reader", "posts.view", "authors.view")
		poster := newAPIUser(t, app, srv.URL, "poster", "posts.add")
		writer := newAPIUser(t, app, srv.URL, "writer", "authors.add", "posts.add", "posts.delete")
		author := func(who string) string { return `{"name":"By ` + who + `","email":"` + who + `@example.com"}` }
		post := func(slug string) string {
			return `{"author_id":1,"title":"T","slug":"` + slug + `","tags":["` + slug + `-tag"]}`
		}
		browser := map[string]string{"Accept": "text/html", "X-CSRF-Token": visitor.token}
		sameOrigin := map[string]string{"Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}
		withToken := func(h map[string]string, u *apiUser) map[string]string {
			out := map[string]string{"X-CSRF-Token": u.token, "Accept": "application/json"}
			for k, v := range h {
				out[k] = v
			}
			return out
		}
		loginRequired := []string{`"status":401`, `"title":"Unauthorized"`, "login required"}
		denied := []string{`"status":403`, "permission denied"}
		csrf := []string{`"status":403`, "CSRF check failed"}
		for _, s := range []scenario{
			{name: "public read", method: "GET", path: "/api/posts/analytical-engine", status: 200},
			{name: "index names the permissions", method: "GET", path: "/", status: 200,
				contains: []string{"POST /api/authors (login with permission authors.add)", "POST /api/posts (login with permission posts.add)", "reads are public"}},

			{name: "anonymous creates an author", method: "POST", path: "/api/authors", body: author("anonymous"), status: 401, contains: loginRequired},
			{name: "anonymous creates a post", method: "POST", path: "/api/posts", body: post("anonymous"), status: 401, contains: loginRequired},
			{name: "anonymous deletes as JSON", method: "DELETE", path: "/api/posts/1", contentType: "application/json", body: " ", status: 401, contains: loginRequired},
			{name: "anonymous browser deletes: 401, not a redirect", as: visitor, header: browser, method: "DELETE", path: "/api/posts/1", status: 401, contains: loginRequired},
			{name: "anonymous browser creates", as: visitor, header: browser, method: "POST", path: "/api/posts", body: post("visitor"), status: 401, contains: loginRequired},

			{name: "reader creates an author", as: reader, method: "POST", path: "/api/authors", body: author("reader"), status: 403, contains: denied},
			{name: "reader creates a post", as: reader, method: "POST", path: "/api/posts", body: post("reader"), status: 403, contains: denied},
			{name: "reader deletes", as: reader, header: withToken(nil, reader), method: "DELETE", path: "/api/posts/1", status: 403, contains: denied},
			{name: "reader deletes from a browser", as: reader, header: map[string]string{"Accept": "text/html", "X-CSRF-Token": reader.token}, method: "DELETE", path: "/api/posts/1", status: 403, contains: denied},
			{name: "poster creates an author", as: poster, method: "POST", path: "/api/authors", body: author("poster"), status: 403, contains: denied},
			{name: "poster deletes", as: poster, header: withToken(nil, poster), method: "DELETE", path: "/api/posts/1", status: 403, contains: denied},
			{name: "poster creates a post", as: poster, method: "POST", path: "/api/posts", body: post("by-poster"), status: 201, contains: []string{`"slug":"by-poster"`}},

			{name: "cross-site Origin", as: writer, header: map[string]string{"Origin": "https://evil.example"}, method: "POST", path: "/api/posts", body: post("evil-origin"), status: 403, contains: csrf},
			{name: "cross-site fetch", as: writer, header: map[string]string{"Sec-Fetch-Site": "cross-site"}, method: "POST", path: "/api/authors", body: author("evil-fetch"), status: 403, contains: csrf},
			{name: "cross-site delete with the token", as: writer, header: withToken(map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, writer),
				method: "DELETE", path: "/api/posts/1", status: 403, contains: csrf},
			{name: "delete without token or JSON", as: writer, header: map[string]string{"Accept": "application/json"}, method: "DELETE", path: "/api/posts/1", status: 403, contains: csrf},
			{name: "delete with a forged token", as: writer, header: map[string]string{"Accept": "application/json", "X-CSRF-Token": "forged"}, method: "DELETE", path: "/api/posts/1", status: 403, contains: csrf},

			{name: "nothing written: authors", method: "GET", path: "/api/authors", status: 200, absent: []string{"anonymous@", "reader@", "poster@", "evil-fetch@"}},
			{name: "nothing written: posts", method: "GET", path: "/api/posts", status: 200, contains: []string{`"total":4`, "analytical-engine"}},
			{name: "nothing written: tags", method: "GET", path: "/api/tags", status: 200, contains: []string{"by-poster-tag"}, absent: []string{"anonymous-tag", "visitor-tag", "reader-tag", "evil-origin-tag"}},

			{name: "same-origin author", as: writer, header: sameOrigin, method: "POST", path: "/api/authors", body: author("writer"), status: 201, contains: []string{`"email":"writer@example.com"`}},
			{name: "same-origin post", as: writer, header: sameOrigin, method: "POST", path: "/api/posts", body: post("by-writer"), status: 201, contains: []string{`"slug":"by-writer"`}},
			{name: "same-origin delete with the token", as: writer, header: withToken(sameOrigin, writer), method: "DELETE", path: "/api/posts/1", status: 204},
			{name: "same-origin JSON delete", as: writer, header: sameOrigin, contentType: "application/json", body: " ", method: "DELETE", path: "/api/posts/2", status: 204},
			{name: "deleted", method: "GET", path: "/api/posts", status: 200, contains: []string{`"total":3`}, absent: []string{"analytical-engine", "first-bug"}},
		} {
			s.run(t, srv.URL)
		}
	})
}
