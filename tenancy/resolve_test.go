package tenancy

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
)

// memLookup is an in-memory Lookup for the resolver and cache tests (the
// registry's own tests run on the real databases).
type memLookup struct {
	mu      sync.Mutex
	slugs   map[string]*Tenant
	hosts   map[string]*Tenant
	calls   atomic.Int64
	failing error
}

func newMemLookup(ts ...*Tenant) *memLookup {
	l := &memLookup{slugs: map[string]*Tenant{}, hosts: map[string]*Tenant{}}
	for _, t := range ts {
		l.slugs[t.Slug] = t
	}
	return l
}

func (l *memLookup) TenantBySlug(_ context.Context, slug string) (*Tenant, error) {
	l.calls.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failing != nil {
		return nil, l.failing
	}
	if t, ok := l.slugs[slug]; ok {
		cp := *t
		return &cp, nil
	}
	return nil, ErrNoTenant
}

func (l *memLookup) TenantByHost(_ context.Context, host string) (*Tenant, error) {
	l.calls.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failing != nil {
		return nil, l.failing
	}
	if t, ok := l.hosts[host]; ok {
		cp := *t
		return &cp, nil
	}
	return nil, ErrNoTenant
}

func TestParseHost(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ip   bool
		ok   bool
	}{
		{"acme.example.com", "acme.example.com", false, true},
		{"ACME.Example.COM:8443", "acme.example.com", false, true},
		{"acme.example.com.", "acme.example.com", false, true},
		{"acme.example.com.:80", "acme.example.com", false, true},
		{"xn--bcher-kva.example", "xn--bcher-kva.example", false, true},
		{"127.0.0.1:8000", "127.0.0.1", true, true},
		{"[::1]:8000", "::1", true, true},
		{"[::1]", "::1", true, true},
		{"localhost", "localhost", false, true},
		{"bücher.example", "", false, false},
		{"ac_me.example.com", "", false, false},
		{"acme..example.com", "", false, false},
		{".example.com", "", false, false},
		{"acme.example.com:80x", "", false, false},
		{"", "", false, false},
		{"a b.example", "", false, false},
		{"[nonsense]:80", "", false, false},
		{string(make([]byte, 70)) + ".example", "", false, false},
	} {
		got, ip, ok := parseHost(tc.in)
		if got != tc.want || ip != tc.ip || ok != tc.ok {
			t.Errorf("parseHost(%q) = %q, %v, %v; want %q, %v, %v", tc.in, got, ip, ok, tc.want, tc.ip, tc.ok)
		}
	}
}

func TestValidSlug(t *testing.T) {
	for s, want := range map[string]bool{
		"acme": true, "a": true, "acme-2": true, "42": true,
		"": false, "-acme": false, "acme-": false, "Acme": false, "ac.me": false, "..": false,
		"ac%2fme": false, "acme/x": false, string(make([]byte, 64)): false,
	} {
		if isLabel(s) != want {
			t.Errorf("isLabel(%q) = %v", s, !want)
		}
	}
}

type resolveCase struct {
	name     string
	host     string
	target   string // request target, as on the wire
	remote   string
	header   map[string]string
	slug     string // the tenant resolved; "" for none
	noTenant bool   // ErrNoTenant expected
	path     string // the path routed, when a tenant was resolved
	rawPath  string
}

func runResolve(t *testing.T, res Resolver, l Lookup, tc resolveCase) {
	t.Helper()
	r := httptest.NewRequest("GET", "http://placeholder"+tc.target, nil)
	r.Host = tc.host
	if tc.remote != "" {
		r.RemoteAddr = tc.remote
	}
	for k, v := range tc.header {
		r.Header.Set(k, v)
	}
	before := r.URL.Path
	got, r2, err := res.Resolve(r, l)
	switch {
	case tc.noTenant:
		if !errors.Is(err, ErrNoTenant) || got != nil {
			t.Errorf("%s: got %v, %v; want ErrNoTenant", tc.name, got, err)
		}
	case err != nil:
		t.Errorf("%s: unexpected error %v", tc.name, err)
	case tc.slug == "":
		if got != nil {
			t.Errorf("%s: resolved %q, want none", tc.name, got.Slug)
		}
	case got == nil || got.Slug != tc.slug:
		t.Errorf("%s: resolved %v, want %q", tc.name, got, tc.slug)
	default:
		want := tc.path
		if want == "" {
			want = before
		}
		if r2.URL.Path != want || r2.URL.RawPath != tc.rawPath {
			t.Errorf("%s: routed path %q (raw %q), want %q (raw %q)", tc.name, r2.URL.Path, r2.URL.RawPath, want, tc.rawPath)
		}
	}
	if r.URL.Path != before {
		t.Errorf("%s: the resolver changed the original request's path", tc.name)
	}
}

