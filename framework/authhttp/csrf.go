package authhttp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
)

// CSRF protection has two layers. Unsafe cross-origin requests are refused
// by their Origin / Sec-Fetch-Site headers (net/http's
// CrossOriginProtection); that alone covers JSON, which browsers cannot
// send cross-origin without CORS. Forms also carry a token: the HMAC,
// under the app's secret key (Options.Keys), of a random value kept in the
// quarry_csrf cookie (HttpOnly, SameSite=Lax, Secure like the session
// cookie, and named __Host-quarry_csrf when Secure so that a sibling
// subdomain cannot set it) together with the session's user id, so that a
// value planted in a victim's browser yields no token for the victim's
// account. The token lives in a signed cookie rather than in the session
// so that an anonymous visitor's login form writes no session row; the
// value is replaced at login and logout. Under a base path (a tenant's
// /t/acme, framework.BasePath) the cookie's Path is the base path, named
// __Secure-quarry_csrf when Secure (__Host- requires the path /).

// CSRFCookie is the name of the cookie holding the CSRF value (with the
// __Host- prefix when the session cookie is Secure and has no Domain).
const CSRFCookie = "quarry_csrf"

const (
	csrfPurpose  = "authhttp.csrf"
	csrfValueLen = 32
)

var b64 = base64.RawURLEncoding

// csrfState is one request's CSRF value and whether the response must
// (re)send its cookie.
type csrfState struct {
	value   string
	fresh   bool // the request brought no valid cookie
	used    bool // a token was handed out, so a fresh value must be kept
	rotated bool // replaced at login or logout: always sent
}

type csrfKey struct{}

func newCSRFValue() string {
	b := make([]byte, csrfValueLen)
	_, _ = rand.Read(b)
	return b64.EncodeToString(b)
}

// csrfCookieName is the CSRF cookie's name for requests under base (see
// framework.BasePath): __Host- demands the path "/", so a cookie scoped
// to a base path is __Secure- instead.
func (a *Auth) csrfCookieName(base string) string {
	if c := a.opts.Sessions.Cookie; c.Secure && c.Domain == "" {
		if base != "" {
			return "__Secure-" + CSRFCookie
		}
		return "__Host-" + CSRFCookie
	}
	return CSRFCookie
}

func readCSRF(r *http.Request, name string) *csrfState {
	if c, err := r.Cookie(name); err == nil {
		if b, err := b64.DecodeString(c.Value); err == nil && len(b) == csrfValueLen {
			return &csrfState{value: c.Value}
		}
	}
	return &csrfState{value: newCSRFValue(), fresh: true}
}

func csrfFrom(ctx context.Context) *csrfState {
	st, _ := ctx.Value(csrfKey{}).(*csrfState)
	return st
}

// CSRFToken returns the token for the request's forms (the csrf_token
// field or the X-CSRF-Token header). It needs the request to have passed
// through Middleware; elsewhere it returns "".
func (a *Auth) CSRFToken(ctx context.Context) string {
	st := csrfFrom(ctx)
	if st == nil {
		return ""
	}
	st.used = true
	return b64.EncodeToString(a.keys.Sign(csrfPurpose, a.csrfData(ctx, st)))
}

// csrfData is what a token signs: the cookie's value and the session's
// user id (0 when anonymous).
func (a *Auth) csrfData(ctx context.Context, st *csrfState) []byte {
	return []byte(st.value + "|" + strconv.FormatInt(a.opts.Sessions.GetInt64(ctx, keyUserID), 10))
}

// rotateCSRF gives the client a new CSRF value, so that a token seen
// before a login or logout is worthless after it.
func rotateCSRF(ctx context.Context) {
	if st := csrfFrom(ctx); st != nil {
		st.value, st.rotated = newCSRFValue(), true
	}
}

