package tenancy

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/framework"
)

func TestMiddlewareOutcomes(t *testing.T) {
	ts, open, _ := sqliteTenants(t, 2)
	ts[1].Status = StatusSuspended // as a lookup that does not refuse it itself would return it
	l := newMemLookup(ts...)
	broken := &Tenant{ID: 99, Slug: "broken", Status: StatusActive, Mode: ModeDatabase, DatabaseURL: "nonsense://x"}
	l.slugs["broken"] = broken
	pools := newTestPools(t, PoolOptions{Open: open})
	if _, err := Middleware(Options{Pools: pools, Resolvers: DefaultResolvers("example.test")}); err == nil {
		t.Fatal("no Lookup accepted")
	}
	if _, err := Middleware(Options{Lookup: l, Pools: pools}); err == nil {
		t.Fatal("no resolvers accepted")
	}
	for _, bad := range []Options{
		{Lookup: l, Resolvers: DefaultResolvers("example.test")},
		{Lookup: l, Pools: pools, Resolvers: DefaultResolvers("example.test"), ApexHosts: []string{"example.test:80/x"}},
		{Lookup: l, Pools: pools, Resolvers: DefaultResolvers("example.test"), ApexHosts: []string{""}},
		{Lookup: l, Pools: pools, Resolvers: DefaultResolvers("example.test"), SharedTables: []string{"tags", ""}},
	} {
		if _, err := Middleware(bad); err == nil {
			t.Errorf("Middleware accepted %+v", bad)
		}
	}
	main := &framework.Database{}
	final := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tn, d := From(r.Context()), framework.DatabaseFrom(r.Context())
		// A tenant's objects go under its own key prefix; the apex's under none.
		if p := framework.KeyPrefix(r.Context()); (tn == nil && p != "") || (tn != nil && p != "tenants/"+tn.Slug+"/") {
			t.Errorf("tenant %v with key prefix %q", tn, p)
		}
		switch {
		case tn == nil && d == main:
			_, _ = w.Write([]byte("apex " + r.URL.Path))
		case tn != nil && d != nil && d != main:
			_, _ = w.Write([]byte("tenant " + tn.Slug + " " + r.URL.Path))
		default:
			t.Errorf("tenant %v with database %v", tn, d)
		}
	})
	serve := func(opts Options, host, target string) (int, string) {
		opts.Lookup, opts.Pools = l, pools
		if opts.Resolvers == nil {
			opts.Resolvers = DefaultResolvers("example.test")
		}
		mw, err := Middleware(opts)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", target, nil)
		r.Host = host
		r = r.WithContext(framework.WithDatabase(r.Context(), main))
		rec := httptest.NewRecorder()
		mw(final).ServeHTTP(rec, r)
		return rec.Code, rec.Body.String()
	}
	for _, tc := range []struct {
		name         string
		opts         Options
		host, target string
		code         int
		body         string
	}{
		{"tenant by subdomain", Options{}, "t1.example.test", "/x", 200, "tenant t1 /x"},
		{"tenant by path", Options{}, "example.test", "/t/t1/x", 200, "tenant t1 /x"},
		{"apex", Options{}, "example.test", "/x", 200, "apex /x"},
		{"any host is the apex without ApexHosts", Options{}, "localhost:8000", "/x", 200, "apex /x"},
		{"unknown host with ApexHosts", Options{ApexHosts: []string{"example.test"}}, "elsewhere.test", "/x", 404, "Not found"},
		{"apex host listed", Options{ApexHosts: []string{"Example.Test"}}, "example.test:443", "/x", 200, "apex /x"},
		{"NoApex", Options{NoApex: true}, "example.test", "/x", 404, "Not found"},
		{"suspended", Options{}, "t2.example.test", "/x", 404, "Not found"},
		{"unknown", Options{}, "t3.example.test", "/x", 404, "Not found"},
		{"a pool that cannot open is a server error, not the apex", Options{}, "broken.example.test", "/x", 500, "internal error"},
	} {
		code, body := serve(tc.opts, tc.host, tc.target)
		if code != tc.code || !strings.Contains(body, tc.body) {
			t.Errorf("%s: %d %q, want %d %q", tc.name, code, body, tc.code, tc.body)
		}
	}
	l.failing = errors.New("registry down")
	if code, _ := serve(Options{}, "t1.example.test", "/x"); code != 500 {
		t.Errorf("lookup failure: %d, want 500", code)
	}
	l.failing = nil

}
