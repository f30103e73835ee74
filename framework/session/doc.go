// Package session provides scs (github.com/alexedwards/scs/v2) session
// stores on the framework's own quarry_sessions table, for PostgreSQL,
// MySQL and SQLite alike, with a cleanup loop for expired rows.
//
//	sm := scs.New()
//	sm.Store = session.NewStore(app.Database())
//	stop := sm.Store.(*session.Store).StartCleanup(5 * time.Minute)
//	defer stop()
package session
