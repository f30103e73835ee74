package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"go/build"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Server is a versitygw process (Apache-2.0, an S3 gateway over a
// directory that checks SigV4 signatures and presigned URLs' expiry)
// serving one bucket on 127.0.0.1, for tests and benchmarks of S3 disks.
type S3Server struct {
	Endpoint, AccessKeyID, SecretAccessKey, Bucket string

	cmd *exec.Cmd
	dir string
}

// Versitygw finds the versitygw binary: $QUARRY_TEST_VERSITYGW, on PATH,
// or in $GOPATH/bin; the error says how to install it.
func Versitygw() (string, error) {
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

// StartS3Server starts versitygw on a free port over a temporary
// directory, waits until it answers (30 s at most) and makes bucket.
// Stop ends it and removes the directory.
func StartS3Server(bucket string) (*S3Server, error) {
	bin, err := Versitygw()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "quarry-s3-")
	if err != nil {
		return nil, err
	}
	s := &S3Server{Bucket: bucket, AccessKeyID: "quarrytest", dir: dir}
	for _, d := range []string{"root", "meta"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o750); err != nil {
			s.Stop()
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Stop()
		return nil, err
	}
	s.Endpoint = ln.Addr().String()
	ln.Close()
	var b [8]byte
	_, _ = rand.Read(b[:])
	s.SecretAccessKey = hex.EncodeToString(b[:])
	s.cmd = exec.Command(bin, "--access", s.AccessKeyID, "--secret", s.SecretAccessKey, "--port", s.Endpoint, "--quiet",
		"posix", "--sidecar", filepath.Join(dir, "meta"), filepath.Join(dir, "root"))
	var out strings.Builder
	s.cmd.Stdout, s.cmd.Stderr = &out, &out
	if err := s.cmd.Start(); err != nil {
		s.cmd = nil
		s.Stop()
		return nil, err
	}
	c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKeyID, s.SecretAccessKey, ""), BucketLookup: minio.BucketLookupPath})
	if err != nil {
		s.Stop()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		err = c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{})
		if err == nil {
			return s, nil
		}
		if ctx.Err() != nil {
			s.Stop()
			return nil, fmt.Errorf("versitygw at %s did not make a bucket within 30 s: %v\n%s", s.Endpoint, err, out.String())
		}
		time.Sleep(50 * time.Millisecond) // polling until the server listens
	}
}

// Stop ends the server and removes its directory.
func (s *S3Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
	os.RemoveAll(s.dir)
}
