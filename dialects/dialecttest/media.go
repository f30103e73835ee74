package dialecttest

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/queries"
)

// microNow is the current time in UTC with a fraction of a second, to the
// microsecond: what TIMESTAMPTZ and DATETIME(6) keep (SQLite keeps more),
// so that every round trip of a media time checks the fraction too.
func microNow() time.Time { return now().Add(123456 * time.Microsecond) }

func nullInt(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: true} }

// mediaParams is a media row on disk "local" under key, in state status.
func mediaParams(key, status string, at time.Time) queries.MediaCreateParams {
	return queries.MediaCreateParams{Disk: "local", ObjectKey: key, Filename: key + ".bin",
		ContentType: "application/octet-stream", Size: 10, Checksum: "c0ffee", AltText: "", Status: status, Now: at}
}

// createMedia inserts a media row and returns its id.
func (e *env) createMedia(p queries.MediaCreateParams) int64 {
	e.t.Helper()
	id, err := e.q.MediaCreate(e.ctx, p)
	e.must("MediaCreate "+p.ObjectKey, err)
	return id
}

// media reads a media row back.
func (e *env) media(id int64) queries.QuarryMedia {
	e.t.Helper()
	m, err := e.q.MediaGet(e.ctx, id)
	e.must(fmt.Sprintf("MediaGet %d", id), err)
	return m
}

// wantNotFound fails unless err is ErrNotFound wrapping sql.ErrNoRows.
func (e *env) wantNotFound(what string, err error) {
	e.t.Helper()
	wantSentinel(e.t, what, err, queries.ErrNotFound)
	if !errors.Is(err, sql.ErrNoRows) {
		e.t.Errorf("%s: %v does not wrap sql.ErrNoRows", what, err)
	}
}

