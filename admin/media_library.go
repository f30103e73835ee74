package admin

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/authhttp"
	"github.com/quarry-go/quarry/framework/media"
	"github.com/quarry-go/quarry/framework/textinput"
)

const (
	// mediaPerPage is the library's page size; mediaChoosePerPage the
	// picker's.
	mediaPerPage       = 48
	mediaChoosePerPage = 24
	// mediaUploadOverhead is what an upload's body may hold beyond the
	// file: the part headers and the fields before it.
	mediaUploadOverhead = 64 << 10
	// mediaTagSelectLimit is the most tags offered as a drop-down; past
	// it the tag filter is a text input.
	mediaTagSelectLimit = 200
)

// mediaFamilies are the type filters of the library.
var mediaFamilies = []string{"image", "video", "audio", "application", "text"}

type mediaLibraryPage struct {
	*base
	Trash             bool
	URL               string // this view, where its filters go
	LibraryURL        string
	TrashURL          string
	CanAdd            bool
	CanRestore        bool
	UploadURL         string
	BeginURL          string
	UploadError       string
	Accept            string
	Limit             string
	Allowed           string
	Search            string
	Type              string
	Tag               string
	TagText           bool // the tag filter is a text input (too many tags for a drop-down)
	Types             []option
	Collections       []collectionChoice
	UploadCollections []collectionChoice
	Tags              []option
	Filtered          bool
	ClearURL          string
	Items             []mediaCard
	Newest, Older     string
}

// mediaFilter is a list of the library as its URL asks.
type mediaFilter struct {
	opts   media.ListOptions
	params url.Values // the filters, for links
}

// parseMediaFilter reads the filters of the library's URL: q (a search of
// the file names), type (a family), collection, tag and before (the
// keyset position, a Page.Next).

// malformedUpload answers an upload whose body could not be read. The
// reader's own text stays out of the page: a read timeout's names the
// server's addresses.
const malformedUpload = "The upload could not be read (a malformed multipart body)."

func (rq *request) parseMediaFilter(status media.Status, limit int) (mediaFilter, error) {
	v := rq.r.URL.Query()
	f := mediaFilter{opts: media.ListOptions{Status: status, Limit: limit}, params: url.Values{}}
	if q := strings.TrimSpace(v.Get("q")); q != "" {
		if err := textinput.Check("the search", q, 100); err != nil {
			return f, badRequest{fieldError(err)}
		}
		f.opts.Search = q
		f.params.Set("q", q)
	}
	if t := v.Get("type"); t != "" {
		if !slices.Contains(mediaFamilies, t) {
			return f, badRequest{"The type filter must be one of " + strings.Join(mediaFamilies, ", ") + "."}
		}
		f.opts.Type = t
		f.params.Set("type", t)
	}
	id, err := optionalID("The collection filter", v.Get("collection"))
	if err != nil {
		return f, badRequest{err.Error() + "."}
	}
	if id != 0 {
		f.opts.CollectionID = id
		f.params.Set("collection", strconv.FormatInt(id, 10))
	}
	if tag := strings.TrimSpace(v.Get("tag")); tag != "" {
		if err := textinput.Check("the tag filter", tag, 100); err != nil {
			return f, badRequest{fieldError(err)}
		}
		f.opts.Tag = tag
		f.params.Set("tag", tag)
	}
	if f.opts.Before, err = optionalID("before", v.Get("before")); err != nil {
		return f, badRequest{"The page link is not valid; start again from the newest files."}
	}
	return f, nil
}

// list runs the filter, its errors as a bad request.
func (rq *request) listMedia(f mediaFilter) (media.Page, error) {
	page, err := rq.media().List(rq.ctx(), rq.db, f.opts)
	if errors.Is(err, media.ErrInvalid) {
		return page, badRequest{mediaMessage(err)}
	}
	return page, err
}

func (rq *request) mediaLibrary() { rq.showLibrary(http.StatusOK, media.Ready, "") }

func (rq *request) mediaTrash() { rq.showLibrary(http.StatusOK, media.Deleted, "") }

