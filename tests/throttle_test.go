package tests

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework"
	"github.com/quarry-go/quarry/framework/auth"
	"github.com/quarry-go/quarry/tests/dbtest"
)

// throttleClock is a Throttle's Now that tests move forward by hand; it is
// safe to read from parallel logins.
type throttleClock struct {
	mu  sync.Mutex
	now time.Time
}

func newThrottleClock() *throttleClock {
	// Whole seconds, so that times survive the databases' microseconds
	// exactly and waits compare equal.
	return &throttleClock{now: time.Now().UTC().Truncate(time.Second)}
}

func (c *throttleClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *throttleClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// throttleSetup migrates db, creates the users (password
// "plenty-long-secret") and returns the service and a throttle on a clock
// of its own.
func throttleSetup(t *testing.T, db *dbtest.DB, users ...string) (*auth.Service, *auth.Throttle, *throttleClock) {
	t.Helper()
	migrated(t, db)
	svc := auth.New(db.Database())
	for _, name := range users {
		if _, err := svc.CreateUser(context.Background(), auth.CreateUserParams{Username: name, Password: "plenty-long-secret"}); err != nil {
			t.Fatal(err)
		}
	}
	clock := newThrottleClock()
	th := auth.NewThrottle(db.Database())
	th.Now = clock.Now
	return svc, th, clock
}

// wantWait fails unless err is a *ThrottledError asking for exactly want.
func wantWait(t *testing.T, what string, err error, want time.Duration) {
	t.Helper()
	var te *auth.ThrottledError
	if !errors.As(err, &te) || te.RetryAfter != want {
		t.Fatalf("%s: got %v, want to wait %s", what, err, want)
	}
}

func wantInvalid(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, auth.ErrInvalidCredentials) {
		t.Fatalf("%s: got %v, want ErrInvalidCredentials", what, err)
	}
}

// checkThrottleKeys fails unless every stored throttle key is storable
// text of at most 190 characters, and returns how many there are.
func checkThrottleKeys(t *testing.T, db *dbtest.DB) int {
	t.Helper()
	rows, err := db.SQL.QueryContext(context.Background(), "SELECT throttle_key FROM quarry_login_failures")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		n++
		if !utf8.ValidString(k) || strings.ContainsRune(k, 0) || utf8.RuneCountInString(k) > 190 {
			t.Errorf("throttle key %.60q… (%d characters) is not bounded, storable text", k, utf8.RuneCountInString(k))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestThrottleDefaults pins the documented defaults: a pair's and an
// address's free failures well under the account's ceiling, so that one
// address cannot reach the ceiling by itself.
func TestThrottleDefaults(t *testing.T) {
	u, err := dialects.ParseURL("sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	th := auth.NewThrottle(&framework.Database{Dialect: u.Dialect})
	got := fmt.Sprint(th.PairFree, th.AddressFree, th.BaseDelay, th.MaxDelay, th.ResetAfter, th.AccountLimit, th.AccountWindow, th.KnownFor)
	if want := "5 20 30s 15m0s 1h0m0s 100 1h0m0s 720h0m0s"; got != want {
		t.Errorf("defaults %s, want %s", got, want)
	}
}

// TestLoginHostileUsernames sends usernames no user can have (too long,
// NUL, invalid UTF-8) on every dialect: each is a failed login like any
// other — ErrInvalidCredentials, never a database error — counted under a
// bounded key of its own, so the attempt after the free ones is throttled,
// and none of them touches the real account they resemble.
func TestLoginHostileUsernames(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		ctx := context.Background()
		svc, th, _ := throttleSetup(t, db, "admin")
		th.PairFree = 3 // fewer password hashes to compute
		corpus := []struct{ name, username string }{
			{"251 characters", strings.Repeat("a", 251)},
			{"300 two-byte characters", strings.Repeat("é", 300)},
			{"100,005 characters", strings.Repeat("x", 100_005)},
			{"NUL inside", "ad\x00min"},
			{"NUL alone", "\x00"},
			{`\xff`, "admin\xff"},
			{`\xfe`, "admin\xfe"},
			{`overlong \xc0\xaf`, "\xc0\xaf"},
			{`surrogate \xed\xa0\x80`, "\xed\xa0\x80"},
			{"mixed", "ad\x00min\xff\xc0\xaf\xed\xa0\x80" + strings.Repeat("ü", 300)},
			{"151 characters", strings.Repeat("b", 151)},
			// At the limit: possible usernames, stored verbatim in the key.
			{"150 four-byte characters", strings.Repeat("𝒜", 150)},
			{"150 characters", strings.Repeat("c", 150)},
		}
		for i, c := range corpus {
			ip := fmt.Sprintf("192.0.2.%d", i+1)
			if _, err := svc.Authenticate(ctx, c.username, "plenty-long-secret"); !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Fatalf("%s: Authenticate: %v", c.name, err)
			}
			for n := range th.PairFree {
				_, err := svc.Login(ctx, th, c.username, "plenty-long-secret", ip)
				wantInvalid(t, fmt.Sprintf("%s: attempt %d", c.name, n+1), err)
			}
			_, err := svc.Login(ctx, th, c.username, "plenty-long-secret", ip)
			wantWait(t, fmt.Sprintf("%s: attempt %d", c.name, th.PairFree+1), err, th.BaseDelay)
		}
		// Distinct hostile names keep distinct counts: \xfe was not
		// throttled by \xff's failures (checked above, from its own
		// address); from \xff's address it is still free too.
		if _, err := svc.Login(ctx, th, "admin\xfe", "x", "192.0.2.6"); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Errorf(`"admin\xfe" from "admin\xff"'s address: %v`, err)
		}
		// None of them counted against admin, even from their addresses.
		for i := range corpus {
			if _, err := svc.Login(ctx, th, "admin", "plenty-long-secret", fmt.Sprintf("192.0.2.%d", i+1)); err != nil {
				t.Fatalf("admin from 192.0.2.%d: %v", i+1, err)
			}
		}
		// Per name: its account, its address, its pair, and admin's known
		// mark for the address; then admin's account and \xfe's second pair.
		if n, want := checkThrottleKeys(t, db), 2+4*len(corpus); n != want {
			t.Errorf("%d throttle keys, want %d", n, want)
		}
		// A hostile address is bounded too.
		for _, ip := range []string{strings.Repeat("9", 5000), "10.0.0.1\x00", "\xff\xfe", "fe80::1%" + strings.Repeat("z", 300)} {
			_, err := svc.Login(ctx, th, "admin", "wrong-password-x", ip)
			wantInvalid(t, fmt.Sprintf("address %.20q", ip), err)
		}
		checkThrottleKeys(t, db)
	})
}

