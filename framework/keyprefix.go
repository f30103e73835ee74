package framework

import "context"

type keyPrefixKey struct{}

// WithKeyPrefix returns a context whose request keeps the objects it
// stores under prefix on shared disks (framework/storage): the tenant
// resolver sets "tenants/<slug>/", so that tenants sharing a bucket never
// see each other's files. prefix is "" or ends with "/".
func WithKeyPrefix(ctx context.Context, prefix string) context.Context {
	return context.WithValue(ctx, keyPrefixKey{}, prefix)
}

// KeyPrefix returns the prefix of the request's object keys (see
// [WithKeyPrefix]): "" outside any tenant.
func KeyPrefix(ctx context.Context) string {
	p, _ := ctx.Value(keyPrefixKey{}).(string)
	return p
}
