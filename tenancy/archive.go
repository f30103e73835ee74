package tenancy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/tenancy/registrydb"
)

// ArchivePrefix starts the name of the database or schema a deleted
// tenant's data is renamed to: quarry_a_<slug>_<yyyymmddhhmmss> (UTC,
// hyphens turned into underscores).
const ArchivePrefix = "quarry_a_"

// ArchiveDir is the directory, under RegistryOptions.SQLiteDir, that
// deleted SQLite tenants' files are moved to: <slug>-<yyyymmddhhmmss>.db.
const ArchiveDir = "archive"

// DeleteOptions says what DeleteTenant does with the tenant's data.
type DeleteOptions struct {
	// KeepData leaves the data where it is (the other fields are then
	// ignored).
	KeepData bool
	// NoArchive drops the data rather than archiving it.
	NoArchive bool
}

// Deletion reports what DeleteTenant did with the tenant's data.
type Deletion struct {
	// Archive is where the data now is: the SQLite file's path, or the
	// name of the database or schema it was renamed to (Tenant.DatabaseURL's
	// server or database). Empty when the data was kept, dropped, or did
	// not exist.
	Archive string
	// Dropped says the data was dropped (or its rows deleted).
	Dropped bool
	// NotArchived, when the data was dropped although archiving was asked
	// for, says why: the database cannot rename a database (MySQL,
	// MariaDB), or a ModeRLS tenant's rows live in shared tables.
	NotArchived string
}

