package main

import (
	"bufio"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
)

// userFlags are shared by createsuperuser and changepassword.
type userFlags struct {
	databaseURL, password string
	generate              bool
}

func (f *userFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.databaseURL, "database-url", "", "database URL (default: $DATABASE_URL)")
	f.registerPassword(cmd)
}

// registerPassword adds --password and --generate only (quarry tenant
// createsuperuser has its --database-url from tenant, the registry's).
func (f *userFlags) registerPassword(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.password, "password", "", "the password (visible to other local users in the process list; prefer the prompt or --generate)")
	cmd.Flags().BoolVar(&f.generate, "generate", false, "generate a strong random password and print it once")
	cmd.MarkFlagsMutuallyExclusive("password", "generate")
}

// open opens the database and the identity service over it; the caller
// closes the pool.
func (f *userFlags) open(cmd *cobra.Command) (*auth.Service, *sql.DB, error) {
	raw, err := databaseURL(f.databaseURL)
	if err != nil {
		return nil, nil, err
	}
	if _, err := dialects.ParseURL(raw); err != nil {
		return nil, nil, usageError{err}
	}
	db, err := framework.OpenDatabase(cmd.Context(), raw)
	if err != nil {
		return nil, nil, err
	}
	return auth.New(db), db.DB, nil
}

// newPassword returns --password, a generated password (the caller prints
// it once stored, see showGenerated), or one read from the terminal twice.
func (f *userFlags) newPassword(in *prompter) (string, error) {
	switch {
	case f.password != "":
		return f.password, nil
	case f.generate:
		var b [18]byte
		_, _ = rand.Read(b[:])
		return base64.RawURLEncoding.EncodeToString(b[:]), nil
	}
	pw, err := in.secret("Password: ")
	if err != nil {
		return "", err
	}
	again, err := in.secret("Password (again): ")
	if err != nil {
		return "", err
	}
	if pw != again {
		return "", errors.New("the passwords do not match")
	}
	return pw, nil
}

// showGenerated prints a generated password, after it was stored.
func (f *userFlags) showGenerated(cmd *cobra.Command, username, pw string) {
	if f.generate {
		fmt.Fprintf(cmd.OutOrStdout(), "Generated password for %s (shown once, store it now): %s\n", username, pw)
	}
}

func newCreateSuperuserCmd() *cobra.Command {
	var f userFlags
	var username, email string
	cmd := &cobra.Command{
		Use:   "createsuperuser",
		Short: "Create a superuser (interactive, or with --username and --password/--generate)",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return createSuperuser(cmd, &f, username, email, func() (*auth.Service, func(), error) {
				svc, db, err := f.open(cmd)
				if err != nil {
					return nil, nil, err
				}
				return svc, func() { db.Close() }, nil
			})
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&username, "username", "", "the username")
	cmd.Flags().StringVar(&email, "email", "", "the email address")
	return cmd
}

// createSuperuser asks for what the flags do not give (the username and
// email on a terminal, the password as f says), then creates the
// superuser through the service open returns (and closes it after).
func createSuperuser(cmd *cobra.Command, f *userFlags, username, email string, open func() (*auth.Service, func(), error)) error {
	in := newPrompter(cmd)
	if username == "" {
		if !in.interactive {
			return usageError{errors.New("--username is required when stdin is not a terminal")}
		}
		var err error
		if username, err = in.line("Username: "); err != nil {
			return err
		}
		if email == "" {
			if email, err = in.line("Email (optional): "); err != nil {
				return err
			}
		}
	}
	if f.password == "" && !f.generate && !in.interactive {
		return usageError{errors.New("pass --password or --generate when stdin is not a terminal")}
	}
	svc, closeDB, err := open()
	if err != nil {
		return err
	}
	defer closeDB()
	pw, err := f.newPassword(in)
	if err != nil {
		return err
	}
	u, err := svc.CreateUser(cmd.Context(), auth.CreateUserParams{Username: username, Email: email, Password: pw, Superuser: true})
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "created superuser %s (id %d)\n", u.Username, u.ID)
	f.showGenerated(cmd, u.Username, pw)
	return nil
}

func newChangePasswordCmd() *cobra.Command {
	var f userFlags
	cmd := &cobra.Command{
		Use:   "changepassword USERNAME",
		Short: "Set a user's password (prompted, or --password/--generate)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := newPrompter(cmd)
			if f.password == "" && !f.generate && !in.interactive {
				return usageError{errors.New("pass --password or --generate when stdin is not a terminal")}
			}
			svc, db, err := f.open(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			pw, err := f.newPassword(in)
			if err != nil {
				return err
			}
			if err := svc.SetPassword(cmd.Context(), args[0], pw); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "password changed for %s\n", args[0])
			f.showGenerated(cmd, args[0], pw)
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

func newSeedPermissionsCmd() *cobra.Command {
	var f userFlags
	cmd := &cobra.Command{
		Use:   "seed-permissions",
		Short: "Ensure <table>.add/change/delete/view permissions for every table (idempotent)",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, db, err := f.open(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			n, err := svc.SeedPermissions(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "added %d permissions\n", n)
			return nil
		},
	}
	cmd.Flags().StringVar(&f.databaseURL, "database-url", "", "database URL (default: $DATABASE_URL)")
	return cmd
}

// prompter reads answers from the terminal (secrets without echo).
type prompter struct {
	interactive bool
	out         io.Writer
	r           *bufio.Reader
	fd          int
}

func newPrompter(cmd *cobra.Command) *prompter {
	fd := int(os.Stdin.Fd())
	return &prompter{interactive: term.IsTerminal(fd), out: cmd.ErrOrStderr(), r: bufio.NewReader(cmd.InOrStdin()), fd: fd}
}

func (p *prompter) line(prompt string) (string, error) {
	fmt.Fprint(p.out, prompt)
	s, err := p.r.ReadString('\n')
	if err != nil && s == "" {
		return "", fmt.Errorf("reading the answer: %w", err)
	}
	return strings.TrimSpace(s), nil
}

func (p *prompter) secret(prompt string) (string, error) {
	fmt.Fprint(p.out, prompt)
	b, err := term.ReadPassword(p.fd)
	fmt.Fprintln(p.out)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	return string(b), nil
}
