package tests

import (
	"context"
	"database/sql"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/queries"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// TestUserCLI drives createsuperuser, changepassword and seed-permissions
// on every dialect, and checks the results through the auth service.
func TestUserCLI(t *testing.T) {
	t.Parallel()
	for _, name := range dialects.All() {
		t.Run(string(name), func(t *testing.T) {
			t.Parallel()
			app := blogMigrations(t)
			url := dbtest.NewURL(t, name)
			env := []string{"DATABASE_URL=" + url}
			run := quarryExpect(t, app, env)
			run(0, "migrate", "up")
			if r := run(0, "createsuperuser", "--username", "ada", "--email", "ada@example.com", "--password", "tr0ub4dor&3-staple"); !strings.Contains(r.stdout, "created superuser ada") {
				t.Errorf("createsuperuser: %s", r.stdout)
			}
			for _, tt := range []struct {
				args []string
				code int
				msg  string
			}{
				{[]string{"createsuperuser", "--username", "ada", "--password", "another-g00d-one"}, 1, "a user with this username already exists: ada"},
				{[]string{"createsuperuser", "--username", "bob", "--password", "password123"}, 1, "password too weak: it is a commonly used password"},
				{[]string{"createsuperuser", "--username", "bob", "--password", "short"}, 1, "use at least 10 characters"},
				{[]string{"createsuperuser", "--username", "bad name!", "--password", "another-g00d-one"}, 1, "invalid username"},
				{[]string{"createsuperuser", "--username", "bob"}, 2, "pass --password or --generate"},
				{[]string{"createsuperuser"}, 2, "--username is required"},
				{[]string{"changepassword", "nobody", "--password", "another-g00d-one"}, 1, "no such user: nobody"},
				{[]string{"changepassword", "ada", "--password", "ada-lovelace-1815"}, 1, "too similar to the username"},
			} {
				if r := run(tt.code, tt.args...); !strings.Contains(r.stderr, tt.msg) {
					t.Errorf("quarry %v: stderr %q lacks %q", tt.args, r.stderr, tt.msg)
				}
			}
			r := run(0, "createsuperuser", "--username", "grace", "--generate")
			m := regexp.MustCompile(`shown once, store it now\): (\S+)`).FindStringSubmatch(r.stdout)
			if m == nil {
				t.Fatalf("--generate printed %q", r.stdout)
			}
			generated := m[1]

			db := openURL(t, url)
			svc := auth.New(db.Database())
			ctx := context.Background()
			u, err := svc.Authenticate(ctx, "grace", generated)
			if err != nil || !u.IsSuperuser || !u.IsStaff || u.LastLogin.IsZero() {
				t.Fatalf("grace with the generated password: %+v %v", u, err)
			}
			run(0, "changepassword", "grace", "--password", "n3w-and-long-enough")
			if _, err := svc.Authenticate(ctx, "grace", generated); !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Errorf("old password after change: %v", err)
			}
			if _, err := svc.Authenticate(ctx, "grace", "n3w-and-long-enough"); err != nil {
				t.Errorf("new password: %v", err)
			}

			if r := run(0, "seed-permissions"); !strings.Contains(r.stdout, "added 80 permissions") {
				t.Errorf("seed-permissions (16 framework + 4 blog tables): %s", r.stdout)
			}
			if r := run(0, "seed-permissions"); !strings.Contains(r.stdout, "added 0 permissions") {
				t.Errorf("seed-permissions again: %s", r.stdout)
			}
		})
	}
}

