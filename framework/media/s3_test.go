package media_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/media"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/framework/storage"
	"github.com/quarry-go/quarry/framework/storage/storagetest"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestS3 runs the media service on an S3 disk (versitygw on 127.0.0.1,
// started here; see framework/storage's tests for installing it), rows on
// SQLite (the disk, not the dialect, is under test): an upload, a direct
// upload PUT straight to the bucket with the presigned URL and finalized,
// a PUT of another size refused by the bucket, a lying direct upload
// removed at finalize, a thumbnail, the presigned GET, orphans and the
// purge.
func TestS3(t *testing.T) {
	t.Parallel()
	srv, err := storagetest.StartS3Server("media")
	if err != nil {
		if os.Getenv(dbtest.EnvRequireAll) == "1" {
			t.Fatalf("the S3 server: %v", err)
		}
		t.Skipf("the S3 server: %v", err)
	}
	t.Cleanup(srv.Stop)
	ctx := context.Background()
	db, err := framework.OpenDatabase(ctx, dbtest.NewURL(t, dialects.SQLite))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.DB.Close() })
	m, err := migrate.New(db, migrate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	disks, err := storage.DisksFromEnv([]string{"QUARRY_STORAGE_DEFAULT_URL=s3://media/app?insecure=1&path_style=1&endpoint=" + srv.Endpoint,
		"AWS_ACCESS_KEY_ID=" + srv.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + srv.SecretAccessKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { disks.Close() })
	clk := &clock{t: time.Now().UTC()}
	svc, err := media.New(disks, media.Options{MaxSize: maxSize, Now: clk.now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	disk := disks.Default()
	pic := pngOf(t, 700, 350)

	up, err := svc.Upload(ctx, db, bytes.NewReader(pic), media.UploadInput{Filename: "wide.png"})
	if err != nil || up.Width != 700 || up.Checksum != sum(pic) {
		t.Fatalf("Upload = %+v, %v", up, err)
	}
	u, err := svc.URL(ctx, up)
	if err != nil || !strings.HasPrefix(u, "http://"+srv.Endpoint+"/media/app/media/") {
		t.Fatalf("URL = %q, %v; want a presigned URL of the bucket", u, err)
	}
	if got := fetch(t, u); !bytes.Equal(got, pic) {
		t.Errorf("the presigned GET: %d bytes; want the upload", len(got))
	}
	key, err := svc.Thumbnail(ctx, up, 320)
	if err != nil {
		t.Fatal(err)
	}
	rc, _, err := disk.Get(ctx, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := image.DecodeConfig(rc)
	rc.Close()
	if err != nil || cfg.Width != 320 || cfg.Height != 160 {
		t.Errorf("thumbnail on S3: %dx%d, %v", cfg.Width, cfg.Height, err)
	}

	// Direct uploads go to the bucket, not through a server of ours.
	begin := func(body []byte) (media.Media, storage.PresignedPut) {
		t.Helper()
		m, p, err := svc.Begin(ctx, db, media.BeginInput{Filename: "d.png", ContentType: "image/png", Size: int64(len(body))})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.URL, "http://"+srv.Endpoint+"/") {
			t.Fatalf("presigned PUT %q is not the bucket's", p.URL)
		}
		return m, p
	}
	put := func(p storage.PresignedPut, body []byte) int { return putTo(t, "", p, body) }
	dm, dp := begin(pic)
	if code := put(dp, pic[:len(pic)-1]); code < 400 {
		t.Errorf("a PUT one byte short of the declared size: %d; want it refused by the bucket", code)
	}
	if _, err := svc.Finalize(ctx, db, dm.ID, 0); !errors.Is(err, media.ErrNotUploaded) {
		t.Errorf("finalize after a refused PUT: %v; want ErrNotUploaded", err)
	}
	if code := put(dp, pic); code != http.StatusOK {
		t.Fatalf("PUT to the bucket: %d", code)
	}
	fm, err := svc.Finalize(ctx, db, dm.ID, 0)
	if err != nil || fm.Status != media.Ready || fm.Checksum != sum(pic) || fm.Height != 350 {
		t.Errorf("Finalize = %+v, %v", fm, err)
	}
	lie := bytes.Repeat([]byte("not a png "), 50)
	lm, lp := begin(lie)
	if code := put(lp, lie); code != http.StatusOK {
		t.Fatalf("PUT of the lying body: %d", code)
	}
	if _, err := svc.Finalize(ctx, db, lm.ID, 0); !errors.Is(err, media.ErrTypeMismatch) {
		t.Errorf("finalize of a lying upload: %v; want ErrTypeMismatch", err)
	}
	if ok, _ := storage.Exists(ctx, disk, lm.Key); ok {
		t.Errorf("the lying upload's object is still in the bucket")
	}

	// Orphans and the purge on the bucket (a day on: objects younger than
	// the pending retention are never orphans).
	clk.add(25 * time.Hour)
	if _, err := disk.Put(ctx, "media/stray/x.bin", strings.NewReader("x"), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	orphans, err := svc.Orphans(ctx, db, storage.DefaultDisk)
	if err != nil || len(orphans) != 1 || orphans[0].Key != "media/stray/x.bin" {
		t.Errorf("Orphans = %+v, %v", orphans, err)
	}
	if err := svc.Delete(ctx, db, up.ID); err != nil {
		t.Fatal(err)
	}
	clk.add(31 * 24 * time.Hour)
	if res, err := svc.Purge(ctx, db); err != nil || res.Deleted != 1 {
		t.Errorf("Purge = %+v, %v", res, err)
	}
	for _, k := range []string{up.Key, key} {
		if ok, _ := storage.Exists(ctx, disk, k); ok {
			t.Errorf("%s survived the purge", k)
		}
	}
}

func fetch(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	return b
}