// TestLoginThrottleAttackerAndVictim has an attacker guess at admin from
// one address on every dialect: after the free failures every guess waits
// twice as long as the last, up to the maximum, even with the right
// password, while admin logs in at once from another address and the
// password-change check is throttled the same way. A quiet address starts
// afresh. Two throttles stand for two app instances on one database.
func TestLoginThrottleAttackerAndVictim(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		ctx := context.Background()
		svc, th, clock := throttleSetup(t, db, "admin")
		other := auth.NewThrottle(db.Database())
		other.Now = clock.Now
		const attacker, victim = "203.0.113.7", "198.51.100.20"

		for n := range th.PairFree {
			_, err := svc.Login(ctx, []*auth.Throttle{th, other}[n%2], "admin", fmt.Sprintf("guess-%d", n), attacker)
			wantInvalid(t, fmt.Sprintf("guess %d", n+1), err)
		}
		u, err := svc.Login(ctx, th, "admin", "plenty-long-secret", victim)
		if err != nil {
			t.Fatalf("the victim during the attack: %v", err)
		}
		waits := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 15 * time.Minute, 15 * time.Minute}
		for i, want := range waits {
			_, err := svc.Login(ctx, other, "admin", "guess-again", attacker)
			wantWait(t, fmt.Sprintf("guess after delay %d", i), err, want)
			// The right password from the attacker's address waits too,
			// and asking again does not lengthen the wait.
			clock.advance(want / 2)
			_, err = svc.Login(ctx, th, "admin", "plenty-long-secret", attacker)
			wantWait(t, fmt.Sprintf("right password during delay %d", i), err, want-want/2)
			clock.advance(want - want/2)
			_, err = svc.Login(ctx, th, "admin", "guess-again", attacker)
			wantInvalid(t, fmt.Sprintf("guess after waiting %s", want), err)
		}
		if _, err := svc.Login(ctx, other, "admin", "plenty-long-secret", victim); err != nil {
			t.Fatalf("the victim after the attack: %v", err)
		}
		// The victim's success does not lift the attacker's delay, and
		// re-authentication is throttled on the same keys.
		_, err = svc.Login(ctx, th, "admin", "guess-again", attacker)
		wantWait(t, "the attacker after the victim's login", err, 15*time.Minute)
		wantWait(t, "CheckPassword from the attacker's address", svc.CheckPassword(ctx, th, u, "plenty-long-secret", attacker), 15*time.Minute)
		if err := svc.CheckPassword(ctx, th, u, "plenty-long-secret", victim); err != nil {
			t.Fatalf("CheckPassword from the victim's address: %v", err)
		}
		for n := range th.PairFree {
			wantInvalid(t, "wrong current password", svc.CheckPassword(ctx, th, u, fmt.Sprintf("wrong-%d", n), victim))
		}
		wantWait(t, "CheckPassword after its free failures", svc.CheckPassword(ctx, th, u, "plenty-long-secret", victim), th.BaseDelay)

		// Once the last delay is over and the address has been quiet for
		// ResetAfter, its failures are forgotten.
		clock.advance(th.MaxDelay + th.ResetAfter + time.Second)
		for n := range th.PairFree {
			_, err := svc.Login(ctx, th, "admin", "fresh-guess", attacker)
			wantInvalid(t, fmt.Sprintf("fresh guess %d", n+1), err)
		}
		_, err = svc.Login(ctx, th, "admin", "fresh-guess", attacker)
		wantWait(t, "after the fresh free guesses", err, th.BaseDelay)
		checkThrottleKeys(t, db)
	})
}

