package admin

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/quarry-go/quarry/framework/records"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/media"
	"github.com/quarry-go/quarry/framework/textinput"
	"github.com/quarry-go/quarry/queries"
)

type mediaDetailPage struct {
	*base
	Item       mediaCard
	Status     string
	Ready      bool
	Preview    string // a thumbnail, for an image
	FileURL    string // the file itself, signed
	Alt        string
	Meta       []metaRow
	UsedBy     []usage
	CanChange  bool
	CanDelete  bool
	CanRestore bool
	Action     string
	DeleteURL  string
	RestoreURL string
	HistoryURL string
	LibraryURL string
	PurgeOn    string
	Version    string
	FormError  string
	Errors     map[string]string
	// The form's values.
	Filename, AltText, Tags string
	Public                  bool
	Collections             []collectionChoice
	MaxFilename             int
}

type metaRow struct {
	Label, Value, Link string
	Mono               bool
}

// usage is how many rows of a table refer to the file.
type usage struct{ Label, Column, Count, URL string }

// mediaForm is the detail page's form as posted.
type mediaForm struct {
	filename, alt, tags string
	public              bool
	collection          int64
	errs                map[string]string
	formErr             string
}

// mediaLoad reads the file of the URL, answering 404 for none (or an
// upload that was never finished).
func (rq *request) mediaLoad() (media.Media, bool) {
	id, ok := rq.mediaID()
	if !ok {
		return media.Media{}, false
	}
	m, err := rq.media().Get(rq.ctx(), rq.db, id)
	switch {
	case errors.Is(err, media.ErrNotFound):
		rq.fail(http.StatusNotFound, fmt.Sprintf("No media has the id %d. It may have been deleted for good.", id))
		return m, false
	case err != nil:
		rq.internal(err)
		return m, false
	case m.Status == media.Pending:
		rq.fail(http.StatusNotFound, fmt.Sprintf("Media %d is an upload that was never finished.", id))
		return m, false
	}
	return m, true
}

// mediaVersion fingerprints the file's row, as a form's version does.
func (rq *request) mediaVersion(id int64) (string, error) {
	row, err := rq.loadRow(rq.db.DB, []any{id}, false)
	if err != nil {
		return "", err
	}
	return rq.m.Version(row), nil
}

func (rq *request) mediaDetail() {
	m, ok := rq.mediaLoad()
	if !ok {
		return
	}
	v, err := rq.mediaVersion(m.ID)
	if err != nil {
		rq.internal(err)
		return
	}
	rq.showMediaDetail(http.StatusOK, m, v, nil)
}

