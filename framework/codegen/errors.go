package codegen

import "errors"

// ErrParity is wrapped by the error Generate returns when the dialects
// disagree; the message lists every difference.
var ErrParity = errors.New("dialect parity check failed")
