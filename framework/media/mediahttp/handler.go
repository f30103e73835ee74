// Package mediahttp serves a media service (framework/media) as a JSON
// REST API: see Handler.
package mediahttp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/media"
)

// Handler returns the REST API of svc's media served under prefix (such
// as "/media", no trailing slash), to mount there behind a's Middleware:
//
//	app.Router().Handle("/media/", mediahttp.Handler(svc, auth, "/media"))
//
// Routes, under prefix (JSON in and out; errors are problem details):
//
//	GET    /                    list: ?collection= &tag= &type= &q= &before= &limit= &status=
//	POST   /                    upload through the server: multipart/form-data, a "file" part,
//	                            optional fields (before it) collection, public, alt_text, tags
//	GET    /{id}                one media, with a short-lived url (and thumbnail_url)
//	GET    /{id}/content        302 to the file (?thumb=WIDTH: its thumbnail)
//	PATCH  /{id}                {filename, alt_text, public, collection_id, tags}
//	DELETE /{id}                soft delete
//	POST   /{id}/restore        undo a delete
//	POST   /uploads             begin a direct upload: {filename, content_type, size, ...}
//	POST   /{id}/finalize       finish it, once the PUT succeeded
//	GET    /collections         POST /collections {name, parent_id}
//	PATCH  /collections/{id}    DELETE /collections/{id}
//	GET    /tags                DELETE /tags/{id}
//
// Reading needs media.PermView, uploading media.PermAdd, editing and restoring
// media.PermChange, deleting media.PermDelete. Users need an account; requests
// without one get 401. A media's owner is the user who uploaded it, and
// only they may finalize its direct upload.
func Handler(svc *media.Service, a *authhttp.Auth, prefix string) http.Handler {
	s := &handler{svc: svc, log: svc.Options().Logger}
	prefix = strings.TrimRight(prefix, "/")
	mux := http.NewServeMux()
	route := func(pattern, perm string, fn func(*request) error) {
		method, p, _ := strings.Cut(pattern, " ")
		mux.Handle(method+" "+prefix+p, a.RequirePerm(perm)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.serve(w, r, a, prefix, fn)
		})))
	}
	route("GET /{$}", media.PermView, s.handleList)
	route("POST /{$}", media.PermAdd, s.handleUpload)
	route("GET /{id}", media.PermView, s.handleGet)
	route("GET /{id}/content", media.PermView, s.handleContent)
	route("PATCH /{id}", media.PermChange, s.handleUpdate)
	route("DELETE /{id}", media.PermDelete, s.handleDelete)
	route("POST /{id}/restore", media.PermChange, s.handleRestore)
	route("POST /uploads", media.PermAdd, s.handleBegin)
	route("POST /{id}/finalize", media.PermAdd, s.handleFinalize)
	route("GET /collections", media.PermView, s.handleCollections)
	route("POST /collections", media.PermAdd, s.handleCreateCollection)
	route("PATCH /collections/{id}", media.PermChange, s.handleUpdateCollection)
	route("DELETE /collections/{id}", media.PermDelete, s.handleDeleteCollection)
	route("GET /tags", media.PermView, s.handleTags)
	route("DELETE /tags/{id}", media.PermDelete, s.handleDeleteTag)
	return authhttp.JSONAnswers(framework.MuxHandler(mux))
}

// handler is the media API over one service.
type handler struct {
	svc *media.Service
	log *slog.Logger
}

// request is one API call being served.
type request struct {
	w    http.ResponseWriter
	r    *http.Request
	db   dialects.Handle
	user int64
	// prefix is where the API is mounted, base path included.
	prefix string
	auth   *authhttp.Auth
}

// may reports whether the request's user holds permission perm.
func (rq *request) may(perm string) (bool, error) {
	u, ok := authhttp.UserFrom(rq.r.Context())
	if !ok {
		return false, nil
	}
	return rq.auth.HasPerm(rq.r, u, perm)
}

// serve runs fn on the request's database and answers its error.
func (s *handler) serve(w http.ResponseWriter, r *http.Request, a *authhttp.Auth, prefix string, fn func(*request) error) {
	db := framework.DatabaseFrom(r.Context())
	if db == nil {
		framework.ServerError(w, r, s.log, "media", errors.New("no database in the request's context (mount the handler in the App)"))
		return
	}
	u, _ := authhttp.UserFrom(r.Context())
	if err := fn(&request{w: w, r: r, db: db, user: u.ID, prefix: framework.BasePath(r.Context()) + prefix, auth: a}); err != nil {
		s.answerError(w, r, err)
	}
}

