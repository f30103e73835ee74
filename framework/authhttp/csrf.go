package authhttp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
)

// CSRF protection has two layers. Unsafe cross-origin requests are refused
// by their Origin / Sec-Fetch-Site headers (net/http's
// CrossOriginProtection); that alone covers JSON, which browsers cannot
// send cross-origin without CORS. Forms also carry a token: the HMAC,
// under the app's secret key (Options.Keys), of a random value kept in the
// quarry_csrf cookie (HttpOnly, SameSite=Lax, Secure like the session
// cookie). The token lives in a signed cookie rather than in the session
// so that an anonymous visitor's login form writes no session row; the
// value is replaced at login and logout.

// CSRFCookie is the name of the cookie holding the CSRF value.
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

func readCSRF(r *http.Request) *csrfState {
	if c, err := r.Cookie(CSRFCookie); err == nil {
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
	return b64.EncodeToString(a.keys.Sign(csrfPurpose, []byte(st.value)))
}

// rotateCSRF gives the client a new CSRF value, so that a token seen
// before a login or logout is worthless after it.
func rotateCSRF(ctx context.Context) {
	if st := csrfFrom(ctx); st != nil {
		st.value, st.rotated = newCSRFValue(), true
	}
}

// checkCSRF refuses unsafe cross-origin requests, and unsafe requests
// other than JSON without a valid token (in X-CSRF-Token, or in the
// csrf_token field of a url-encoded form, read within MaxFormBytes).
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
	st := csrfFrom(r.Context())
	if got == "" || st == nil || st.fresh {
		return errors.New("missing token; reload the page and try again")
	}
	sig, err := b64.DecodeString(got)
	if err != nil || !a.keys.Verify(csrfPurpose, []byte(st.value), sig) {
		return errors.New("wrong token; reload the page and try again")
	}
	return nil
}

// csrfWriter adds the CSRF cookie to the response's headers when they are
// written, if the handler handed out a token for a new value or rotated it.
type csrfWriter struct {
	http.ResponseWriter
	a           *Auth
	st          *csrfState
	wroteHeader bool
}

func (cw *csrfWriter) WriteHeader(code int) {
	if !cw.wroteHeader {
		cw.wroteHeader = true
		if cw.st.rotated || cw.st.fresh && cw.st.used {
			sc := cw.a.opts.Sessions.Cookie
			http.SetCookie(cw.ResponseWriter, &http.Cookie{
				Name: CSRFCookie, Value: cw.st.value, Path: "/", Domain: sc.Domain,
				MaxAge: int(cw.a.opts.Sessions.Lifetime.Seconds()), HttpOnly: true, Secure: sc.Secure, SameSite: http.SameSiteLaxMode,
			})
		}
	}
	cw.ResponseWriter.WriteHeader(code)
}

func (cw *csrfWriter) Write(b []byte) (int, error) {
	if !cw.wroteHeader {
		cw.WriteHeader(http.StatusOK)
	}
	return cw.ResponseWriter.Write(b)
}

// Flush lets streamed responses (such as the admin's CSV export) through.
func (cw *csrfWriter) Flush() {
	if !cw.wroteHeader {
		cw.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(cw.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController the underlying writer.
func (cw *csrfWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }
