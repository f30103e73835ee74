package middleware

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

// quiet logs nothing: tests of Observe's other parts need no access log.
var quiet = slog.New(slog.DiscardHandler)

func TestClientIP(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 127.0.0.1, ::1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		trusted bool
		remote  string
		xff     []string
		want    string
	}{
		{"no proxies trusted: header ignored", false, "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9"},
		{"untrusted peer: header ignored", true, "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9"},
		{"trusted peer, one hop", true, "10.1.2.3:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"spoofed left hop ignored", true, "10.1.2.3:5000", []string{"1.1.1.1, 198.51.100.1"}, "198.51.100.1"},
		{"chain of trusted proxies", true, "127.0.0.1:5000", []string{"198.51.100.1, 10.0.0.5", "10.0.0.6"}, "198.51.100.1"},
		{"all hops trusted", true, "10.1.2.3:5000", []string{"10.0.0.5"}, "10.1.2.3"},
		{"no header", true, "10.1.2.3:5000", nil, "10.1.2.3"},
		{"hop that is no address", true, "10.1.2.3:5000", []string{"198.51.100.1, not-an-ip"}, "not-an-ip"},
		{"hop with a port", true, "10.1.2.3:5000", []string{"198.51.100.1:4711"}, "198.51.100.1"},
		{"IPv6 hop with a port", true, "10.1.2.3:5000", []string{"[2001:db8::1]:4711"}, "2001:db8::1"},
		{"IPv6 hop in brackets", true, "10.1.2.3:5000", []string{"[2001:db8::2]"}, "2001:db8::2"},
		{"trusted hop with a port is skipped", true, "10.1.2.3:5000", []string{"198.51.100.1, 10.0.0.9:80"}, "198.51.100.1"},
		{"IPv6 peer", true, "[::1]:5000", []string{"2001:db8::1"}, "2001:db8::1"},
		{"IPv4-mapped peer", true, "[::ffff:10.1.2.3]:5000", []string{"198.51.100.1"}, "198.51.100.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var list = trusted
			if !tc.trusted {
				list = nil
			}
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			var got string
			Observe(quiet, list, nil)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = ClientIPFrom(r) })).ServeHTTP(httptest.NewRecorder(), r)
			if got != tc.want {
				t.Fatalf("client = %q, want %q", got, tc.want)
			}
		})
	}
	// An IPv4-mapped prefix trusts the IPv4 addresses it maps.
	mapped, err := ParseTrustedProxies("::ffff:10.0.0.0/104")
	if err != nil || len(mapped) != 1 || !isTrusted(netip.MustParseAddr("10.9.8.7"), mapped) || isTrusted(netip.MustParseAddr("11.0.0.1"), mapped) {
		t.Errorf("IPv4-mapped prefix: %v, %v", mapped, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "nonsense", "10.0.0.1/8/8"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q) accepted", bad)
		}
	}
}
