package tenancy

import (
	"context"
	"strconv"
	"time"

	"github.com/alexedwards/scs/v2"
)

// ScopedStore wraps a session store that all tenants share (such as the
// Redis store of session.NewRedisStore) so that each tenant's sessions
// are kept under keys of their own: the token of a request inside tenant
// 7 is stored as "t7:<token>", and at the apex (no tenant in the context)
// as "apex:<token>". So a session cookie of one tenant finds nothing in
// another. The framework's own store (session.NewStore) needs no wrapper:
// it already keeps each tenant's sessions in the tenant's database.
func ScopedStore(s scs.Store) scs.Store { return scopedStore{s} }

type scopedStore struct{ s scs.Store }

var _ scs.CtxStore = scopedStore{}

func scopedKey(ctx context.Context, token string) string {
	if t := From(ctx); t != nil {
		return "t" + strconv.FormatInt(t.ID, 10) + ":" + token
	}
	return "apex:" + token
}

// FindCtx implements scs.CtxStore.
func (w scopedStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	if c, ok := w.s.(scs.CtxStore); ok {
		return c.FindCtx(ctx, scopedKey(ctx, token))
	}
	return w.s.Find(scopedKey(ctx, token))
}

// CommitCtx implements scs.CtxStore.
func (w scopedStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if c, ok := w.s.(scs.CtxStore); ok {
		return c.CommitCtx(ctx, scopedKey(ctx, token), b, expiry)
	}
	return w.s.Commit(scopedKey(ctx, token), b, expiry)
}

// DeleteCtx implements scs.CtxStore.
func (w scopedStore) DeleteCtx(ctx context.Context, token string) error {
	if c, ok := w.s.(scs.CtxStore); ok {
		return c.DeleteCtx(ctx, scopedKey(ctx, token))
	}
	return w.s.Delete(scopedKey(ctx, token))
}

// Find implements scs.Store, as at the apex.
func (w scopedStore) Find(token string) ([]byte, bool, error) {
	return w.FindCtx(context.Background(), token)
}

// Commit implements scs.Store, as at the apex.
func (w scopedStore) Commit(token string, b []byte, expiry time.Time) error {
	return w.CommitCtx(context.Background(), token, b, expiry)
}

// Delete implements scs.Store, as at the apex.
func (w scopedStore) Delete(token string) error { return w.DeleteCtx(context.Background(), token) }
