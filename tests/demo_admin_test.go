package tests

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/examples/blog/site"
	"github.com/quarry-go/quarry/framework/jobs"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestDemoAdmin: the demo makes a superuser on its first run only, prints
// the password once, and that password opens the admin, where the blog's
// "publish" action works.
func TestDemoAdmin(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		app, srv := newBlog(t, db)
		ctx := context.Background()
		var first, second bytes.Buffer
		if err := site.EnsureSuperuser(ctx, app, &first); err != nil {
			t.Fatal(err)
		}
		if err := site.EnsureSuperuser(ctx, app, &second); err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`username: (\S+)\n\s+password: (\S+)`).FindStringSubmatch(first.String())
		if m == nil || second.Len() != 0 {
			t.Fatalf("first run printed %q, second %q", first.String(), second.String())
		}
		b := &adminBrowser{browser: newBrowser(t, srv.URL)}
		if resp := b.login(m[1], m[2], "/admin/"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/" {
			t.Fatalf("login with the printed password: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		wantContains(t, "demo admin", b.get("/admin/", http.StatusOK), "Blog admin", `href="/admin/posts/"`, `href="/admin/authors/"`)
		list := b.get("/admin/posts/?f.published=false", http.StatusOK)
		keys := regexp.MustCompile(`name="_selected" value="([^"]+)"`).FindAllStringSubmatch(list, -1)
		if len(keys) != 1 {
			t.Fatalf("unpublished posts: %d", len(keys))
		}
		b.post("/admin/posts/", map[string][]string{"action": {"publish"}, "_selected": {keys[0][1]}}, http.StatusSeeOther)
		if body := b.get("/admin/posts/", http.StatusOK); !strings.Contains(body, "Published 1 post(s); 0 already were.") {
			t.Errorf("publish action message missing:\n%s", excerpt(body))
		}
		if rows := rows(b.get("/admin/posts/?f.published=false", http.StatusOK)); len(rows) != 0 {
			t.Errorf("still unpublished: %v", rows)
		}
		// The action enqueued a job in its transaction; the demo's worker runs it.
		var jobID int64
		q := "SELECT id FROM quarry_jobs WHERE kind = 'blog.post_published' AND args LIKE " + db.Dialect().Placeholder(1)
		if err := db.SQL.QueryRow(q, `%"post_id":`+keys[0][1]+`}%`).Scan(&jobID); err != nil {
			t.Fatalf("publish enqueued no job for post %s: %v", keys[0][1], err)
		}
		worker, err := site.StartJobs(ctx, app)
		if err != nil {
			t.Fatal(err)
		}
		defer worker.Stop(ctx)
		deadline := time.Now().Add(10 * time.Second)
		for {
			j, err := worker.Get(ctx, jobID)
			if err != nil {
				t.Fatal(err)
			}
			if j.State == jobs.StateCompleted {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("post_published job is %s after 10 s (errors %v)", j.State, j.Errors)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
