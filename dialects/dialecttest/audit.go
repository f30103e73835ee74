package dialecttest

import (
	"database/sql"
	"time"

	"github.com/quarry-go/quarry/queries"
)

// testAudit: entries are written, listed newest first (all, or one
// object's), and deleted by age; deleting the actor keeps the entry.
func testAudit(e *env) {
	t, ctx, q := e.t, e.ctx, e.q
	actor := e.user("auditor")
	entries := []queries.AuditLogInsertParams{
		{ActorID: sql.NullInt64{Int64: actor, Valid: true}, Action: "add", TableName: "posts", ObjectID: "1",
			Changes: `{"title": ["", "Hello"]}`, RequestID: "req-1", RemoteAddr: "192.0.2.1"},
		{Action: "change", TableName: "posts", ObjectID: "2", Changes: "{}", RequestID: "req-2", RemoteAddr: "192.0.2.2"},
		{ActorID: sql.NullInt64{Int64: actor, Valid: true}, Action: "delete", TableName: "posts", ObjectID: "1",
			Changes: `{"gone": true}`, RequestID: "req-3", RemoteAddr: "2001:db8::1"},
	}
	for _, p := range entries {
		e.must("AuditLogInsert", q.AuditLogInsert(ctx, p))
	}
	same := func(got queries.QuarryAuditLog, want queries.AuditLogInsertParams) bool {
		return got.ActorID == want.ActorID && got.Action == want.Action && got.TableName == want.TableName &&
			got.ObjectID == want.ObjectID && sameJSON(got.Changes, want.Changes) && got.RequestID == want.RequestID &&
			got.RemoteAddr == want.RemoteAddr && recent(got.CreatedAt) && got.ID > 0
	}

	recentRows, err := q.AuditLogListRecent(ctx, 2)
	e.must("AuditLogListRecent", err)
	if len(recentRows) != 2 || !same(recentRows[0], entries[2]) || !same(recentRows[1], entries[1]) || recentRows[0].ID <= recentRows[1].ID {
		t.Errorf("AuditLogListRecent(2) = %+v; want the last two entries, newest first", recentRows)
	}
	all, err := q.AuditLogListRecent(ctx, 10)
	if err != nil || len(all) != 3 {
		t.Errorf("AuditLogListRecent(10) = %d entries, %v; want 3", len(all), err)
	}
	obj, err := q.AuditLogListForObject(ctx, queries.AuditLogListForObjectParams{TableName: "posts", ObjectID: "1", Limit: 10})
	e.must("AuditLogListForObject", err)
	if len(obj) != 2 || !same(obj[0], entries[2]) || !same(obj[1], entries[0]) {
		t.Errorf("AuditLogListForObject(posts, 1) = %+v; want its two entries, newest first", obj)
	}
	obj, err = q.AuditLogListForObject(ctx, queries.AuditLogListForObjectParams{TableName: "posts", ObjectID: "1", Limit: 1})
	if err != nil || len(obj) != 1 || !same(obj[0], entries[2]) {
		t.Errorf("AuditLogListForObject(posts, 1, limit 1) = %+v, %v", obj, err)
	}
	if obj, err := q.AuditLogListForObject(ctx, queries.AuditLogListForObjectParams{TableName: "pages", ObjectID: "1", Limit: 10}); err != nil || len(obj) != 0 {
		t.Errorf("AuditLogListForObject of another table = %+v, %v", obj, err)
	}

	// The actor's deletion keeps the entries, without the actor.
	n, err := q.UserDelete(ctx, actor)
	e.rows("UserDelete(actor)", n, err, 1)
	all, err = q.AuditLogListRecent(ctx, 10)
	if err != nil || len(all) != 3 || all[0].ActorID.Valid || all[2].ActorID.Valid {
		t.Errorf("after the actor's deletion: %+v, %v; want 3 entries without actor", all, err)
	}

	n, err = q.AuditLogDeleteBefore(ctx, time.Now().UTC().Add(-time.Hour))
	e.rows("AuditLogDeleteBefore(an hour ago)", n, err, 0)
	n, err = q.AuditLogDeleteBefore(ctx, time.Now().UTC().Add(time.Hour))
	e.rows("AuditLogDeleteBefore(in an hour)", n, err, 3)
	if all, err := q.AuditLogListRecent(ctx, 10); err != nil || len(all) != 0 {
		t.Errorf("after deleting everything: %+v, %v", all, err)
	}
}