func TestSubdomainAndDomain(t *testing.T) {
	acme := &Tenant{ID: 1, Slug: "acme", Status: StatusActive}
	globex := &Tenant{ID: 2, Slug: "globex", Status: StatusActive}
	l := newMemLookup(acme, globex)
	l.hosts["shop.globex.test"] = globex
	chain := ResolverFunc(func(r *http.Request, l Lookup) (*Tenant, *http.Request, error) {
		for _, res := range []Resolver{Subdomain("Example.com"), Domain()} {
			t, r2, err := res.Resolve(r, l)
			if t != nil || err != nil {
				return t, r2, err
			}
		}
		return nil, r, nil
	})
	for _, tc := range []resolveCase{
		{name: "subdomain", host: "acme.example.com", target: "/x", slug: "acme"},
		{name: "subdomain with port and case", host: "ACME.example.com:8000", target: "/", slug: "acme"},
		{name: "subdomain with trailing dot", host: "globex.example.com.", target: "/", slug: "globex"},
		{name: "apex", host: "example.com", target: "/"},
		{name: "www", host: "www.example.com", target: "/"},
		{name: "unknown subdomain", host: "initech.example.com", target: "/", noTenant: true},
		{name: "two labels down", host: "a.acme.example.com", target: "/", noTenant: true},
		{name: "label that is no slug", host: "-acme.example.com", target: "/", noTenant: true},
		{name: "non-ASCII host refused", host: "acmé.example.com", target: "/", noTenant: true},
		{name: "custom domain", host: "Shop.Globex.Test", target: "/", slug: "globex"},
		{name: "unregistered host names none", host: "elsewhere.test", target: "/"},
		{name: "IP address names none", host: "127.0.0.1:8000", target: "/"},
		{name: "suffix lookalike is not a subdomain", host: "acmeexample.com", target: "/"},
	} {
		runResolve(t, chain, l, tc)
	}
}

func TestPathPrefix(t *testing.T) {
	l := newMemLookup(&Tenant{ID: 1, Slug: "acme"}, &Tenant{ID: 2, Slug: "globex"})
	res := PathPrefix("/t/")
	for _, tc := range []resolveCase{
		{name: "prefix stripped", target: "/t/acme/admin/posts/?q=1", slug: "acme", path: "/admin/posts/"},
		{name: "slug alone", target: "/t/acme", slug: "acme", path: "/"},
		{name: "slug and slash", target: "/t/acme/", slug: "acme", path: "/"},
		{name: "escaped rest", target: "/t/acme/a%20b/c%3Fd", slug: "acme", path: "/a b/c?d"},
		{name: "escaped rest kept raw", target: "/t/acme/a%41b/c%3Fd", slug: "acme", path: "/aAb/c?d", rawPath: "/a%41b/c%3Fd"},
		{name: "outside the prefix", target: "/admin/", slug: ""},
		{name: "prefix without slash", target: "/t", slug: ""},
		{name: "empty slug", target: "/t/", noTenant: true},
		{name: "empty slug then path", target: "/t//globex/", noTenant: true},
		{name: "dot-dot as slug", target: "/t/../x", noTenant: true},
		{name: "dot as slug", target: "/t/./acme/", noTenant: true},
		{name: "traversal to another tenant", target: "/t/acme/../globex/", noTenant: true},
		{name: "traversal at the end", target: "/t/acme/x/..", noTenant: true},
		{name: "encoded dot-dot", target: "/t/acme/%2e%2e/globex/", noTenant: true},
		{name: "encoded slash in slug", target: "/t/acme%2Fglobex/", noTenant: true},
		{name: "encoded slash in rest", target: "/t/acme/..%2Fglobex/", noTenant: true},
		{name: "encoded slash lower case", target: "/t/acme/a%2fb", noTenant: true},
		{name: "encoded backslash", target: "/t/acme/a%5c..%5cglobex", noTenant: true},
		{name: "escaped prefix", target: "/t%2Fglobex/", noTenant: true},
		{name: "escaped slug letter", target: "/t/%61cme/", noTenant: true},
		{name: "upper-case slug", target: "/t/ACME/", noTenant: true},
		{name: "unknown slug", target: "/t/initech/", noTenant: true},
	} {
		tc.host = "example.com"
		runResolve(t, res, l, tc)
	}
}

func TestHeaderOnlyFromTrustedProxies(t *testing.T) {
	l := newMemLookup(&Tenant{ID: 1, Slug: "acme"})
	trusted, err := netip.ParsePrefix("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"X-Tenant": "acme"}
	for _, tc := range []struct {
		res Resolver
		resolveCase
	}{
		{Header("X-Tenant", nil), resolveCase{name: "no trusted proxies: ignored", remote: "10.1.2.3:5000", header: h}},
		{Header("X-Tenant", []netip.Prefix{trusted}), resolveCase{name: "untrusted peer: ignored", remote: "203.0.113.9:5000", header: h}},
		{Header("X-Tenant", []netip.Prefix{trusted}), resolveCase{name: "trusted peer", remote: "10.1.2.3:5000", header: h, slug: "acme"}},
		{Header("X-Tenant", []netip.Prefix{trusted}), resolveCase{name: "trusted IPv4-mapped peer", remote: "[::ffff:10.1.2.3]:5000", header: h, slug: "acme"}},
		{Header("X-Tenant", []netip.Prefix{trusted}), resolveCase{name: "trusted peer, unknown tenant", remote: "10.1.2.3:5000", header: map[string]string{"X-Tenant": "initech"}, noTenant: true}},
		{Header("X-Tenant", []netip.Prefix{trusted}), resolveCase{name: "trusted peer, malformed", remote: "10.1.2.3:5000", header: map[string]string{"X-Tenant": "../acme"}, noTenant: true}},
		{Header("X-Tenant", []netip.Prefix{trusted}), resolveCase{name: "no header", remote: "10.1.2.3:5000"}},
	} {
		tc.host, tc.target = "example.com", "/"
		runResolve(t, tc.res, l, tc.resolveCase)
	}
	for _, res := range DefaultResolvers("example.com") {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = "example.com"
		r.RemoteAddr = "10.1.2.3:5000"
		r.Header.Set("X-Tenant", "acme")
		if got, _, _ := res.Resolve(r, l); got != nil {
			t.Errorf("a default resolver honoured X-Tenant")
		}
	}
}
