package api

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quarry-go/quarry/examples/blog/db"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/textinput"
	"github.com/quarry-go/quarry/queries"
)

type postJSON struct {
	ID          int64     `json:"id"`
	Author      authorRef `json:"author"`
	Title       string    `json:"title"`
	Slug        string    `json:"slug"`
	Body        *string   `json:"body,omitempty"`
	Published   bool      `json:"published"`
	PublishedAt *string   `json:"published_at"`
	CreatedAt   string    `json:"created_at"`
	Tags        *[]string `json:"tags,omitempty"`
}

type authorRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func nullTimeJSON(t sql.NullTime) *string {
	if !t.Valid {
		return nil
	}
	s := timeJSON(t.Time)
	return &s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (h *handlers) postList(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r, "limit", 20, 1, 100)
	if err == nil {
		var offset int64
		offset, err = queryInt(r, "offset", 0, 0, 1<<40)
		if err == nil {
			h.postPage(w, r, limit, offset)
			return
		}
	}
	framework.WriteError(w, r, http.StatusBadRequest, err.Error())
}

func (h *handlers) postPage(w http.ResponseWriter, r *http.Request, limit, offset int64) {
	q := db.Queries(framework.DatabaseFrom(r.Context()))
	rows, err := q.PostList(r.Context(), db.PostListParams{Limit: limit, Offset: offset})
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	total, err := q.PostCount(r.Context())
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	out := make([]postJSON, len(rows))
	for i, p := range rows {
		out[i] = postJSON{ID: p.ID, Author: authorRef{ID: p.AuthorID, Name: p.AuthorName}, Title: p.Title,
			Slug: p.Slug, Published: p.Published, PublishedAt: nullTimeJSON(p.PublishedAt), CreatedAt: timeJSON(p.CreatedAt)}
	}
	framework.WriteJSON(w, http.StatusOK, map[string]any{"posts": out, "total": total, "limit": limit, "offset": offset})
}

func (h *handlers) postGet(w http.ResponseWriter, r *http.Request) {
	h.writePost(w, r, r.PathValue("slug"), http.StatusOK)
}

// writePost answers with the post at slug, its author and tags.
func (h *handlers) writePost(w http.ResponseWriter, r *http.Request, slug string, status int) {
	q := db.Queries(framework.DatabaseFrom(r.Context()))
	p, err := q.PostGetBySlug(r.Context(), slug)
	if errors.Is(err, queries.ErrNotFound) {
		framework.WriteError(w, r, http.StatusNotFound, "no such post")
		return
	} else if err != nil {
		h.internalError(w, r, err)
		return
	}
	tags, err := q.PostTagNames(r.Context(), p.ID)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if tags == nil {
		tags = []string{}
	}
	framework.WriteJSON(w, status, postJSON{ID: p.ID, Author: authorRef{ID: p.AuthorID, Name: p.AuthorName},
		Title: p.Title, Slug: p.Slug, Body: &p.Body, Published: p.Published, PublishedAt: nullTimeJSON(p.PublishedAt),
		CreatedAt: timeJSON(p.CreatedAt), Tags: &tags})
}

func (h *handlers) postDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	n, err := db.Queries(framework.DatabaseFrom(r.Context())).PostDelete(r.Context(), id)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if n == 0 {
		framework.WriteError(w, r, http.StatusNotFound, "no such post")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type postInput struct {
	AuthorID  int64    `json:"author_id"`
	Title     string   `json:"title"`
	Slug      string   `json:"slug"`
	Body      string   `json:"body"`
	Published bool     `json:"published"`
	Tags      []string `json:"tags"`
}

var (
	slugRe = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	tagRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
)

func (in *postInput) validate() validationError {
	v := validationError{}
	in.Title = strings.TrimSpace(in.Title)
	if in.AuthorID <= 0 {
		v["author_id"] = "required: the id of an existing author"
	}
	if v.text("title", in.Title, 200) && in.Title == "" {
		v["title"] = "required"
	}
	if v.text("slug", in.Slug, 200) && !slugRe.MatchString(in.Slug) {
		v["slug"] = "lowercase letters, digits and single hyphens, e.g. hello-world"
	}
	v.text("body", in.Body, maxText)
	if len(in.Tags) > 20 {
		v["tags"] = "at most 20 tags"
	}
	for _, t := range in.Tags {
		if err := textinput.Check("a tag", t, 64); err != nil {
			v["tags"] = err.Error()
			break
		}
		if !tagRe.MatchString(t) {
			v["tags"] = fmt.Sprintf("tag %q: lowercase letters, digits and hyphens, at most 64", t)
			break
		}
	}
	if len(v) == 0 {
		return nil
	}
	return v
}

func (h *handlers) postCreate(w http.ResponseWriter, r *http.Request) {
	var in postInput
	if !decodeJSON(w, r, &in) {
		return
	}
	if v := in.validate(); v != nil {
		writeValidation(w, r, v)
		return
	}
	d := framework.DatabaseFrom(r.Context())
	err := createPost(r.Context(), d, in)
	switch {
	case errors.Is(err, queries.ErrConflict):
		w.Header().Set("Retry-After", "1")
		framework.WriteError(w, r, http.StatusServiceUnavailable, "the database is busy; retry")
	case errors.Is(err, queries.ErrUniqueViolation):
		writeValidation(w, r, validationError{"slug": "a post with this slug exists"})
	case errors.Is(err, queries.ErrForeignKeyViolation):
		writeValidation(w, r, validationError{"author_id": "no author with this id"})
	case err != nil:
		h.internalError(w, r, err)
	default:
		w.Header().Set("Location", "/api/posts/"+in.Slug)
		h.writePost(w, r, in.Slug, http.StatusCreated)
	}
}

// createPost writes the post, its tags and their links in one transaction,
// so a failure leaves nothing behind. Tags are taken in sorted order, so two
// posts sharing tags lock them in the same order; a transaction that still
// loses a deadlock or lock wait is run again by InTx. Errors come back
// classified.
func createPost(ctx context.Context, d *framework.Database, in postInput) error {
	tags := slices.Compact(slices.Sorted(slices.Values(in.Tags)))
	return d.InTx(ctx, nil, func(tx *framework.Tx) error {
		q := db.Queries(tx)
		tagIDs := make([]int64, len(tags))
		for i, name := range tags {
			var err error
			if tagIDs[i], err = q.TagEnsure(ctx, name); err != nil {
				return err
			}
		}
		var publishedAt sql.NullTime
		if in.Published {
			publishedAt = sql.NullTime{Time: time.Now().UTC(), Valid: true}
		}
		postID, err := q.PostCreate(ctx, db.PostCreateParams{AuthorID: in.AuthorID, Title: in.Title, Slug: in.Slug,
			Body: in.Body, Published: in.Published, PublishedAt: publishedAt})
		if err != nil {
			return err
		}
		for _, tagID := range tagIDs {
			if err := q.PostTagAdd(ctx, db.PostTagAddParams{PostID: postID, TagID: tagID}); err != nil {
				return err
			}
		}
		return nil
	})
}
