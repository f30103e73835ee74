package authhttp

import (
	"context"
	"database/sql"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/session"
)

// Permission sets are cached per user in the process, tagged with the
// permissions version (quarry_auth_version) that the session's own query
// reads, so a request that checks permissions costs no query of its own
// until something changes who may do what (auth.Service.PermissionsChanged
// moves the version). As a safety net for a change made without it, an
// entry is also dropped after permCacheTTL.
const (
	permCacheTTL = time.Minute
	permCacheMax = 10_000
)

type permEntry struct {
	version int64
	codes   []string // sorted
	at      time.Time
}

// permKey is a user of one database: an Auth may serve several (tenants).
type permKey struct {
	db   *sql.DB
	user int64
}

type permCache struct {
	mu sync.Mutex
	m  map[permKey]permEntry
}

func (c *permCache) get(k permKey, version int64, now time.Time) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || e.version != version || now.Sub(e.at) > permCacheTTL {
		return nil, false
	}
	return e.codes, true
}

func (c *permCache) put(k permKey, version int64, codes []string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= permCacheMax {
		c.m = make(map[permKey]permEntry) // start over rather than track ages
	}
	c.m[k] = permEntry{version: version, codes: codes, at: now}
}

// authVersionFrom returns the permissions version the session's query
// read for this request, if it did.
func authVersionFrom(ctx context.Context) (int64, bool) {
	l, _ := ctx.Value(loadedUserKey{}).(*session.Loaded)
	if l == nil || !l.Found {
		return 0, false
	}
	return l.AuthVersion, true
}

// Permissions returns the effective permission codenames of the request's
// logged-in user, sorted (see auth.Service.Permissions): none for an
// anonymous request or an inactive user. They are read from the cache
// while the permissions version is unchanged; the slice is the caller's.
func (a *Auth) Permissions(r *http.Request) ([]string, error) {
	u, ok := UserFrom(r.Context())
	if !ok || !u.IsActive {
		return nil, nil
	}
	version, known := authVersionFrom(r.Context())
	now := time.Now()
	d := framework.DatabaseFrom(r.Context())
	key := permKey{db: d.DB, user: u.ID}
	if known {
		if codes, ok := a.perms.get(key, version, now); ok {
			return slices.Clone(codes), nil
		}
	}
	codes, err := auth.New(d).Permissions(r.Context(), u)
	if err != nil {
		return nil, err
	}
	slices.Sort(codes)
	if known {
		a.perms.put(key, version, slices.Clone(codes), now)
	}
	return codes, nil
}

// HasPerm reports whether the request's user holds codename
// ("<table>.<action>"); superusers hold every one.
func (a *Auth) HasPerm(r *http.Request, u auth.User, codename string) (bool, error) {
	switch {
	case !u.IsActive:
		return false, nil
	case u.IsSuperuser:
		return true, nil
	}
	codes, err := a.Permissions(r)
	if err != nil {
		return false, err
	}
	_, found := slices.BinarySearch(codes, codename)
	return found, nil
}