// showLibrary shows the ready files (or, status Deleted, the trash),
// newest first, with status and an upload's error.
func (rq *request) showLibrary(status int, st media.Status, uploadErr string) {
	svc := rq.media()
	f, err := rq.parseMediaFilter(st, mediaPerPage)
	if err != nil {
		rq.listError(err)
		return
	}
	page, err := rq.listMedia(f)
	if err != nil {
		rq.listError(err)
		return
	}
	trash := st == media.Deleted
	title := "Media"
	crumbs := []crumb{{"Media", ""}}
	p := mediaLibraryPage{Trash: trash, URL: rq.mediaURL(""), LibraryURL: rq.mediaURL(""), TrashURL: rq.mediaURL("trash/"),
		CanAdd: rq.can("add", rq.m) && !trash, CanRestore: rq.can("change", rq.m), UploadURL: rq.mediaURL("upload/"),
		BeginURL: rq.mediaURL("uploads/"), UploadError: uploadErr, Search: f.opts.Search, Type: f.opts.Type, Tag: f.opts.Tag,
		Filtered: f.opts.Search != "" || f.opts.Type != "" || f.opts.Tag != "" || f.opts.CollectionID != 0}
	if trash {
		title = "Media trash"
		p.URL = p.TrashURL
		crumbs = []crumb{{"Media", p.LibraryURL}, {"Trash", ""}}
	}
	p.base = rq.base(title, crumbs...)
	p.ClearURL = p.URL
	opts := svc.Options()
	allowed := opts.AllowedTypes
	if allowed == nil {
		allowed = media.DefaultAllowedTypes
	}
	p.Accept, p.Allowed, p.Limit = strings.Join(allowed, ","), strings.Join(allowed, ", "), humanBytes(opts.MaxSize)
	p.Types = []option{{"", "Any type", f.opts.Type == ""}}
	for _, t := range mediaFamilies {
		p.Types = append(p.Types, option{t, t, t == f.opts.Type})
	}
	if p.Collections, _, err = rq.collections(f.opts.CollectionID); err != nil {
		rq.internal(err)
		return
	}
	if p.CanAdd {
		for _, c := range p.Collections {
			p.UploadCollections = append(p.UploadCollections, collectionChoice{ID: c.ID, Name: c.Name})
		}
	}
	tags, err := svc.Tags(rq.ctx(), rq.db)
	if err != nil {
		rq.internal(err)
		return
	}
	if len(tags) > mediaTagSelectLimit {
		p.TagText = true
	} else {
		p.Tags = []option{{"", "Any tag", f.opts.Tag == ""}}
		for _, t := range tags {
			p.Tags = append(p.Tags, option{t.Name, t.Name, strings.EqualFold(t.Name, f.opts.Tag)})
		}
	}
	for _, m := range page.Items {
		p.Items = append(p.Items, rq.card(m, media.ThumbnailWidths[0]))
	}
	link := func(v url.Values) string {
		if len(v) == 0 {
			return p.URL
		}
		return p.URL + "?" + v.Encode()
	}
	if f.opts.Before != 0 {
		p.Newest = link(f.params)
	}
	if page.Next != 0 {
		p.Older = link(with(f.params, "before", strconv.FormatInt(page.Next, 10)))
	}
	rq.render(status, "media", p)
}

