package framework

import (
	"encoding/json"
	"net/http"

	"github.com/quarry-go/quarry/framework/middleware"
)

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v) // the client went away; nothing left to tell it
}

// ErrorBody is the JSON body of an error response.
type ErrorBody struct {
	Error     string `json:"error"`
	RequestID string `json:"request_id,omitempty"`
}

// WriteError writes {"error": msg, "request_id": …} with the given status.
// msg is shown to the client: never put database or internal error text in it.
func WriteError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	WriteJSON(w, status, ErrorBody{Error: msg, RequestID: middleware.RequestIDFrom(r.Context())})
}