// TestAuthService checks authentication and permissions on every dialect:
// the same error for unknown users and wrong passwords, inactive users
// refused, weaker hashes upgraded at login, HasPerm through grants,
// denials and superuser status.
func TestAuthService(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		migrated(t, db)
		ctx := context.Background()
		svc := auth.New(db.Database())
		q := db.Dialect().Queries(db.SQL)
		u, err := svc.CreateUser(ctx, auth.CreateUserParams{Username: "editor", Email: "ed@example.com", Password: "plenty-long-secret"})
		if err != nil || u.IsStaff || u.IsSuperuser || u.PasswordChangedAt.IsZero() {
			t.Fatalf("CreateUser: %+v %v", u, err)
		}
		for _, c := range []struct{ user, pw string }{{"editor", "wrong-password-x"}, {"nobody", "plenty-long-secret"}} {
			if _, err := svc.Authenticate(ctx, c.user, c.pw); !errors.Is(err, auth.ErrInvalidCredentials) || err.Error() != "invalid username or password" {
				t.Errorf("Authenticate(%s): %v", c.user, err)
			}
		}
		// A hash made with weaker parameters is replaced at login.
		weak := &auth.Hasher{Params: auth.DefaultParams}
		weak.Params.Time = 1
		old, _ := weak.Hash("plenty-long-secret")
		if _, err := q.UserSetPassword(ctx, queries.UserSetPasswordParams{ID: u.ID, PasswordHash: old, ChangedAt: sql.NullTime{Time: u.PasswordChangedAt, Valid: true}}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, "editor", "plenty-long-secret"); err != nil {
			t.Fatal(err)
		}
		after, _ := q.UserGetByID(ctx, u.ID)
		if !strings.Contains(after.PasswordHash, ",t=2,") {
			t.Errorf("hash not upgraded at login: %s", after.PasswordHash)
		}

		if _, err := svc.SeedPermissions(ctx); err != nil {
			t.Fatal(err)
		}
		perm := func(code string) int64 {
			p, err := q.PermissionGetByCodename(ctx, code)
			if err != nil {
				t.Fatal(code, err)
			}
			return p.ID
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(q.UserPermissionSet(ctx, queries.UserPermissionSetParams{UserID: u.ID, PermissionID: perm("quarry_users.view"), Granted: true}))
		gid, err := q.GroupCreate(ctx, "auditors")
		must(err)
		must(q.GroupPermissionAdd(ctx, queries.GroupPermissionAddParams{GroupID: gid, PermissionID: perm("quarry_audit_log.view")}))
		must(q.GroupPermissionAdd(ctx, queries.GroupPermissionAddParams{GroupID: gid, PermissionID: perm("quarry_audit_log.delete")}))
		must(q.UserGroupAdd(ctx, queries.UserGroupAddParams{UserID: u.ID, GroupID: gid}))
		must(q.UserPermissionSet(ctx, queries.UserPermissionSetParams{UserID: u.ID, PermissionID: perm("quarry_audit_log.delete"), Granted: false}))
		u, _ = svc.UserByID(ctx, u.ID)
		for code, want := range map[string]bool{"quarry_users.view": true, "quarry_audit_log.view": true, "quarry_audit_log.delete": false, "quarry_users.delete": false} {
			if got, err := svc.HasPerm(ctx, u, code); err != nil || got != want {
				t.Errorf("HasPerm(%s) = %v, %v; want %v", code, got, err, want)
			}
		}
		u.IsActive = false
		if got, _ := svc.HasPerm(ctx, u, "quarry_users.view"); got {
			t.Error("an inactive user holds a permission")
		}
		u.IsActive, u.IsSuperuser = true, true
		if got, _ := svc.HasPerm(ctx, u, "quarry_users.delete"); !got {
			t.Error("a superuser lacks a permission")
		}
		if all, _ := svc.Permissions(ctx, u); len(all) != 64 {
			t.Errorf("superuser permissions = %d; want 64 (16 tables × 4)", len(all))
		}
	})
}

// TestCreateSuperuserInteractive answers createsuperuser's prompts on a
// terminal (a pty from script(1)): username, email, the password twice.
func TestCreateSuperuserInteractive(t *testing.T) {
	t.Parallel()
	scriptBin, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script(1) from util-linux is needed to give the CLI a terminal")
	}
	dir := t.TempDir()
	env := []string{"DATABASE_URL=sqlite:./var/app.db"}
	if r := quarry(t, dir, env, "migrate", "up"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	run := func(input string) string {
		cmd := exec.Command(scriptBin, "-qec", quarryBin+" createsuperuser", "/dev/null")
		cmd.Dir = dir
		cmd.Env = append(cleanEnv(), env...)
		cmd.Stdin = strings.NewReader(input)
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	if out := run("carol\ncarol@example.com\nplenty-long-secret\nplenty-long-secret\n"); !strings.Contains(out, "created superuser carol") {
		t.Fatalf("interactive createsuperuser:\n%s", out)
	}
	if out := run("dave\n\nplenty-long-secret\ndifferent-secret-x\n"); !strings.Contains(out, "the passwords do not match") {
		t.Errorf("mismatched passwords:\n%s", out)
	}
	db := openURL(t, "sqlite:"+filepath.Join(dir, "var", "app.db"))
	if _, err := auth.New(db.Database()).Authenticate(context.Background(), "carol", "plenty-long-secret"); err != nil {
		t.Errorf("carol cannot log in: %v", err)
	}
}