func mediaIDs(ms []queries.QuarryMedia) []int64 {
	out := []int64{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

// testMedia follows media rows through their states: create (every column
// read back, the constraints enforced), mark ready, update, soft-delete,
// restore and delete (with the row's tag links).
func testMedia(e *env) {
	t, ctx, q := e.t, e.ctx, e.q
	t0 := microNow()
	owner := e.user("uploader")
	coll, err := q.MediaCollectionCreate(ctx, queries.MediaCollectionCreateParams{Name: "Inbox", Now: t0})
	e.must("MediaCollectionCreate", err)

	full := queries.MediaCreateParams{Disk: "local", ObjectKey: "media/2024/ab/Cat.PNG", Filename: "Cat.PNG",
		ContentType: "image/png", Size: 123456, Checksum: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Width: nullInt(640), Height: nullInt(480), AltText: "A cat, sitting", IsPublic: true,
		OwnerID: nullInt(owner), CollectionID: nullInt(coll), Status: "pending", Now: t0}
	a := e.createMedia(full)
	bare := mediaParams("media/2024/cd/file", "pending", t0.Add(time.Second))
	b := e.createMedia(bare)
	c := e.createMedia(mediaParams("media/2024/ef/file", "ready", t0))
	if !(a > 0 && b > a && c > b) {
		t.Errorf("MediaCreate ids %d, %d, %d; want increasing", a, b, c)
	}

	m := e.media(a)
	if m.ID != a || m.Disk != full.Disk || m.ObjectKey != full.ObjectKey || m.Filename != full.Filename ||
		m.ContentType != full.ContentType || m.Size != full.Size || m.Checksum != full.Checksum ||
		m.Width != full.Width || m.Height != full.Height || m.AltText != full.AltText || !m.IsPublic ||
		m.OwnerID != full.OwnerID || m.CollectionID != full.CollectionID || m.Status != "pending" ||
		!sameTime(m.CreatedAt, t0) || !sameTime(m.UpdatedAt, t0) || m.DeletedAt.Valid {
		t.Errorf("MediaGet after MediaCreate = %+v; want %+v at %v, not deleted", m, full, t0)
	}
	m = e.media(b)
	if m.Width.Valid || m.Height.Valid || m.OwnerID.Valid || m.CollectionID.Valid || m.IsPublic || m.AltText != "" ||
		m.Filename != bare.Filename || !sameTime(m.CreatedAt, bare.Now) || m.DeletedAt.Valid {
		t.Errorf("MediaGet of a row without the nullable columns = %+v", m)
	}
	_, err = q.MediaGet(ctx, 987654)
	e.wantNotFound("MediaGet(missing)", err)

	// The constraints: one row per (disk, object_key), compared exactly;
	// a known status; a size not negative; an owner and a collection that exist.
	_, err = q.MediaCreate(ctx, mediaParams("media/2024/cd/file", "pending", t0))
	wantSentinel(t, "MediaCreate(duplicate disk and key)", err, queries.ErrUniqueViolation)
	other := mediaParams("media/2024/cd/file", "pending", t0)
	other.Disk = "s3"
	e.createMedia(other) // the same key on another disk
	upper := mediaParams("media/2024/CD/file", "pending", t0)
	e.createMedia(upper) // keys differ by case: two objects
	_, err = q.MediaCreate(ctx, mediaParams("media/bogus", "bogus", t0))
	wantSentinel(t, "MediaCreate(status bogus)", err, queries.ErrCheckViolation)
	neg := mediaParams("media/negative", "pending", t0)
	neg.Size = -1
	_, err = q.MediaCreate(ctx, neg)
	wantSentinel(t, "MediaCreate(size -1)", err, queries.ErrCheckViolation)
	orphan := mediaParams("media/orphan", "pending", t0)
	orphan.OwnerID = nullInt(987654)
	_, err = q.MediaCreate(ctx, orphan)
	wantSentinel(t, "MediaCreate(missing owner)", err, queries.ErrForeignKeyViolation)
	orphan.OwnerID, orphan.CollectionID = sql.NullInt64{}, nullInt(987654)
	_, err = q.MediaCreate(ctx, orphan)
	wantSentinel(t, "MediaCreate(missing collection)", err, queries.ErrForeignKeyViolation)

	// Mark ready: only a pending row, once.
	t1 := t0.Add(time.Minute + 654321*time.Microsecond)
	ready := queries.MediaMarkReadyParams{ContentType: "image/webp", Size: 2048, Checksum: "abc123",
		Width: nullInt(320), Height: sql.NullInt64{}, Now: t1, ID: a}
	n, err := q.MediaMarkReady(ctx, ready)
	e.rows("MediaMarkReady(pending)", n, err, 1)
	m = e.media(a)
	if m.Status != "ready" || m.ContentType != "image/webp" || m.Size != 2048 || m.Checksum != "abc123" ||
		m.Width != nullInt(320) || m.Height.Valid || !sameTime(m.UpdatedAt, t1) || !sameTime(m.CreatedAt, t0) ||
		m.Filename != full.Filename || m.OwnerID != full.OwnerID || m.CollectionID != full.CollectionID || m.DeletedAt.Valid {
		t.Errorf("after MediaMarkReady: %+v", m)
	}
	n, err = q.MediaMarkReady(ctx, ready)
	e.rows("MediaMarkReady(ready)", n, err, 0)
	n, err = q.MediaMarkReady(ctx, queries.MediaMarkReadyParams{ContentType: "x/y", Checksum: "x", Now: t1, ID: 987654})
	e.rows("MediaMarkReady(missing)", n, err, 0)

	// Update: only a ready row.
	t2 := t1.Add(time.Minute)
	upd := queries.MediaUpdateParams{Filename: "kitten.png", AltText: "A kitten", IsPublic: false, CollectionID: sql.NullInt64{}, Now: t2, ID: a}
	n, err = q.MediaUpdate(ctx, upd)
	e.rows("MediaUpdate(ready)", n, err, 1)
	m = e.media(a)
	if m.Filename != "kitten.png" || m.AltText != "A kitten" || m.IsPublic || m.CollectionID.Valid || !sameTime(m.UpdatedAt, t2) ||
		m.Status != "ready" || m.ContentType != "image/webp" || m.ObjectKey != full.ObjectKey || !sameTime(m.CreatedAt, t0) {
		t.Errorf("after MediaUpdate: %+v", m)
	}
	upd.CollectionID, upd.IsPublic = nullInt(coll), true
	n, err = q.MediaUpdate(ctx, upd)
	e.rows("MediaUpdate(into a collection, public)", n, err, 1)
	if m = e.media(a); m.CollectionID != nullInt(coll) || !m.IsPublic {
		t.Errorf("after MediaUpdate into a collection: %+v", m)
	}
	pendingUpd := upd
	pendingUpd.ID = b
	n, err = q.MediaUpdate(ctx, pendingUpd)
	e.rows("MediaUpdate(pending)", n, err, 0)
	if m = e.media(b); m.Filename != bare.Filename || !sameTime(m.UpdatedAt, bare.Now) {
		t.Errorf("MediaUpdate changed a pending row: %+v", m)
	}
	upd.CollectionID = nullInt(987654)
	_, err = q.MediaUpdate(ctx, upd)
	wantSentinel(t, "MediaUpdate(missing collection)", err, queries.ErrForeignKeyViolation)

	// Soft delete: only a ready row; then nothing else changes it but a restore.
	t3 := t2.Add(time.Minute)
	del := queries.MediaMarkDeletedParams{DeletedAt: nullTime(t3), Now: t3, ID: a}
	n, err = q.MediaMarkDeleted(ctx, queries.MediaMarkDeletedParams{DeletedAt: nullTime(t3), Now: t3, ID: b})
	e.rows("MediaMarkDeleted(pending)", n, err, 0)
	n, err = q.MediaMarkDeleted(ctx, del)
	e.rows("MediaMarkDeleted(ready)", n, err, 1)
	m = e.media(a)
	if m.Status != "deleted" || !m.DeletedAt.Valid || !sameTime(m.DeletedAt.Time, t3) || !sameTime(m.UpdatedAt, t3) || m.Filename != "kitten.png" {
		t.Errorf("after MediaMarkDeleted: %+v", m)
	}
	n, err = q.MediaMarkDeleted(ctx, del)
	e.rows("MediaMarkDeleted(deleted)", n, err, 0)
	ready.ID = a
	n, err = q.MediaMarkReady(ctx, ready)
	e.rows("MediaMarkReady(deleted)", n, err, 0)
	upd.CollectionID = sql.NullInt64{}
	n, err = q.MediaUpdate(ctx, upd)
	e.rows("MediaUpdate(deleted)", n, err, 0)
	if m = e.media(a); m.Status != "deleted" || !sameTime(m.UpdatedAt, t3) {
		t.Errorf("a deleted row changed: %+v", m)
	}

	// Restore: only a deleted row.
	t4 := t3.Add(time.Minute)
	n, err = q.MediaRestore(ctx, queries.MediaRestoreParams{Now: t4, ID: b})
	e.rows("MediaRestore(pending)", n, err, 0)
	n, err = q.MediaRestore(ctx, queries.MediaRestoreParams{Now: t4, ID: c})
	e.rows("MediaRestore(ready)", n, err, 0)
	n, err = q.MediaRestore(ctx, queries.MediaRestoreParams{Now: t4, ID: a})
	e.rows("MediaRestore(deleted)", n, err, 1)
	m = e.media(a)
	if m.Status != "ready" || m.DeletedAt.Valid || !sameTime(m.UpdatedAt, t4) || m.Filename != "kitten.png" {
		t.Errorf("after MediaRestore: %+v", m)
	}
	n, err = q.MediaRestore(ctx, queries.MediaRestoreParams{Now: t4, ID: a})
	e.rows("MediaRestore(again)", n, err, 0)
	if m = e.media(b); m.Status != "pending" {
		t.Errorf("MediaRestore touched a pending row: %+v", m)
	}

	// Delete: the row and its tag links go; the tag and other rows stay.
	e.must("MediaTagEnsure", q.MediaTagEnsure(ctx, "pets"))
	tag, err := q.MediaTagGetByName(ctx, "pets")
	e.must("MediaTagGetByName", err)
	e.must("MediaTagLinkAdd", q.MediaTagLinkAdd(ctx, queries.MediaTagLinkAddParams{MediaID: a, TagID: tag.ID}))
	e.must("MediaTagLinkAdd", q.MediaTagLinkAdd(ctx, queries.MediaTagLinkAddParams{MediaID: c, TagID: tag.ID}))
	statusA := e.media(a).Status
	n, err = q.MediaDelete(ctx, queries.MediaDeleteParams{ID: a, Status: "pending"})
	if statusA == "pending" {
		t.Fatalf("test setup: media %d should not be pending here", a)
	}
	e.rows("MediaDelete(another status than the row's)", n, err, 0)
	n, err = q.MediaDelete(ctx, queries.MediaDeleteParams{ID: a, Status: statusA})
	e.rows("MediaDelete", n, err, 1)
	_, err = q.MediaGet(ctx, a)
	e.wantNotFound("MediaGet(deleted row)", err)
	links, err := q.MediaTagLinksBetween(ctx, queries.MediaTagLinksBetweenParams{MinID: a, MaxID: c})
	e.must("MediaTagLinksBetween", err)
	if want := []queries.MediaTagLinksBetweenRow{{MediaID: c, TagID: tag.ID, Name: "pets"}}; !slices.Equal(links, want) {
		t.Errorf("tag links after MediaDelete = %+v; want %+v (the deleted row's link cascaded away)", links, want)
	}
	if _, err := q.MediaTagGetByName(ctx, "pets"); err != nil {
		t.Errorf("MediaDelete took the tag: %v", err)
	}
	n, err = q.MediaDelete(ctx, queries.MediaDeleteParams{ID: a, Status: statusA})
	e.rows("MediaDelete(again)", n, err, 0)
	e.media(b)
	e.media(c)

	// The owner's deletion keeps the media, without an owner.
	owned := mediaParams("media/owned", "ready", t0)
	owned.OwnerID = nullInt(owner)
	d := e.createMedia(owned)
	n, err = q.UserDelete(ctx, owner)
	e.rows("UserDelete(owner)", n, err, 1)
	if m = e.media(d); m.OwnerID.Valid {
		t.Errorf("after the owner's deletion: owner %v; want NULL", m.OwnerID)
	}
}

// testMediaList checks MediaList's filters (status, keyset, collection,
// tag, type, search) and batch, MediaListStale and MediaListKeys.
func testMediaList(e *env) {
	t, ctx, q := e.t, e.ctx, e.q
	t0 := microNow()
	c1, err := q.MediaCollectionCreate(ctx, queries.MediaCollectionCreateParams{Name: "One", Now: t0})
	e.must("MediaCollectionCreate", err)
	c2, err := q.MediaCollectionCreate(ctx, queries.MediaCollectionCreateParams{Name: "Two", Now: t0})
	e.must("MediaCollectionCreate", err)
	tagID := func(name string) int64 {
		t.Helper()
		e.must("MediaTagEnsure", q.MediaTagEnsure(ctx, name))
		tg, err := q.MediaTagGetByName(ctx, name)
		e.must("MediaTagGetByName", err)
		return tg.ID
	}
	t1, t2, t3 := tagID("t1"), tagID("t2"), tagID("unused")
	mk := func(key, filename, contentType, status string, coll int64, tags ...int64) int64 {
		t.Helper()
		p := mediaParams(key, status, t0)
		p.Filename, p.ContentType = filename, contentType
		if coll != 0 {
			p.CollectionID = nullInt(coll)
		}
		id := e.createMedia(p)
		for _, tg := range tags {
			e.must("MediaTagLinkAdd", q.MediaTagLinkAdd(ctx, queries.MediaTagLinkAddParams{MediaID: id, TagID: tg}))
		}
		return id
	}
	m1 := mk("k/1", "Cat.PNG", "image/png", "ready", c1, t1)
	m2 := mk("k/2", "dog.jpg", "image/jpeg", "ready", c2, t1, t2)
	m3 := mk("k/3", "report.pdf", "application/pdf", "ready", 0, t2)
	m4 := mk("k/4", "concatenate.txt", "text/plain", "ready", c1)
	m5 := mk("k/5", "cat-pending.png", "image/png", "pending", c1, t1)
	m6 := mk("k/6", "cat-deleted.png", "image/png", "deleted", c1, t1)

	all := queries.MediaListParams{Status: "ready", BeforeID: math.MaxInt64, TypePattern: "%"}
	for _, c := range []struct {
		what string
		edit func(p *queries.MediaListParams)
		want []int64
	}{
		{"ready", func(p *queries.MediaListParams) {}, []int64{m4, m3, m2, m1}},
		{"pending", func(p *queries.MediaListParams) { p.Status = "pending" }, []int64{m5}},
		{"deleted", func(p *queries.MediaListParams) { p.Status = "deleted" }, []int64{m6}},
		{"before m3", func(p *queries.MediaListParams) { p.BeforeID = m3 }, []int64{m2, m1}},
		{"before m1", func(p *queries.MediaListParams) { p.BeforeID = m1 }, []int64{}},
		{"collection c1", func(p *queries.MediaListParams) { p.CollectionID = c1 }, []int64{m4, m1}},
		{"collection c2", func(p *queries.MediaListParams) { p.CollectionID = c2 }, []int64{m2}},
		{"collection missing", func(p *queries.MediaListParams) { p.CollectionID = 987654 }, []int64{}},
		{"tag t1", func(p *queries.MediaListParams) { p.TagID = t1 }, []int64{m2, m1}},
		{"tag t2", func(p *queries.MediaListParams) { p.TagID = t2 }, []int64{m3, m2}},
		{"tag unused", func(p *queries.MediaListParams) { p.TagID = t3 }, []int64{}},
		{"tag t2 in c2", func(p *queries.MediaListParams) { p.TagID, p.CollectionID = t2, c2 }, []int64{m2}},
		{"tag t2 in c1", func(p *queries.MediaListParams) { p.TagID, p.CollectionID = t2, c1 }, []int64{}},
		{"images", func(p *queries.MediaListParams) { p.TypePattern = "image/%" }, []int64{m2, m1}},
		{"exact type", func(p *queries.MediaListParams) { p.TypePattern = "application/pdf" }, []int64{m3}},
		{"no such type", func(p *queries.MediaListParams) { p.TypePattern = "video/%" }, []int64{}},
		{"search cat", func(p *queries.MediaListParams) { p.Search = "cat" }, []int64{m4, m1}},
		{"search .png", func(p *queries.MediaListParams) { p.Search = ".png" }, []int64{m1}},
		{"search missing", func(p *queries.MediaListParams) { p.Search = "zebra" }, []int64{}},
		{"search cat, images", func(p *queries.MediaListParams) { p.Search, p.TypePattern = "cat", "image/%" }, []int64{m1}},
		{"search cat, pending", func(p *queries.MediaListParams) { p.Search, p.Status = "cat", "pending" }, []int64{m5}},
	} {
		p := all
		c.edit(&p)
		got, err := q.MediaList(ctx, p)
		if err != nil || !slices.Equal(mediaIDs(got), c.want) {
			t.Errorf("MediaList(%s) = %v, %v; want %v", c.what, mediaIDs(got), err, c.want)
		}
	}
	got, err := q.MediaList(ctx, all)
	e.must("MediaList", err)
	if len(got) == 4 {
		if m := got[3]; m.ID != m1 || m.Filename != "Cat.PNG" || m.ContentType != "image/png" || m.CollectionID != nullInt(c1) ||
			m.Status != "ready" || m.ObjectKey != "k/1" || !sameTime(m.CreatedAt, t0) {
			t.Errorf("MediaList row = %+v; want m1's columns", m)
		}
	}

	// The batch: at most 101 rows, the newest; the next page is the rest.
	var batch []int64
	err = e.db.InTx(ctx, nil, func(tx *framework.Tx) error {
		for i := range 103 {
			p := mediaParams(fmt.Sprintf("batch/%03d", i), "ready", t0)
			p.ContentType = "batch/x"
			id, err := tx.Queries().MediaCreate(ctx, p)
			if err != nil {
				return err
			}
			batch = append(batch, id)
		}
		return nil
	})
	e.must("insert 103 media", err)
	slices.Reverse(batch)
	p := all
	p.TypePattern = "batch/%"
	got, err = q.MediaList(ctx, p)
	if err != nil || !slices.Equal(mediaIDs(got), batch[:101]) {
		t.Errorf("MediaList of 103 rows = %d rows %v, %v; want the newest 101", len(got), mediaIDs(got), err)
	}
	p.BeforeID = batch[100]
	got, err = q.MediaList(ctx, p)
	if err != nil || !slices.Equal(mediaIDs(got), batch[101:]) {
		t.Errorf("MediaList's second page = %v, %v; want %v", mediaIDs(got), err, batch[101:])
	}

	// What the purge removes: old pending rows, rows deleted long ago.
	s0 := microNow().Add(24 * time.Hour) // later than every row above
	pOld := e.createMedia(mediaParams("stale/pending-old", "pending", s0.Add(-2*time.Hour)))
	pNew := e.createMedia(mediaParams("stale/pending-new", "pending", s0))
	dOld := e.createMedia(mediaParams("stale/deleted-old", "ready", s0.Add(-3*time.Hour)))
	n, err := q.MediaMarkDeleted(ctx, queries.MediaMarkDeletedParams{DeletedAt: nullTime(s0.Add(-2 * time.Hour)), Now: s0, ID: dOld})
	e.rows("MediaMarkDeleted", n, err, 1)
	dNew := e.createMedia(mediaParams("stale/deleted-new", "ready", s0.Add(-3*time.Hour)))
	n, err = q.MediaMarkDeleted(ctx, queries.MediaMarkDeletedParams{DeletedAt: nullTime(s0), Now: s0, ID: dNew})
	e.rows("MediaMarkDeleted", n, err, 1)
	e.createMedia(mediaParams("stale/ready-old", "ready", s0.Add(-3*time.Hour)))
	stale := func(pendingBefore time.Time, deletedBefore sql.NullTime) []int64 {
		t.Helper()
		ms, err := q.MediaListStale(ctx, queries.MediaListStaleParams{PendingBefore: pendingBefore, DeletedBefore: deletedBefore})
		e.must("MediaListStale", err)
		var out []int64
		for _, m := range ms {
			if strings.HasPrefix(m.ObjectKey, "stale/") { // m5 is stale too (checked below)
				out = append(out, m.ID)
			}
		}
		return out
	}
	// m5 (pending, t0) and m6 (deleted, never given a deleted_at) are
	// older than s0: the pending one is stale, the other has no time.
	ms, err := q.MediaListStale(ctx, queries.MediaListStaleParams{PendingBefore: s0.Add(-time.Hour), DeletedBefore: nullTime(s0.Add(-time.Hour))})
	e.must("MediaListStale", err)
	if want := []int64{m5, pOld, dOld}; !slices.Equal(mediaIDs(ms), want) {
		t.Errorf("MediaListStale(an hour ago) = %v; want %v (by id)", mediaIDs(ms), want)
	} else if ms[1].Status != "pending" || ms[1].ObjectKey != "stale/pending-old" || !sameTime(ms[1].UpdatedAt, s0.Add(-2*time.Hour)) ||
		ms[2].Status != "deleted" || !sameTime(ms[2].DeletedAt.Time, s0.Add(-2*time.Hour)) {
		t.Errorf("MediaListStale rows = %+v", ms)
	}
	if got := stale(s0.Add(-2*time.Hour), nullTime(s0.Add(-2*time.Hour))); len(got) != 0 {
		t.Errorf("MediaListStale(at the rows' own times) = %v; want none (strictly before)", got)
	}
	if got := stale(s0.Add(-2*time.Hour+time.Microsecond), nullTime(s0.Add(-2*time.Hour+time.Microsecond))); !slices.Equal(got, []int64{pOld, dOld}) {
		t.Errorf("MediaListStale(a microsecond after) = %v; want [%d %d]", got, pOld, dOld)
	}
	if got := stale(s0.Add(time.Hour), nullTime(s0.Add(time.Hour))); !slices.Equal(got, []int64{pOld, pNew, dOld, dNew}) {
		t.Errorf("MediaListStale(in an hour) = %v; want [%d %d %d %d]", got, pOld, pNew, dOld, dNew)
	}
	if got := stale(s0.Add(time.Hour), sql.NullTime{}); !slices.Equal(got, []int64{pOld, pNew}) {
		t.Errorf("MediaListStale(no deleted_before) = %v; want the pending rows [%d %d]", got, pOld, pNew)
	}
	if got := stale(s0.Add(-3*time.Hour), nullTime(s0.Add(time.Hour))); !slices.Equal(got, []int64{dOld, dNew}) {
		t.Errorf("MediaListStale(pending long ago) = %v; want the deleted rows [%d %d]", got, dOld, dNew)
	}
	// Keyset: after an id, only the later rows.
	after, err := q.MediaListStale(ctx, queries.MediaListStaleParams{AfterID: pNew, PendingBefore: s0.Add(time.Hour), DeletedBefore: nullTime(s0.Add(time.Hour))})
	e.must("MediaListStale(after)", err)
	for _, m := range after {
		if m.ID <= pNew {
			t.Errorf("MediaListStale(after %d) returned %d", pNew, m.ID)
		}
	}
	if ids := mediaIDs(after); !slices.Contains(ids, dOld) || !slices.Contains(ids, dNew) || slices.Contains(ids, pOld) {
		t.Errorf("MediaListStale(after %d) = %v; want %d and %d, not %d", pNew, ids, dOld, dNew, pOld)
	}

	// The keys of a disk, every status, by id, after an id.
	var local []queries.MediaListKeysRow
	for _, id := range []int64{m1, m2, m3, m4, m5, m6} {
		local = append(local, queries.MediaListKeysRow{ID: id, ObjectKey: e.media(id).ObjectKey})
	}
	s3 := mediaParams("k/1", "ready", t0)
	s3.Disk = "s3"
	s3a := e.createMedia(s3)
	s3.ObjectKey = "k/9"
	s3b := e.createMedia(s3)
	keys, err := q.MediaListKeys(ctx, queries.MediaListKeysParams{Disk: "local", AfterID: 0})
	e.must("MediaListKeys", err)
	if len(keys) != 6+103+5 || !slices.Equal(keys[:6], local) || !slices.IsSortedFunc(keys, func(a, b queries.MediaListKeysRow) int { return int(a.ID - b.ID) }) {
		t.Errorf("MediaListKeys(local) = %d keys, first %+v; want %d by id, first %+v", len(keys), keys[:min(6, len(keys))], 6+103+5, local)
	}
	keys, err = q.MediaListKeys(ctx, queries.MediaListKeysParams{Disk: "local", AfterID: m4})
	if err != nil || len(keys) != 2+103+5 || !slices.Equal(keys[:2], local[4:]) {
		t.Errorf("MediaListKeys(local, after %d) = %d keys, first %+v, %v; want %d, first %+v", m4, len(keys), keys[:min(2, len(keys))], err, 2+103+5, local[4:])
	}
	keys, err = q.MediaListKeys(ctx, queries.MediaListKeysParams{Disk: "s3", AfterID: 0})
	if want := []queries.MediaListKeysRow{{ID: s3a, ObjectKey: "k/1"}, {ID: s3b, ObjectKey: "k/9"}}; err != nil || !slices.Equal(keys, want) {
		t.Errorf("MediaListKeys(s3) = %d keys, first %+v, %v; want %+v", len(keys), keys[:min(4, len(keys))], err, want)
	}
	keys, err = q.MediaListKeys(ctx, queries.MediaListKeysParams{Disk: "s3", AfterID: s3a})
	if err != nil || len(keys) != 1 || keys[0].ID != s3b {
		t.Errorf("MediaListKeys(s3, after %d) = %+v, %v; want [%d]", s3a, keys, err, s3b)
	}
	if keys, err := q.MediaListKeys(ctx, queries.MediaListKeysParams{Disk: "nowhere", AfterID: 0}); err != nil || len(keys) != 0 {
		t.Errorf("MediaListKeys(a disk without rows) = %d keys, %v; want none", len(keys), err)
	}
}

// testMediaCollections: nested collections are created, read, listed by
// name, renamed and moved; deleting one deletes the ones under it and
// leaves their media in no collection.
func testMediaCollections(e *env) {
	t, ctx, q := e.t, e.ctx, e.q
	t0 := microNow()
	create := func(name string, parent int64) int64 {
		t.Helper()
		p := queries.MediaCollectionCreateParams{Name: name, Now: t0}
		if parent != 0 {
			p.ParentID = nullInt(parent)
		}
		id, err := q.MediaCollectionCreate(ctx, p)
		e.must("MediaCollectionCreate "+name, err)
		return id
	}
	root := create("Photos", 0)
	child := create("2024", root)
	grand := create("Summer", child)
	other := create("Archive", 0)
	moved := create("Summer", root)
	if !(root > 0 && child > root && grand > child && other > grand && moved > other) {
		t.Errorf("MediaCollectionCreate ids %d %d %d %d %d; want increasing", root, child, grand, other, moved)
	}
	c, err := q.MediaCollectionGet(ctx, child)
	if err != nil || c != (queries.QuarryMediaCollection{ID: child, ParentID: nullInt(root), Name: "2024", CreatedAt: c.CreatedAt}) || !sameTime(c.CreatedAt, t0) {
		t.Errorf("MediaCollectionGet(child) = %+v, %v; want 2024 under %d, created %v", c, err, root, t0)
	}
	if c, err := q.MediaCollectionGet(ctx, root); err != nil || c.ParentID.Valid || c.Name != "Photos" {
		t.Errorf("MediaCollectionGet(root) = %+v, %v; want Photos without parent", c, err)
	}
	_, err = q.MediaCollectionGet(ctx, 987654)
	e.wantNotFound("MediaCollectionGet(missing)", err)
	_, err = q.MediaCollectionCreate(ctx, queries.MediaCollectionCreateParams{ParentID: nullInt(987654), Name: "x", Now: t0})
	wantSentinel(t, "MediaCollectionCreate(missing parent)", err, queries.ErrForeignKeyViolation)

	list := func() []queries.QuarryMediaCollection {
		t.Helper()
		cs, err := q.MediaCollectionList(ctx)
		e.must("MediaCollectionList", err)
		return cs
	}
	type entry struct {
		id, parent int64
		name       string
	}
	entries := func(cs []queries.QuarryMediaCollection) []entry {
		var out []entry
		for _, c := range cs {
			out = append(out, entry{c.ID, c.ParentID.Int64, c.Name})
		}
		return out
	}
	if got, want := entries(list()), []entry{{child, root, "2024"}, {other, 0, "Archive"}, {root, 0, "Photos"},
		{grand, child, "Summer"}, {moved, root, "Summer"}}; !slices.Equal(got, want) {
		t.Errorf("MediaCollectionList = %v; want %v (by name, then id)", got, want)
	}

	// Rename and move.
	n, err := q.MediaCollectionUpdate(ctx, queries.MediaCollectionUpdateParams{ParentID: nullInt(other), Name: "Winter", ID: moved})
	e.rows("MediaCollectionUpdate(move, rename)", n, err, 1)
	n, err = q.MediaCollectionUpdate(ctx, queries.MediaCollectionUpdateParams{Name: "Old", ID: other})
	e.rows("MediaCollectionUpdate(rename)", n, err, 1)
	n, err = q.MediaCollectionUpdate(ctx, queries.MediaCollectionUpdateParams{Name: "x", ID: 987654})
	e.rows("MediaCollectionUpdate(missing)", n, err, 0)
	_, err = q.MediaCollectionUpdate(ctx, queries.MediaCollectionUpdateParams{ParentID: nullInt(987654), Name: "x", ID: grand})
	wantSentinel(t, "MediaCollectionUpdate(missing parent)", err, queries.ErrForeignKeyViolation)
	if c, err := q.MediaCollectionGet(ctx, moved); err != nil || c.ParentID != nullInt(other) || c.Name != "Winter" || !sameTime(c.CreatedAt, t0) {
		t.Errorf("after MediaCollectionUpdate: %+v, %v; want Winter under %d", c, err, other)
	}
	if got, want := entries(list()), []entry{{child, root, "2024"}, {other, 0, "Old"}, {root, 0, "Photos"},
		{grand, child, "Summer"}, {moved, other, "Winter"}}; !slices.Equal(got, want) {
		t.Errorf("MediaCollectionList after the updates = %v; want %v", got, want)
	}

	// Delete a tree: its collections go, its media stay, in no collection.
	in := func(key string, coll int64) int64 {
		t.Helper()
		p := mediaParams(key, "ready", t0)
		p.CollectionID = nullInt(coll)
		return e.createMedia(p)
	}
	inRoot, inChild, inGrand, inMoved, inOther := in("c/root", root), in("c/child", child), in("c/grand", grand), in("c/moved", moved), in("c/other", other)
	n, err = q.MediaCollectionDelete(ctx, root)
	e.rows("MediaCollectionDelete(root)", n, err, 1)
	for _, id := range []int64{root, child, grand} {
		_, err := q.MediaCollectionGet(ctx, id)
		e.wantNotFound(fmt.Sprintf("MediaCollectionGet(%d) after deleting its tree", id), err)
	}
	if got, want := entries(list()), []entry{{other, 0, "Old"}, {moved, other, "Winter"}}; !slices.Equal(got, want) {
		t.Errorf("MediaCollectionList after the delete = %v; want %v", got, want)
	}
	for _, id := range []int64{inRoot, inChild, inGrand} {
		if m := e.media(id); m.CollectionID.Valid || m.Status != "ready" {
			t.Errorf("media %d after its collection's deletion: collection %v, %s; want none, ready", id, m.CollectionID, m.Status)
		}
	}
	if m := e.media(inMoved); m.CollectionID != nullInt(moved) {
		t.Errorf("media of a moved collection: collection %v; want %d", m.CollectionID, moved)
	}
	if m := e.media(inOther); m.CollectionID != nullInt(other) {
		t.Errorf("media of another collection: collection %v; want %d", m.CollectionID, other)
	}
	n, err = q.MediaCollectionDelete(ctx, root)
	e.rows("MediaCollectionDelete(again)", n, err, 0)
}

// testMediaTags: tags are ensured once, read by exact name, listed by
// name and deleted with their links; links are added once, removed, and
// listed for a range of media.
func testMediaTags(e *env) {
	t, ctx, q := e.t, e.ctx, e.q
	t0 := microNow()
	tag := func(name string) queries.QuarryMediaTag {
		t.Helper()
		tg, err := q.MediaTagGetByName(ctx, name)
		e.must("MediaTagGetByName "+name, err)
		return tg
	}
	for _, name := range []string{"sunset", "beach", "city", "sunset"} {
		e.must("MediaTagEnsure "+name, q.MediaTagEnsure(ctx, name))
	}
	sunset, beach, city := tag("sunset"), tag("beach"), tag("city")
	e.must("MediaTagEnsure(again)", q.MediaTagEnsure(ctx, "beach"))
	if again := tag("beach"); again != beach || beach.Name != "beach" || beach.ID <= 0 {
		t.Errorf("MediaTagEnsure twice: %+v then %+v; want one tag", beach, again)
	}
	ts, err := q.MediaTagList(ctx)
	if want := []queries.QuarryMediaTag{beach, city, sunset}; err != nil || !slices.Equal(ts, want) {
		t.Errorf("MediaTagList = %+v, %v; want %+v (one each, by name)", ts, err, want)
	}
	_, err = q.MediaTagGetByName(ctx, "forest")
	e.wantNotFound("MediaTagGetByName(missing)", err)
	// Names are compared exactly: a tag differing by case is another tag.
	e.must("MediaTagEnsure Sunset", q.MediaTagEnsure(ctx, "Sunset"))
	if upper := tag("Sunset"); upper.ID == sunset.ID || upper.Name != "Sunset" {
		t.Errorf("MediaTagGetByName(Sunset) = %+v; want a tag of its own (sunset is %+v)", upper, sunset)
	} else {
		n, err := q.MediaTagDelete(ctx, upper.ID)
		e.rows("MediaTagDelete(Sunset)", n, err, 1)
	}
	if got := tag("sunset"); got != sunset {
		t.Errorf("MediaTagGetByName(sunset) = %+v; want %+v", got, sunset)
	}

	m1 := e.createMedia(mediaParams("t/1", "ready", t0))
	m2 := e.createMedia(mediaParams("t/2", "ready", t0))
	m3 := e.createMedia(mediaParams("t/3", "pending", t0))
	m4 := e.createMedia(mediaParams("t/4", "ready", t0))
	link := func(m int64, tg queries.QuarryMediaTag) {
		t.Helper()
		e.must("MediaTagLinkAdd", q.MediaTagLinkAdd(ctx, queries.MediaTagLinkAddParams{MediaID: m, TagID: tg.ID}))
	}
	link(m1, sunset)
	link(m1, beach)
	link(m1, beach) // idempotent
	link(m2, city)
	link(m3, beach)
	link(m4, sunset)
	err = q.MediaTagLinkAdd(ctx, queries.MediaTagLinkAddParams{MediaID: 987654, TagID: beach.ID})
	wantSentinel(t, "MediaTagLinkAdd(missing media)", err, queries.ErrForeignKeyViolation)
	err = q.MediaTagLinkAdd(ctx, queries.MediaTagLinkAddParams{MediaID: m1, TagID: 987654})
	wantSentinel(t, "MediaTagLinkAdd(missing tag)", err, queries.ErrForeignKeyViolation)

	row := func(m int64, tg queries.QuarryMediaTag) queries.MediaTagLinksBetweenRow {
		return queries.MediaTagLinksBetweenRow{MediaID: m, TagID: tg.ID, Name: tg.Name}
	}
	between := func(lo, hi int64) []queries.MediaTagLinksBetweenRow {
		t.Helper()
		rows, err := q.MediaTagLinksBetween(ctx, queries.MediaTagLinksBetweenParams{MinID: lo, MaxID: hi})
		e.must("MediaTagLinksBetween", err)
		return rows
	}
	if got, want := between(m1, m3), []queries.MediaTagLinksBetweenRow{row(m1, beach), row(m1, sunset), row(m2, city), row(m3, beach)}; !slices.Equal(got, want) {
		t.Errorf("MediaTagLinksBetween(%d, %d) = %+v; want %+v (by media, then name; %d outside)", m1, m3, got, want, m4)
	}
	if got, want := between(m2, m2), []queries.MediaTagLinksBetweenRow{row(m2, city)}; !slices.Equal(got, want) {
		t.Errorf("MediaTagLinksBetween(%d, %d) = %+v; want %+v", m2, m2, got, want)
	}
	if got, want := between(m2, m4+100), []queries.MediaTagLinksBetweenRow{row(m2, city), row(m3, beach), row(m4, sunset)}; !slices.Equal(got, want) {
		t.Errorf("MediaTagLinksBetween(%d, %d) = %+v; want %+v", m2, m4+100, got, want)
	}
	if got := between(m4+1, m4+100); len(got) != 0 {
		t.Errorf("MediaTagLinksBetween past the last media = %+v", got)
	}

	n, err := q.MediaTagLinkRemove(ctx, queries.MediaTagLinkRemoveParams{MediaID: m1, TagID: sunset.ID})
	e.rows("MediaTagLinkRemove", n, err, 1)
	n, err = q.MediaTagLinkRemove(ctx, queries.MediaTagLinkRemoveParams{MediaID: m1, TagID: sunset.ID})
	e.rows("MediaTagLinkRemove(again)", n, err, 0)
	n, err = q.MediaTagLinkRemove(ctx, queries.MediaTagLinkRemoveParams{MediaID: m2, TagID: beach.ID})
	e.rows("MediaTagLinkRemove(not linked)", n, err, 0)
	if got, want := between(m1, m4), []queries.MediaTagLinksBetweenRow{row(m1, beach), row(m2, city), row(m3, beach), row(m4, sunset)}; !slices.Equal(got, want) {
		t.Errorf("after MediaTagLinkRemove: %+v; want %+v", got, want)
	}

	// Deleting a tag deletes its links, not the media.
	n, err = q.MediaTagDelete(ctx, beach.ID)
	e.rows("MediaTagDelete", n, err, 1)
	n, err = q.MediaTagDelete(ctx, beach.ID)
	e.rows("MediaTagDelete(again)", n, err, 0)
	_, err = q.MediaTagGetByName(ctx, "beach")
	e.wantNotFound("MediaTagGetByName(deleted)", err)
	if got, want := between(m1, m4), []queries.MediaTagLinksBetweenRow{row(m2, city), row(m4, sunset)}; !slices.Equal(got, want) {
		t.Errorf("links after MediaTagDelete = %+v; want %+v", got, want)
	}
	if ts, err := q.MediaTagList(ctx); err != nil || !slices.Equal(ts, []queries.QuarryMediaTag{city, sunset}) {
		t.Errorf("MediaTagList after MediaTagDelete = %+v, %v", ts, err)
	}
	e.media(m1)
	e.media(m3)
	// A deleted tag may be ensured again.
	e.must("MediaTagEnsure(deleted)", q.MediaTagEnsure(ctx, "beach"))
	if again := tag("beach"); again.Name != "beach" {
		t.Errorf("MediaTagGetByName after ensuring a deleted tag again = %+v", again)
	}
}
