package admin

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quarry-go/quarry/framework/records"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/media"
	"github.com/quarry-go/quarry/framework/textinput"
)

// The media library (Options.Media): the pages of framework/media's
// files, in media_library.go (the grid, the trash, uploads), media_detail.go
// (one file) and media_picker.go (the picker of forms).
const (
	// mediaTable holds the files; its permissions are the library's.
	mediaTable = "quarry_media"
	// mediaPath is where the library is served, under the prefix.
	mediaPath = "media"
	// mediaGroup is the heading of the library and its tables.
	mediaGroup = "Media"
)

// mediaManaged are the tables the library edits: their generic pages
// lead to it.
var mediaManaged = []string{mediaTable, "quarry_media_tag_links"}

// mediaConfig refines the media tables when the library is on: the
// collections and tags tables are listed beside it, under "Media".
func mediaConfig(name string, cfg Table) Table {
	switch name {
	case "quarry_media_collections", "quarry_media_tags":
		if cfg.Group == "" {
			cfg.Group = mediaGroup
		}
	}
	return cfg
}

// mediaRoutes serves the library under <prefix>/media/.
func (a *Admin) mediaRoutes() http.Handler {
	mux := http.NewServeMux()
	pre := a.prefix + "/" + mediaPath
	mux.Handle("GET "+pre+"/{$}", a.mediaPage(false, "view", (*request).mediaLibrary))
	mux.Handle("GET "+pre+"/trash/{$}", a.mediaPage(false, "view", (*request).mediaTrash))
	mux.Handle("POST "+pre+"/upload/{$}", a.mediaPage(true, "add", (*request).mediaUpload))
	mux.Handle("POST "+pre+"/uploads/{$}", a.mediaPage(false, "add", (*request).mediaBegin))
	mux.Handle("POST "+pre+"/{id}/finalize/{$}", a.mediaPage(false, "add", (*request).mediaFinalize))
	mux.Handle("GET "+pre+"/choose/{$}", a.mediaPage(false, "view", (*request).mediaChoose))
	mux.Handle("GET "+pre+"/lookup", a.mediaPage(false, "view", (*request).mediaLookup))
	mux.Handle("GET "+pre+"/{id}/{$}", a.mediaPage(false, "view", (*request).mediaDetail))
	mux.Handle("POST "+pre+"/{id}/{$}", a.mediaPage(false, "change", (*request).mediaSave))
	mux.Handle("POST "+pre+"/{id}/delete/{$}", a.mediaPage(false, "delete", (*request).mediaDelete))
	mux.Handle("POST "+pre+"/{id}/restore/{$}", a.mediaPage(false, "change", (*request).mediaRestore))
	mux.Handle(pre+"/", a.page(func(rq *request) { rq.fail(http.StatusNotFound, "There is no such page in the media library.") }))
	return mux
}

// mediaPage is a page of the library, needing the permission action on
// quarry_media (as a table page does on its table); stream leaves a POST's
// body to the handler (see pageOf).
func (a *Admin) mediaPage(stream bool, action string, h func(*request)) http.Handler {
	return a.pageOf(stream, func(rq *request) {
		m, ok := rq.st.models[mediaTable]
		if !ok {
			rq.fail(http.StatusNotFound, "The media library is not available here.")
			return
		}
		rq.m = m
		if !rq.can(action, m) {
			rq.fail(http.StatusForbidden, "You do not have permission to "+action+" media.")
			return
		}
		h(rq)
	})
}

// media is the library's service.
func (rq *request) media() *media.Service { return rq.a.opts.Media }

// mediaURL is the library's address, or that of a page in it (rest:
// "trash/", "42/", …).
func (rq *request) mediaURL(rest string) string { return rq.prefix() + "/" + mediaPath + "/" + rest }

// mediaItemURL is the page of one file.
func (rq *request) mediaItemURL(id int64) string { return rq.mediaURL(strconv.FormatInt(id, 10) + "/") }