// httpError is an error with the status and message to answer.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// answerError maps the service's errors to statuses; the messages of the
// service's own errors are written for clients, any other error is a
// server error whose text stays in the log.
func (s *handler) answerError(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	var mbe *http.MaxBytesError
	status := 0
	switch {
	case errors.As(err, &he):
		framework.WriteError(w, r, he.status, he.msg)
		return
	case errors.As(err, &mbe), errors.Is(err, media.ErrTooLarge):
		status = http.StatusRequestEntityTooLarge
	case errors.Is(err, media.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, media.ErrNotOwner):
		status = http.StatusForbidden
	case errors.Is(err, media.ErrTypeNotAllowed), errors.Is(err, media.ErrTypeMismatch):
		status = http.StatusUnsupportedMediaType
	case errors.Is(err, media.ErrIncomplete):
		status = http.StatusBadRequest
	case errors.Is(err, media.ErrNotUploaded), errors.Is(err, media.ErrDirectUnsupported):
		status = http.StatusConflict
	case errors.Is(err, media.ErrInvalid):
		status = http.StatusUnprocessableEntity
	case framework.ClientGone(r, err):
		return
	default:
		framework.ServerError(w, r, s.log, "media", err)
		return
	}
	msg := err.Error()
	if errors.As(err, &mbe) {
		msg = fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit)
	}
	// The service's messages name what is wrong; a joined cleanup error
	// (after the first line) is for the log.
	if first, rest, ok := strings.Cut(msg, "\n"); ok {
		s.log.ErrorContext(r.Context(), "media: cleaning up after a refused upload", "error", rest)
		msg = first
	}
	framework.WriteError(w, r, status, strings.TrimPrefix(msg, "media: "))
}

// mediaJSON is a media as the API shows it.
type mediaJSON struct {
	ID           int64        `json:"id"`
	Filename     string       `json:"filename"`
	ContentType  string       `json:"content_type"`
	Size         int64        `json:"size"`
	Checksum     string       `json:"checksum,omitempty"`
	Width        int64        `json:"width,omitempty"`
	Height       int64        `json:"height,omitempty"`
	AltText      string       `json:"alt_text"`
	Public       bool         `json:"public"`
	OwnerID      int64        `json:"owner_id,omitempty"`
	CollectionID int64        `json:"collection_id,omitempty"`
	Tags         []string     `json:"tags"`
	Status       media.Status `json:"status"`
	CreatedAt    time.Time    `json:"created_at"`
	UpdatedAt    time.Time    `json:"updated_at"`
	DeletedAt    time.Time    `json:"deleted_at,omitzero"`
	URL          string       `json:"url,omitempty"`
	ThumbnailURL string       `json:"thumbnail_url,omitempty"`
}

// json describes m; ready media get their URL, images their smallest
// thumbnail's.
func (s *handler) json(rq *request, m media.Media) (mediaJSON, error) {
	j := mediaJSON{ID: m.ID, Filename: m.Filename, ContentType: m.ContentType, Size: m.Size, Checksum: m.Checksum,
		Width: m.Width, Height: m.Height, AltText: m.AltText, Public: m.Public, OwnerID: m.OwnerID,
		CollectionID: m.CollectionID, Tags: m.Tags, Status: m.Status, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
		DeletedAt: m.DeletedAt}
	if j.Tags == nil {
		j.Tags = []string{}
	}
	if m.Status != media.Ready {
		return j, nil
	}
	// The media is fine without a URL: a disk that cannot make one (no
	// signer, no public base) is the app's problem, logged, not the
	// client's, whose upload did succeed.
	if u, err := s.svc.URL(rq.r.Context(), m); err != nil {
		s.log.ErrorContext(rq.r.Context(), "media: no URL", "media", m.ID, "error", err)
	} else {
		j.URL = u
	}
	if m.IsImage() {
		j.ThumbnailURL = rq.prefix + "/" + strconv.FormatInt(m.ID, 10) + "/content?thumb=" + strconv.Itoa(media.ThumbnailWidths[0])
	}
	return j, nil
}

// writeMedia answers m (or err) as JSON with status.
func (s *handler) writeMedia(rq *request, status int, m media.Media, err error) error {
	if err != nil {
		return err
	}
	j, err := s.json(rq, m)
	if err != nil {
		return err
	}
	framework.WriteJSON(rq.w, status, j)
	return nil
}

