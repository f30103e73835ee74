package tenancy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/quarry-go/quarry/framework"
)

// A Resolver names the tenant of a request. The middleware asks its
// resolvers in order; the first that names a tenant decides.
//
// Resolve returns one of:
//   - the tenant, and the request to route (r itself, or a copy whose URL
//     the resolver rewrote, as PathPrefix strips its prefix);
//   - a nil tenant and a nil error: the request names no tenant this way,
//     and the next resolver is asked;
//   - an error: the request names a tenant that does not exist, is
//     suspended or is named in a malformed way (ErrNoTenant, ErrSuspended,
//     answered 404 without asking further resolvers), or the lookup failed.
type Resolver interface {
	Resolve(r *http.Request, l Lookup) (*Tenant, *http.Request, error)
}

// ResolverFunc adapts a function to a Resolver.
type ResolverFunc func(r *http.Request, l Lookup) (*Tenant, *http.Request, error)

// Resolve calls f.
func (f ResolverFunc) Resolve(r *http.Request, l Lookup) (*Tenant, *http.Request, error) {
	return f(r, l)
}

// ErrBadHost is wrapped (with ErrNoTenant) when a request's Host header
// is not a plain ASCII host name: non-ASCII names are refused rather than
// guessed at (register internationalised domains in their xn-- form).
var ErrBadHost = errors.New("tenancy: malformed host")

// Host returns the request's host name as the resolvers compare it:
// lower-cased, without its port and trailing dot. An IP address is
// returned as is (ok true, ip true); a name with characters other than
// ASCII letters, digits, hyphens and dots, with an empty label or a label
// longer than 63 bytes is refused (ok false).
func Host(r *http.Request) (host string, ip bool, ok bool) {
	return parseHost(r.Host)
}

func parseHost(h string) (host string, ip bool, ok bool) {
	if h == "" || len(h) > 260 {
		return "", false, false
	}
	if strings.HasPrefix(h, "[") { // IPv6 literal, with or without a port
		if hp, _, err := net.SplitHostPort(h); err == nil {
			h = hp
		} else {
			h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
		}
		a, err := netip.ParseAddr(h)
		if err != nil {
			return "", false, false
		}
		return a.String(), true, true
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		port := h[i+1:]
		for j := 0; j < len(port); j++ {
			if port[j] < '0' || port[j] > '9' {
				return "", false, false
			}
		}
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return "", false, false
	}
	if a, err := netip.ParseAddr(h); err == nil && a.Is4() {
		return a.String(), true, true
	}
	b := []byte(h)
	label := 0
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + ('a' - 'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
		case c == '.':
			if label == 0 {
				return "", false, false // empty label
			}
			label = -1
		default:
			return "", false, false // non-ASCII, underscore, space, …
		}
		label++
		if label > 63 {
			return "", false, false
		}
	}
	if label == 0 {
		return "", false, false
	}
	return string(b), false, true
}

// isLabel reports whether s is a lower-case DNS label: 1 to 63 ASCII
// letters a-z, digits and hyphens, not starting or ending with a hyphen.
// It is the character rule of a slug (ValidateSlug adds the reserved
// names; the resolvers read any label, so that a reserved name is an
// unknown tenant) and of each label of a host (ValidateHost).
func isLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// noTenant wraps ErrNoTenant with why.
func noTenant(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrNoTenant}, args...)...)
}

