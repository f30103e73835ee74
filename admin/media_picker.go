package admin

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/quarry-go/quarry/framework/introspect"
	"github.com/quarry-go/quarry/framework/media"
)

// mediaThumbLimit bounds the files a list page shows thumbnails of (one
// lookup each); past it the cells show the names only.
const mediaThumbLimit = 100

// mediaPreview is the file a picker (or a read-only field, or a list
// cell) refers to.
type mediaPreview struct {
	ID     int64
	Name   string
	Thumb  string
	URL    string // its page in the library
	Family string
	Note   string // "in the trash", …
}

// mediaRef reports whether the foreign key refers to the library's files
// (quarry_media's id) while the library is on.
func (rq *request) mediaRef(fk introspect.ForeignKey) bool {
	_, ok := rq.mediaModel()
	return ok && fk.RefTable == mediaTable && len(fk.RefColumns) == 1 && fk.RefColumns[0] == "id"
}

// mediaPicks reports whether the column of the foreign key gets the
// picker: it refers to the library's files and the user may browse them.
func (rq *request) mediaPicks(fk introspect.ForeignKey) bool {
	mm, ok := rq.mediaModel()
	return ok && rq.mediaRef(fk) && rq.can("view", mm)
}

// mediaPreviewOf describes the file whose id is value; nil for none.
func (rq *request) mediaPreviewOf(value string) *mediaPreview {
	id, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
	if err != nil || id < 1 {
		return nil
	}
	m, err := rq.media().Get(rq.ctx(), rq.db, id)
	if err != nil {
		if !errors.Is(err, media.ErrNotFound) {
			rq.logErr(slog.LevelWarn, "admin: media preview", err, "media", id)
		}
		return &mediaPreview{ID: id, Name: fmt.Sprintf("media #%d", id), Note: "no such file"}
	}
	p := &mediaPreview{ID: id, Name: m.Filename, URL: rq.mediaItemURL(id), Family: family(m.ContentType), Thumb: rq.thumbnail(m, media.ThumbnailWidths[0])}
	switch m.Status {
	case media.Deleted:
		p.Note = "in the trash"
	case media.Pending:
		p.Note, p.URL = "an upload never finished", ""
	}
	return p
}

// mediaReadonly shows a file reference that the user may not change: its
// name, thumbnail and page.
func (rq *request) mediaReadonly(f *formField, value string) {
	if p := rq.mediaPreviewOf(value); p != nil {
		f.Media, f.Display, f.Link = p, p.Name, p.URL
	}
}

// mediaWidget makes a file reference a picker: a preview of the file, a
// chooser of the library's ready files (the page's script) and a clear
// button for a nullable column, over the control that works without
// JavaScript: a drop-down of the ready files, newest first, or past
// fkSelectLimit of them a text input with suggestions (as a foreign key
// to another large table gets).
func (rq *request) mediaWidget(f *formField) {
	f.Widget = "media"
	f.ChooseURL, f.ListURL = rq.mediaURL("choose/"), rq.mediaURL("")
	f.Media = rq.mediaPreviewOf(f.Value)
	var items []media.Media
	for before := int64(0); len(items) <= fkSelectLimit; {
		page, err := rq.media().List(rq.ctx(), rq.db, media.ListOptions{Before: before, Limit: media.MaxPageSize})
		if err != nil {
			rq.logErr(slog.LevelWarn, "admin: media choices", err)
			f.LookupURL = rq.mediaURL("lookup")
			return
		}
		items = append(items, page.Items...)
		if page.Next == 0 {
			break
		}
		before = page.Next
	}
	if len(items) > fkSelectLimit {
		f.LookupURL = rq.mediaURL("lookup")
		return
	}
	f.Options = []option{{"", "—", f.Value == ""}}
	found := f.Value == ""
	for _, m := range items {
		v := strconv.FormatInt(m.ID, 10)
		found = found || v == f.Value
		f.Options = append(f.Options, option{v, truncate(m.Filename, 80) + " (#" + v + ")", v == f.Value})
	}
	if !found {
		// The current value (a file in the trash, or no file at all) stays
		// chosen: saving the form unchanged keeps it.
		label := "#" + f.Value
		if p := f.Media; p != nil {
			label = truncate(p.Name, 80) + " (#" + f.Value + ", " + p.Note + ")"
		}
		f.Options = append(f.Options[:1], append([]option{{f.Value, label, true}}, f.Options[1:]...)...)
	}
}

// checkMediaRef refuses a reference to a file that is not in the library
// (none, in the trash, an unfinished upload), with the reason.
func (rq *request) checkMediaRef(v any) error {
	id, ok := v.(int64)
	if !ok {
		return nil
	}
	m, err := rq.media().Get(rq.ctx(), rq.db, id)
	switch {
	case errors.Is(err, media.ErrNotFound):
		return fmt.Errorf("no file of the media library has the id %d", id)
	case err != nil:
		rq.logErr(slog.LevelWarn, "admin: media reference check", err, "media", id)
		return nil // the database's foreign key still decides
	case m.Status == media.Deleted:
		return fmt.Errorf("media %d is in the trash: restore it or choose another file", id)
	case m.Status == media.Pending:
		return fmt.Errorf("media %d is an upload that was never finished: choose another file", id)
	}
	return nil
}

// mediaCells returns the thumbnails of the files a list page's column
// refers to (the values), by id text; nil when there are too many.
func (rq *request) mediaCells(values []string) map[string]string {
	if len(values) > mediaThumbLimit {
		return nil
	}
	out := map[string]string{}
	for _, v := range values {
		if p := rq.mediaPreviewOf(v); p != nil && p.Thumb != "" {
			out[v] = p.Thumb
		}
	}
	return out
}