// TestLoginThrottleSpray sprays one password over many accounts from one
// address on every dialect: the address's own count throttles it after
// AddressFree failures, with growing delays, an IPv6 client counts by its
// /64, other addresses are unaffected, and successful logins from a busy
// address do not use up its free failures.
func TestLoginThrottleSpray(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		ctx := context.Background()
		svc, th, clock := throttleSetup(t, db, "alice", "bob")
		th.AddressFree = 8 // fewer password hashes to compute
		spray := func(ip string, n int) error {
			_, err := svc.Login(ctx, th, fmt.Sprintf("user%03d", n), "Winter2024!", ip)
			return err
		}
		for _, c := range []struct {
			name string
			ip   func(n int) string
		}{
			{"IPv4", func(int) string { return "198.51.100.9" }},
			{"IPv6, a new address each time", func(n int) string { return fmt.Sprintf("2001:db8:7:7::%x", n+1) }},
		} {
			for n := range int(th.AddressFree) {
				wantInvalid(t, fmt.Sprintf("%s: account %d", c.name, n), spray(c.ip(n), n))
			}
			n := int(th.AddressFree)
			wantWait(t, c.name+": the next account", spray(c.ip(n), n), th.BaseDelay)
			clock.advance(th.BaseDelay)
			wantInvalid(t, c.name+": after the delay", spray(c.ip(n), n))
			wantWait(t, c.name+": the next account", spray(c.ip(n+1), n+1), 2*th.BaseDelay)
		}
		// Real users from the sprayers' addresses wait too (the address is
		// throttled), but from their own addresses they get in.
		if _, err := svc.Login(ctx, th, "alice", "plenty-long-secret", "198.51.100.9"); !errors.Is(err, auth.ErrThrottled) {
			t.Errorf("alice from the spraying address: %v", err)
		}
		for _, ip := range []string{"198.51.100.10", "2001:db8:7:8::1"} {
			if _, err := svc.Login(ctx, th, "alice", "plenty-long-secret", ip); err != nil {
				t.Errorf("alice from %s: %v", ip, err)
			}
		}

		// A shared address with failures just short of throttling: the
		// successes in between give their attempts back.
		const office = "192.0.2.200"
		for n := range int(th.AddressFree) - 1 {
			wantInvalid(t, fmt.Sprintf("office failure %d", n+1), spray(office, 100+n))
		}
		for range 3 {
			if _, err := svc.Login(ctx, th, "bob", "plenty-long-secret", office); err != nil {
				t.Fatalf("bob from the office: %v", err)
			}
		}
		wantInvalid(t, "the office's last free failure", spray(office, 200))
		wantWait(t, "the office after its free failures", spray(office, 201), th.BaseDelay)
		checkThrottleKeys(t, db)
	})
}

// TestLoginThrottleDistributed guesses at admin from many addresses, one
// guess each, on every dialect: after AccountLimit failures in the window
// the account refuses new addresses until the window ends, while the
// owner's known address still gets in.
func TestLoginThrottleDistributed(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		ctx := context.Background()
		svc, th, clock := throttleSetup(t, db, "admin")
		th.AccountLimit = 25 // of 100 by default: fewer password hashes to compute
		const home = "198.51.100.77"
		if _, err := svc.Login(ctx, th, "admin", "plenty-long-secret", home); err != nil {
			t.Fatal(err)
		}
		for n := range int(th.AccountLimit) {
			_, err := svc.Login(ctx, th, "admin", "guess", fmt.Sprintf("10.%d.%d.1", n/200, n%200))
			wantInvalid(t, fmt.Sprintf("address %d", n+1), err)
			clock.advance(time.Second)
		}
		rest := th.AccountWindow - time.Duration(th.AccountLimit)*time.Second
		_, err := svc.Login(ctx, th, "admin", "guess", "10.99.0.1")
		wantWait(t, "one address more", err, rest)
		_, err = svc.Login(ctx, th, "admin", "plenty-long-secret", "10.99.0.2")
		wantWait(t, "the owner from a new address", err, rest)
		if _, err := svc.Login(ctx, th, "admin", "plenty-long-secret", home); err != nil {
			t.Fatalf("the owner from the known address: %v", err)
		}
		// Other accounts are not concerned.
		if _, err := svc.Login(ctx, th, "someone-else", "guess", "10.99.0.3"); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Errorf("another account: %v", err)
		}
		clock.advance(rest + time.Second)
		if _, err := svc.Login(ctx, th, "admin", "plenty-long-secret", "10.99.0.2"); err != nil {
			t.Fatalf("a new address once the window is over: %v", err)
		}
		checkThrottleKeys(t, db)
	})
}

