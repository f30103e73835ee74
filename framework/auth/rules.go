package auth

// UsersTable is the identity layer's table of users. Generic editors of
// rows (the admin) apply the rules below to it; its password_hash is
// never exposed (records.SecretColumns) and is set through SetPassword.
const UsersTable = "quarry_users"

// MayEditUser reports whether actor may change, delete or set the
// password of a user whose is_superuser is targetSuperuser: only
// superusers touch superusers.
func MayEditUser(actor User, targetSuperuser bool) bool {
	return actor.IsSuperuser || !targetSuperuser
}

// MayWriteUserColumn reports whether actor may write column of a user:
// only superusers make superusers.
func MayWriteUserColumn(actor User, column string) bool {
	return actor.IsSuperuser || column != "is_superuser"
}
