package middleware

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies parses a comma-separated list of CIDRs or single
// addresses (QUARRY_TRUSTED_PROXIES), e.g. "10.0.0.0/8, 127.0.0.1, ::1".
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
				p = netip.PrefixFrom(a.Unmap(), p.Bits()-96) // addresses are compared unmapped
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR such as 10.0.0.0/8", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

type clientIPKey struct{}

// ClientIP finds each request's client address and puts it in the context
// (read it with [ClientIPFrom]). The connection's address is the client's
// unless it is one of the trusted proxies; then X-Forwarded-For is read
// from the right, skipping trusted proxies, and the first address that is
// not one is the client (addresses further left were written by the client
// itself and prove nothing). With no trusted proxies the header is ignored.
func ClientIP(trusted []netip.Prefix) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if len(trusted) == 0 {
			return next // ClientIPFrom reads the connection's address
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ip := clientAddr(r, trusted)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientIPKey{}, ip)))
		})
	}
}

// ClientIPFrom returns the client address [ClientIP] found for the
// request, or, for a request that did not pass through it, the address of
// the connection (without the port).
func ClientIPFrom(r *http.Request) string {
	if ip, ok := r.Context().Value(clientIPKey{}).(string); ok {
		return ip
	}
	return remoteHost(r.RemoteAddr)
}

func remoteHost(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	remote := remoteHost(r.RemoteAddr)
	peer, err := netip.ParseAddr(remote)
	if err != nil || !isTrusted(peer, trusted) {
		return remote
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue
		}
		a, ok := parseHop(hop)
		if !ok {
			// Not an address: the proxy that wrote it is misconfigured, but
			// it is still this client's mark, and the proxy's own address
			// would lump every client together.
			return hop[:min(len(hop), 64)]
		}
		if !isTrusted(a, trusted) {
			return a.Unmap().String()
		}
	}
	return remote // every hop is a trusted proxy
}

// parseHop reads an X-Forwarded-For entry: an address, or one with a port
// ("203.0.113.9:4711", "[2001:db8::1]:4711") or in brackets, as some
// proxies write them.
func parseHop(hop string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(hop); err == nil {
		return a, true
	}
	if ap, err := netip.ParseAddrPort(hop); err == nil {
		return ap.Addr(), true
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(hop, "["), "]")); err == nil {
		return a, true
	}
	return netip.Addr{}, false
}