// TestLoginThrottleParallel sends forty guesses at once, on every dialect:
// attempts are counted before the password is checked, so from one
// address at most the pair's free failures reach the check, and from forty
// addresses at most the account's ceiling.
func TestLoginThrottleParallel(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		ctx := context.Background()
		svc, th, _ := throttleSetup(t, db, "target", "target2")
		th.AccountLimit = 10
		for _, c := range []struct {
			user string
			ip   func(i int) string
			max  int64
		}{
			{"target", func(int) string { return "10.1.0.1" }, th.PairFree},
			{"target2", func(i int) string { return fmt.Sprintf("10.2.0.%d", i) }, th.AccountLimit},
		} {
			results := make(chan error, 40)
			for i := range 40 {
				go func() {
					_, err := svc.Login(ctx, th, c.user, "wrong-password-x", c.ip(i))
					results <- err
				}()
			}
			checked := int64(0)
			for range 40 {
				switch err := <-results; {
				case errors.Is(err, auth.ErrInvalidCredentials):
					checked++
				case !errors.Is(err, auth.ErrThrottled):
					t.Errorf("%s: parallel guess: %v", c.user, err)
				}
			}
			if checked > c.max || checked == 0 {
				t.Errorf("%s: %d of 40 parallel guesses reached the password check; want 1 to %d", c.user, checked, c.max)
			}
		}
		checkThrottleKeys(t, db)
	})
}

// TestLoginThrottleDeleteStale: the rows the throttle has forgotten are
// deleted (so new usernames and addresses cannot grow the table without
// bound), while counts still in force and known addresses are kept.
func TestLoginThrottleDeleteStale(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		ctx := context.Background()
		svc, th, clock := throttleSetup(t, db, "admin")
		rows := func() (counts, known int) {
			t.Helper()
			if err := db.SQL.QueryRowContext(ctx, "SELECT COUNT(*) FROM quarry_login_failures WHERE throttle_key NOT LIKE 'ok:%'").Scan(&counts); err != nil {
				t.Fatal(err)
			}
			if err := db.SQL.QueryRowContext(ctx, "SELECT COUNT(*) FROM quarry_login_failures WHERE throttle_key LIKE 'ok:%'").Scan(&known); err != nil {
				t.Fatal(err)
			}
			return counts, known
		}
		if _, err := svc.Login(ctx, th, "admin", "plenty-long-secret", "198.51.100.20"); err != nil {
			t.Fatal(err)
		}
		for i := range 30 { // new usernames from new addresses, and a throttled pair
			svc.Login(ctx, th, fmt.Sprintf("nobody-%d", i), "guess", fmt.Sprintf("203.0.113.%d", i))
			svc.Login(ctx, th, "admin", fmt.Sprintf("guess-%d", i), "192.0.2.1")
		}
		counts, known := rows()
		if counts == 0 || known != 1 {
			t.Fatalf("before: %d counts, %d known addresses", counts, known)
		}
		if n, err := th.DeleteStale(ctx); err != nil || n != 0 {
			t.Fatalf("DeleteStale at once: %d, %v; want 0 (all in force)", n, err)
		}
		clock.advance(th.MaxDelay + max(th.ResetAfter, th.AccountWindow) + time.Minute)
		if n, err := th.DeleteStale(ctx); err != nil || int(n) != counts {
			t.Fatalf("DeleteStale after the windows: %d, %v; want %d", n, err, counts)
		}
		if c, k := rows(); c != 0 || k != 1 {
			t.Fatalf("after the windows: %d counts, %d known addresses; want 0, 1", c, k)
		}
		clock.advance(th.KnownFor)
		if n, err := th.DeleteStale(ctx); err != nil || n != 1 {
			t.Fatalf("DeleteStale after KnownFor: %d, %v; want 1", n, err)
		}
	})
}
