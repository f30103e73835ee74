// Package signing signs and verifies values with the app's secret key
// (QUARRY_SECRET_KEY), for anything that must come back from a client
// unchanged: CSRF cookies, cursors, tokens.
//
// A [Keyring] holds the current key and, for rotation, old keys that still
// verify (QUARRY_SECRET_KEY_FALLBACKS): values are always signed with the
// current key, so once every value signed with an old key has expired the
// old key can be dropped. Each use names a purpose, and the key that signs
// for one purpose is derived from the secret and that name, so a value
// signed for one purpose never verifies for another.
package signing

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
)

// ErrInvalid is returned for a value whose signature does not verify with
// any key of the ring, or that is not a signed value at all.
var ErrInvalid = errors.New("signing: invalid signature")

// Keyring signs with its current key and verifies with every key.
type Keyring struct {
	keys    [][]byte // keys[0] signs
	derived sync.Map // derivation → the key it derives ([]byte): the purposes are a fixed few
}

// derivation names one purpose's key derived from one key of the ring.
type derivation struct {
	key     int
	purpose string
}

// New returns a keyring that signs with current and also verifies with
// each of old. Empty old keys are skipped.
func New(current string, old ...string) (*Keyring, error) {
	if current == "" {
		return nil, errors.New("signing: empty secret key")
	}
	k := &Keyring{keys: [][]byte{[]byte(current)}}
	for _, o := range old {
		if o != "" {
			k.keys = append(k.keys, []byte(o))
		}
	}
	return k, nil
}

// Random returns a keyring with a fresh random key: values it signs do not
// verify in another process or after a restart.
func Random() *Keyring {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return &Keyring{keys: [][]byte{b}}
}

// mac is data's MAC under the key the ring's key i derives for purpose.
func (k *Keyring) mac(i int, purpose string, data []byte) []byte {
	d := derivation{i, purpose}
	key, ok := k.derived.Load(d)
	if !ok {
		derive := hmac.New(sha256.New, k.keys[i])
		derive.Write([]byte("quarry.signing." + purpose))
		key, _ = k.derived.LoadOrStore(d, derive.Sum(nil))
	}
	m := hmac.New(sha256.New, key.([]byte))
	m.Write(data)
	return m.Sum(nil)
}

// Sign returns the MAC of data for purpose under the current key.
func (k *Keyring) Sign(purpose string, data []byte) []byte {
	return k.mac(0, purpose, data)
}

// Verify reports whether sig is data's MAC for purpose under any key.
func (k *Keyring) Verify(purpose string, data, sig []byte) bool {
	for i := range k.keys {
		if hmac.Equal(k.mac(i, purpose, data), sig) {
			return true
		}
	}
	return false
}

var b64 = base64.RawURLEncoding

// SignString returns value and its signature as one URL-safe string,
// "<value>.<signature>"; value should itself be URL-safe text.
func (k *Keyring) SignString(purpose, value string) string {
	return value + "." + b64.EncodeToString(k.Sign(purpose, []byte(value)))
}

// Unsign returns the value of a string made by SignString for purpose,
// or ErrInvalid.
func (k *Keyring) Unsign(purpose, signed string) (string, error) {
	i := strings.LastIndexByte(signed, '.')
	if i < 0 {
		return "", ErrInvalid
	}
	sig, err := b64.DecodeString(signed[i+1:])
	if err != nil || !k.Verify(purpose, []byte(signed[:i]), sig) {
		return "", ErrInvalid
	}
	return signed[:i], nil
}
