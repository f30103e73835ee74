package media_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/media"
	"github.com/quarry-go/quarry/framework/media/mediahttp"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/framework/session"
	"github.com/quarry-go/quarry/framework/storage"
	"github.com/quarry-go/quarry/queries"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// clock is a settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a migrated database of one dialect, a local disk, the service
// over it (1 MiB limit) and an App serving the disk's signed URLs, the
// login pages and the media API under /media.
type env struct {
	t     *testing.T
	ctx   context.Context
	app   *framework.App
	db    *framework.Database
	disk  storage.Storage
	svc   *media.Service
	clock *clock
	srv   *httptest.Server
}

const maxSize = 1 << 20

func newEnv(t *testing.T, db *dbtest.DB) *env {
	t.Helper()
	ctx := context.Background()
	app, err := framework.New(ctx, framework.Config{DatabaseURL: db.URL, Env: framework.EnvTest}, framework.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	m, err := migrate.New(app.Database(), migrate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	disks, err := storage.DisksFromEnv([]string{"QUARRY_STORAGE_DEFAULT_URL=file:" + t.TempDir()}, app.Keys())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { disks.Close() })
	c := &clock{t: time.Now().UTC()}
	svc, err := media.New(disks, media.Options{MaxSize: maxSize, Now: c.now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	sm := authhttp.NewSessions(app.Config(), session.NewStore(app.Database()))
	a, err := authhttp.New(authhttp.Options{Sessions: sm, Keys: app.Keys(), Logger: app.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	app.WrapRouter(disks.Middleware)
	app.Use(a.Middleware)
	a.Mount(app.Router())
	app.Router().Handle("/media/", mediahttp.Handler(svc, a, "/media"))
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	if _, err := auth.New(app.Database()).SeedPermissions(ctx); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ctx: ctx, app: app, db: app.Database(), disk: disks.Default(), svc: svc, clock: c, srv: srv}
}

// user creates a user holding perms and returns its id.
func (e *env) user(name string, perms ...string) int64 {
	e.t.Helper()
	u, err := auth.New(e.db).CreateUser(e.ctx, auth.CreateUserParams{Username: name, Password: password})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, code := range perms {
		p, err := e.db.Queries().PermissionGetByCodename(e.ctx, code)
		if err != nil {
			e.t.Fatalf("permission %s: %v", code, err)
		}
		if err := e.db.Queries().UserPermissionSet(e.ctx, queries.UserPermissionSetParams{UserID: u.ID, PermissionID: p.ID, Granted: true}); err != nil {
			e.t.Fatal(err)
		}
	}
	return u.ID
}

const password = "media-test-secret-1"

// keys lists the objects on the disk under prefix.
func (e *env) keys(prefix string) []string {
	e.t.Helper()
	var out []string
	for o, err := range e.disk.List(e.ctx, prefix) {
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, o.Key)
	}
	return out
}

// rows lists the media of a status.
func (e *env) rows(s media.Status) []media.Media {
	e.t.Helper()
	p, err := e.svc.List(e.ctx, e.db, media.ListOptions{Status: s, Limit: media.MaxPageSize})
	if err != nil {
		e.t.Fatal(err)
	}
	return p.Items
}

// pngOf encodes a w×h image.
func pngOf(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// TestService drives the service on every dialect: uploads checked by
// their bytes, refusals that leave nothing behind, lists, edits,
// thumbnails, deletion and the purge, direct uploads and orphans.
func TestService(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		e := newEnv(t, db)
		ctx, h, svc := e.ctx, e.db, e.svc
		owner := e.user("owner")
		other := e.user("other")
		pic := pngOf(t, 40, 30)

		m, err := svc.Upload(ctx, h, bytes.NewReader(pic), media.UploadInput{Filename: "../../Holiday Pic.PNG", ContentType: "image/png",
			OwnerID: owner, AltText: "A beach", Tags: []string{"Beach", " summer ", "beach"}})
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != media.Ready || m.ContentType != "image/png" || m.Size != int64(len(pic)) || m.Checksum != sum(pic) ||
			m.Width != 40 || m.Height != 30 || m.Filename != "Holiday Pic.PNG" || m.OwnerID != owner || m.AltText != "A beach" ||
			!slices.Equal(m.Tags, []string{"beach", "summer"}) || !regexp.MustCompile(`^media/[a-z2-7]{26}/holiday-pic\.png$`).MatchString(m.Key) {
			t.Errorf("Upload = %+v", m)
		}
		rc, obj, err := svc.Open(ctx, m, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, pic) || obj.Size != int64(len(pic)) {
			t.Errorf("Open: %d bytes, want the upload's %d", len(got), len(pic))
		}

		// Refusals: each leaves no row and no object.
		html := []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")
		for _, c := range []struct {
			name string
			body []byte
			ct   string
			want error
		}{
			{"a PNG declared as JPEG", pic, "image/jpeg", media.ErrTypeMismatch},
			{"HTML declared as PNG", html, "image/png", media.ErrTypeNotAllowed},
			{"HTML undeclared", html, "", media.ErrTypeNotAllowed},
			{"over the size limit", append(slices.Clone(pic), make([]byte, maxSize)...), "", media.ErrTooLarge},
			{"empty", nil, "", media.ErrInvalid},
			{"a PNG signature and garbage", append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 600)...), "image/png", media.ErrInvalid},
			{"a malformed declared type", pic, "image/", media.ErrInvalid},
		} {
			_, err := svc.Upload(ctx, h, bytes.NewReader(c.body), media.UploadInput{Filename: "x.png", ContentType: c.ct, OwnerID: owner})
			if !errors.Is(err, c.want) {
				t.Errorf("%s: %v; want %v", c.name, err, c.want)
			}
		}
		if n := len(e.rows(media.Ready)) + len(e.rows(media.Pending)); n != 1 {
			t.Errorf("after the refusals: %d rows; want the first upload's alone", n)
		}
		if keys := e.keys("media/"); !slices.Equal(keys, []string{m.Key}) {
			t.Errorf("after the refusals the disk holds %v; want %s alone", keys, m.Key)
		}

		// Thumbnails: made once, beside the original; a small image is
		// its own.
		big := pngOf(t, 800, 600)
		bm, err := svc.Upload(ctx, h, bytes.NewReader(big), media.UploadInput{Filename: "big.png"})
		if err != nil {
			t.Fatal(err)
		}
		key, err := svc.Thumbnail(ctx, bm, 320)
		if err != nil || !strings.HasSuffix(key, "/_thumbs/320.png") || !strings.HasPrefix(key, strings.TrimSuffix(bm.Key, "big.png")) {
			t.Fatalf("Thumbnail(320) = %q, %v", key, err)
		}
		rc, _, err = e.disk.Get(ctx, key, nil)
		if err != nil {
			t.Fatal(err)
		}
		cfg, _, err := image.DecodeConfig(rc)
		rc.Close()
		if err != nil || cfg.Width != 320 || cfg.Height != 240 {
			t.Errorf("thumbnail: %dx%d, %v; want 320x240", cfg.Width, cfg.Height, err)
		}
		if k, err := svc.Thumbnail(ctx, m, 160); err != nil || k != m.Key {
			t.Errorf("Thumbnail of a 40px image = %q, %v; want the image itself", k, err)
		}
		if _, err := svc.Thumbnail(ctx, bm, 333); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("Thumbnail(333) = %v; want ErrInvalid", err)
		}
		// Requested at once, a thumbnail is made once and served to all.
		var twg sync.WaitGroup
		keys := make([]string, 8)
		errs := make([]error, 8)
		for i := range keys {
			twg.Go(func() { keys[i], errs[i] = svc.Thumbnail(ctx, bm, 640) })
		}
		twg.Wait()
		for i := range keys {
			if errs[i] != nil || keys[i] != strings.TrimSuffix(key, "320.png")+"640.png" {
				t.Errorf("concurrent Thumbnail(640) %d = %q, %v", i, keys[i], errs[i])
			}
		}
		// A decode that would take more memory than allowed is refused
		// before anything is allocated.
		tight, err := media.New(e.svc.Disks(), media.Options{MaxDecodeBytes: 800 * 600 * 4, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tight.Thumbnail(ctx, bm, 160); !errors.Is(err, media.ErrTooLarge) {
			t.Errorf("Thumbnail over MaxDecodeBytes = %v; want ErrTooLarge", err)
		}

		// Lists: filters, tags, collections, pages.
		col, err := svc.CreateCollection(ctx, h, 0, "  Trips  ")
		if err != nil || col.Name != "Trips" {
			t.Fatalf("CreateCollection = %+v, %v", col, err)
		}
		sub, err := svc.CreateCollection(ctx, h, col.ID, "2026")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.UpdateCollection(ctx, h, col.ID, sub.ID, "Trips"); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("moving a collection inside its child: %v; want ErrInvalid", err)
		}
		// Nesting stops at MaxCollectionDepth (MySQL cascades a delete
		// through 15 levels at most); the deepest chain deletes whole.
		parent := sub.ID
		for range media.MaxCollectionDepth - 2 {
			c, err := svc.CreateCollection(ctx, h, parent, "deeper")
			if err != nil {
				t.Fatal(err)
			}
			parent = c.ID
		}
		if _, err := svc.CreateCollection(ctx, h, parent, "too deep"); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("a collection %d deep: %v; want ErrInvalid", media.MaxCollectionDepth+1, err)
		}
		if _, err := svc.UpdateCollection(ctx, h, sub.ID, parent, "2026"); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("moving a collection under its own descendant: %v; want ErrInvalid", err)
		}
		text, err := svc.Upload(ctx, h, strings.NewReader("plain notes\n"), media.UploadInput{Filename: "Notes.txt", CollectionID: sub.ID, Tags: []string{"work"}})
		if err != nil || text.ContentType != "text/plain" || text.Width != 0 {
			t.Fatalf("Upload(text) = %+v, %v", text, err)
		}
		list := func(o media.ListOptions) []int64 {
			t.Helper()
			p, err := svc.List(ctx, h, o)
			if err != nil {
				t.Fatalf("List(%+v): %v", o, err)
			}
			var ids []int64
			for _, x := range p.Items {
				ids = append(ids, x.ID)
			}
			return ids
		}
		for _, c := range []struct {
			o    media.ListOptions
			want []int64
		}{
			{media.ListOptions{}, []int64{text.ID, bm.ID, m.ID}},
			{media.ListOptions{Type: "image"}, []int64{bm.ID, m.ID}},
			{media.ListOptions{Type: "text/plain"}, []int64{text.ID}},
			{media.ListOptions{Search: "HOLIDAY"}, []int64{m.ID}},
			{media.ListOptions{Search: "%"}, nil},
			{media.ListOptions{Tag: "Beach"}, []int64{m.ID}},
			{media.ListOptions{Tag: "nope"}, nil},
			{media.ListOptions{CollectionID: sub.ID}, []int64{text.ID}},
			{media.ListOptions{Before: text.ID}, []int64{bm.ID, m.ID}},
		} {
			if got := list(c.o); !slices.Equal(got, c.want) {
				t.Errorf("List(%+v) = %v; want %v", c.o, got, c.want)
			}
		}
		p, err := svc.List(ctx, h, media.ListOptions{Limit: 2})
		if err != nil || len(p.Items) != 2 || p.Next != bm.ID {
			t.Errorf("List(limit 2) = %d items, next %d, %v; want 2 and next %d", len(p.Items), p.Next, err, bm.ID)
		}
		for _, tags := range [][]string{{"c\u200bat"}, {"\u202etac"}, {"a,b"}, {""}, {strings.Repeat("t", 101)}} {
			if _, err := svc.Update(ctx, h, m.ID, media.Change{Tags: &tags}); !errors.Is(err, media.ErrInvalid) {
				t.Errorf("tags %q: %v; want ErrInvalid", tags, err)
			}
		}
		for _, o := range []media.ListOptions{{Type: "image/%"}, {Type: "im_ge"}, {Limit: 101}, {Status: "gone"}, {Search: strings.Repeat("x", 101)}} {
			if _, err := svc.List(ctx, h, o); !errors.Is(err, media.ErrInvalid) {
				t.Errorf("List(%+v): %v; want ErrInvalid", o, err)
			}
		}

		// Edits.
		name, pub, tags := "../x/Renamed\u202egpj.exe", true, []string{"Keep"}
		up, err := svc.Update(ctx, h, m.ID, media.Change{Filename: &name, Public: &pub, CollectionID: &col.ID, Tags: &tags})
		if err != nil || up.Filename != "Renamedgpj.exe" || !up.Public || up.CollectionID != col.ID || !slices.Equal(up.Tags, []string{"keep"}) {
			t.Errorf("Update = %+v, %v", up, err)
		}
		missing := int64(1 << 40)
		if _, err := svc.Update(ctx, h, m.ID, media.Change{CollectionID: &missing}); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("moving into a missing collection: %v; want ErrInvalid", err)
		}
		if err := svc.DeleteCollection(ctx, h, col.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := svc.Get(ctx, h, text.ID); got.CollectionID != 0 {
			t.Errorf("after deleting its collection's parent, media %d is in collection %d", text.ID, got.CollectionID)
		}

		// Deletion, restore, and the purge after the retention.
		if err := svc.Delete(ctx, h, text.ID); err != nil {
			t.Fatal(err)
		}
		if err := svc.Delete(ctx, h, text.ID); !errors.Is(err, media.ErrNotFound) {
			t.Errorf("deleting twice: %v; want ErrNotFound", err)
		}
		if got := list(media.ListOptions{Status: media.Deleted}); !slices.Equal(got, []int64{text.ID}) {
			t.Errorf("deleted list = %v", got)
		}
		if err := svc.Restore(ctx, h, text.ID); err != nil {
			t.Fatal(err)
		}
		if err := svc.Delete(ctx, h, bm.ID); err != nil {
			t.Fatal(err)
		}
		if res, err := svc.Purge(ctx, h); err != nil || res != (media.PurgeResult{}) {
			t.Errorf("Purge within the retention = %+v, %v; want nothing", res, err)
		}
		e.clock.add(31 * 24 * time.Hour)
		if res, err := svc.Purge(ctx, h); err != nil || res != (media.PurgeResult{Deleted: 1}) {
			t.Errorf("Purge after the retention = %+v, %v; want 1 deleted", res, err)
		}
		if _, err := svc.Get(ctx, h, bm.ID); !errors.Is(err, media.ErrNotFound) {
			t.Errorf("purged media: %v; want ErrNotFound", err)
		}
		for _, k := range e.keys("media/") {
			if strings.HasPrefix(k, strings.TrimSuffix(bm.Key, "big.png")) {
				t.Errorf("purged media's object %s is still on the disk", k)
			}
		}

		// Direct uploads: begin, PUT to the presigned URL, finalize.
		put := func(p storage.PresignedPut, body []byte) int { return putTo(t, e.srv.URL, p, body) }
		begin := func(ct string, size int64) (media.Media, storage.PresignedPut) {
			t.Helper()
			m, p, err := svc.Begin(ctx, h, media.BeginInput{Filename: "direct.png", ContentType: ct, Size: size, OwnerID: owner})
			if err != nil {
				t.Fatal(err)
			}
			return m, p
		}
		dm, dp := begin("image/png", int64(len(pic)))
		if dm.Status != media.Pending || dp.Method != http.MethodPut || dp.Headers["Content-Type"] != "image/png" {
			t.Errorf("Begin = %+v, %+v", dm, dp)
		}
		if _, err := svc.Finalize(ctx, h, dm.ID, owner); !errors.Is(err, media.ErrNotUploaded) {
			t.Errorf("finalize before the PUT: %v; want ErrNotUploaded", err)
		}
		if code := put(dp, pic); code >= 300 {
			t.Fatalf("PUT to the presigned URL: %d", code)
		}
		if _, err := svc.Finalize(ctx, h, dm.ID, other); !errors.Is(err, media.ErrNotOwner) {
			t.Errorf("finalize by another user: %v; want ErrNotOwner", err)
		}
		fm, err := svc.Finalize(ctx, h, dm.ID, owner)
		if err != nil || fm.Status != media.Ready || fm.Checksum != sum(pic) || fm.Width != 40 {
			t.Errorf("Finalize = %+v, %v", fm, err)
		}
		if again, err := svc.Finalize(ctx, h, dm.ID, owner); err != nil || again.ID != fm.ID || again.Checksum != fm.Checksum {
			t.Errorf("finalize twice = %+v, %v; want the ready media", again, err)
		}
		// The presigned PUT used again after the finalize changes nothing
		// served: the bytes were copied to the media's own key as checked.
		if code := put(dp, bytes.Repeat([]byte{'x'}, len(pic))); code >= 300 {
			t.Logf("PUT after finalize refused: %d", code)
		}
		rc, _, err = svc.Open(ctx, fm, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := io.ReadAll(rc); sum(got) != fm.Checksum {
			t.Errorf("after a second PUT to the staging URL the media's bytes changed")
		}
		rc.Close()

		// Finalizes at once (a double click, a retry): each gets the ready
		// media, none removes it.
		cm, cp := begin("image/png", int64(len(pic)))
		if code := put(cp, pic); code >= 300 {
			t.Fatalf("PUT: %d", code)
		}
		var wg sync.WaitGroup
		results := make([]error, 6)
		for i := range results {
			wg.Go(func() {
				got, err := svc.Finalize(ctx, h, cm.ID, owner)
				if err == nil && (got.Status != media.Ready || got.Checksum != sum(pic)) {
					err = fmt.Errorf("got %+v", got)
				}
				results[i] = err
			})
		}
		wg.Wait()
		for i, err := range results {
			if err != nil {
				t.Errorf("concurrent finalize %d: %v", i, err)
			}
		}
		if got, err := svc.Get(ctx, h, cm.ID); err != nil || got.Status != media.Ready {
			t.Errorf("after concurrent finalizes: %+v, %v", got, err)
		}
		if ok, _ := storage.Exists(ctx, e.disk, cm.Key); !ok {
			t.Errorf("after concurrent finalizes the object is gone")
		}
		lying := []byte(strings.Repeat("<html>not a picture</html>", 10))
		lm, lp := begin("image/png", int64(len(lying)))
		if code := put(lp, lying); code >= 300 {
			t.Fatalf("PUT of the lying body: %d", code)
		}
		if _, err := svc.Finalize(ctx, h, lm.ID, owner); !errors.Is(err, media.ErrTypeMismatch) {
			t.Errorf("finalize of HTML sent as PNG: %v; want ErrTypeMismatch", err)
		}
		if _, err := svc.Get(ctx, h, lm.ID); !errors.Is(err, media.ErrNotFound) {
			t.Errorf("the refused upload's row: %v; want it gone", err)
		}
		if code := put(begin2(t, svc, e, owner), make([]byte, 10)); code != http.StatusBadRequest && code != http.StatusForbidden {
			t.Errorf("PUT of another size than declared: %d; want it refused", code)
		}
		for _, in := range []media.BeginInput{
			{Filename: "a.html", ContentType: "text/html", Size: 10},
			{Filename: "a.png", ContentType: "image/png", Size: maxSize + 1},
			{Filename: "a.png", ContentType: "image/png"},
			{Filename: "a.png", Size: 10},
		} {
			if _, _, err := svc.Begin(ctx, h, in); err == nil {
				t.Errorf("Begin(%+v) succeeded", in)
			}
		}
		e.clock.add(25 * time.Hour)
		res, err := svc.Purge(ctx, h)
		if err != nil || res.Pending != 1 {
			t.Errorf("Purge of the unfinished upload = %+v, %v; want 1 pending", res, err)
		}

		// Orphans: an object no row names; a tenant's objects live apart.
		if err := putObject(ctx, e.disk, "media/zzzz/stray.txt"); err != nil {
			t.Fatal(err)
		}
		tctx := framework.WithKeyPrefix(ctx, "tenants/acme/")
		tm, err := svc.Upload(tctx, h, bytes.NewReader(pic), media.UploadInput{Filename: "t.png"})
		if err != nil || !strings.HasPrefix(tm.Key, "tenants/acme/media/") {
			t.Fatalf("tenant upload = %q, %v", tm.Key, err)
		}
		orphans, err := svc.Orphans(ctx, h, storage.DefaultDisk)
		if err != nil || len(orphans) != 1 || orphans[0].Key != "media/zzzz/stray.txt" {
			t.Fatalf("Orphans = %+v, %v; want the stray object alone", orphans, err)
		}
		if n, err := svc.DeleteOrphans(ctx, h, storage.DefaultDisk, orphans); err != nil || n != 1 {
			t.Errorf("DeleteOrphans = %d, %v", n, err)
		}
		if orphans, err := svc.Orphans(ctx, h, storage.DefaultDisk); err != nil || len(orphans) != 0 {
			t.Errorf("Orphans after deleting them = %+v, %v", orphans, err)
		}
		if ok, _ := storage.Exists(ctx, e.disk, m.Key); !ok {
			t.Errorf("deleting orphans removed a named object")
		}
	})
}

