package tenancy

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/middleware"
	"github.com/quarry-go/quarry/framework/signing"
	"github.com/quarry-go/quarry/queries"
	"github.com/quarry-go/quarry/tenancy/registrydb"
)

// MaxGrantTTL is the longest an impersonation grant may be redeemed.
const MaxGrantTTL = 2 * time.Minute

// grantPurpose separates the grants' signatures from every other use of
// the app's keys.
const grantPurpose = "quarry.tenancy.impersonation-grant.v1"

// OperatorUserPrefix begins the username of the tenant user an operator
// acts as inside a tenant: "operator:alice". The colon is not allowed in
// usernames made through auth.CreateUser, so no tenant user can take it.
const OperatorUserPrefix = "operator:"

// operatorMarker is the key of the tenant user's data column that marks
// it as an operator's: a user with an operator's username but no marker
// is never used.
const operatorMarker = "quarry_operator"

// Session keys of an impersonation.
const (
	// KeyImpersonator holds, in an impersonation session, the operator's
	// username in the main database, for pages that show a banner.
	KeyImpersonator = "quarry.impersonator"
)

// Grant is what an impersonation grant carries, signed: the tenant it is
// bound to (id and slug), the operator (id and username in the main
// database), when it expires, and a random nonce that makes it single-use.
type Grant struct {
	TenantID   int64  `json:"tid"`
	TenantSlug string `json:"ts"`
	OperatorID int64  `json:"oid"`
	Operator   string `json:"op"`
	Expires    int64  `json:"exp"` // Unix seconds
	Nonce      string `json:"n"`
}

// Errors of redeeming a grant; each says what to do.
var (
	ErrGrantInvalid = errors.New("the grant is invalid (malformed, or its signature does not match): enter again from the operator console")
	ErrGrantTenant  = errors.New("the grant is for another tenant")
	ErrGrantExpired = errors.New("the grant has expired: enter again from the operator console")
	ErrGrantUsed    = errors.New("the grant was used already: enter again from the operator console")
)

var b64 = base64.RawURLEncoding

// SignGrant returns g signed with keys, as URL-safe text.
func SignGrant(keys *signing.Keyring, g Grant) (string, error) {
	b, err := json.Marshal(g)
	if err != nil {
		return "", err
	}
	return keys.SignString(grantPurpose, b64.EncodeToString(b)), nil
}

// VerifyGrant checks a signed grant's signature and purpose, that it is
// bound to t (id and slug) and that it has not expired at now (nor
// expires further than MaxGrantTTL ahead); it does not check the nonce.
func VerifyGrant(keys *signing.Keyring, signed string, t *Tenant, now time.Time) (Grant, error) {
	var g Grant
	value, err := keys.Unsign(grantPurpose, signed)
	if err != nil {
		return g, ErrGrantInvalid
	}
	b, err := b64.DecodeString(value)
	if err != nil || json.Unmarshal(b, &g) != nil || g.Nonce == "" || g.Operator == "" || g.OperatorID == 0 {
		return Grant{}, ErrGrantInvalid
	}
	if t == nil || g.TenantID != t.ID || g.TenantSlug != t.Slug {
		return Grant{}, ErrGrantTenant
	}
	exp := time.Unix(g.Expires, 0)
	if !now.Before(exp) {
		return Grant{}, ErrGrantExpired
	}
	if exp.Sub(now) > MaxGrantTTL+time.Second {
		return Grant{}, ErrGrantInvalid
	}
	return g, nil
}

// NonceStore records redeemed grants' nonces until they expire.
type NonceStore interface {
	// Use records nonce as used until expires and reports true, or
	// reports false when it was used before.
	Use(ctx context.Context, nonce string, expires time.Time) (bool, error)
}

// GrantNonces returns the NonceStore kept in the registry's database (the
// quarry_tenancy_grant_nonces table), shared by every instance of the app:
// the console's default. Each nonce is kept until a minute past its
// grant's expiry (for clocks a little apart); each Use first deletes the
// expired ones, so the table holds the grants of the last few minutes.
func (r *Registry) GrantNonces() NonceStore { return registryNonces{r} }

type registryNonces struct{ r *Registry }