// mediaModel is quarry_media's model when the library is on and the
// table is in this request's admin.
func (rq *request) mediaModel() (*model, bool) {
	if rq.a.opts.Media == nil || rq.st == nil {
		return nil, false
	}
	m, ok := rq.st.models[mediaTable]
	return m, ok
}

// managedRoute answers the generic pages of a table the library edits:
// a GET of its list or its other pages leads to the library (a row of
// quarry_media to the file's page), its history stays, and the rest
// (writes, export, lookup) is not served. It reports whether it
// answered.
func (rq *request) managedRoute() bool {
	_, route, _ := strings.Cut(rq.r.Pattern, " ")
	route = strings.TrimPrefix(route, rq.a.prefix)
	get := rq.r.Method == http.MethodGet || rq.r.Method == http.MethodHead
	switch {
	case route == "/{table}/{key}/history/{$}":
		return false
	case get && route == "/{table}/{$}":
		http.Redirect(rq.w, rq.r, rq.mediaURL(""), http.StatusFound)
	case get && rq.m.Name == mediaTable && (route == "/{table}/{key}/{$}" || route == "/{table}/{key}/change/{$}"):
		key, ok := rq.keyFromPath()
		if !ok {
			return true
		}
		http.Redirect(rq.w, rq.r, rq.mediaURL(rq.m.KeyText(key)+"/"), http.StatusFound)
	case get && route != "/{table}/lookup" && route != "/{table}/export.csv":
		http.Redirect(rq.w, rq.r, rq.mediaURL(""), http.StatusFound)
	default:
		rq.fail(http.StatusNotFound, "The rows of "+rq.m.label+" are edited in the media library, at "+rq.mediaURL("")+".")
	}
	return true
}

// mediaID reads the {id} of a library URL, answering 404 when it is no
// id.
func (rq *request) mediaID() (int64, bool) {
	id, err := strconv.ParseInt(rq.r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		rq.fail(http.StatusNotFound, "There is no such page in the media library.")
		return 0, false
	}
	return id, true
}

// mediaCard is a file as the grids show it.
type mediaCard struct {
	ID         int64
	URL        string // its page
	Filename   string
	Type       string
	Family     string // image, video, audio, …: the tile of a file without a thumbnail
	Size       string
	Dims       string
	Thumb      string // a signed URL of its thumbnail, or ""
	Deleted    string
	RestoreURL string
}

// card describes m for a grid, with a thumbnail of width (one of
// media.ThumbnailWidths) for a ready image.
func (rq *request) card(m media.Media, width int) mediaCard {
	c := mediaCard{ID: m.ID, URL: rq.mediaItemURL(m.ID), Filename: m.Filename, Type: m.ContentType, Family: family(m.ContentType),
		Size: humanBytes(m.Size), RestoreURL: rq.mediaURL(strconv.FormatInt(m.ID, 10) + "/restore/")}
	if m.Width > 0 && m.Height > 0 {
		c.Dims = fmt.Sprintf("%d×%d", m.Width, m.Height)
	}
	if !m.DeletedAt.IsZero() {
		c.Deleted = m.DeletedAt.UTC().Format(records.DateTimeDisplay) + " UTC"
	}
	c.Thumb = rq.thumbnail(m, width)
	return c
}

// thumbnail returns the URL of a ready image's thumbnail (made on first
// use), or "" for other files and when it cannot be made (logged unless
// the file is no image the service makes thumbnails of).
func (rq *request) thumbnail(m media.Media, width int) string {
	if m.Status != media.Ready || !m.IsImage() {
		return ""
	}
	u, err := rq.media().ThumbnailURL(rq.ctx(), m, width)
	if err != nil {
		if !errors.Is(err, media.ErrInvalid) {
			rq.logErr(slog.LevelWarn, "admin: media thumbnail", err, "media", m.ID)
		}
		return ""
	}
	return u
}

// family is the first half of a media type: image, video, audio, …
func family(ct string) string {
	f, _, _ := strings.Cut(ct, "/")
	if f == "" {
		return "file"
	}
	return f
}

