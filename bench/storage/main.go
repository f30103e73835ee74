// Command storage measures uploads and downloads of 1 MiB and 100 MiB
// files through an HTTP server into a disk of framework/storage — the
// local directory and an S3 bucket (versitygw on 127.0.0.1) — beside a
// plain io.Copy to a file, with each case's peak memory (the maximum
// resident set of a process that runs that case alone):
//
//	go run ./bench/storage                 # 1 MiB and 100 MiB, local and S3, raw and through media
//	go run ./bench/storage -sizes 1,100 -targets copy,local,media-local
//
// The upload streams the request body into Storage.Put (with a MaxSize),
// the download streams Storage.Get into the response; the client sends a
// generated body and hashes what comes back, so no side holds a file in
// memory. The media-local and media-s3 targets go through the media
// service instead (framework/media, on a migrated SQLite database):
// Upload (type sniffing, SHA-256, the pending row, then ready) and Open.
// The target: a 100 MiB file under 64 MiB of peak memory.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/media"
	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/framework/storage"
	"github.com/quarry-go/quarry/framework/storage/storagetest"
)

func main() {
	sizes := flag.String("sizes", "1,100", "file sizes in MiB, comma-separated")
	targets := flag.String("targets", "copy,local,s3,media-local,media-s3", "what to measure: copy (io.Copy to a file), local, s3, media-local, media-s3")
	child := flag.String("case", "", "internal: run one case in this process (target:MiB)")
	flag.Parse()
	log.SetFlags(0)
	if *child != "" {
		if err := runCase(*child); err != nil {
			log.Fatal(err)
		}
		return
	}
	var stopS3 func()
	if strings.Contains(*targets, "s3") {
		var err error
		if stopS3, err = startS3(); err != nil {
			log.Fatal(err)
		}
		defer stopS3()
	}
	fmt.Printf("%-11s %8s %12s %12s %12s %14s\n", "target", "size", "upload", "download", "MB/s (up)", "peak memory")
	for _, target := range strings.Split(*targets, ",") {
		for _, s := range strings.Split(*sizes, ",") {
			mib, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || mib <= 0 {
				log.Fatalf("-sizes: %q is not a number of MiB", s)
			}
			out, rss, err := runChild(target + ":" + strconv.Itoa(mib))
			if err != nil {
				if stopS3 != nil {
					stopS3()
				}
				log.Fatalf("%s %d MiB: %v\n%s", target, mib, err, out)
			}
			var up, down time.Duration
			if _, err := fmt.Sscanf(out, "%d %d", &up, &down); err != nil {
				log.Fatalf("%s %d MiB: child said %q", target, mib, out)
			}
			fmt.Printf("%-11s %5d MiB %12s %12s %12.0f %10.1f MiB\n", target, mib, up.Round(time.Millisecond), down.Round(time.Millisecond),
				float64(mib)*1.048576/up.Seconds(), float64(rss)/1024)
		}
	}
	fmt.Println("target: a 100 MiB file through the server under 64 MiB of peak memory")
}

// runChild runs one case in a new process and returns what it printed
// and its maximum resident set (KiB).
func runChild(c string) (string, int64, error) {
	self, err := os.Executable()
	if err != nil {
		return "", 0, err
	}
	cmd := exec.Command(self, "-case", c)
	cmd.Env = os.Environ()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), 0, err
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return string(out), 0, errors.New("no resource usage for the child")
	}
	return string(out), ru.Maxrss, nil
}

// body is n pseudo-random bytes, generated as read.
type body struct {
	r *rand.ChaCha8
	n int64
}

func newBody(n int64) *body { return &body{r: rand.NewChaCha8([32]byte{1}), n: n} }

func (b *body) Read(p []byte) (int, error) {
	if b.n == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), b.n)]
	_, _ = b.r.Read(p)
	b.n -= int64(len(p))
	return len(p), nil
}

