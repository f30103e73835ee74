// Package auth is the identity layer's core: argon2id password hashing in a
// self-describing format (so parameters can be raised later and old hashes
// upgraded at login), a password strength check, and a service over the
// framework's user, group and permission queries — create users, set
// passwords, authenticate without revealing which usernames exist, compute
// permissions, and seed add/change/delete/view permissions for every table
// — and logins throttled in the database (Throttle: growing delays per
// account and address, a ceiling per account, no lockout for everyone).
//
// Users come out as [User]: plain values without the password hash, which
// never leaves the package (passwords are checked here).
package auth
