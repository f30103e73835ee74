package dialects

import "errors"

// ErrUnknownDialect is returned for a dialect name or URL scheme that Quarry
// does not support.
var ErrUnknownDialect = errors.New("unknown database dialect")

// ErrBadURL is wrapped by every DATABASE_URL parsing error; the message says
// which part of the URL is wrong.
var ErrBadURL = errors.New("invalid database URL")
