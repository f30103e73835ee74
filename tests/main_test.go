// Package tests holds Quarry's cross-dialect integration tests: each runs
// the same body on SQLite, PostgreSQL and MySQL/MariaDB (see dbtest),
// through the public surface — HTTP against the real router, the quarry
// CLI as a separate process, and the framework's exported API.
package tests

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/framework/migrate"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// quarryBin is the quarry CLI built once for the whole package.
var quarryBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "quarry-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	quarryBin = filepath.Join(dir, "quarry")
	// The demo's disks (site.NewMedia) default to ./var/media: keep the
	// tests' files in the temporary directory instead.
	os.Setenv("QUARRY_STORAGE_DEFAULT_URL", "file:"+filepath.Join(dir, "media"))
	build := exec.Command("go", "build", "-o", quarryBin, "../cmd/quarry")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build quarry:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cliResult is the outcome of one quarry invocation.
type cliResult struct {
	code           int
	stdout, stderr string
}

// quarry runs the CLI in dir with the given extra environment.
func quarry(t *testing.T, dir string, env []string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, quarryBin, args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run quarry %v: %v", args, err)
	}
	return cliResult{code: code, stdout: out.String(), stderr: errb.String()}
}

// quarryExpect returns a runner for the CLI in dir that fails the test
// when an invocation's exit code is not the one wanted.
func quarryExpect(t *testing.T, dir string, env []string) func(wantCode int, args ...string) cliResult {
	return func(wantCode int, args ...string) cliResult {
		t.Helper()
		r := quarry(t, dir, env, args...)
		if r.code != wantCode {
			t.Fatalf("quarry %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, wantCode, r.stdout, r.stderr)
		}
		return r
	}
}

// cleanEnv is the environment without Quarry's own variables, so a test
// says exactly what the CLI sees.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DATABASE_URL=") || strings.HasPrefix(kv, "QUARRY_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// migrated applies the framework's migrations to db.
func migrated(t *testing.T, db *dbtest.DB) *dbtest.DB {
	t.Helper()
	m, err := migrate.New(db.Database(), migrate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(context.Background()); err != nil {
		t.Fatalf("framework migrations on %s: %v", db.Name, err)
	}
	return db
}

// repoRoot is the repository's top directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}
