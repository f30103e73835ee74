package dialects

import "errors"

// ErrUnknownDialect is returned for a dialect name or URL scheme that Quarry
// does not support.
var ErrUnknownDialect = errors.New("unknown database dialect")

// ErrBadURL is wrapped by every DATABASE_URL parsing error; the message says
// which part of the URL is wrong.
var ErrBadURL = errors.New("invalid database URL")

// classified is a driver error tagged with one of package store's sentinel
// errors. errors.Is matches both the sentinel and the driver's own error.
type classified struct {
	sentinel error
	err      error
}

func (e *classified) Error() string   { return e.err.Error() }
func (e *classified) Unwrap() []error { return []error{e.sentinel, e.err} }

func classify(sentinel, err error) error {
	if sentinel == nil {
		return err
	}
	return &classified{sentinel: sentinel, err: err}
}