// withID runs fn on the route's {id} and answers 204 when it succeeds.
func withID(rq *request, fn func(id int64) error) error {
	id, err := rq.pathID()
	if err != nil {
		return err
	}
	if err := fn(id); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *handler) handleList(rq *request) error {
	v := rq.r.URL.Query()
	o := media.ListOptions{Status: media.Status(v.Get("status")), Tag: v.Get("tag"), Type: v.Get("type"), Search: v.Get("q")}
	switch o.Status {
	case media.Pending:
		return badRequest("uploads in progress are not listed (status: ready or deleted)")
	case media.Deleted: // the trash is for those who may delete or restore
		change, err := rq.may(media.PermChange)
		if err != nil {
			return err
		}
		del, err := rq.may(media.PermDelete)
		if err != nil {
			return err
		}
		if !change && !del {
			return &httpError{http.StatusForbidden, "listing deleted media needs " + media.PermChange + " or " + media.PermDelete}
		}
	}
	var err error
	for _, f := range []struct {
		name string
		dst  *int64
	}{{"collection", &o.CollectionID}, {"before", &o.Before}} {
		if *f.dst, err = optionalID(v.Get(f.name), f.name); err != nil {
			return err
		}
	}
	if l := v.Get("limit"); l != "" {
		if o.Limit, err = strconv.Atoi(l); err != nil || o.Limit < 1 || o.Limit > media.MaxPageSize {
			return badRequest("limit %q: want a number from 1 to %d", l, media.MaxPageSize)
		}
	}
	page, err := s.svc.List(rq.r.Context(), rq.db, o)
	if err != nil {
		return err
	}
	items := make([]mediaJSON, 0, len(page.Items))
	for _, m := range page.Items {
		j, err := s.json(rq, m)
		if err != nil {
			return err
		}
		items = append(items, j)
	}
	out := map[string]any{"items": items, "next": nil}
	if page.Next != 0 {
		out["next"] = strconv.FormatInt(page.Next, 10)
	}
	framework.WriteJSON(rq.w, http.StatusOK, out)
	return nil
}

// optionalID parses an id parameter ("" is 0).
func optionalID(v, name string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		return 0, badRequest("%s %q: want a positive integer", name, v)
	}
	return id, nil
}

// pathID is the {id} of the route.
func (rq *request) pathID() (int64, error) {
	v := rq.r.PathValue("id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		return 0, &httpError{http.StatusNotFound, fmt.Sprintf("no media endpoint %q", rq.r.URL.Path)}
	}
	return id, nil
}

// uploadOverhead is what a multipart body may hold beyond the file: the
// part headers and the form fields before it.
const uploadOverhead = 64 << 10

func (s *handler) handleUpload(rq *request) error {
	ct, _, err := mime.ParseMediaType(rq.r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" {
		return &httpError{http.StatusUnsupportedMediaType, "send the file as multipart/form-data, in a part named file"}
	}
	// An upload may take longer than the server's read timeout allows a
	// request (a large file on a slow link).
	_ = http.NewResponseController(rq.w).SetReadDeadline(time.Now().Add(s.svc.Options().UploadTimeout))
	rq.r.Body = http.MaxBytesReader(rq.w, rq.r.Body, s.svc.Options().MaxSize+uploadOverhead)
	// What comes before the file (form fields, part headers) may take
	// uploadOverhead bytes; the file part then MaxSize more.
	before := &budgetReader{r: rq.r.Body, left: uploadOverhead}
	rq.r.Body = io.NopCloser(before)
	mr, err := rq.r.MultipartReader()
	if err != nil {
		return badRequest("malformed multipart body: send multipart/form-data with a boundary")
	}
	in := media.UploadInput{OwnerID: rq.user}
	fields := 0
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return badRequest("the body has no part named file")
		}
		if err != nil {
			return multipartError(err)
		}
		name := part.FormName()
		if name == "file" {
			before.left += s.svc.Options().MaxSize
			in.Filename = part.FileName()
			in.ContentType = part.Header.Get("Content-Type")
			m, err := s.svc.Upload(rq.r.Context(), rq.db, part, in)
			return s.writeMedia(rq, http.StatusCreated, m, err)
		}
		if fields++; fields > 20 {
			return badRequest("too many form fields before the file")
		}
		b, err := io.ReadAll(io.LimitReader(part, 4<<10+1))
		if err != nil {
			return multipartError(err)
		}
		if len(b) > 4<<10 {
			return badRequest("form field %q is longer than 4 KiB", name)
		}
		if err := setField(&in, name, string(b)); err != nil {
			return err
		}
	}
}

