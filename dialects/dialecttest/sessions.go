package dialecttest

import (
	"bytes"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/quarry-go/quarry/queries"
)

// testSessions: sessions are written (and rewritten), found while live,
// found with their user, touched, listed, deleted, purged when expired,
// and ended with their user.
func testSessions(e *env) {
	t, ctx, q := e.t, e.ctx, e.q
	t0 := now()
	uid := e.user("session-user")
	blob := []byte{0, 1, 2, 0xff, 0xfe, '\'', '"', '\\', 0}
	commit := func(token string, data []byte, expiry time.Time, user sql.NullInt64) {
		t.Helper()
		e.must("SessionCommit "+token, q.SessionCommit(ctx, queries.SessionCommitParams{Token: token, Data: data, Expiry: expiry, UserID: user}))
	}
	commit("anon", []byte("first"), t0.Add(time.Hour), sql.NullInt64{})
	commit("anon", blob, t0.Add(time.Hour), sql.NullInt64{}) // rewrites
	commit("user", []byte("u"), t0.Add(time.Hour), sql.NullInt64{Int64: uid, Valid: true})
	commit("old", []byte("o"), t0.Add(-time.Hour), sql.NullInt64{})
	commit("Anon", []byte("case"), t0.Add(time.Hour), sql.NullInt64{}) // tokens are case-sensitive

	s, err := q.SessionFind(ctx, queries.SessionFindParams{Token: "anon", Now: t0})
	if err != nil || !bytes.Equal(s.Data, blob) || !sameTime(s.Expiry, t0.Add(time.Hour)) {
		t.Errorf("SessionFind(anon) = %q %v, %v; want the rewritten binary data, expiring in an hour", s.Data, s.Expiry, err)
	}
	if s, err := q.SessionFind(ctx, queries.SessionFindParams{Token: "Anon", Now: t0}); err != nil || string(s.Data) != "case" {
		t.Errorf("SessionFind(Anon) = %q, %v; tokens differing in case are different sessions", s.Data, err)
	}
	if _, err := q.SessionFind(ctx, queries.SessionFindParams{Token: "old", Now: t0}); !errors.Is(err, queries.ErrNotFound) {
		t.Errorf("SessionFind(expired) = %v; want ErrNotFound", err)
	}

	su, err := q.SessionFindUser(ctx, queries.SessionFindUserParams{Token: "user", Now: t0})
	e.must("SessionFindUser", err)
	if string(su.SessionData) != "u" || !sameTime(su.Expiry, t0.Add(time.Hour)) || su.ID != uid || su.Username != "session-user" ||
		su.Email != "session-user@example.com" || !su.IsActive || su.IsStaff || !recent(su.CreatedAt) || !sameJSON(su.Data, "{}") || su.AuthVersion.Valid {
		t.Errorf("SessionFindUser = %+v; want the session, its user, no permissions version", su)
	}
	e.must("AuthVersionBump", q.AuthVersionBump(ctx))
	if su, err := q.SessionFindUser(ctx, queries.SessionFindUserParams{Token: "user", Now: t0}); err != nil || su.AuthVersion != (sql.NullInt64{Int64: 1, Valid: true}) {
		t.Errorf("SessionFindUser after a permissions change: version %v, %v; want 1", su.AuthVersion, err)
	}
	if _, err := q.SessionFindUser(ctx, queries.SessionFindUserParams{Token: "anon", Now: t0}); !errors.Is(err, queries.ErrNotFound) {
		t.Errorf("SessionFindUser(anonymous) = %v; want ErrNotFound", err)
	}
	if _, err := q.SessionFindUser(ctx, queries.SessionFindUserParams{Token: "user", Now: t0.Add(2 * time.Hour)}); !errors.Is(err, queries.ErrNotFound) {
		t.Errorf("SessionFindUser(expired by then) = %v; want ErrNotFound", err)
	}

	e.must("SessionTouch", q.SessionTouch(ctx, queries.SessionTouchParams{Expiry: t0.Add(3 * time.Hour), Token: "anon"}))
	if s, err := q.SessionFind(ctx, queries.SessionFindParams{Token: "anon", Now: t0.Add(2 * time.Hour)}); err != nil || !bytes.Equal(s.Data, blob) || !sameTime(s.Expiry, t0.Add(3*time.Hour)) {
		t.Errorf("after SessionTouch: %q %v, %v; want the same data, expiring in three hours", s.Data, s.Expiry, err)
	}
	e.must("SessionTouch(missing)", q.SessionTouch(ctx, queries.SessionTouchParams{Expiry: t0, Token: "missing"}))

	live, err := q.SessionListLive(ctx, t0)
	e.must("SessionListLive", err)
	var tokens []string
	for _, l := range live {
		tokens = append(tokens, l.Token)
		if l.Token == "anon" && !bytes.Equal(l.Data, blob) {
			t.Errorf("SessionListLive: anon's data %q", l.Data)
		}
	}
	slices.Sort(tokens)
	if !slices.Equal(tokens, []string{"Anon", "anon", "user"}) {
		t.Errorf("SessionListLive = %v; want Anon, anon, user", tokens)
	}

	n, err := q.SessionDeleteExpired(ctx, t0)
	e.rows("SessionDeleteExpired", n, err, 1)
	n, err = q.SessionDeleteExpired(ctx, t0)
	e.rows("SessionDeleteExpired(again)", n, err, 0)
	e.must("SessionDelete", q.SessionDelete(ctx, "Anon"))
	e.must("SessionDelete(missing)", q.SessionDelete(ctx, "missing"))
	if _, err := q.SessionFind(ctx, queries.SessionFindParams{Token: "Anon", Now: t0}); !errors.Is(err, queries.ErrNotFound) {
		t.Errorf("SessionFind(deleted) = %v; want ErrNotFound", err)
	}
	if _, err := q.SessionFind(ctx, queries.SessionFindParams{Token: "anon", Now: t0}); err != nil {
		t.Errorf("SessionDelete(Anon) deleted anon too: %v", err)
	}

	// A user's deletion ends the user's sessions.
	n, err = q.UserDelete(ctx, uid)
	e.rows("UserDelete", n, err, 1)
	if _, err := q.SessionFind(ctx, queries.SessionFindParams{Token: "user", Now: t0}); !errors.Is(err, queries.ErrNotFound) {
		t.Errorf("a deleted user's session survives: %v", err)
	}
}