// mediaUpload stores the file of a multipart form (the library's upload
// form, or the page's script when the disk takes no direct upload),
// streamed from the body to the disk: its fields csrf_token (checked by
// the auth layer), collection, tags, public and alt_text come first, then
// the file. The page (or, for the script, JSON) says what is wrong:
// 413 too large, 415 a type not allowed or not the declared one, 400 a
// malformed body, 422 a file the service refuses otherwise.
func (rq *request) mediaUpload() {
	svc := rq.media()
	fail := func(status int, msg string) {
		if rq.wantsJSON() {
			framework.WriteError(rq.w, rq.r, status, msg)
			return
		}
		rq.r.URL.RawQuery = "" // the library's first page
		rq.showLibrary(status, media.Ready, msg)
	}
	limit := svc.Options().MaxSize
	tooLarge := func() {
		fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("The file is larger than the limit of %s (%s bytes).", humanBytes(limit), thousands(limit)))
	}
	if mt, _, _ := mime.ParseMediaType(rq.r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		fail(http.StatusUnsupportedMediaType, `Send uploads as multipart/form-data (a form with enctype="multipart/form-data"), the file in a field named file.`)
		return
	}
	rq.r.Body = http.MaxBytesReader(rq.w, rq.r.Body, limit+mediaUploadOverhead)
	mr, err := rq.r.MultipartReader()
	if err != nil {
		fail(http.StatusBadRequest, malformedUpload)
		return
	}
	in := media.UploadInput{OwnerID: rq.user.ID}
	for fields := 0; ; fields++ {
		part, err := mr.NextPart()
		var mbe *http.MaxBytesError
		switch {
		case errors.Is(err, io.EOF):
			fail(http.StatusBadRequest, "Choose a file to upload.")
			return
		case errors.As(err, &mbe):
			tooLarge()
			return
		case err != nil:
			fail(http.StatusBadRequest, malformedUpload)
			return
		case fields >= 20:
			fail(http.StatusBadRequest, "The upload has too many fields before its file.")
			return
		}
		name := part.FormName()
		if name == "file" {
			if part.FileName() == "" {
				continue // a file input left empty
			}
			in.Filename, in.ContentType = part.FileName(), part.Header.Get("Content-Type")
			m, err := svc.Upload(rq.ctx(), rq.db, part, in)
			if err != nil {
				switch status := mediaStatus(err); {
				case status == http.StatusRequestEntityTooLarge:
					tooLarge()
				case status != 0:
					fail(status, mediaMessage(err))
				default:
					rq.internal(err)
				}
				return
			}
			rq.uploaded(m, http.StatusCreated)
			return
		}
		b, err := io.ReadAll(io.LimitReader(part, 4<<10+1))
		switch {
		case errors.As(err, &mbe):
			tooLarge()
			return
		case err != nil:
			fail(http.StatusBadRequest, malformedUpload)
			return
		case len(b) > 4<<10:
			fail(http.StatusBadRequest, fmt.Sprintf("The field %s of the upload is longer than 4 KiB.", textinput.Clean(truncate(name, 40), 0)))
			return
		}
		v := string(b)
		if err := textinput.Check("the field "+textinput.Clean(truncate(name, 40), 0), v, 0); err != nil {
			fail(http.StatusBadRequest, fieldError(err))
			return
		}
		switch name {
		case authhttp.CSRFField: // checked by the auth layer
		case "collection":
			if in.CollectionID, err = optionalID("The collection", v); err != nil {
				fail(http.StatusBadRequest, err.Error()+".")
				return
			}
		case "tags":
			in.Tags = splitTags(v)
		case "public":
			in.Public = v != "" && v != "false"
		case "alt_text":
			in.AltText = v
		default:
			fail(http.StatusBadRequest, fmt.Sprintf("The upload has an unknown field %q (it takes csrf_token, collection, tags, public, alt_text, then file).", textinput.Clean(truncate(name, 40), 0)))
			return
		}
	}
}

// uploaded records a new file in the audit log and answers: the script
// gets JSON (status), a form the library with a message.
func (rq *request) uploaded(m media.Media, status int) {
	changes := map[string][2]any{"filename": {nil, m.Filename}, "content_type": {nil, m.ContentType},
		"size": {nil, strconv.FormatInt(m.Size, 10)}, "checksum": {nil, m.Checksum}}
	if m.CollectionID != 0 {
		changes["collection_id"] = [2]any{nil, strconv.FormatInt(m.CollectionID, 10)}
	}
	if len(m.Tags) > 0 {
		changes["tags"] = [2]any{nil, strings.Join(m.Tags, ", ")}
	}
	if err := rq.inTx(func(tx *framework.Tx) error {
		return rq.audit(tx.Tx, "create", strconv.FormatInt(m.ID, 10), changes)
	}); err != nil {
		rq.internal(err)
		return
	}
	rq.flash(fmt.Sprintf("Uploaded “%s” (%s).", m.Filename, humanBytes(m.Size)))
	if rq.wantsJSON() {
		framework.WriteJSON(rq.w, status, rq.chooseItem(m))
		return
	}
	rq.redirect(rq.mediaURL(""))
}

// mediaBegin starts a direct upload for the page's script (a url-encoded
// form with the CSRF token: filename, content_type, size, collection,
// tags) and answers JSON: the file's id, the presigned request to send
// its bytes with, and where to finalize it. A disk without presigned
// uploads answers 409: the script then posts the file to upload/.
func (rq *request) mediaBegin() {
	form := rq.r.PostForm
	in := media.BeginInput{Filename: form.Get("filename"), ContentType: form.Get("content_type"), OwnerID: rq.user.ID, Tags: splitTags(form.Get("tags"))}
	var err error
	if in.Size, err = strconv.ParseInt(strings.TrimSpace(form.Get("size")), 10, 64); err != nil || in.Size < 1 {
		framework.WriteError(rq.w, rq.r, http.StatusBadRequest, "The size must be the file's size in bytes, a positive whole number.")
		return
	}
	if in.CollectionID, err = optionalID("The collection", form.Get("collection")); err != nil {
		framework.WriteError(rq.w, rq.r, http.StatusBadRequest, err.Error()+".")
		return
	}
	for _, v := range []string{in.Filename, in.ContentType, form.Get("tags")} {
		if err := textinput.Check("a field", v, 4<<10); err != nil {
			framework.WriteError(rq.w, rq.r, http.StatusBadRequest, fieldError(err))
			return
		}
	}
	m, put, err := rq.media().Begin(rq.ctx(), rq.db, in)
	if err != nil {
		rq.jsonError(err)
		return
	}
	method := put.Method
	if method == "" {
		method = http.MethodPut
	}
	headers := put.Headers
	if headers == nil {
		headers = map[string]string{}
	}
	framework.WriteJSON(rq.w, http.StatusCreated, map[string]any{"id": m.ID, "filename": m.Filename,
		"upload":   map[string]any{"method": method, "url": put.URL, "headers": headers},
		"finalize": rq.mediaURL(strconv.FormatInt(m.ID, 10) + "/finalize/")})
}

