// Package audit owns the audit log (the quarry_audit_log table): who
// changed which row of which table, when, and the fields' values before
// and after. The admin and the REST resource API record their writes
// here, in the transaction of the write.
package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/middleware"
	"github.com/quarry-go/quarry/queries"
)

// Table is the audit log's table.
const Table = "quarry_audit_log"

// Entry is one write.
type Entry struct {
	// ActorID is the user who wrote (0: none, such as a job).
	ActorID int64
	// Action names the write, as "<source>.<verb>" (admin.create,
	// api.update, ...).
	Action   string
	Table    string
	ObjectID string
	// Changes are the fields' values before and after (nil: none).
	Changes map[string][2]any
	// RequestID and RemoteAddr identify the request, if any (see
	// FromRequest).
	RequestID  string
	RemoteAddr string
}

// FromRequest fills the entry's request id and client address from r.
func (e Entry) FromRequest(r *http.Request) Entry {
	e.RequestID = middleware.RequestIDFrom(r.Context())
	addr := middleware.ClientIPFrom(r)
	if len(addr) > 64 {
		addr = addr[:64]
	}
	e.RemoteAddr = addr
	return e
}

// Record writes e to the log on h: pass the write's transaction, so that
// the entry and the write commit together.
func Record(ctx context.Context, h dialects.Handle, e Entry) error {
	changes := e.Changes
	if changes == nil {
		changes = map[string][2]any{}
	}
	b, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	db, d := h.Handle()
	return d.Queries(db).AuditLogInsert(ctx, queries.AuditLogInsertParams{
		ActorID: sql.NullInt64{Int64: e.ActorID, Valid: e.ActorID != 0}, Action: e.Action, TableName: e.Table,
		ObjectID: e.ObjectID, Changes: string(b), RequestID: e.RequestID, RemoteAddr: e.RemoteAddr})
}

// ListForObject returns the latest entries (at most limit) about one row,
// newest first.
func ListForObject(ctx context.Context, h dialects.Handle, table, objectID string, limit int) ([]queries.QuarryAuditLog, error) {
	db, d := h.Handle()
	return d.Queries(db).AuditLogListForObject(ctx, queries.AuditLogListForObjectParams{TableName: table, ObjectID: objectID, Limit: int64(limit)})
}
