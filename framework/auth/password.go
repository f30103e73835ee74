package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // iterations
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultParams meet OWASP's minimum for argon2id (19 MiB, 2 iterations,
// 1 thread). Raising them later makes Verify report old hashes as needing a
// rehash, which Authenticate performs at the next successful login.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// maxPasswordLen bounds the work one login attempt can cause.
const maxPasswordLen = 1024

// Hasher hashes and verifies passwords with its parameters.
type Hasher struct{ Params Params }

// NewHasher returns a hasher with DefaultParams.
func NewHasher() *Hasher { return &Hasher{Params: DefaultParams} }

// Hash returns the PHC-format encoding of password:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key> (unpadded base64).
func (h *Hasher) Hash(password string) (string, error) {
	if len(password) > maxPasswordLen {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrWeakPassword, maxPasswordLen)
	}
	p := h.Params
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether password matches encoded, in constant time, and
// whether encoded was made with weaker parameters than the hasher's.
func (h *Hasher) Verify(password, encoded string) (ok, needsRehash bool, err error) {
	p, salt, key, err := ParseHash(encoded)
	if err != nil {
		return false, false, err
	}
	if len(password) > maxPasswordLen {
		return false, false, nil
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	ok = subtle.ConstantTimeCompare(got, key) == 1
	hp := h.Params
	needsRehash = p.Memory < hp.Memory || p.Time < hp.Time || p.Threads < hp.Threads || uint32(len(key)) < hp.KeyLen
	return ok, needsRehash, nil
}

// dummyHash is verified against when a username does not exist, so that a
// login for an unknown user costs as much as one for a known user. It is
// made on first use, not when the package loads: a hash takes Memory
// (19 MiB) and tens of milliseconds, which every program importing the
// package (every CLI command) would otherwise pay at start.
var dummyHash = sync.OnceValue(func() string {
	s, err := NewHasher().Hash("quarry-dummy-password")
	if err != nil {
		panic(err)
	}
	return s
})

// VerifyDummy spends the time of one verification and reports nothing.
func (h *Hasher) VerifyDummy(password string) { _, _, _ = h.Verify(password, dummyHash()) }

// Limits on parameters accepted from a stored hash, so a tampered row
// cannot make a login allocate gigabytes or spin for minutes.
const (
	maxMemory  = 1 << 20 // 1 GiB in KiB
	maxTime    = 64
	maxThreads = 64
)

// ParseHash decodes a PHC-format argon2id hash. It rejects other
// algorithms, versions, out-of-range parameters and malformed base64.
func ParseHash(encoded string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return p, nil, nil, fmt.Errorf("%w: want $argon2id$v=…$m=…,t=…,p=…$salt$key", ErrBadHash)
	}
	if parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("%w: algorithm %q, want argon2id", ErrBadHash, parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: version %q, want v=%d", ErrBadHash, parts[2], argon2.Version)
	}
	var m, t, th uint64
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return p, nil, nil, fmt.Errorf("%w: parameters %q", ErrBadHash, parts[3])
	}
	for i, want := range []struct {
		key string
		dst *uint64
		max uint64
	}{{"m=", &m, maxMemory}, {"t=", &t, maxTime}, {"p=", &th, maxThreads}} {
		v, ok := strings.CutPrefix(fields[i], want.key)
		n, perr := strconv.ParseUint(v, 10, 32)
		if !ok || perr != nil || n == 0 || n > want.max {
			return p, nil, nil, fmt.Errorf("%w: parameter %q", ErrBadHash, fields[i])
		}
		*want.dst = n
	}
	b64 := base64.RawStdEncoding.Strict()
	salt, err = b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return p, nil, nil, fmt.Errorf("%w: salt", ErrBadHash)
	}
	key, err = b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 128 {
		return p, nil, nil, fmt.Errorf("%w: key", ErrBadHash)
	}
	p = Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(th), SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	return p, salt, key, nil
}