// mediaFinalize finishes a direct upload begun by the same user, once its
// bytes are on the disk, and answers JSON (as chooseItem).
func (rq *request) mediaFinalize() {
	id, err := strconv.ParseInt(rq.r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		framework.WriteError(rq.w, rq.r, http.StatusNotFound, "There is no upload with that id.")
		return
	}
	m, err := rq.media().Finalize(rq.ctx(), rq.db, id, rq.user.ID)
	if err != nil {
		rq.jsonError(err)
		return
	}
	rq.uploaded(m, http.StatusOK)
}

// chooseItemJSON is a file as the page's script shows it.
type chooseItemJSON struct {
	ID       int64  `json:"id"`
	Filename string `json:"filename"`
	Label    string `json:"label"`
	Type     string `json:"type"`
	Family   string `json:"family"`
	Size     string `json:"size"`
	Thumb    string `json:"thumb"`
	URL      string `json:"url"`
}

func (rq *request) chooseItem(m media.Media) chooseItemJSON {
	c := rq.card(m, media.ThumbnailWidths[0])
	return chooseItemJSON{ID: m.ID, Filename: m.Filename, Label: m.Filename + " (#" + strconv.FormatInt(m.ID, 10) + ")",
		Type: c.Type, Family: c.Family, Size: c.Size, Thumb: c.Thumb, URL: c.URL}
}

// mediaChoose answers the picker's chooser: a page of ready files (the
// library's filters: q, type, collection, tag, before) as JSON, with the
// next page's before.
func (rq *request) mediaChoose() {
	f, err := rq.parseMediaFilter(media.Ready, mediaChoosePerPage)
	if err == nil {
		var page media.Page
		if page, err = rq.listMedia(f); err == nil {
			items := make([]chooseItemJSON, 0, len(page.Items))
			for _, m := range page.Items {
				items = append(items, rq.chooseItem(m))
			}
			out := map[string]any{"items": items, "next": nil}
			if page.Next != 0 {
				out["next"] = strconv.FormatInt(page.Next, 10)
			}
			framework.WriteJSON(rq.w, http.StatusOK, out)
			return
		}
	}
	var br badRequest
	if errors.As(err, &br) {
		framework.WriteError(rq.w, rq.r, http.StatusBadRequest, br.msg)
		return
	}
	rq.jsonError(err)
}

// mediaLookup answers the suggestions of a media picker's text input (a
// library too large for a drop-down), as the generic lookup does: up to
// 20 ready files whose id is q or whose name holds it.
func (rq *request) mediaLookup() {
	type item struct {
		Key   string `json:"key"`
		Label string `json:"label"`
	}
	out := []item{}
	term := strings.TrimSpace(rq.r.URL.Query().Get("q"))
	if err := textinput.Check("the search", term, 100); err != nil {
		framework.WriteError(rq.w, rq.r, http.StatusBadRequest, fieldError(err))
		return
	}
	svc := rq.media()
	if id, err := strconv.ParseInt(term, 10, 64); err == nil && id > 0 {
		if m, err := svc.Get(rq.ctx(), rq.db, id); err == nil && m.Status == media.Ready {
			out = append(out, item{strconv.FormatInt(m.ID, 10), truncate(m.Filename, 80)})
		}
	}
	page, err := svc.List(rq.ctx(), rq.db, media.ListOptions{Search: term, Limit: 20})
	if err != nil {
		rq.jsonError(err)
		return
	}
	for _, m := range page.Items {
		if len(out) < 20 && (len(out) == 0 || out[0].Key != strconv.FormatInt(m.ID, 10)) {
			out = append(out, item{strconv.FormatInt(m.ID, 10), truncate(m.Filename, 80)})
		}
	}
	writeJSON(rq.w, out)
}