// multipartError is the answer to a multipart body that could not be
// read: its limit (413), or a fixed message (the reader's own text may
// name addresses, such as a read timeout's).
func multipartError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	if errors.Is(err, errBudget) {
		return badRequest("more than %d bytes of form fields and part headers before the file", uploadOverhead)
	}
	return badRequest("malformed multipart body")
}

// errBudget is budgetReader's error.
var errBudget = errors.New("media: over the byte budget")

// budgetReader reads at most left bytes (which its owner may raise).
type budgetReader struct {
	r    io.Reader
	left int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errBudget
	}
	n, err := b.r.Read(p[:min(int64(len(p)), b.left)])
	b.left -= int64(n)
	return n, err
}

// setField applies a form field of an upload.
func setField(in *media.UploadInput, name, v string) error {
	var err error
	switch name {
	case "collection", "collection_id":
		in.CollectionID, err = optionalID(v, name)
	case "public":
		in.Public, err = strconv.ParseBool(v)
		if err != nil {
			err = badRequest("public %q: want true or false", v)
		}
	case "alt_text":
		in.AltText = v
	case "tags":
		in.Tags = splitTags(v)
	case authhttp.CSRFField: // checked by the auth middleware
	default:
		err = badRequest("unknown form field %q (want file, collection, public, alt_text, tags)", name)
	}
	return err
}

