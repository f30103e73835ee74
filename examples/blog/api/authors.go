package api

import (
	"errors"
	"net/http"
	"net/mail"
	"strings"

	"github.com/quarry-go/quarry/examples/blog/db"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/queries"
)

type authorJSON struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	Bio       string `json:"bio"`
	CreatedAt string `json:"created_at"`
}

func authorOut(a db.Author) authorJSON {
	return authorJSON{ID: a.ID, Name: a.Name, Email: a.Email, Bio: a.Bio, CreatedAt: timeJSON(a.CreatedAt)}
}

func (h *handlers) authorList(w http.ResponseWriter, r *http.Request) {
	rows, err := db.Queries(framework.DatabaseFrom(r.Context())).AuthorList(r.Context())
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	out := make([]authorJSON, len(rows))
	for i, a := range rows {
		out[i] = authorOut(a)
	}
	framework.WriteJSON(w, http.StatusOK, map[string]any{"authors": out})
}

func (h *handlers) authorGet(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	a, err := db.Queries(framework.DatabaseFrom(r.Context())).AuthorGet(r.Context(), id)
	if errors.Is(err, queries.ErrNotFound) {
		framework.WriteError(w, r, http.StatusNotFound, "no such author")
		return
	} else if err != nil {
		h.internalError(w, r, err)
		return
	}
	framework.WriteJSON(w, http.StatusOK, authorOut(a))
}

type authorInput struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Bio   string `json:"bio"`
}

func (in *authorInput) validate() validationError {
	v := validationError{}
	in.Name, in.Email = strings.TrimSpace(in.Name), strings.TrimSpace(in.Email)
	if v.text("name", in.Name, 200) && in.Name == "" {
		v["name"] = "required"
	}
	if v.text("email", in.Email, 254) {
		// Emails are compared in lower case on every dialect (MySQL's
		// collation would otherwise ignore case where PostgreSQL and SQLite
		// do not).
		in.Email = strings.ToLower(in.Email)
		if addr, err := mail.ParseAddress(in.Email); err != nil || addr.Address != in.Email || len(in.Email) > 254 {
			v["email"] = "must be a plain email address such as ada@example.com"
		}
	}
	v.text("bio", in.Bio, maxText)
	if len(v) == 0 {
		return nil
	}
	return v
}

func (h *handlers) authorCreate(w http.ResponseWriter, r *http.Request) {
	var in authorInput
	if !decodeJSON(w, r, &in) {
		return
	}
	if v := in.validate(); v != nil {
		writeValidation(w, r, v)
		return
	}
	q := db.Queries(framework.DatabaseFrom(r.Context()))
	id, err := q.AuthorCreate(r.Context(), db.AuthorCreateParams{Name: in.Name, Email: in.Email, Bio: in.Bio})
	if errors.Is(err, queries.ErrUniqueViolation) {
		writeValidation(w, r, validationError{"email": "an author with this email exists"})
		return
	} else if err != nil {
		h.internalError(w, r, err)
		return
	}
	a, err := q.AuthorGet(r.Context(), id)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/authors/"+itoa(id))
	framework.WriteJSON(w, http.StatusCreated, authorOut(a))
}