// showMediaDetail shows the file m: a preview, what is known of it, the
// rows that refer to it, and (ready, with permission) the edit form
// holding f's values (nil: m's).
func (rq *request) showMediaDetail(status int, m media.Media, ver string, f *mediaForm) {
	svc := rq.media()
	id := strconv.FormatInt(m.ID, 10)
	p := mediaDetailPage{Item: rq.card(m, media.ThumbnailWidths[0]), Status: string(m.Status), Ready: m.Status == media.Ready, Alt: m.AltText,
		CanChange: m.Status == media.Ready && rq.can("change", rq.m), CanDelete: m.Status == media.Ready && rq.can("delete", rq.m),
		CanRestore: m.Status == media.Deleted && rq.can("change", rq.m), Action: rq.mediaItemURL(m.ID),
		DeleteURL: rq.mediaURL(id + "/delete/"), RestoreURL: rq.mediaURL(id + "/restore/"),
		HistoryURL: rq.rowURL(rq.m, id, "history"), LibraryURL: rq.mediaURL(""), Version: ver, Errors: map[string]string{},
		Filename: m.Filename, AltText: m.AltText, Tags: strings.Join(m.Tags, ", "), Public: m.Public, MaxFilename: media.MaxFilenameLen}
	crumbs := []crumb{{"Media", p.LibraryURL}}
	if m.Status == media.Deleted {
		crumbs = append(crumbs, crumb{"Trash", rq.mediaURL("trash/")})
		p.PurgeOn = rq.retentionEnd(m.DeletedAt)
	}
	p.base = rq.base(m.Filename, append(crumbs, crumb{truncate(m.Filename, 60), ""})...)
	collection := m.CollectionID
	if f != nil {
		p.Filename, p.AltText, p.Tags, p.Public, collection = textinput.Clean(f.filename, 0), textinput.Clean(f.alt, 0), textinput.Clean(f.tags, 0), f.public, f.collection
		p.Errors, p.FormError = f.errs, f.formErr
	}
	var names map[int64]string
	var err error
	if p.Collections, names, err = rq.collections(collection); err != nil {
		rq.internal(err)
		return
	}
	if p.Ready {
		p.Preview = rq.thumbnail(m, 640)
		if p.FileURL, err = svc.URL(rq.ctx(), m); err != nil {
			rq.logErr(slog.LevelWarn, "admin: media URL", err, "media", m.ID)
		}
	}
	size := humanBytes(m.Size)
	if m.Size >= 1024 {
		size += " (" + thousands(m.Size) + " bytes)"
	}
	p.Meta = []metaRow{{Label: "Type", Value: m.ContentType}, {Label: "Size", Value: size}}
	if p.Item.Dims != "" {
		p.Meta = append(p.Meta, metaRow{Label: "Dimensions", Value: p.Item.Dims + " pixels"})
	}
	p.Meta = append(p.Meta, metaRow{Label: "Checksum (SHA-256)", Value: m.Checksum, Mono: true})
	owner := metaRow{Label: "Owner", Value: "—"}
	if m.OwnerID != 0 {
		owner.Value = rq.usernames([]records.Cell{{Text: strconv.FormatInt(m.OwnerID, 10)}})[strconv.FormatInt(m.OwnerID, 10)]
		if users, ok := rq.st.models[usersTable]; ok && rq.can("view", users) {
			owner.Link = rq.rowURL(users, strconv.FormatInt(m.OwnerID, 10), "change")
		}
	}
	coll := metaRow{Label: "Collection", Value: "—"}
	if m.CollectionID != 0 {
		coll.Value = names[m.CollectionID]
		coll.Link = rq.mediaURL("?collection=" + strconv.FormatInt(m.CollectionID, 10))
	}
	tags := strings.Join(m.Tags, ", ")
	if tags == "" {
		tags = "—"
	}
	p.Meta = append(p.Meta, owner, coll, metaRow{Label: "Tags", Value: tags},
		metaRow{Label: "Public", Value: map[bool]string{true: "yes: served from the disk's public URL when it has one", false: "no: served through short-lived signed URLs"}[m.Public]},
		metaRow{Label: "Status", Value: string(m.Status)},
		metaRow{Label: "Uploaded", Value: m.CreatedAt.UTC().Format(records.DateTimeDisplay) + " UTC"},
		metaRow{Label: "Changed", Value: m.UpdatedAt.UTC().Format(records.DateTimeDisplay) + " UTC"})
	if !m.DeletedAt.IsZero() {
		p.Meta = append(p.Meta, metaRow{Label: "Deleted", Value: m.DeletedAt.UTC().Format(records.DateTimeDisplay) + " UTC; removed for good on " + p.PurgeOn})
	}
	p.Meta = append(p.Meta, metaRow{Label: "Stored as", Value: m.Disk + ": " + m.Key, Mono: true})
	p.UsedBy = rq.mediaUsage(m.ID)
	rq.render(status, "media_detail", p)
}

// mediaUsage counts the rows of the tables the user may view that refer
// to the file, with a link to each table's list filtered on it.
func (rq *request) mediaUsage(id int64) []usage {
	var out []usage
	idText := strconv.FormatInt(id, 10)
	for _, ref := range rq.st.schema.ReferencesTo(mediaTable) {
		m, ok := rq.st.models[ref.Table]
		if !ok || m.managed || len(ref.FK.Columns) != 1 || !rq.can("view", m) {
			continue
		}
		col := ref.FK.Columns[0]
		n, err := rq.count(m, func(q *records.SQL) {
			rq.scope(m, q)
			q.And().W(q.Ident(col), " = ", q.Arg(id))
		}, countCap)
		if err != nil {
			rq.logErr(slog.LevelWarn, "admin: media references", err, "table", m.Name)
			continue
		}
		if n == 0 {
			continue
		}
		u := usage{Label: m.label, Column: col, Count: rowsText(n)}
		if _, ok := m.Column(col); ok {
			u.URL = rq.tableURL(m) + "?" + url.Values{"f." + col: {idText}}.Encode()
		}
		out = append(out, u)
	}
	return out
}

