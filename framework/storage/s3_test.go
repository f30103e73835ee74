package storage_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"go/build"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/quarry-go/quarry/framework/storage"
	"github.com/quarry-go/quarry/framework/storage/storagetest"
)

// The S3 tests run against versitygw (Apache-2.0, an S3 gateway over a
// directory that checks SigV4 signatures and presigned URLs' expiry), a
// real server started by TestMain on 127.0.0.1. Install it with
//
//	go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
//
// or point QUARRY_TEST_VERSITYGW at the binary.
var s3Server struct {
	endpoint, access, secret, bucket string
	err                              error
}

func TestMain(m *testing.M) {
	stop := startS3Server()
	code := m.Run()
	stop()
	os.Exit(code)
}

func versitygw() (string, error) {
	if p := os.Getenv("QUARRY_TEST_VERSITYGW"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	p := filepath.Join(build.Default.GOPATH, "bin", "versitygw")
	if _, err := os.Stat(p); err != nil {
		return "", errors.New("versitygw not found on PATH, in $GOPATH/bin or at $QUARRY_TEST_VERSITYGW: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0")
	}
	return p, nil
}

// startS3Server starts versitygw on a free port over a temporary
// directory, waits until it answers and makes the test bucket.
func startS3Server() (stop func()) {
	bin, err := versitygw()
	if err != nil {
		s3Server.err = err
		return func() {}
	}
	dir, err := os.MkdirTemp("", "quarry-s3-")
	if err != nil {
		s3Server.err = err
		return func() {}
	}
	for _, d := range []string{"root", "meta"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o750); err != nil {
			s3Server.err = err
			return func() { os.RemoveAll(dir) }
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s3Server.err = err
		return func() { os.RemoveAll(dir) }
	}
	addr := ln.Addr().String()
	ln.Close()
	var b [8]byte
	_, _ = rand.Read(b[:])
	s3Server.access, s3Server.secret, s3Server.bucket = "quarrytest", hex.EncodeToString(b[:]), "quarry-test"
	cmd := exec.Command(bin, "--access", s3Server.access, "--secret", s3Server.secret, "--port", addr, "--quiet",
		"posix", "--sidecar", filepath.Join(dir, "meta"), filepath.Join(dir, "root"))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		s3Server.err = err
		return func() { os.RemoveAll(dir) }
	}
	stop = func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		os.RemoveAll(dir)
	}
	s3Server.endpoint = addr
	c, err := minio.New(addr, &minio.Options{Creds: credentials.NewStaticV4(s3Server.access, s3Server.secret, ""), BucketLookup: minio.BucketLookupPath})
	if err != nil {
		s3Server.err = err
		return stop
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		err = c.MakeBucket(ctx, s3Server.bucket, minio.MakeBucketOptions{})
		if err == nil {
			return stop
		}
		if ctx.Err() != nil {
			s3Server.err = fmt.Errorf("versitygw at %s did not make a bucket within 30 s: %v\n%s", addr, err, out.String())
			return stop
		}
		time.Sleep(50 * time.Millisecond) // polling until the server listens
	}
}

// newS3 is a disk on the test server under a prefix of its own.
func newS3(t *testing.T, opts storage.DiskOptions) *storage.S3 {
	t.Helper()
	if s3Server.err != nil {
		if os.Getenv("QUARRY_TEST_REQUIRE_ALL") == "1" {
			t.Fatalf("the S3 server: %v", s3Server.err)
		}
		t.Skipf("the S3 server: %v", s3Server.err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	d, err := storage.NewS3(storage.S3Options{Endpoint: s3Server.endpoint, Insecure: true, Bucket: s3Server.bucket, PathStyle: true,
		Prefix: "t" + hex.EncodeToString(b[:]), AccessKeyID: s3Server.access, SecretAccessKey: s3Server.secret,
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

	wrong, err := storage.NewS3(storage.S3Options{Endpoint: s3Server.endpoint, Insecure: true, Bucket: s3Server.bucket, PathStyle: true,
		AccessKeyID: s3Server.access, SecretAccessKey: "wrong-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if err := wrong.Check(ctx); err == nil {
		t.Error("wrong credentials passed the check")
	}
	missing, err := storage.NewS3(storage.S3Options{Endpoint: s3Server.endpoint, Insecure: true, Bucket: "no-such-bucket", PathStyle: true,
		AccessKeyID: s3Server.access, SecretAccessKey: s3Server.secret})
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
		"QUARRY_STORAGE_UPLOADS_URL=s3://" + s3Server.bucket + "/fromenv?endpoint=" + s3Server.endpoint + "&insecure=true&path_style=true",
		"QUARRY_STORAGE_UPLOADS_ACCESS_KEY_ID=" + s3Server.access,
		"AWS_SECRET_ACCESS_KEY=" + s3Server.secret, // the fallback
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
