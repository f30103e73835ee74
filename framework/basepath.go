package framework

import (
	"context"
	"strings"
)

type basePathKey struct{}

// WithBasePath returns a context whose requests are served under base, a
// path the router never saw because a middleware stripped it before
// routing (tenancy.PathPrefix strips "/t/acme"). base starts with "/" and
// has no trailing slash; "" or "/" means none. Handlers that write links,
// form actions, redirects or cookie paths put [BasePath] in front of the
// paths they route on, so that the browser stays under the prefix.
func WithBasePath(ctx context.Context, base string) context.Context {
	base = strings.TrimRight(base, "/")
	return context.WithValue(ctx, basePathKey{}, base)
}

// BasePath returns the path prefix the request was served under (see
// [WithBasePath]), without a trailing slash: "" when there is none.
func BasePath(ctx context.Context) string {
	b, _ := ctx.Value(basePathKey{}).(string)
	return b
}

// Within reports whether path p is the base path base or lies under it
// ("/t/acme", "/t/acme/x", but not "/t/acmex"). Every path is within the
// empty base.
func Within(base, p string) bool {
	return base == "" || p == base || strings.HasPrefix(p, base+"/")
}
