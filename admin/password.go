package admin

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/quarry-go/quarry/framework/records"

	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
)

// usersTable is the identity layer's user table, whose rows get a "Set
// password" page: its password_hash column is never shown or written by
// the generic form. The identity layer's rules say who may change whom
// (auth.MayEditUser, auth.MayWriteUserColumn).
const usersTable = auth.UsersTable

// superuserRow reports a user's row that the actor may not change, delete
// or set the password of.
func (rq *request) superuserRow(row map[string]records.Cell) bool {
	return rq.m.Name == usersTable && !auth.MayEditUser(rq.user, row["is_superuser"].Text == "true")
}

// locked reports a column of a user's row the actor may not write.
func (rq *request) locked(c string) bool {
	return rq.m.Name == usersTable && !auth.MayWriteUserColumn(rq.user, c)
}

var errSuperusersOnly = errors.New("admin: only superusers may change superusers")

type passwordPage struct {
	*base
	Username string
	Action   string
	Back     string
	Error    string
}

// password sets a user's password (strength-checked, hashed by the
// identity layer), recording that it changed — not the hash — in the
// audit log. The user's other sessions end, as with any password change.
func (rq *request) password() {
	m := rq.m
	if m.Name != usersTable {
		rq.fail(http.StatusNotFound, "There is no such page in the admin.")
		return
	}
	_, row, ok := rq.rowFromPath()
	if !ok {
		return
	}
	if rq.superuserRow(row) {
		rq.fail(http.StatusForbidden, "Only a superuser may set a superuser's password.")
		return
	}
	if row["id"].Text == strconv.FormatInt(rq.user.ID, 10) {
		// Your own: through the page that keeps you logged in.
		rq.redirect(rq.a.opts.Auth.PasswordURL(rq.r))
		return
	}
	username := row["username"].Text
	p := passwordPage{Username: username, Action: rq.rowURL(m, rq.m.RowKey(row), "password"), Back: rq.rowURL(m, rq.m.RowKey(row), "change")}
	status := http.StatusOK
	if rq.r.Method == http.MethodPost {
		pw, again := rq.r.PostForm.Get("password1"), rq.r.PostForm.Get("password2")
		switch {
		case pw == "":
			p.Error = "Enter the new password."
		case pw != again:
			p.Error = "The two passwords differ."
		default:
			err := rq.inTx(func(tx *framework.Tx) error {
				if err := auth.New(tx).SetPassword(rq.ctx(), username, pw); err != nil {
					return err
				}
				return rq.audit(tx.Tx, "password", rq.m.RowKey(row), map[string][2]any{"password": {nil, "changed"}})
			})
			switch {
			case errors.Is(err, auth.ErrWeakPassword):
				p.Error = fieldError(err)
			case err != nil:
				rq.internal(err)
				return
			default:
				rq.flash("Changed the password of “" + username + "”.")
				rq.redirect(p.Back)
				return
			}
		}
		status = http.StatusUnprocessableEntity
	}
	p.base = rq.base("Set the password of "+username, crumb{m.label, rq.tableURL(m)}, crumb{username, p.Back}, crumb{"Password", ""})
	rq.render(status, "password", p)
}
