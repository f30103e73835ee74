package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/queries"
)

// Service is the identity layer over the framework's queries on one
// database handle (a pool or a transaction).
type Service struct {
	db      queries.DBTX
	dialect dialects.Dialect
	q       queries.Querier
	hasher  *Hasher
}

// New returns the service over h: a *framework.Database, or a
// *framework.Tx for work that must be part of a transaction (such as
// PermissionsChanged after a change of grants).
func New(h dialects.Handle) *Service {
	db, d := h.Handle()
	return &Service{db: db, dialect: d, q: d.Queries(db), hasher: NewHasher()}
}

// Actions are the permission actions seeded for every table.
var Actions = []string{"add", "change", "delete", "view"}

// usernameRe is a username's characters; its length is counted apart
// ({1,150} would compile 150 copies of the Unicode classes: 6 MB at start).
var usernameRe = regexp.MustCompile(`^[\p{L}\p{N}@.+_-]+$`)

// CreateUserParams describes a new user.
type CreateUserParams struct {
	Username, Email, Password string
	Staff, Superuser          bool
}

// CheckUsername reports whether name is a valid username: 1 to 150
// letters, digits and @.+-_.
func CheckUsername(name string) error {
	if n := utf8.RuneCountInString(name); n > 150 || !usernameRe.MatchString(name) {
		return fmt.Errorf("%w %q: use 1 to 150 letters, digits and @.+-_", ErrInvalidUsername, name)
	}
	return nil
}

// CreateUser validates the username and the password's strength, hashes
// the password and inserts the user.
func (s *Service) CreateUser(ctx context.Context, p CreateUserParams) (User, error) {
	if err := CheckUsername(p.Username); err != nil {
		return User{}, err
	}
	if err := CheckStrength(p.Password, p.Username, p.Email); err != nil {
		return User{}, err
	}
	hash, err := s.hasher.Hash(p.Password)
	if err != nil {
		return User{}, err
	}
	id, err := s.q.UserCreate(ctx, queries.UserCreateParams{Username: p.Username, Email: p.Email, PasswordHash: hash,
		IsActive: true, IsStaff: p.Staff || p.Superuser, IsSuperuser: p.Superuser, Data: "{}"})
	if errors.Is(err, queries.ErrUniqueViolation) {
		return User{}, fmt.Errorf("%w: %s", ErrUsernameTaken, p.Username)
	} else if err != nil {
		return User{}, err
	}
	// Record when the password was set (UserCreate leaves it NULL).
	if _, err := s.q.UserSetPassword(ctx, queries.UserSetPasswordParams{ID: id, PasswordHash: hash,
		ChangedAt: sql.NullTime{Time: time.Now().UTC(), Valid: true}}); err != nil {
		return User{}, err
	}
	return s.UserByID(ctx, id)
}

// UserByID returns the user with id; ErrNoSuchUser when there is none.
func (s *Service) UserByID(ctx context.Context, id int64) (User, error) {
	r, err := s.q.UserGetByID(ctx, id)
	if errors.Is(err, queries.ErrNotFound) {
		return User{}, fmt.Errorf("%w: id %d", ErrNoSuchUser, id)
	} else if err != nil {
		return User{}, err
	}
	return userFromRow(r), nil
}

// SetPassword checks the new password's strength and stores its hash.
func (s *Service) SetPassword(ctx context.Context, username, password string) error {
	u, err := s.q.UserGetByUsername(ctx, username)
	if errors.Is(err, queries.ErrNotFound) {
		return fmt.Errorf("%w: %s", ErrNoSuchUser, username)
	} else if err != nil {
		return err
	}
	if err := CheckStrength(password, u.Username, u.Email); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(password)
	if err != nil {
		return err
	}
	_, err = s.q.UserSetPassword(ctx, queries.UserSetPasswordParams{ID: u.ID, PasswordHash: hash,
		ChangedAt: sql.NullTime{Time: time.Now().UTC(), Valid: true}})
	return err
}

// Authenticate returns the active user whose password matches. Unknown
// users cost the same time as known ones and get the same error, so
// neither timing nor message tells which usernames exist; a username no
// user can have (see CheckUsername's length, invalid UTF-8, NUL) is such
// an unknown user, and never reaches a query. A hash made with weaker
// parameters is replaced on success.
func (s *Service) Authenticate(ctx context.Context, username, password string) (User, error) {
	u, found, err := s.findUser(ctx, username)
	if err != nil {
		return User{}, err
	}
	return s.verify(ctx, u, found, password)
}

// findUser looks the user up by username; found is false for a username
// no user has, and for one no user can have, which is not looked up.
func (s *Service) findUser(ctx context.Context, username string) (u queries.QuarryUser, found bool, err error) {
	if !possibleUsername(username) {
		return queries.QuarryUser{}, false, nil
	}
	u, err = s.q.UserGetByUsername(ctx, username)
	if errors.Is(err, queries.ErrNotFound) {
		return queries.QuarryUser{}, false, nil
	} else if err != nil {
		return queries.QuarryUser{}, false, err
	}
	return u, true, nil
}