// bySlug looks slug up, refusing malformed slugs before any query.
func bySlug(ctx context.Context, l Lookup, slug string) (*Tenant, error) {
	if !isLabel(slug) {
		return nil, noTenant("malformed slug %q", truncate(slug))
	}
	t, err := l.TenantBySlug(ctx, slug)
	if err != nil {
		return nil, fmt.Errorf("tenant %q: %w", slug, err)
	}
	return t, nil
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// Subdomain resolves hosts one label below base: with base "example.com",
// acme.example.com is the tenant with slug acme. base itself and
// www.base are the apex (no tenant); hosts outside base name no tenant
// (the next resolver is asked); a deeper name (a.b.example.com) or a
// label that cannot be a slug is an unknown tenant.
func Subdomain(base string) Resolver {
	b, _, ok := parseHost(base)
	if !ok {
		panic(fmt.Sprintf("tenancy.Subdomain: %q is not a host name", base))
	}
	suffix := "." + b
	return ResolverFunc(func(r *http.Request, l Lookup) (*Tenant, *http.Request, error) {
		host, ip, ok := Host(r)
		if !ok {
			return nil, r, fmt.Errorf("%w: %w", ErrNoTenant, ErrBadHost)
		}
		if ip || host == b || !strings.HasSuffix(host, suffix) {
			return nil, r, nil
		}
		label := host[:len(host)-len(suffix)]
		if label == "www" {
			return nil, r, nil
		}
		if strings.Contains(label, ".") {
			return nil, r, noTenant("host %q is more than one label below %q", host, b)
		}
		t, err := bySlug(r.Context(), l, label)
		return t, r, err
	})
}

// Domain resolves custom domains: the request's host (lower case, without
// port or trailing dot) is looked up with Lookup.TenantByHost. A host no
// tenant has registered names no tenant (the next resolver is asked; the
// middleware's ApexHosts decides whether it is the apex or unknown).
func Domain() Resolver {
	return ResolverFunc(func(r *http.Request, l Lookup) (*Tenant, *http.Request, error) {
		host, ip, ok := Host(r)
		if !ok {
			return nil, r, fmt.Errorf("%w: %w", ErrNoTenant, ErrBadHost)
		}
		if ip {
			return nil, r, nil
		}
		t, err := l.TenantByHost(r.Context(), host)
		if errors.Is(err, ErrNoTenant) {
			return nil, r, nil
		}
		if err != nil {
			return nil, r, fmt.Errorf("host %q: %w", host, err)
		}
		return t, r, nil
	})
}

// PathPrefix resolves paths under prefix (which must start and end with
// "/", e.g. "/t/"): /t/acme/posts/ is tenant acme, routed as /posts/ (the
// prefix and slug are stripped from r.URL.Path and RawPath before the
// router sees the request; /t/acme alone is routed as /), and the request's
// context carries the base path "/t/acme" (framework.BasePath), which the
// admin and the login pages put in front of their links, redirects and
// cookie paths. Paths outside
// the prefix name no tenant. Under it, an empty or malformed slug, a
// percent-encoded character in the slug, a dot segment (/t/acme/../x) or
// an encoded slash or backslash anywhere in the rest is an unknown tenant,
// so that no router or proxy can read the path as another tenant's.
func PathPrefix(prefix string) Resolver {
	if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") || strings.Contains(prefix, "%") {
		panic(fmt.Sprintf("tenancy.PathPrefix: %q must start and end with / and hold no escapes", prefix))
	}
	return ResolverFunc(func(r *http.Request, l Lookup) (*Tenant, *http.Request, error) {
		ep := r.URL.EscapedPath()
		if !strings.HasPrefix(ep, prefix) {
			if strings.HasPrefix(r.URL.Path, prefix) { // the prefix itself escaped: /t%2Facme/
				return nil, r, noTenant("escaped tenant prefix in %q", truncate(ep))
			}
			return nil, r, nil
		}
		rest := ep[len(prefix):]
		slug, tail, _ := strings.Cut(rest, "/")
		if !isLabel(slug) {
			return nil, r, noTenant("malformed slug in path %q", truncate(ep))
		}
		tail = "/" + tail
		lower := strings.ToLower(tail)
		if strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") || strings.Contains(tail, `\`) {
			return nil, r, noTenant("encoded slash in path %q", truncate(ep))
		}
		// The decoded path starts with the same bytes (prefix and slug
		// hold no escapes).
		decoded := r.URL.Path[len(prefix)+len(slug):]
		if decoded == "" {
			decoded = "/"
		}
		if hasDotSegment(decoded) {
			return nil, r, noTenant("dot segment in path %q", truncate(ep))
		}
		t, err := bySlug(r.Context(), l, slug)
		if err != nil {
			return nil, r, err
		}
		// Links and redirects of the pages served keep the prefix.
		base := framework.BasePath(r.Context()) + prefix + slug
		r2 := r.Clone(framework.WithBasePath(r.Context(), base))
		r2.URL.Path = decoded
		if r.URL.RawPath != "" {
			r2.URL.RawPath = tail
		}
		return t, r2, nil
	})
}

// hasDotSegment reports a "." or ".." segment in a decoded path.
func hasDotSegment(p string) bool {
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// Header resolves the slug in the named request header (e.g. "X-Tenant"),
// but only on requests whose connection comes from one of trusted (pass
// the App's Config.TrustedProxies): a proxy in front of the app sets it,
// a client cannot. From any other peer, and with no trusted proxies at
// all, the header is ignored (names no tenant). It is in no default chain.
func Header(name string, trusted []netip.Prefix) Resolver {
	return ResolverFunc(func(r *http.Request, l Lookup) (*Tenant, *http.Request, error) {
		v := r.Header.Get(name)
		if v == "" || !fromTrusted(r, trusted) {
			return nil, r, nil
		}
		t, err := bySlug(r.Context(), l, v)
		return t, r, err
	})
}

// fromTrusted reports whether r's connection comes from a trusted proxy.
func fromTrusted(r *http.Request, trusted []netip.Prefix) bool {
	if len(trusted) == 0 {
		return false
	}
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		h = r.RemoteAddr
	}
	a, err := netip.ParseAddr(h)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// DefaultResolvers is the usual chain for an app served at base: its
// subdomains, then custom domains, then the /t/<slug>/ path prefix. The
// header resolver is not in it.
func DefaultResolvers(base string) []Resolver {
	return []Resolver{Subdomain(base), Domain(), PathPrefix("/t/")}
}
