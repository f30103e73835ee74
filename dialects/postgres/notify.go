package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/quarry-go/quarry/dialects/internal/kit"
	"github.com/quarry-go/quarry/queries"
)

// Notify sends payload on channel (PostgreSQL's pg_notify). Inside a
// transaction the notification is delivered when it commits, and not at all
// when it rolls back.
func (Dialect) Notify(ctx context.Context, db queries.DBTX, channel, payload string) error {
	_, err := db.ExecContext(ctx, "SELECT pg_notify($1, $2)", channel, payload)
	return err
}

// Listen holds one connection of db, LISTENs on channel and calls fn with
// each notification's payload until ctx ends or the connection fails. It
// returns ctx's error, or the connection's. listening, when not nil, is
// called once the LISTEN is in place (what was sent before it is missed).
func (Dialect) Listen(ctx context.Context, db *sql.DB, channel string, listening func(), fn func(payload string)) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	// The connection has a LISTEN on it; never return it to the pool.
	defer func() {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		_ = conn.Close()
	}()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres: LISTEN needs the pgx driver, not %T", dc)
		}
		pc := sc.Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+kit.QuoteWith(channel, '"')); err != nil {
			return err
		}
		if listening != nil {
			listening()
		}
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return err
			}
			fn(n.Payload)
		}
	})
}