// mediaSave applies the edit form (file name, alt text, public,
// collection, tags) through the service, refusing a form shown before
// someone else's change (409), and records the changes in the audit log.
func (rq *request) mediaSave() {
	svc := rq.media()
	cur, ok := rq.mediaLoad()
	if !ok {
		return
	}
	form := rq.r.PostForm
	f := &mediaForm{filename: form.Get("filename"), alt: form.Get("alt_text"), tags: form.Get("tags"),
		public: form.Get("public") != "" && form.Get("public") != "false", errs: map[string]string{}}
	ver := form.Get("_version")
	if strings.TrimSpace(f.filename) == "" {
		f.errs["filename"] = "This field is required."
	} else if err := textinput.Check("the file name", f.filename, media.MaxFilenameLen); err != nil {
		f.errs["filename"] = fieldError(err)
	}
	if err := textinput.Check("the alt text", f.alt, 500); err != nil {
		f.errs["alt_text"] = fieldError(err)
	}
	tags := splitTags(f.tags)
	if err := textinput.Check("the tags", f.tags, 0); err != nil {
		f.errs["tags"] = fieldError(err)
	} else if len(tags) > media.MaxTags {
		f.errs["tags"] = fmt.Sprintf("At most %d tags (these are %d).", media.MaxTags, len(tags))
	}
	var err error
	if f.collection, err = optionalID("The collection", form.Get("collection")); err != nil {
		f.errs["collection"] = err.Error() + "."
	}
	if cur.Status != media.Ready {
		rq.fail(http.StatusConflict, "“"+cur.Filename+"” is in the trash: restore it before editing it.")
		return
	}
	if len(f.errs) > 0 {
		f.formErr = "Please correct the errors below."
		rq.showMediaDetail(http.StatusUnprocessableEntity, cur, ver, f)
		return
	}
	var after media.Media
	changed := false
	err = rq.inTx(func(tx *framework.Tx) error {
		row, err := rq.loadRow(tx.Tx, []any{cur.ID}, true)
		if err != nil {
			return err
		}
		if ver != rq.m.Version(row) {
			return errStale
		}
		before, err := svc.Get(rq.ctx(), tx, cur.ID)
		if err != nil {
			return err
		}
		c := mediaChange(before, f, tags)
		if c == (media.Change{}) {
			after, changed = before, false
			return nil
		}
		if after, err = svc.Update(rq.ctx(), tx, cur.ID, c); err != nil {
			return err
		}
		changes := mediaChanges(before, after)
		if changed = len(changes) > 0; !changed {
			return nil
		}
		return rq.audit(tx.Tx, "update", strconv.FormatInt(cur.ID, 10), changes)
	})
	switch {
	case errors.Is(err, queries.ErrNotFound):
		rq.fail(http.StatusNotFound, fmt.Sprintf("No media has the id %d. It may have been deleted for good.", cur.ID))
		return
	case errors.Is(err, errStale):
		fresh, ok := rq.mediaLoad()
		if !ok {
			return
		}
		fv, err := rq.mediaVersion(fresh.ID)
		if err != nil {
			rq.internal(err)
			return
		}
		f.formErr = "Someone else changed this file while you were editing it. Their values are shown above the form, what you typed in it; check and save again."
		rq.showMediaDetail(http.StatusConflict, fresh, fv, f)
		return
	case mediaStatus(err) == http.StatusNotFound:
		rq.fail(http.StatusConflict, "“"+cur.Filename+"” was moved to the trash meanwhile: restore it before editing it.")
		return
	case mediaStatus(err) != 0:
		f.formErr = mediaMessage(err)
		rq.showMediaDetail(http.StatusUnprocessableEntity, cur, ver, f)
		return
	case err != nil:
		rq.internal(err)
		return
	}
	if changed {
		rq.flash(fmt.Sprintf("Saved “%s”.", after.Filename))
	} else {
		rq.flash(fmt.Sprintf("Nothing to save: “%s” is unchanged.", after.Filename))
	}
	rq.redirect(rq.mediaItemURL(cur.ID))
}

