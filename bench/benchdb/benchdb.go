// Package benchdb makes the scratch databases the bench commands run on.
package benchdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/quarry-go/quarry/dialects"
	_ "github.com/quarry-go/quarry/dialects/all"
)

// Create makes a uniquely named database (prefix and random hex) on the
// PostgreSQL or MySQL server of server and returns its URL and a function
// that drops it (on a fresh connection, so it works after the run's
// context has ended).
func Create(ctx context.Context, server *dialects.URL, prefix string) (string, func() error, error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := prefix + hex.EncodeToString(b[:])
	db, err := dialects.OpenURL(ctx, server)
	if err != nil {
		return "", nil, fmt.Errorf("server at %s: %w", server, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	drop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		db, err := dialects.OpenURL(ctx, server)
		if err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		defer db.Close()
		stmt := "DROP DATABASE IF EXISTS " + name
		if server.Dialect.Name() == dialects.Postgres {
			stmt += " WITH (FORCE)" // the bench's own pool may still hold connections
		}
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}
	scratch, err := server.WithDatabase(name)
	if err != nil {
		return "", nil, errors.Join(err, drop())
	}
	return scratch.Raw, drop, nil
}
