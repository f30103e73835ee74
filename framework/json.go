package framework

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/quarry-go/quarry/framework/middleware"
)

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	writeJSONAs(w, "application/json", status, v)
}

func writeJSONAs(w http.ResponseWriter, contentType string, status int, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v) // the client went away; nothing left to tell it
}

// Problem is an RFC 9457 problem details body. Error repeats Detail for
// clients that read {"error": …}; RequestID is the id to quote to support.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Error     string `json:"error"`
	RequestID string `json:"request_id,omitempty"`
}

// ProblemContentType is the media type of a [Problem] body.
const ProblemContentType = "application/problem+json"

// WriteError answers status with a problem details body (Content-Type
// application/problem+json) whose detail and error members are msg. msg is
// shown to the client: never put database or internal error text in it.
func WriteError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	writeJSONAs(w, ProblemContentType, status, Problem{
		Type: "about:blank", Title: http.StatusText(status), Status: status,
		Detail: msg, Error: msg, RequestID: middleware.RequestIDFrom(r.Context()),
	})
}

// StatusClientClosedRequest (nginx's 499) is the status recorded for a
// request whose client went away before it was answered.
const StatusClientClosedRequest = 499

// ClientGone reports whether err comes from r's context having ended: the
// client disconnected, or the server cancelled its in-flight requests at
// shutdown. That is not a server error.
func ClientGone(r *http.Request, err error) bool {
	return r.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

// ServerError answers an unexpected error: logged at ERROR with what
// (e.g. "create post"), the error and the request id, and answered 500
// "internal error" without the error's text. When the request's context
// ended first (see [ClientGone]) it is logged at DEBUG and recorded as 499,
// so that metrics and alerts count no server error.
func ServerError(w http.ResponseWriter, r *http.Request, log *slog.Logger, what string, err error) {
	id := middleware.RequestIDFrom(r.Context())
	if ClientGone(r, err) {
		log.DebugContext(r.Context(), what+": client gone", "error", err, "request_id", id)
		w.WriteHeader(StatusClientClosedRequest)
		return
	}
	log.ErrorContext(r.Context(), what, "error", err, "request_id", id)
	WriteError(w, r, http.StatusInternalServerError, "internal error")
}