// checkCSRF refuses unsafe cross-origin requests, and unsafe requests
// other than JSON without a valid token (in X-CSRF-Token, in the
// csrf_token field of a url-encoded form, read within MaxFormBytes, or in
// the first part of a multipart form, see multipartToken).
func (a *Auth) checkCSRF(w http.ResponseWriter, r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if err := a.cop.Check(r); err != nil {
		return err
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json" {
		return nil // browsers cannot send cross-origin JSON without CORS; the origin check above applies
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" && mt == "application/x-www-form-urlencoded" {
		r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
		if err := r.ParseForm(); err != nil {
			return errors.New("unreadable form")
		}
		got = r.PostForm.Get(CSRFField)
	}
	if got == "" && mt == "multipart/form-data" {
		got = multipartToken(r)
	}
	st := csrfFrom(r.Context())
	if got == "" || st == nil || st.fresh {
		return errors.New("missing token; reload the page and try again")
	}
	sig, err := b64.DecodeString(got)
	if err != nil || !a.keys.Verify(csrfPurpose, a.csrfData(r.Context(), st), sig) {
		return errors.New("wrong token; reload the page and try again")
	}
	return nil
}

// csrfWriter adds the CSRF cookie to the response's headers before they
// are written (or when the handler returns without writing), if the
// handler handed out a token for a new value or rotated it. It sits inside
// the session's writer, whose first write commits the session.
type csrfWriter struct {
	http.ResponseWriter
	a          *Auth
	st         *csrfState
	base       string // the request's base path: the cookie's path
	cookieDone bool   // the cookie is added, or not needed
	sent       bool   // the status is written
}

func (cw *csrfWriter) WriteHeader(code int) {
	cw.finish()
	cw.sent = true
	cw.ResponseWriter.WriteHeader(code)
}

// finish adds the cookie to the headers, once.
func (cw *csrfWriter) finish() {
	if cw.cookieDone {
		return
	}
	cw.cookieDone = true
	if cw.st.rotated || cw.st.fresh && cw.st.used {
		sc := cw.a.opts.Sessions.Cookie
		path := cw.base
		if path == "" {
			path = "/"
		}
		http.SetCookie(cw.ResponseWriter, &http.Cookie{
			Name: cw.a.csrfCookieName(cw.base), Value: cw.st.value, Path: path, Domain: sc.Domain,
			MaxAge: int(cw.a.opts.Sessions.Lifetime.Seconds()), HttpOnly: true, Secure: sc.Secure, SameSite: http.SameSiteLaxMode,
		})
	}
}

func (cw *csrfWriter) Write(b []byte) (int, error) {
	if !cw.sent {
		cw.WriteHeader(http.StatusOK)
	}
	return cw.ResponseWriter.Write(b)
}

// Flush writes the status first (through the session's writer, so that the
// session is committed and its cookie sent), then flushes.
func (cw *csrfWriter) Flush() {
	if !cw.sent {
		cw.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(cw.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController the underlying writer.
func (cw *csrfWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }

// multipartPeek bounds what multipartToken reads of a body: the part
// headers and a token fit many times over.
const multipartPeek = 8 << 10

// multipartToken returns the csrf_token field of a multipart/form-data
// body when it is the body's first part ("" otherwise), and puts back
// what it read, so that the handler reads the whole body as it came, still
// streaming (a file upload is never held here). Browsers send a form's
// fields in document order: an upload form carries its hidden csrf_token
// input before the file input.
func multipartToken(r *http.Request) string {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return ""
	}
	var seen bytes.Buffer
	body := r.Body
	defer func() {
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(seen.Bytes()), body), body}
	}()
	mr := multipart.NewReader(io.TeeReader(io.LimitReader(body, multipartPeek), &seen), params["boundary"])
	part, err := mr.NextPart()
	if err != nil || part.FormName() != CSRFField || part.FileName() != "" {
		return ""
	}
	v, err := io.ReadAll(io.LimitReader(part, 1<<10))
	if err != nil {
		return ""
	}
	return string(v)
}