// humanBytes is a size for people: "512 bytes", "12.5 KiB", "3.0 MiB".
func humanBytes(n int64) string {
	if n < 1024 {
		if n == 1 {
			return "1 byte"
		}
		return strconv.FormatInt(n, 10) + " bytes"
	}
	v, unit := float64(n)/1024, "KiB"
	for _, u := range []string{"MiB", "GiB", "TiB"} {
		if v < 1024 {
			break
		}
		v, unit = v/1024, u
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + unit
}

// mediaMessage is the text of a media error for the page: the service's
// first line (a joined cleanup error after it is for the log), as a
// sentence.
func mediaMessage(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	for _, p := range []string{"media: ", "invalid: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return upperFirst(strings.TrimSuffix(msg, ".")) + "."
}

// mediaStatus is the HTTP status of a media error; 0 for an error that
// is ours (a server error).
func mediaStatus(err error) int {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), errors.Is(err, media.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, media.ErrTypeNotAllowed), errors.Is(err, media.ErrTypeMismatch):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, media.ErrIncomplete):
		return http.StatusBadRequest
	case errors.Is(err, media.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, media.ErrNotOwner):
		return http.StatusForbidden
	case errors.Is(err, media.ErrNotUploaded), errors.Is(err, media.ErrDirectUnsupported):
		return http.StatusConflict
	case errors.Is(err, media.ErrInvalid):
		return http.StatusUnprocessableEntity
	}
	return 0
}

// wantsJSON reports whether the client asked for JSON (the page's
// script) rather than a page.
func (rq *request) wantsJSON() bool {
	return strings.Contains(rq.r.Header.Get("Accept"), "application/json")
}

// jsonError answers the page's script with a problem (status and message),
// or a server error whose text stays in the log.
func (rq *request) jsonError(err error) {
	if status := mediaStatus(err); status != 0 {
		framework.WriteError(rq.w, rq.r, status, mediaMessage(err))
		return
	}
	if msg := rq.logInternal(err); msg != "" {
		framework.WriteError(rq.w, rq.r, http.StatusInternalServerError, msg)
	}
}

// collectionChoice is a collection in a drop-down, named by its path.
type collectionChoice struct {
	ID       int64
	Name     string
	Selected bool
}

// collections lists the collections by path ("Trips / 2024"), marking
// selected.
func (rq *request) collections(selected int64) ([]collectionChoice, map[int64]string, error) {
	all, err := rq.media().Collections(rq.ctx(), rq.db)
	if err != nil {
		return nil, nil, err
	}
	byID := map[int64]media.Collection{}
	for _, c := range all {
		byID[c.ID] = c
	}
	names := map[int64]string{}
	out := make([]collectionChoice, 0, len(all))
	for _, c := range all {
		parts := []string{c.Name}
		for p, hops := c.ParentID, 0; p != 0 && hops < len(all); p, hops = byID[p].ParentID, hops+1 {
			parts = append([]string{byID[p].Name}, parts...)
		}
		names[c.ID] = strings.Join(parts, " / ")
		out = append(out, collectionChoice{ID: c.ID, Name: names[c.ID], Selected: c.ID == selected})
	}
	slices.SortStableFunc(out, func(x, y collectionChoice) int {
		return strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name))
	})
	return out, names, nil
}

// optionalID reads an optional id from a form or query value ("": 0).
func optionalID(what, v string) (int64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("%s must be a positive whole number, not %q", what, textinput.Clean(truncate(v, 40), 0))
	}
	return id, nil
}

// splitTags splits a comma-separated list of tags, dropping empty ones.
func splitTags(v string) []string {
	out := []string{}
	for _, t := range strings.Split(v, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// retentionEnd is when the purge removes a file deleted at deleted.
func (rq *request) retentionEnd(deleted time.Time) string {
	return deleted.Add(rq.media().Options().DeletedRetention).UTC().Format("2006-01-02")
}
