package storage_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/framework/storage"
	"github.com/quarry-go/quarry/framework/storage/storagetest"
)

// The S3 tests run against versitygw (storagetest.StartS3Server), a real
// server started by TestMain on 127.0.0.1. Install it with
//
//	go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
//
// or point QUARRY_TEST_VERSITYGW at the binary.
var (
	s3Server    *storagetest.S3Server
	s3ServerErr error
)

func TestMain(m *testing.M) {
	s3Server, s3ServerErr = storagetest.StartS3Server("quarry-test")
	code := m.Run()
	if s3Server != nil {
		s3Server.Stop()
	}
	os.Exit(code)
}

// newS3 is a disk on the test server under a prefix of its own.
func newS3(t *testing.T, opts storage.DiskOptions) *storage.S3 {
	t.Helper()
	if s3ServerErr != nil {
		if os.Getenv("QUARRY_TEST_REQUIRE_ALL") == "1" {
			t.Fatalf("the S3 server: %v", s3ServerErr)
		}
		t.Skipf("the S3 server: %v", s3ServerErr)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	d, err := storage.NewS3(storage.S3Options{Endpoint: s3Server.Endpoint, Insecure: true, Bucket: s3Server.Bucket, PathStyle: true,
		Prefix: "t" + hex.EncodeToString(b[:]), AccessKeyID: s3Server.AccessKeyID, SecretAccessKey: s3Server.SecretAccessKey,
		PublicBaseURL: opts.PublicBaseURL, PartSize: 5 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestS3(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T, opts storage.DiskOptions) storage.Storage { return newS3(t, opts) }, storagetest.Options{SelfSigned: true})
}

// TestS3Specifics: a large upload of unknown length in parts within the
// limit, a presigned PUT S3 cannot bound, wrong credentials, a missing
// bucket, and bad options.
func TestS3Specifics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newS3(t, storage.DiskOptions{})
	// 12 MiB of unknown length: three parts of 5 MiB.
	obj, err := d.Put(ctx, "big.bin", &zeros{n: 12 << 20}, storage.PutOptions{ContentType: "application/octet-stream"})
	if err != nil || obj.Size != 12<<20 {
		t.Fatalf("multipart put: %+v %v", obj, err)
	}
	if _, err := d.Put(ctx, "big2.bin", &zeros{n: 12 << 20}, storage.PutOptions{MaxSize: 11 << 20}); !errors.Is(err, storage.ErrTooLarge) {
		t.Errorf("multipart put over the limit: %v", err)
	}
	if ok, _ := storage.Exists(ctx, d, "big2.bin"); ok {
		t.Error("a put over the limit left an object")
	}
	if _, err := d.PresignPut(ctx, "x", time.Minute, storage.PutConditions{MaxSize: 8}); !errors.Is(err, storage.ErrUnsupported) || !strings.Contains(err.Error(), "Size") {
		t.Errorf("a bounded presigned PUT without a size: %v", err)
	}

	wrong, err := storage.NewS3(storage.S3Options{Endpoint: s3Server.Endpoint, Insecure: true, Bucket: s3Server.Bucket, PathStyle: true,
		AccessKeyID: s3Server.AccessKeyID, SecretAccessKey: "wrong-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if err := wrong.Check(ctx); err == nil {
		t.Error("wrong credentials passed the check")
	}
	missing, err := storage.NewS3(storage.S3Options{Endpoint: s3Server.Endpoint, Insecure: true, Bucket: "no-such-bucket", PathStyle: true,
		AccessKeyID: s3Server.AccessKeyID, SecretAccessKey: s3Server.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	if err := missing.Check(ctx); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("a missing bucket: %v", err)
	}
	for _, o := range []storage.S3Options{
		{Bucket: "b", AccessKeyID: "a", SecretAccessKey: "s"},
		{Endpoint: "h", AccessKeyID: "a", SecretAccessKey: "s"},
		{Endpoint: "h", Bucket: "b"},
		{Endpoint: "h", Bucket: "b", AccessKeyID: "a", SecretAccessKey: "s", Prefix: "../x"},
	} {
		if _, err := storage.NewS3(o); err == nil {
			t.Errorf("NewS3(%+v) accepted", o)
		}
	}
}

// TestS3FromEnv: an s3:// disk configured as an app would, its
// credentials from the environment, working against the test server.
func TestS3FromEnv(t *testing.T) {
	t.Parallel()
	newS3(t, storage.DiskOptions{}) // skips or fails without the server
	ctx := context.Background()
	d, err := storage.DisksFromEnv([]string{
		"QUARRY_STORAGE_DEFAULT_URL=mem:",
		"QUARRY_STORAGE_UPLOADS_URL=s3://" + s3Server.Bucket + "/fromenv?endpoint=" + s3Server.Endpoint + "&insecure=true&path_style=true",
		"QUARRY_STORAGE_UPLOADS_ACCESS_KEY_ID=" + s3Server.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + s3Server.SecretAccessKey, // the fallback
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	up, err := d.Disk("uploads")
	if err != nil {
		t.Fatal(err)
	}
	if err := up.(*storage.S3).Check(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := up.Put(ctx, "a.txt", strings.NewReader("from env"), storage.PutOptions{ContentType: "text/plain"}); err != nil {
		t.Fatal(err)
	}
	if ok, err := storage.Exists(ctx, up, "a.txt"); !ok || err != nil {
		t.Errorf("the object put through the configured disk: %v %v", ok, err)
	}
}

// zeros is n zero bytes, of a length the reader does not tell.
type zeros struct{ n int }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n == 0 {
		return 0, io.EOF
	}
	n := min(len(p), z.n)
	clear(p[:n])
	z.n -= n
	return n, nil
}
