package framework

import "errors"

// ErrConfig is wrapped by every configuration error; the message names the
// environment variable at fault.
var ErrConfig = errors.New("invalid configuration")
