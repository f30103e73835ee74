package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/media"
	"github.com/quarry-go/quarry/framework/storage"
	"github.com/quarry-go/quarry/tenancy"
)

// mediaDir is the default disk of the package's tests (quarry media reads
// QUARRY_STORAGE_DEFAULT_URL, set once for the package by TestMain).
var mediaDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "quarry-cli-media-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mediaDir = dir
	os.Setenv("QUARRY_STORAGE_DEFAULT_URL", "file:"+dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestMediaCLI runs quarry media orphans and purge on a deployment of
// each dialect in turn (they share the package's disk, which each leg
// empties first; the main database and its tenants share it too):
// stray objects are listed per database under its own prefix and
// deleted with --delete, named objects are kept, and purge removes a
// deleted media past the retention with its object.
func TestMediaCLI(t *testing.T) {
	t.Parallel()
	for _, name := range dialects.All() {
		t.Run(string(name), func(t *testing.T) {
			ctx := context.Background()
			entries, _ := os.ReadDir(mediaDir)
			for _, e := range entries {
				if err := os.RemoveAll(filepath.Join(mediaDir, e.Name())); err != nil {
					t.Fatal(err)
				}
			}
			d := newWorkerDeployment(t, name)
			disks, err := storage.DisksFromEnv(os.Environ(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer disks.Close()
			svc, err := media.New(disks, media.Options{})
			if err != nil {
				t.Fatal(err)
			}
			disk := disks.Default()
			upload := func(ctx context.Context, db *framework.Database) media.Media {
				t.Helper()
				m, err := svc.Upload(ctx, db, strings.NewReader("kept"), media.UploadInput{Filename: "kept.txt"})
				if err != nil {
					t.Fatal(err)
				}
				return m
			}
			acme := d.tenants["acme"]
			acmeTenant, err := d.reg.TenantBySlug(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			actx := tenancy.WithTenant(ctx, acmeTenant)
			keptMain, keptAcme := upload(ctx, d.main), upload(actx, acme)
			gone := upload(ctx, d.main)
			if err := svc.Delete(ctx, d.main, gone.ID); err != nil {
				t.Fatal(err)
			}
			stray := func(key string) {
				if _, err := disk.Put(ctx, key, strings.NewReader("stray"), storage.PutOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			mainStray := "media/zz/stray.txt"
			acmeStray := tenancy.KeyPrefix(acmeTenant) + "media/zz/stray.txt"
			stray(mainStray)
			stray(acmeStray)

			// --pending-retention 0s: the stray objects are seconds old.
			args := append([]string{"media", "orphans", "--tenants", "--pending-retention", "0s"}, d.args...)
			r := quarryIn(t, "", args...)
			if r.code != 0 || !strings.Contains(r.stdout, mainStray+"\t5") || !strings.Contains(r.stdout, acmeStray+"\t5") ||
				strings.Contains(r.stdout, keptMain.Key) || strings.Contains(r.stdout, keptAcme.Key) {
				t.Fatalf("media orphans --tenants: %+v", r)
			}
			if !strings.Contains(collapse(r.stdout), "acme 1 orphan object(s), 5 bytes") {
				t.Errorf("media orphans: acme's count missing:\n%s", r.stdout)
			}
			r = quarryIn(t, "", append([]string{"media", "orphans", "--tenants", "--delete", "--pending-retention", "0s"}, d.args...)...)
			if r.code != 0 || !strings.Contains(collapse(r.stdout), "acme deleted 1 of 1 orphan object(s)") {
				t.Fatalf("media orphans --delete: %+v", r)
			}
			for _, k := range []string{acmeStray, mainStray} {
				if ok, _ := storage.Exists(ctx, disk, k); ok {
					t.Errorf("%s survived --delete", k)
				}
			}
			for _, k := range []string{keptMain.Key, keptAcme.Key, gone.Key} {
				if ok, _ := storage.Exists(ctx, disk, k); !ok {
					t.Errorf("%s, named by a row, was deleted", k)
				}
			}

			r = quarryIn(t, "", append([]string{"media", "purge", "--deleted-retention", "0s", "--tenants"}, d.args...)...)
			if r.code != 0 || !strings.Contains(collapse(r.stdout), "(main) purged 0 pending upload(s) and 1 deleted media; 0 failed") {
				t.Fatalf("media purge: %+v", r)
			}
			if ok, _ := storage.Exists(ctx, disk, gone.Key); ok {
				t.Errorf("the purged media's object %s is still there", gone.Key)
			}
			if _, err := svc.Get(ctx, d.main, gone.ID); err == nil {
				t.Errorf("the purged media's row is still there")
			}

			for _, bad := range [][]string{
				{"media", "purge", "--pending-retention", "-1h"},
				{"media", "orphans", "--disk", "nope"},
				{"media", "orphans", "extra"},
			} {
				r := quarryIn(t, "", append(bad, d.args...)...)
				if r.code != 2 || r.stderr == "" {
					t.Errorf("quarry %s: %+v; want a usage error", strings.Join(bad, " "), r)
				}
			}
		})
	}
}