// splitTags splits a comma-separated list of tags.
func splitTags(v string) []string {
	var out []string
	for t := range strings.SplitSeq(v, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func (s *handler) handleGet(rq *request) error {
	m, err := s.ready(rq)
	return s.writeMedia(rq, http.StatusOK, m, err)
}

// ready loads the route's media, which must be ready.
func (s *handler) ready(rq *request) (media.Media, error) {
	id, err := rq.pathID()
	if err != nil {
		return media.Media{}, err
	}
	m, err := s.svc.Get(rq.r.Context(), rq.db, id)
	if err != nil {
		return media.Media{}, err
	}
	if m.Status != media.Ready {
		return media.Media{}, fmt.Errorf("%w: media %d", media.ErrNotFound, id)
	}
	return m, nil
}

func (s *handler) handleContent(rq *request) error {
	m, err := s.ready(rq)
	if err != nil {
		return err
	}
	var u string
	if t := rq.r.URL.Query().Get("thumb"); t != "" {
		w, err := strconv.Atoi(t)
		if err != nil {
			return badRequest("thumb %q: want a width, one of %v", t, media.ThumbnailWidths)
		}
		u, err = s.svc.ThumbnailURL(rq.r.Context(), m, w)
		if err != nil {
			return err
		}
	} else if u, err = s.svc.URL(rq.r.Context(), m); err != nil {
		return err
	}
	rq.w.Header().Set("Cache-Control", "private, no-store")
	http.Redirect(rq.w, rq.r, u, http.StatusFound)
	return nil
}

// decodeJSON reads a JSON body into v, refusing unknown fields, other
// content types and bodies over 64 KiB.
func (rq *request) decodeJSON(v any) error {
	ct, _, _ := mime.ParseMediaType(rq.r.Header.Get("Content-Type"))
	if ct != "application/json" {
		return &httpError{http.StatusUnsupportedMediaType, "send a JSON body (Content-Type: application/json)"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(rq.w, rq.r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &mbe):
			return err
		case errors.As(err, &syn), errors.As(err, &typ), strings.HasPrefix(err.Error(), "json: unknown field"):
			return badRequest("malformed JSON body: %v", err)
		}
		return badRequest("malformed JSON body")
	}
	if dec.More() {
		return badRequest("malformed JSON body: more than one value")
	}
	return nil
}

// changeJSON is PATCH /{id}'s body.
type changeJSON struct {
	Filename     *string   `json:"filename"`
	AltText      *string   `json:"alt_text"`
	Public       *bool     `json:"public"`
	CollectionID *int64    `json:"collection_id"`
	Tags         *[]string `json:"tags"`
}

func (s *handler) handleUpdate(rq *request) error {
	id, err := rq.pathID()
	if err != nil {
		return err
	}
	var c changeJSON
	if err := rq.decodeJSON(&c); err != nil {
		return err
	}
	m, err := s.svc.Update(rq.r.Context(), rq.db, id, media.Change(c))
	return s.writeMedia(rq, http.StatusOK, m, err)
}

func (s *handler) handleDelete(rq *request) error {
	return withID(rq, func(id int64) error { return s.svc.Delete(rq.r.Context(), rq.db, id) })
}

func (s *handler) handleRestore(rq *request) error {
	id, err := rq.pathID()
	if err != nil {
		return err
	}
	if err := s.svc.Restore(rq.r.Context(), rq.db, id); err != nil {
		return err
	}
	return s.handleGet(rq)
}

// beginJSON is POST /uploads's body.
type beginJSON struct {
	Filename     string   `json:"filename"`
	ContentType  string   `json:"content_type"`
	Size         int64    `json:"size"`
	CollectionID int64    `json:"collection_id"`
	Public       bool     `json:"public"`
	AltText      string   `json:"alt_text"`
	Tags         []string `json:"tags"`
}

func (s *handler) handleBegin(rq *request) error {
	var b beginJSON
	if err := rq.decodeJSON(&b); err != nil {
		return err
	}
	m, put, err := s.svc.Begin(rq.r.Context(), rq.db, media.BeginInput{Filename: b.Filename, ContentType: b.ContentType, Size: b.Size,
		OwnerID: rq.user, CollectionID: b.CollectionID, Public: b.Public, AltText: b.AltText, Tags: b.Tags})
	if err != nil {
		return err
	}
	j, err := s.json(rq, m)
	if err != nil {
		return err
	}
	framework.WriteJSON(rq.w, http.StatusCreated, map[string]any{"media": j, "upload": map[string]any{
		"method": put.Method, "url": put.URL, "headers": put.Headers, "expires": put.Expires.UTC()}})
	return nil
}

func (s *handler) handleFinalize(rq *request) error {
	id, err := rq.pathID()
	if err != nil {
		return err
	}
	m, err := s.svc.Finalize(rq.r.Context(), rq.db, id, rq.user)
	return s.writeMedia(rq, http.StatusOK, m, err)
}

// collectionJSON is a collection as the API shows it (and PATCH/POST take).
type collectionJSON struct {
	ID        int64     `json:"id"`
	ParentID  int64     `json:"parent_id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

func (s *handler) handleCollections(rq *request) error {
	all, err := s.svc.Collections(rq.r.Context(), rq.db)
	if err != nil {
		return err
	}
	out := make([]collectionJSON, len(all))
	for i, c := range all {
		out[i] = collectionJSON(c)
	}
	framework.WriteJSON(rq.w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (s *handler) handleCreateCollection(rq *request) error {
	var b struct {
		Name     string `json:"name"`
		ParentID int64  `json:"parent_id"`
	}
	if err := rq.decodeJSON(&b); err != nil {
		return err
	}
	c, err := s.svc.CreateCollection(rq.r.Context(), rq.db, b.ParentID, b.Name)
	if err != nil {
		return err
	}
	framework.WriteJSON(rq.w, http.StatusCreated, collectionJSON(c))
	return nil
}

func (s *handler) handleUpdateCollection(rq *request) error {
	id, err := rq.pathID()
	if err != nil {
		return err
	}
	var b struct {
		Name     string `json:"name"`
		ParentID int64  `json:"parent_id"`
	}
	if err := rq.decodeJSON(&b); err != nil {
		return err
	}
	c, err := s.svc.UpdateCollection(rq.r.Context(), rq.db, id, b.ParentID, b.Name)
	if err != nil {
		return err
	}
	framework.WriteJSON(rq.w, http.StatusOK, collectionJSON(c))
	return nil
}

func (s *handler) handleDeleteCollection(rq *request) error {
	return withID(rq, func(id int64) error { return s.svc.DeleteCollection(rq.r.Context(), rq.db, id) })
}

func (s *handler) handleTags(rq *request) error {
	tags, err := s.svc.Tags(rq.r.Context(), rq.db)
	if err != nil {
		return err
	}
	type tagJSON struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	out := make([]tagJSON, len(tags))
	for i, t := range tags {
		out[i] = tagJSON(t)
	}
	framework.WriteJSON(rq.w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (s *handler) handleDeleteTag(rq *request) error {
	return withID(rq, func(id int64) error { return s.svc.DeleteTag(rq.r.Context(), rq.db, id) })
}