// DeleteTenant removes the tenant with slug from the registry, with its
// domains, after doing with its data what opts says. By default it
// archives the data where the database allows: a SQLite file (with its
// -wal, -shm and -journal files) is moved to
// <SQLiteDir>/archive/<slug>-<yyyymmddhhmmss>.db; a server's database is
// renamed to quarry_a_<slug>_<yyyymmddhhmmss> (ending the sessions
// connected to it), a ModeSchema tenant's schema likewise. Where it cannot
// — a database that cannot rename a database (MySQL, MariaDB), or a
// ModeRLS tenant, whose rows are deleted from the shared tables — the data
// is dropped as with NoArchive and Deletion.NotArchived says why. An
// archive name longer than 63 bytes (a slug beyond 39 bytes) is refused:
// delete with NoArchive or KeepData. When archiving or dropping fails the
// tenant stays registered, so DeleteTenant can be run again. Pools the
// caller holds on the tenant must be closed by the caller.
func (r *Registry) DeleteTenant(ctx context.Context, slug string, opts DeleteOptions) (*Deletion, error) {
	t, err := r.tenantBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	res := &Deletion{}
	if !opts.KeepData {
		u, err := dialects.ParseURL(t.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("tenancy: delete %s: its database URL: %w", slug, err)
		}
		switch t.Mode {
		case ModeRLS:
			if err := r.deleteRLSRows(ctx, u, t.ID); err != nil {
				return nil, fmt.Errorf("tenancy: delete %s: %w", slug, err)
			}
			if t.Schema != "" { // its framework tables
				if err := r.dropData(ctx, u, t.Schema); err != nil {
					return nil, fmt.Errorf("tenancy: delete %s: drop its %s: %w", slug, dataName(u, t.Schema), err)
				}
			}
			res.Dropped = true
			if !opts.NoArchive {
				res.NotArchived = "a tenant with row-level security keeps its rows in shared tables"
			}
		case ModeDatabase, ModeSchema:
			schema := ""
			if t.Mode == ModeSchema {
				schema = t.Schema
			}
			archived := false
			if !opts.NoArchive {
				res.Archive, res.NotArchived, err = r.archiveData(ctx, u, t.Slug, schema, time.Now())
				if err != nil {
					return nil, fmt.Errorf("tenancy: delete %s: archive its %s: %w", slug, dataName(u, schema), err)
				}
				archived = res.NotArchived == ""
			}
			if !archived {
				if err := r.dropData(ctx, u, schema); err != nil {
					return nil, fmt.Errorf("tenancy: delete %s: drop its %s: %w", slug, dataName(u, schema), err)
				}
				res.Dropped = true
			}
		}
	}
	err = r.write(ctx, func(q registrydb.Querier) error {
		_, err := q.TenantDelete(ctx, slug)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("tenancy: delete %s: %w", slug, err)
	}
	r.log.Info("tenant deleted", "slug", slug, "data dropped", res.Dropped, "archive", res.Archive)
	return res, nil
}

// ArchiveName is the name DeleteTenant renames a tenant's database or
// schema to when it is deleted at now: quarry_a_<slug>_<yyyymmddhhmmss>
// (UTC, hyphens turned into underscores). The error wraps ErrInvalid when
// it would be longer than 63 bytes.
func ArchiveName(slug string, now time.Time) (string, error) {
	name := ArchivePrefix + strings.ReplaceAll(slug, "-", "_") + "_" + now.UTC().Format("20060102150405")
	if err := dialects.ValidateDatabaseName(name); err != nil {
		return "", fmt.Errorf("%w: the archive name %s of %q is longer than 63 bytes: delete without archiving, or keep the data", ErrInvalid, name, slug)
	}
	return name, nil
}

// archiveData moves the tenant's data aside (see DeleteTenant) and returns
// where it went; "" and no error when there was nothing to archive. When
// the database cannot rename a database it does nothing and returns why
// in notArchived.
func (r *Registry) archiveData(ctx context.Context, target *dialects.URL, slug, schema string, now time.Time) (archive, notArchived string, err error) {
	d := target.Dialect
	if !d.Capabilities().ServerDatabases && schema == "" {
		return r.archiveFile(target.Database, slug, now)
	}
	if schema == "" && !d.Capabilities().RenameDatabase {
		return "", fmt.Sprintf("%s cannot rename a database", d.ProductName()), nil
	}
	name, err := ArchiveName(slug, now)
	if err != nil {
		return "", "", err
	}
	if schema != "" {
		sd, ok := d.(dialects.Schemas)
		if !ok {
			return "", "", fmt.Errorf("%w: %s has no schemas", ErrUnsupported, d.ProductName())
		}
		err = r.onDatabase(ctx, target, func(db *sql.DB) error {
			exists, err := sd.SchemaExists(ctx, db, schema)
			if err != nil || !exists {
				name = ""
				return err
			}
			return sd.RenameSchema(ctx, db, schema, name)
		})
		return name, "", err
	}
	err = r.onServer(ctx, target, func(admin *sql.DB) error {
		exists, err := d.DatabaseExists(ctx, admin, target.Database)
		if err != nil || !exists {
			name = ""
			return err
		}
		return d.RenameDatabase(ctx, admin, target.Database, name)
	})
	return name, "", err
}

// archiveFile moves the SQLite file path and its -wal, -shm and -journal
// files to <SQLiteDir>/archive/<slug>-<yyyymmddhhmmss>.db (and -wal, …),
// and removes its migration lock file. A missing file is nothing to
// archive.
func (r *Registry) archiveFile(path, slug string, now time.Time) (string, string, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := os.Remove(path + ".migrate.lock"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", "", err
		}
		return "", "", nil
	} else if err != nil {
		return "", "", err
	}
	dir := filepath.Join(r.opts.SQLiteDir, ArchiveDir)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", "", err
	}
	dest := filepath.Join(dir, slug+"-"+now.UTC().Format("20060102150405")+".db")
	suffixes := []string{"", "-wal", "-shm", "-journal"}
	for _, suffix := range suffixes {
		if _, err := os.Lstat(dest + suffix); err == nil {
			return "", "", fmt.Errorf("%w: the archive file %s exists", ErrExists, dest+suffix)
		}
	}
	// The journal files first, so that the database never sits in the
	// archive without them, nor its files in place without the database.
	for _, suffix := range []string{"-wal", "-shm", "-journal", ""} {
		if err := os.Rename(path+suffix, dest+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", "", err
		}
	}
	if err := os.Remove(path + ".migrate.lock"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return dest, "", err
	}
	return dest, "", nil
}
