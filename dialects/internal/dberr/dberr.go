// Package dberr tags driver errors with package queries's sentinel errors. It
// is shared by the dialects' own ClassifyError functions (dialects/postgres,
// dialects/mysql, dialects/sqlite), which the generated adapters call.
package dberr

import (
	"database/sql"
	"errors"

	"github.com/quarry-go/quarry/queries"
)

// classified is a driver error tagged with one of package queries's sentinel
// errors. errors.Is matches both the sentinel and the driver's own error,
// and errors.As still finds the driver's error type.
type classified struct {
	sentinel error
	err      error
}

func (e *classified) Error() string   { return e.err.Error() }
func (e *classified) Unwrap() []error { return []error{e.sentinel, e.err} }

// Classify tags err with queries.ErrNotFound when it is sql.ErrNoRows, and
// when it wraps a driver error of type E with the sentinel that sentinel
// picks for it (nil for none). Other errors, and errors already tagged
// (wrapped or not), are returned unchanged.
func Classify[E error](err error, sentinel func(E) error) error {
	if err == nil {
		return nil // before the variables below, which escape: no allocation on success
	}
	var c *classified
	var driverErr E
	switch {
	case errors.As(err, &c):
		return err
	case errors.Is(err, sql.ErrNoRows):
		return tag(queries.ErrNotFound, err)
	case errors.As(err, &driverErr):
		return tag(sentinel(driverErr), err)
	}
	return err
}

func tag(sentinel, err error) error {
	if sentinel == nil {
		return err
	}
	return &classified{sentinel: sentinel, err: err}
}