// mediaChange is the edit that takes m to the form's values: only the
// fields that differ (the service normalises what it keeps).
func mediaChange(m media.Media, f *mediaForm, tags []string) media.Change {
	var c media.Change
	if name := media.NormalizeFilename(f.filename); name != m.Filename {
		c.Filename = &name
	}
	if f.alt != m.AltText {
		c.AltText = &f.alt
	}
	if f.public != m.Public {
		c.Public = &f.public
	}
	if f.collection != m.CollectionID {
		c.CollectionID = &f.collection
	}
	norm := make([]string, 0, len(tags))
	for _, t := range tags {
		if t = strings.ToLower(strings.Join(strings.Fields(t), " ")); !slices.Contains(norm, t) {
			norm = append(norm, t)
		}
	}
	slices.Sort(norm)
	if !slices.Equal(norm, m.Tags) && !(len(norm) == 0 && len(m.Tags) == 0) {
		c.Tags = &tags
	}
	return c
}

// mediaChanges are the audit log's before and after of an edit.
func mediaChanges(b, a media.Media) map[string][2]any {
	out := map[string][2]any{}
	add := func(field, before, after string) {
		if before != after {
			out[field] = [2]any{before, after}
		}
	}
	add("filename", b.Filename, a.Filename)
	add("alt_text", b.AltText, a.AltText)
	add("is_public", strconv.FormatBool(b.Public), strconv.FormatBool(a.Public))
	add("tags", strings.Join(b.Tags, ", "), strings.Join(a.Tags, ", "))
	if b.CollectionID != a.CollectionID {
		out["collection_id"] = [2]any{nullableID(b.CollectionID), nullableID(a.CollectionID)}
	}
	return out
}

func nullableID(id int64) any {
	if id == 0 {
		return nil
	}
	return strconv.FormatInt(id, 10)
}

// mediaDelete moves a ready file to the trash (the purge removes it
// after the service's retention unless it is restored).
func (rq *request) mediaDelete() {
	m, ok := rq.mediaLoad()
	if !ok {
		return
	}
	err := rq.inTx(func(tx *framework.Tx) error {
		if err := rq.media().Delete(rq.ctx(), tx, m.ID); err != nil {
			return err
		}
		return rq.audit(tx.Tx, "delete", strconv.FormatInt(m.ID, 10), map[string][2]any{"status": {string(media.Ready), string(media.Deleted)}})
	})
	switch {
	case errors.Is(err, media.ErrNotFound):
		rq.fail(http.StatusConflict, "“"+m.Filename+"” is not in the library: it is in the trash already.")
		return
	case err != nil:
		rq.internal(err)
		return
	}
	deleted := m.DeletedAt
	if fresh, err := rq.media().Get(rq.ctx(), rq.db, m.ID); err == nil {
		deleted = fresh.DeletedAt
	}
	rq.flash(fmt.Sprintf("Moved “%s” to the trash. It can be restored from there until %s, when it is deleted for good.", m.Filename, rq.retentionEnd(deleted)))
	rq.redirect(rq.mediaURL(""))
}

// mediaRestore brings a file back from the trash.
func (rq *request) mediaRestore() {
	m, ok := rq.mediaLoad()
	if !ok {
		return
	}
	err := rq.inTx(func(tx *framework.Tx) error {
		if err := rq.media().Restore(rq.ctx(), tx, m.ID); err != nil {
			return err
		}
		return rq.audit(tx.Tx, "restore", strconv.FormatInt(m.ID, 10), map[string][2]any{"status": {string(media.Deleted), string(media.Ready)}})
	})
	switch {
	case errors.Is(err, media.ErrNotFound):
		rq.fail(http.StatusConflict, "“"+m.Filename+"” is not in the trash.")
		return
	case err != nil:
		rq.internal(err)
		return
	}
	rq.flash(fmt.Sprintf("Restored “%s”.", m.Filename))
	rq.redirect(rq.mediaItemURL(m.ID))
}