// verify is Authenticate's check of the password against the user
// findUser returned (against a dummy hash when there is none).
func (s *Service) verify(ctx context.Context, u queries.QuarryUser, found bool, password string) (User, error) {
	if !found {
		s.hasher.VerifyDummy(password)
		return User{}, ErrInvalidCredentials
	}
	ok, rehash, err := s.hasher.Verify(password, u.PasswordHash)
	if errors.Is(err, ErrBadHash) {
		s.hasher.VerifyDummy(password) // an unusable hash must not answer faster
	} else if err != nil {
		return User{}, err
	}
	if !ok || !u.IsActive {
		return User{}, ErrInvalidCredentials
	}
	if rehash {
		if hash, err := s.hasher.Hash(password); err == nil {
			// The old hash still works if this fails; the next login retries.
			_, _ = s.q.UserSetPassword(ctx, queries.UserSetPasswordParams{ID: u.ID, PasswordHash: hash, ChangedAt: u.PasswordChangedAt})
		}
	}
	now := time.Now().UTC()
	if _, err := s.q.UserSetLastLogin(ctx, queries.UserSetLastLoginParams{ID: u.ID, LastLogin: sql.NullTime{Time: now, Valid: true}}); err != nil {
		return User{}, err
	}
	u.LastLogin = sql.NullTime{Time: now, Valid: true}
	return userFromRow(u), nil
}

// Permissions returns the user's effective permission codenames: for an
// inactive user none, otherwise the grants (direct or through groups)
// minus explicit denials. A superuser's set is every permission.
func (s *Service) Permissions(ctx context.Context, u User) ([]string, error) {
	switch {
	case !u.IsActive:
		return nil, nil
	case u.IsSuperuser:
		all, err := s.q.PermissionList(ctx)
		out := make([]string, len(all))
		for i, p := range all {
			out[i] = p.Codename
		}
		return out, err
	}
	return s.q.UserPermissionCodenames(ctx, u.ID)
}

// HasPerm reports whether the user holds codename ("<table>.<action>").
func (s *Service) HasPerm(ctx context.Context, u User, codename string) (bool, error) {
	if !u.IsActive {
		return false, nil
	}
	if u.IsSuperuser {
		return true, nil
	}
	perms, err := s.q.UserPermissionCodenames(ctx, u.ID)
	return slices.Contains(perms, codename), err
}

// permissionTables are the framework's tables that decide who may do what.
var permissionTables = []string{"quarry_permissions", "quarry_groups", "quarry_user_groups", "quarry_group_permissions", "quarry_user_permissions"}

// DecidesPermissions reports whether a write to table can change someone's
// effective permissions, and so must be followed by PermissionsChanged.
// (A user's own flags, such as is_superuser, are read with the session.)
func DecidesPermissions(table string) bool { return slices.Contains(permissionTables, table) }

// PermissionsChanged records a change to who may do what, so that every
// cached permission set (see authhttp) is read again on its next use. Call
// it, on the transaction of the change if there is one (New(tx)),
// after writing direct grants or denials, groups, memberships or group
// grants (the store's UserPermission*, UserGroup*, GroupPermission* and
// Group* queries, or SQL of your own); the admin calls it for its writes.
// A change made without it is seen once the cached set ages out (a
// minute at most).
func (s *Service) PermissionsChanged(ctx context.Context) error {
	return s.q.AuthVersionBump(ctx)
}

// SeedPermissions ensures "<table>.<action>" permissions for every table of
// the database and every action, and "<view>.view" for every view, and
// returns how many it added. Running it
// again adds none. goose's version tables are skipped.
func (s *Service) SeedPermissions(ctx context.Context) (int, error) {
	before, err := s.q.PermissionList(ctx)
	if err != nil {
		return 0, err
	}
	tables, err := s.dialect.TableNames(ctx, s.db)
	if err != nil {
		return 0, err
	}
	for _, t := range tables {
		if t == "goose_db_version" || t == "quarry_migrations" || t == "quarry_migrate_lock" || t == "goose_lock" {
			continue
		}
		for _, a := range Actions {
			name := fmt.Sprintf("Can %s %s", a, strings.ReplaceAll(t, "_", " "))
			if err := s.q.PermissionEnsure(ctx, queries.PermissionEnsureParams{Codename: t + "." + a, Name: name}); err != nil {
				return 0, err
			}
		}
	}
	// A view is read only: it gets the view permission alone.
	views, err := s.dialect.CatalogViews(ctx, s.db)
	if err != nil {
		return 0, err
	}
	for _, v := range views {
		name := "Can view " + strings.ReplaceAll(v.Name, "_", " ")
		if err := s.q.PermissionEnsure(ctx, queries.PermissionEnsureParams{Codename: v.Name + ".view", Name: name}); err != nil {
			return 0, err
		}
	}
	after, err := s.q.PermissionList(ctx)
	return len(after) - len(before), err
}
