package schemadiff

import "errors"

// Errors wrapped by Diff; the message says what, where, and how to proceed.
var (
	// ErrDDL: a DDL statement failed on the scratch database.
	ErrDDL = errors.New("the DDL does not apply")
	// ErrMigrations: the existing migrations do not apply.
	ErrMigrations = errors.New("the existing migrations do not apply")
	// ErrDestructive: the change drops or narrows something and
	// AllowDestructive is not set.
	ErrDestructive = errors.New("destructive change refused")
	// ErrUnsafe: the change cannot run on a table with rows as written
	// (e.g. a NOT NULL column without a default).
	ErrUnsafe = errors.New("unsafe change refused")
	// ErrVerify: the generated migration did not reproduce the DDL, or its
	// down did not restore the previous state.
	ErrVerify = errors.New("the generated migration failed verification")
	// ErrUnsupported: the DDL creates objects the differ cannot carry
	// through on this dialect (MySQL functions, procedures, triggers).
	ErrUnsupported = errors.New("unsupported schema objects")
	// ErrHint: a DDL hint is malformed or does not fit its table (a
	// -- quarry:tenant-scoped table without a tenant_id column).
	ErrHint = errors.New("invalid DDL hint")
	// ErrScratch: a scratch database could not be created or reached.
	ErrScratch = errors.New("no scratch database")
)
