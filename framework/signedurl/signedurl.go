// Package signedurl makes links that carry their own permission — a
// magic login link, a download that expires — and checks them.
//
// A link is signed over its method, host, path, query and expiry with
// the app's keys (a [signing.Keyring]: links signed before a key rotation
// still verify while the old key is among QUARRY_SECRET_KEY_FALLBACKS),
// the MAC compared in constant time. Changing any part of the link, or
// using it after its expiry, on another host (another tenant's
// subdomain), under another path prefix (another tenant's /t/<name>) or
// for another use (Signer.Purpose) makes it invalid. A link signed for
// GET also serves HEAD.
//
// What a link does not cover: a request body (for a POST link, read
// parameters from the query only), and how many times it is used — it
// works until it expires; a single-use link needs a nonce the app
// records.
//
//	s := &signedurl.Signer{Keys: app.Keys(), Purpose: "download"}
//	link, _ := s.Sign("GET", "https://example.com/files/report.pdf?v=2", time.Hour)
//	r.Handle("GET /files/", s.Require(files))
package signedurl

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/signing"
)

// The query parameters a signed link carries.
const (
	ParamExpires   = "expires"   // Unix seconds
	ParamSignature = "signature" // URL-safe base64 of the MAC
)

// MaxTTL bounds how long a link lives.
const MaxTTL = 30 * 24 * time.Hour

var (
	// ErrInvalid is a link that is not signed, or not as it was signed.
	ErrInvalid = errors.New("signedurl: the link is not valid")
	// ErrExpired is a signed link past its expiry.
	ErrExpired = errors.New("signedurl: the link has expired")
)

// Signer signs links and verifies requests made with them.
type Signer struct {
	// Keys sign the links: app.Keys(), so that every instance accepts
	// the others' links and rotation works. Required.
	Keys *signing.Keyring
	// Purpose separates one use's links from another's: a link signed
	// for "download" does not verify for "login". Default "url".
	Purpose string
	// Now is the clock (tests inject one). Default time.Now.
	Now func() time.Time
}

func (s *Signer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Signer) purpose() string {
	if s.Purpose == "" {
		return "signedurl.url"
	}
	return "signedurl." + s.Purpose
}

// Sign returns target, an absolute URL (scheme and host: the host is
// signed, so the link works on that host only), with the expiry and the
// signature for method added to its query. It refuses a relative URL, a
// query already carrying expires or signature, and a ttl outside (0,
// MaxTTL].
func (s *Signer) Sign(method, target string, ttl time.Duration) (string, error) {
	if s == nil || s.Keys == nil {
		return "", errors.New("signedurl: Signer.Keys is required")
	}
	if method == "" || strings.ToUpper(method) != method {
		return "", fmt.Errorf("signedurl: method %q: give it in capitals, such as GET", method)
	}
	if ttl <= 0 || ttl > MaxTTL {
		return "", fmt.Errorf("signedurl: ttl %s: give one from 1s to %s", ttl, MaxTTL)
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("signedurl: %q: give an absolute URL (https://host/path?query) without user or fragment", target)
	}
	for _, r := range u.Host {
		if r >= utf8.RuneSelf {
			return "", fmt.Errorf("signedurl: %q: give the host in ASCII (an international name as its xn-- form)", target)
		}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", fmt.Errorf("signedurl: %q: its query does not parse (%v): a part of it would be lost", target, err)
	}
	if q.Has(ParamExpires) || q.Has(ParamSignature) {
		return "", fmt.Errorf("signedurl: %q: its query already has %s or %s", target, ParamExpires, ParamSignature)
	}
	q.Set(ParamExpires, strconv.FormatInt(s.now().Add(ttl).Unix(), 10))
	q.Set(ParamSignature, base64.RawURLEncoding.EncodeToString(s.Keys.Sign(s.purpose(), payload(method, u.Host, u.EscapedPath(), q))))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// payload is what a link's signature covers: the method (HEAD as GET),
// the host (lower case, without the default ports), the path and the
// query without the signature, in a canonical order (keys sorted, each
// key's values in their order).
func payload(method, host, path string, q url.Values) []byte {
	if method == http.MethodHead {
		method = http.MethodGet
	}
	host = strings.ToLower(host)
	host = strings.TrimSuffix(strings.TrimSuffix(host, ":443"), ":80")
	rest := url.Values{}
	for k, v := range q {
		if k != ParamSignature {
			rest[k] = v
		}
	}
	return []byte(method + "\n" + host + "\n" + path + "\n" + rest.Encode())
}

// Verify reports whether r was made with a link s signed for r's method,
// host, path (with the app's base path, framework.BasePath) and query:
// nil, ErrExpired, or ErrInvalid.
func (s *Signer) Verify(r *http.Request) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return ErrInvalid // a part no signature covers
	}
	sigs, exps := q[ParamSignature], q[ParamExpires]
	if len(sigs) != 1 || len(exps) != 1 {
		return ErrInvalid
	}
	sig, err := base64.RawURLEncoding.DecodeString(sigs[0])
	if err != nil {
		return ErrInvalid
	}
	exp, err := strconv.ParseInt(exps[0], 10, 64)
	if err != nil {
		return ErrInvalid
	}
	path := framework.BasePath(r.Context()) + r.URL.EscapedPath()
	if !s.Keys.Verify(s.purpose(), payload(r.Method, r.Host, path, q), sig) {
		return ErrInvalid
	}
	// Checked after the signature: an expiry nobody signed says nothing.
	if s.now().Unix() > exp {
		return ErrExpired
	}
	return nil
}

// Require lets through the requests Verify accepts and answers the rest
// with 403 problem details saying why (an expired link, or one that is
// not valid).
func (s *Signer) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch err := s.Verify(r); {
		case errors.Is(err, ErrExpired):
			framework.WriteError(w, r, http.StatusForbidden, "this link has expired: ask for a new one")
		case err != nil:
			framework.WriteError(w, r, http.StatusForbidden, "this link is not valid: use it exactly as it was sent")
		default:
			next.ServeHTTP(w, r)
		}
	})
}