// Use implements NonceStore.
func (n registryNonces) Use(ctx context.Context, nonce string, expires time.Time) (bool, error) {
	q := registrydb.Queries(n.r.db)
	if _, err := q.NonceDeleteExpired(ctx, time.Now().UTC()); err != nil {
		return false, fmt.Errorf("tenancy: expire used grants: %w", err)
	}
	err := q.NonceUse(ctx, registrydb.NonceUseParams{Nonce: nonce, ExpiresAt: expires.Add(time.Minute).UTC()})
	if errors.Is(err, queries.ErrUniqueViolation) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("tenancy: record a used grant: %w", err)
	}
	return true, nil
}

// MemoryNonces is a NonceStore in the process's memory: each nonce is
// kept until its grant expires (two minutes at most), so it holds at most
// the grants of the last two minutes, and refuses (fails closed) beyond
// its capacity. Behind several instances, a grant could be redeemed once
// on each instance within its two minutes: give such a deployment a
// shared store.
type MemoryNonces struct {
	mu   sync.Mutex
	max  int
	used map[string]time.Time
	now  func() time.Time
}

// NewMemoryNonces returns an in-memory store of at most max nonces (0:
// 100,000).
func NewMemoryNonces(max int) *MemoryNonces {
	if max <= 0 {
		max = 100_000
	}
	return &MemoryNonces{max: max, used: map[string]time.Time{}, now: time.Now}
}

// Use implements NonceStore.
func (m *MemoryNonces) Use(_ context.Context, nonce string, expires time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.used[nonce]; ok {
		return false, nil
	}
	if len(m.used) >= m.max {
		now := m.now()
		for n, exp := range m.used {
			if now.After(exp) {
				delete(m.used, n)
			}
		}
		if len(m.used) >= m.max {
			return false, errors.New("tenancy: too many impersonation grants in flight")
		}
	}
	// Kept a little past the grant's expiry, for clocks a little apart.
	m.used[nonce] = expires.Add(time.Minute)
	return true, nil
}

// enter signs a grant for the operator to enter tenant slug and sends
// the operator's browser to the tenant's EnterPath with it.
func (c *Console) enter(w http.ResponseWriter, r *http.Request, slug string) {
	t, err := c.reg.Show(r.Context(), slug)
	if err == nil && t.Status != StatusActive {
		err = fmt.Errorf("%w: %s is %s", ErrInvalid, slug, t.Status)
	}
	if err != nil {
		c.done(w, r, c.userMessage(r, "Enter "+slug, err), true)
		return
	}
	u, _ := authhttp.UserFrom(r.Context())
	var n [16]byte
	_, _ = rand.Read(n[:])
	g := Grant{TenantID: t.ID, TenantSlug: t.Slug, OperatorID: u.ID, Operator: u.Username,
		Expires: c.opts.Now().Add(c.opts.GrantTTL).Unix(), Nonce: b64.EncodeToString(n[:])}
	signed, err := SignGrant(c.opts.Keys, g)
	if err != nil {
		framework.ServerError(w, r, c.log, "tenancy console: sign grant", err)
		return
	}
	c.log.InfoContext(r.Context(), "tenancy console: impersonation grant", "slug", t.Slug, "operator", u.Username)
	http.Redirect(w, r, c.tenantBase(t)+c.opts.EnterPath+"?grant="+url.QueryEscape(signed), http.StatusSeeOther)
}

// EnterHandler is the impersonation endpoint, for mounting at EnterPath
// inside tenants by other means than Mount. It answers 404 on the apex.
// It redeems the grant in the query's "grant": checks its signature,
// purpose, tenant, expiry and nonce (refused with 403 and a message
// saying which), then logs the request's session into the tenant as the
// operator's tenant user (see [OperatorUserPrefix]), a superuser, with the
// session marked as an impersonation (KeyImpersonator) and ending after
// ImpersonationLifetime, and redirects to the admin.
func (c *Console) EnterHandler() http.Handler {
	inner := c.auth.Middleware(http.HandlerFunc(c.redeem))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authhttp.SetPageHeaders(w.Header())
		w.Header().Set("Referrer-Policy", "no-referrer") // the grant is in the URL
		if From(r.Context()) == nil {
			NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, "GET, HEAD")
			return
		}
		inner.ServeHTTP(w, r)
	})
}

func refuse(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintln(w, "Cannot enter this tenant: "+msg)
}

