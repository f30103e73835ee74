package tests

import (
	"context"
	"database/sql"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// sessionRow reads the one session row: its user and expiry.
func sessionRow(t *testing.T, db *dbtest.DB) (user sql.NullInt64, expiry time.Time) {
	t.Helper()
	if err := db.SQL.QueryRow("SELECT user_id, expiry FROM quarry_sessions").Scan(&user, &expiry); err != nil {
		t.Fatal(err)
	}
	return user, expiry
}

// TestSessionCarriesUser: a logged-in session row names its user, so the
// session and the user load in one query; requests do not rewrite it (the
// idle timeout is kept by moving the expiry alone, at most once per
// IdleTimeout/24); deleting the user ends the session; an idle session
// ends.
func TestSessionCarriesUser(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		app, st := identityAppStore(t, db, framework.Config{}, nil)
		var offset atomic.Int64 // the store's clock, moved by the test
		st.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		srv := httptest.NewServer(app.Handler())
		defer srv.Close()
		b := newBrowser(t, srv.URL)
		expect(t, "login", b.login("ada", "plenty-long-secret", "/private"), 303, "/private")
		user, expiry := sessionRow(t, db)
		var adaID int64
		if err := db.SQL.QueryRow("SELECT id FROM quarry_users WHERE username = 'ada'").Scan(&adaID); err != nil {
			t.Fatal(err)
		}
		if !user.Valid || user.Int64 != adaID {
			t.Fatalf("session row's user_id = %v, want %d", user, adaID)
		}
		if left := time.Until(expiry); left > st.IdleTimeout+time.Minute || left < st.IdleTimeout-time.Minute {
			t.Errorf("expiry %s ahead, want the idle timeout %s", left, st.IdleTimeout)
		}

		// Requests read the session and user but write nothing.
		for range 50 {
			if resp, body := b.do("GET", "/private", nil, nil); resp.StatusCode != 200 || body != "ok ada" {
				t.Fatalf("logged-in request: %d %q", resp.StatusCode, body)
			}
		}
		if _, again := sessionRow(t, db); !again.Equal(expiry) {
			t.Errorf("requests rewrote the session: expiry %s → %s", expiry, again)
		}

		// Two hours on, the next request moves the expiry once.
		offset.Store(int64(2 * time.Hour))
		b.do("GET", "/private", nil, nil)
		_, moved := sessionRow(t, db)
		if d := moved.Sub(expiry); d < 2*time.Hour-time.Minute || d > 2*time.Hour+time.Minute {
			t.Errorf("after two hours the expiry moved by %s, want about 2h", d)
		}
		b.do("GET", "/private", nil, nil)
		if _, again := sessionRow(t, db); !again.Equal(moved) {
			t.Error("the expiry moved twice within IdleTimeout/24")
		}

		// An anonymous session that holds data keeps its idle timeout too.
		anon := newBrowser(t, srv.URL)
		anon.do("GET", "/remember", nil, nil)
		var anonExpiry time.Time
		if err := db.SQL.QueryRow("SELECT expiry FROM quarry_sessions WHERE user_id IS NULL").Scan(&anonExpiry); err != nil {
			t.Fatalf("the anonymous session with data: %v", err)
		}
		offset.Store(int64(4 * time.Hour))
		anon.do("GET", "/login", nil, nil)
		var anonMoved time.Time
		if err := db.SQL.QueryRow("SELECT expiry FROM quarry_sessions WHERE user_id IS NULL").Scan(&anonMoved); err != nil {
			t.Fatal(err)
		}
		if d := anonMoved.Sub(anonExpiry); d < 2*time.Hour {
			t.Errorf("an active anonymous session's expiry moved by %s, want about 2h", d)
		}

		// Idle past the timeout: logged out.
		offset.Store(int64(4*time.Hour + st.IdleTimeout + time.Minute))
		resp, _ := b.do("GET", "/private", nil, nil)
		expect(t, "after the idle timeout", resp, 303, "/login?next=%2Fprivate")
		offset.Store(0)

		// Deleting the user deletes its sessions.
		expect(t, "login again", b.login("ada", "plenty-long-secret", "/private"), 303, "/private")
		if _, err := db.SQL.ExecContext(context.Background(), "DELETE FROM quarry_users WHERE id = "+strconv.FormatInt(adaID, 10)); err != nil {
			t.Fatal(err)
		}
		var n int
		db.SQL.QueryRow("SELECT COUNT(*) FROM quarry_sessions WHERE user_id IS NOT NULL").Scan(&n)
		if n != 0 {
			t.Errorf("%d sessions outlived their user", n)
		}
		resp, _ = b.do("GET", "/private", nil, nil)
		expect(t, "deleted user", resp, 303, "/login?next=%2Fprivate")
	})
}
