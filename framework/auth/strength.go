package auth

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"strings"
	"unicode"
)

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 10

//go:embed common_passwords.txt
var commonPasswordsFile []byte

// commonPasswords is the shipped list, lower-cased.
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(commonPasswordsFile))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" && !strings.HasPrefix(w, "#") {
			m[strings.ToLower(w)] = true
		}
	}
	return m
}()

// CheckStrength rejects passwords that are short, too long, common, all
// digits, or built from the username or the email's local part. The error
// wraps ErrWeakPassword and says what to change.
func CheckStrength(password, username, email string) error {
	n := len([]rune(password))
	switch {
	case n < MinPasswordLen:
		return fmt.Errorf("%w: use at least %d characters", ErrWeakPassword, MinPasswordLen)
	case len(password) > maxPasswordLen:
		return fmt.Errorf("%w: use at most %d bytes", ErrWeakPassword, maxPasswordLen)
	case strings.IndexFunc(password, func(r rune) bool { return !unicode.IsDigit(r) }) < 0:
		return fmt.Errorf("%w: it is only digits", ErrWeakPassword)
	}
	lower := strings.ToLower(password)
	if commonPasswords[lower] || commonPasswords[strings.TrimRightFunc(lower, unicode.IsDigit)] {
		return fmt.Errorf("%w: it is a commonly used password", ErrWeakPassword)
	}
	local, _, _ := strings.Cut(strings.ToLower(email), "@")
	for _, part := range []string{strings.ToLower(username), local} {
		if len(part) >= 3 && (strings.Contains(lower, part) || strings.Contains(part, lower)) {
			return fmt.Errorf("%w: it is too similar to the username or email", ErrWeakPassword)
		}
	}
	return nil
}
