package auth

import "errors"

// Errors returned by the package; messages are safe to show to the person
// at the keyboard.
var (
	// ErrInvalidCredentials: the username does not exist, the password is
	// wrong or the account is inactive — deliberately not saying which.
	ErrInvalidCredentials = errors.New("invalid username or password")
	// ErrUsernameTaken: a user with this username exists.
	ErrUsernameTaken = errors.New("a user with this username already exists")
	// ErrNoSuchUser: an administrative action named a user that does not exist.
	ErrNoSuchUser = errors.New("no such user")
	// ErrWeakPassword is wrapped by every strength check failure; the
	// message says what to change.
	ErrWeakPassword = errors.New("password too weak")
	// ErrBadHash: a stored password hash is malformed.
	ErrBadHash = errors.New("malformed password hash")
	// ErrInvalidUsername: the username is empty, too long or has characters
	// other than letters, digits and @.+-_.
	ErrInvalidUsername = errors.New("invalid username")
)