// putTo sends body as the presigned PUT p says (its URL relative to base,
// "" for an absolute one) and returns the status.
func putTo(t *testing.T, base string, p storage.PresignedPut, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(p.Method, base+p.URL, bytes.NewReader(body))
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// begin2 begins a direct upload of 20 bytes and returns its PUT.
func begin2(t *testing.T, svc *media.Service, e *env, owner int64) storage.PresignedPut {
	t.Helper()
	_, p, err := svc.Begin(e.ctx, e.db, media.BeginInput{Filename: "s.txt", ContentType: "text/plain", Size: 20, OwnerID: owner})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func putObject(ctx context.Context, d storage.Storage, key string) error {
	_, err := d.Put(ctx, key, strings.NewReader("stray"), storage.PutOptions{})
	return err
}

// TestNewOptions: options that cannot work are refused at New.
func TestNewOptions(t *testing.T) {
	disks, err := storage.DisksFromEnv([]string{"QUARRY_STORAGE_DEFAULT_URL=mem:"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []media.Options{
		{AllowedTypes: []string{"text/csv"}}, // never sniffed
		{AllowedTypes: []string{"image/"}},
		{AllowedTypes: []string{"IMAGE/PNG"}},
		{Disk: "nope"},
		{UploadTTL: time.Hour, PendingRetention: time.Minute},
		{MaxSize: -1},
		{URLTTL: -time.Second},
	} {
		if _, err := media.New(disks, o); !errors.Is(err, media.ErrInvalid) && err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
	if _, err := media.New(disks, media.Options{AllowedTypes: []string{"image/*", "application/zip"}}); err != nil {
		t.Errorf("New with image/* and zip: %v", err)
	}
}

// TestNormalizeFilename: path segments, control and formatting
// characters, invalid UTF-8 and length are normalised away.
func TestNormalizeFilename(t *testing.T) {
	long := strings.Repeat("é", 1000) + ".jpeg"
	for in, want := range map[string]string{
		"photo.jpg":                     "photo.jpg",
		"../../etc/passwd":              "passwd",
		`C:\Users\me\cv.pdf`:            "cv.pdf",
		"a\x00b\x1fc\x7f.txt":           "abc.txt",
		"evil\u202egpj.exe":             "evilgpj.exe",
		"  spaced   out  .png  ":        "spaced out .png",
		"...":                           "file",
		"":                              "file",
		"/":                             "file",
		"bad\xff\xfeutf8.txt":           "badutf8.txt",
		"tab\there.txt":                 "tab here.txt",
		"zero\u200bwidth.txt":           "zerowidth.txt",
		".hidden":                       "hidden",
		"new\nline\r\nname.txt":         "new line name.txt",
		strings.Repeat("a", 300):        strings.Repeat("a", media.MaxFilenameLen),
		long:                            strings.Repeat("é", media.MaxFilenameLen-5) + ".jpeg",
		"x." + strings.Repeat("e", 300): ("x." + strings.Repeat("e", 300))[:media.MaxFilenameLen],
	} {
		if got := media.NormalizeFilename(in); got != want {
			t.Errorf("NormalizeFilename(%q) = %q; want %q", in, got, want)
		}
	}
}

// TestSniff: types come from the bytes.
func TestSniff(t *testing.T) {
	for _, c := range []struct {
		head []byte
		want string
	}{
		{pngOf(t, 2, 2), "image/png"},
		{[]byte("GIF89a......"), "image/gif"},
		{[]byte("%PDF-1.7\n"), "application/pdf"},
		{[]byte("<html><body>"), "text/html"},
		{[]byte("<svg xmlns='http://www.w3.org/2000/svg'>"), "text/plain"}, // never image/svg+xml, which runs scripts
		{[]byte("hello"), "text/plain"},
		{[]byte{0, 1, 2, 3}, "application/octet-stream"},
	} {
		if got := media.Sniff(c.head); got != c.want {
			t.Errorf("Sniff(%q) = %q; want %q", c.head[:min(len(c.head), 10)], got, c.want)
		}
	}
}

// client is a logged-in user of the test server.
type client struct {
	e     *env
	c     *http.Client
	token string
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// login logs name in through the login form ("" for a visitor who only
// holds a session and its CSRF token).
func (e *env) login(name string) *client {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	resp, err := c.c.Get(e.srv.URL + "/login")
	if err != nil {
		e.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRe.FindSubmatch(body)
	if m == nil {
		e.t.Fatalf("no CSRF token on the login page")
	}
	c.token = string(m[1])
	if name == "" {
		return c
	}
	resp, err = c.c.PostForm(e.srv.URL+"/login", url.Values{"username": {name}, "password": {password}, "next": {"/"}, "csrf_token": {c.token}})
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login as %s: %d", name, resp.StatusCode)
	}
	// The session id changes at login, and the CSRF token with it.
	resp, err = c.c.Get(e.srv.URL + "/login")
	if err == nil {
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if m := csrfRe.FindSubmatch(body); m != nil {
			c.token = string(m[1])
		}
	}
	return c
}