func (c *Console) redeem(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t := From(ctx)
	signed := r.URL.Query().Get("grant")
	if signed == "" {
		refuse(w, http.StatusBadRequest, "no grant: enter from the operator console")
		return
	}
	g, err := VerifyGrant(c.opts.Keys, signed, t, c.opts.Now())
	if err != nil {
		c.log.WarnContext(ctx, "tenancy: impersonation grant refused", "slug", t.Slug, "reason", err.Error(),
			"request_id", middleware.RequestIDFrom(ctx))
		refuse(w, http.StatusForbidden, err.Error())
		return
	}
	fresh, err := c.opts.Nonces.Use(ctx, g.Nonce, time.Unix(g.Expires, 0))
	if err != nil {
		framework.ServerError(w, r, c.log, "tenancy: record grant nonce", err)
		return
	}
	if !fresh {
		c.log.WarnContext(ctx, "tenancy: impersonation grant replayed", "slug", t.Slug, "operator", g.Operator)
		refuse(w, http.StatusForbidden, ErrGrantUsed.Error())
		return
	}
	d := framework.DatabaseFrom(ctx)
	u, err := operatorUser(ctx, d, g)
	if err != nil {
		framework.ServerError(w, r, c.log, "tenancy: operator user", err)
		return
	}
	// Record the login as authhttp's login page does.
	au, err := auth.New(d).UserByID(ctx, u.ID)
	if err == nil {
		err = c.auth.LogIn(ctx, au)
	}
	if err != nil {
		framework.ServerError(w, r, c.log, "tenancy: log the operator in", err)
		return
	}
	sm := c.auth.Sessions()
	sm.Put(ctx, KeyImpersonator, g.Operator)
	sm.SetDeadline(ctx, c.opts.Now().Add(c.opts.ImpersonationLifetime))
	c.log.InfoContext(ctx, "tenancy: operator entered tenant", "slug", t.Slug, "operator", g.Operator, "tenant_user", u.ID)
	admin := c.opts.AdminPath
	if p := strings.TrimSuffix(c.opts.PathPrefix, "/") + "/" + t.Slug + "/"; strings.HasPrefix(r.RequestURI, p) {
		admin = strings.TrimSuffix(p, "/") + admin // served under the path prefix
	}
	http.Redirect(w, r, admin, http.StatusSeeOther)
}

// unusableHash is the operator user's password hash: it is no argon2id
// hash, so no password matches it and password login is refused.
const unusableHash = "!operator-impersonation"

type operatorData struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

// operatorUser returns the tenant user the operator of g acts as,
// creating it (or restoring its flags) as an active superuser with an
// unusable password. A user with that username that is not marked as the
// operator's is refused.
func operatorUser(ctx context.Context, d *framework.Database, g Grant) (queries.QuarryUser, error) {
	name := OperatorUserPrefix + g.Operator
	db, dialect := d.Handle()
	q := dialect.Queries(db)
	data, _ := json.Marshal(map[string]operatorData{operatorMarker: {ID: g.OperatorID, Username: g.Operator}})
	u, err := q.UserGetByUsername(ctx, name)
	if errors.Is(err, queries.ErrNotFound) {
		_, err = q.UserCreate(ctx, queries.UserCreateParams{Username: name, PasswordHash: unusableHash,
			IsActive: true, IsStaff: true, IsSuperuser: true, Data: string(data)})
		if err != nil && !errors.Is(err, queries.ErrUniqueViolation) { // a concurrent entry made it
			return u, err
		}
		u, err = q.UserGetByUsername(ctx, name)
	}
	if err != nil {
		return u, err
	}
	var marked map[string]json.RawMessage
	if json.Unmarshal([]byte(u.Data), &marked) != nil || marked[operatorMarker] == nil {
		return u, fmt.Errorf("tenant user %q exists and is not an operator's: refusing to act as it", name)
	}
	if !u.IsActive || !u.IsStaff || !u.IsSuperuser || u.PasswordHash != unusableHash {
		if _, err := q.UserUpdate(ctx, queries.UserUpdateParams{ID: u.ID, Email: u.Email, IsActive: true, IsStaff: true,
			IsSuperuser: true, Data: u.Data}); err != nil {
			return u, err
		}
		if u.PasswordHash != unusableHash {
			if _, err := q.UserSetPassword(ctx, queries.UserSetPasswordParams{ID: u.ID, PasswordHash: unusableHash, ChangedAt: u.PasswordChangedAt}); err != nil {
				return u, err
			}
		}
		u.IsActive, u.IsStaff, u.IsSuperuser = true, true, true
	}
	return u, nil
}
