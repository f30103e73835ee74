package authhttp

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/framework/middleware"
)

// MaxFormBytes bounds the url-encoded forms the middleware reads for the
// CSRF token (login, password and admin forms).
const MaxFormBytes = 4 << 20

type pageData struct {
	Kind, Title, Action, CSRF, Next, Username, Error, Done string
}

// Mount registers the login, logout and change-password pages.
func (a *Auth) Mount(r *http.ServeMux) {
	r.HandleFunc("GET "+a.opts.LoginPath, pageHeaders(a.loginPage))
	r.HandleFunc("POST "+a.opts.LoginPath, pageHeaders(a.login))
	r.HandleFunc("POST "+a.opts.LogoutPath, pageHeaders(a.logout))
	r.HandleFunc("GET "+a.opts.PasswordPath, pageHeaders(a.RequireLogin(http.HandlerFunc(a.passwordPage)).ServeHTTP))
	r.HandleFunc("POST "+a.opts.PasswordPath, pageHeaders(a.RequireLogin(http.HandlerFunc(a.changePassword)).ServeHTTP))
}

// SetPageHeaders sets the headers of a page that shows or takes private
// data (the login, logout and password pages, the admin): never cached,
// never framed, no content sniffing, no referrer sent off-site.
func SetPageHeaders(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

// pageHeaders applies SetPageHeaders to every answer of the identity pages,
// redirects and errors included.
func pageHeaders(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		SetPageHeaders(w.Header())
		h(w, r)
	}
}

func (a *Auth) render(w http.ResponseWriter, r *http.Request, status int, d pageData) {
	d.CSRF = a.CSRFToken(r.Context())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := a.tmpl.ExecuteTemplate(w, "login", d); err != nil {
		a.log.ErrorContext(r.Context(), "render page", "error", err)
	}
}

func (a *Auth) loginPage(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, pageData{Kind: "login", Title: "Log in", Action: at(r, a.opts.LoginPath), Next: safeNext(r, r.URL.Query().Get("next"))})
}

func (a *Auth) login(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		a.deny(w, r, http.StatusUnsupportedMediaType, "send the login as application/x-www-form-urlencoded (fields username, password, csrf_token)")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
	if err := r.ParseForm(); err != nil {
		a.deny(w, r, http.StatusBadRequest, "malformed form")
		return
	}
	username, password, next := r.PostForm.Get("username"), r.PostForm.Get("password"), safeNext(r, r.PostForm.Get("next"))
	d := framework.DatabaseFrom(r.Context())
	svc := auth.New(d)
	u, err := svc.Login(r.Context(), auth.NewThrottle(d), username, password, middleware.ClientIPFrom(r))
	page := pageData{Kind: "login", Title: "Log in", Action: at(r, a.opts.LoginPath), Next: next, Username: username}
	var throttled *auth.ThrottledError
	switch {
	case errors.As(err, &throttled):
		page.Error = retryAfter(w, throttled)
		a.respondLogin(w, r, http.StatusTooManyRequests, page)
		return
	case errors.Is(err, auth.ErrInvalidCredentials):
		page.Error = "Invalid username or password."
		a.respondLogin(w, r, http.StatusUnauthorized, page)
		return
	case err != nil && framework.ClientGone(r, err):
		framework.ServerError(w, r, a.log, "login", err)
		return
	case err != nil:
		a.log.ErrorContext(r.Context(), "login", "error", err, "request_id", middleware.RequestIDFrom(r.Context()))
		page.Error = "Something went wrong (request " + middleware.RequestIDFrom(r.Context()) + "). Try again."
		a.respondLogin(w, r, http.StatusInternalServerError, page)
		return
	}
	// A new session token at login defeats session fixation; a new CSRF
	// value too.
	if err := a.LogIn(r.Context(), u); err != nil {
		framework.ServerError(w, r, a.log, "renew session", err)
		return
	}
	if wantsJSON(r) {
		framework.WriteJSON(w, http.StatusOK, map[string]any{"id": u.ID, "username": u.Username, "next": next})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// retryAfter sets the Retry-After header of a throttled answer and returns
// the message for the page.
func retryAfter(w http.ResponseWriter, e *auth.ThrottledError) string {
	w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Round(time.Second).Seconds())))
	wait := e.RetryAfter.Round(time.Second)
	if wait >= time.Minute {
		wait = wait.Round(time.Minute)
	}
	return "Too many failed attempts. Try again in " + wait.String() + "."
}

func (a *Auth) respondLogin(w http.ResponseWriter, r *http.Request, status int, page pageData) {
	if wantsJSON(r) {
		framework.WriteError(w, r, status, page.Error)
		return
	}
	a.render(w, r, status, page)
}

func (a *Auth) logout(w http.ResponseWriter, r *http.Request) {
	if err := a.opts.Sessions.Destroy(r.Context()); err != nil {
		framework.ServerError(w, r, a.log, "logout", err)
		return
	}
	rotateCSRF(r.Context())
	if wantsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, at(r, a.opts.LoginPath), http.StatusSeeOther)
}

func (a *Auth) passwordPage(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusOK, pageData{Kind: "password", Title: "Change password", Action: at(r, a.opts.PasswordPath)})
}

// changePassword needs the current password; on success every other
// session of the user ends (their password stamp no longer matches) and
// this one continues under a new token.
func (a *Auth) changePassword(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
	if err := r.ParseForm(); err != nil {
		a.deny(w, r, http.StatusBadRequest, "malformed form")
		return
	}
	u, _ := UserFrom(r.Context())
	page := pageData{Kind: "password", Title: "Change password", Action: at(r, a.opts.PasswordPath)}
	d := framework.DatabaseFrom(r.Context())
	svc := auth.New(d)
	err := svc.CheckPassword(r.Context(), auth.NewThrottle(d), u, r.PostForm.Get("current"), middleware.ClientIPFrom(r))
	var throttled *auth.ThrottledError
	switch {
	case errors.As(err, &throttled):
		page.Error = retryAfter(w, throttled)
		a.render(w, r, http.StatusTooManyRequests, page)
		return
	case errors.Is(err, auth.ErrInvalidCredentials):
		page.Error = "The current password is wrong."
		a.render(w, r, http.StatusUnprocessableEntity, page)
		return
	case err != nil:
		framework.ServerError(w, r, a.log, "change password", err)
		return
	}
	if r.PostForm.Get("new1") != r.PostForm.Get("new2") {
		page.Error = "The new passwords do not match."
		a.render(w, r, http.StatusUnprocessableEntity, page)
		return
	}
	if err := svc.SetPassword(r.Context(), u.Username, r.PostForm.Get("new1")); errors.Is(err, auth.ErrWeakPassword) {
		page.Error = err.Error()
		a.render(w, r, http.StatusUnprocessableEntity, page)
		return
	} else if err != nil {
		framework.ServerError(w, r, a.log, "change password", err)
		return
	}
	fresh, err := svc.UserByID(r.Context(), u.ID)
	if err == nil {
		err = a.opts.Sessions.RenewToken(r.Context())
	}
	if err != nil {
		framework.ServerError(w, r, a.log, "change password", err)
		return
	}
	a.opts.Sessions.Put(r.Context(), keyPwChanged, pwStamp(fresh))
	page.Done = "Your password was changed. Other sessions have been logged out."
	a.render(w, r, http.StatusOK, page)
}
