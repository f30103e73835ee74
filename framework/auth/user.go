package auth

import (
	"database/sql"
	"encoding/json"
	"time"

	"github.com/quarry-go/quarry/queries"
)

// User is an account as the identity layer hands it out: plain Go values,
// and no password hash (passwords are checked inside this package, see
// Service.Authenticate, Service.Login and Service.CheckPassword).
type User struct {
	ID       int64
	Username string
	// Email is "" when the account has none.
	Email string
	// IsActive is false for a deactivated account: it cannot log in and
	// holds no permission.
	IsActive bool
	// IsStaff lets the account into the admin.
	IsStaff bool
	// IsSuperuser holds every permission.
	IsSuperuser bool
	// LastLogin is the last successful login; zero for never.
	LastLogin time.Time
	// PasswordChangedAt is when the password was last set; zero for never
	// (an account made by SQL of your own). A session remembers it at
	// login and ends when it moves (see authhttp).
	PasswordChangedAt time.Time
	// CreatedAt is when the account was created (date joined).
	CreatedAt time.Time
	// Data is the account's data column, a JSON object for the app's own
	// use ({} by default).
	Data json.RawMessage
}

// userFromRow converts the framework's user row into a User, without its
// password hash. It is the one place that knows the row's layout.
func userFromRow(r queries.QuarryUser) User {
	return User{
		ID: r.ID, Username: r.Username, Email: r.Email,
		IsActive: r.IsActive, IsStaff: r.IsStaff, IsSuperuser: r.IsSuperuser,
		LastLogin: timeOf(r.LastLogin), PasswordChangedAt: timeOf(r.PasswordChangedAt),
		CreatedAt: r.CreatedAt.UTC(), Data: json.RawMessage(r.Data),
	}
}

// timeOf is t in UTC, or the zero time for NULL.
func timeOf(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}