func digest(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// runCase runs one target:MiB case and prints the upload and download
// durations in nanoseconds.
func runCase(c string) error {
	target, s, _ := strings.Cut(c, ":")
	mib, err := strconv.Atoi(s)
	if err != nil {
		return err
	}
	size := int64(mib) << 20
	want, _, _ := digest(newBody(size))
	dir, err := os.MkdirTemp("", "quarry-bench-storage-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	if target == "copy" {
		start := time.Now()
		f, err := os.Create(filepath.Join(dir, "f"))
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, newBody(size)); err != nil {
			return err
		}
		if err := errors.Join(f.Sync(), f.Close()); err != nil {
			return err
		}
		up := time.Since(start)
		start = time.Now()
		f, err = os.Open(filepath.Join(dir, "f"))
		if err != nil {
			return err
		}
		got, _, err := digest(f)
		f.Close()
		if err != nil || got != want {
			return fmt.Errorf("read back: %v (digest %s, want %s)", err, got, want)
		}
		fmt.Println(int64(up), int64(time.Since(start)))
		return nil
	}

	if strings.HasPrefix(target, "media-") {
		return runMedia(strings.TrimPrefix(target, "media-"), dir, size, want)
	}
	var disk storage.Storage
	switch target {
	case "local":
		l, err := storage.NewLocal(filepath.Join(dir, "disk"), storage.DiskOptions{})
		if err != nil {
			return err
		}
		defer l.Close()
		disk = l
	case "s3":
		disk, err = storage.NewS3(storage.S3Options{Endpoint: os.Getenv("BENCH_S3_ENDPOINT"), Insecure: true, PathStyle: true,
			Bucket: "bench", AccessKeyID: os.Getenv("BENCH_S3_ACCESS"), SecretAccessKey: os.Getenv("BENCH_S3_SECRET"), PartSize: 8 << 20})
		if err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown target %q (copy, local, s3)", target)
	}
	return serve(size, want, func(w http.ResponseWriter, r *http.Request) {
		if _, err := disk.Put(r.Context(), "uploads/"+r.PathValue("name"), r.Body, storage.PutOptions{ContentType: "application/octet-stream", MaxSize: 200 << 20}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}, func(w http.ResponseWriter, r *http.Request) {
		rc, obj, err := disk.Get(r.Context(), "uploads/"+r.PathValue("name"), nil)
		send(w, rc, obj, err)
	})
}

// send streams an opened object into the response.
func send(w http.ResponseWriter, rc io.ReadCloser, obj storage.Object, err error) {
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Length", strconv.FormatInt(obj.Size, 10))
	_, _ = io.Copy(w, rc)
}

// serve serves put and get on a local port, uploads size bytes, downloads
// them, checks their digest and prints the durations in nanoseconds.
func serve(size int64, want string, put, get http.HandlerFunc) error {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /files/{name}", put)
	mux.HandleFunc("GET /files/{name}", get)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/files/f.bin"

	start := time.Now()
	req, err := http.NewRequest(http.MethodPut, url, newBody(size))
	if err != nil {
		return err
	}
	req.ContentLength = size
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("upload: %d %s", resp.StatusCode, msg)
	}
	up := time.Since(start)
	start = time.Now()
	resp, err = http.Get(url)
	if err != nil {
		return err
	}
	got, n, err := digest(resp.Body)
	resp.Body.Close()
	if err != nil || got != want || n != size {
		return fmt.Errorf("download: %d bytes, %v (digest %s, want %s)", n, err, got, want)
	}
	fmt.Println(int64(up), int64(time.Since(start)))
	return nil
}

// runMedia runs a case through the media service, on the local disk
// (disk "local") or the S3 bucket ("s3"), with its rows in a SQLite
// database under dir.
func runMedia(disk, dir string, size int64, want string) error {
	ctx := context.Background()
	db, err := framework.OpenDatabase(ctx, "sqlite:"+filepath.Join(dir, "media.db"))
	if err != nil {
		return err
	}
	defer db.DB.Close()
	m, err := migrate.New(db, migrate.Options{})
	if err != nil {
		return err
	}
	if _, err := m.Up(ctx); err != nil {
		return err
	}
	env := []string{"QUARRY_STORAGE_DEFAULT_URL=file:" + filepath.Join(dir, "disk")}
	if disk == "s3" {
		env = []string{"QUARRY_STORAGE_DEFAULT_URL=s3://bench?insecure=1&path_style=1&endpoint=" + os.Getenv("BENCH_S3_ENDPOINT"),
			"QUARRY_STORAGE_DEFAULT_ACCESS_KEY_ID=" + os.Getenv("BENCH_S3_ACCESS"), "QUARRY_STORAGE_DEFAULT_SECRET_ACCESS_KEY=" + os.Getenv("BENCH_S3_SECRET")}
	} else if disk != "local" {
		return fmt.Errorf("unknown target media-%s (media-local, media-s3)", disk)
	}
	disks, err := storage.DisksFromEnv(env, nil)
	if err != nil {
		return err
	}
	defer disks.Close()
	svc, err := media.New(disks, media.Options{MaxSize: 200 << 20, AllowedTypes: []string{"application/octet-stream"}})
	if err != nil {
		return err
	}
	var id int64
	return serve(size, want, func(w http.ResponseWriter, r *http.Request) {
		m, err := svc.Upload(r.Context(), db, r.Body, media.UploadInput{Filename: r.PathValue("name")})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		id = m.ID
		w.WriteHeader(http.StatusCreated)
	}, func(w http.ResponseWriter, r *http.Request) {
		m, err := svc.Get(r.Context(), db, id)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		rc, obj, err := svc.Open(r.Context(), m, nil)
		send(w, rc, obj, err)
	})
}

// startS3 starts versitygw (storagetest.StartS3Server) with the bench
// bucket and passes its address and credentials to the cases.
func startS3() (func(), error) {
	srv, err := storagetest.StartS3Server("bench")
	if err != nil {
		return nil, fmt.Errorf("the s3 target (or -targets copy,local): %w", err)
	}
	os.Setenv("BENCH_S3_ENDPOINT", srv.Endpoint)
	os.Setenv("BENCH_S3_ACCESS", srv.AccessKeyID)
	os.Setenv("BENCH_S3_SECRET", srv.SecretAccessKey)
	return srv.Stop, nil
}
