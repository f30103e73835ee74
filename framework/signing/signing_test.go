package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"testing"
)

func TestKeyring(t *testing.T) {
	old, _ := New("old-key-old-key-old-key-old-key-old")
	cur, _ := New("new-key-new-key-new-key-new-key-new", "old-key-old-key-old-key-old-key-old")
	other, _ := New("another-key-another-key-another-key")

	signedOld := old.SignString("csrf", "abc")
	for _, tc := range []struct {
		name    string
		ring    *Keyring
		purpose string
		signed  string
		want    string
		wantErr bool
	}{
		{"round trip", cur, "csrf", cur.SignString("csrf", "abc"), "abc", false},
		{"old key still verifies", cur, "csrf", signedOld, "abc", false},
		{"retired key does not", other, "csrf", signedOld, "", true},
		{"other purpose", cur, "cursor", cur.SignString("csrf", "abc"), "", true},
		{"tampered value", cur, "csrf", "abd" + cur.SignString("csrf", "abc")[3:], "", true},
		{"no signature", cur, "csrf", "abc", "", true},
		{"bad base64", cur, "csrf", "abc.!!!", "", true},
		{"empty", cur, "csrf", "", "", true},
		{"value with dots", cur, "csrf", cur.SignString("csrf", "a.b.c"), "a.b.c", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.ring.Unsign(tc.purpose, tc.signed)
			if tc.wantErr {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("Unsign(%q) = %q, %v; want ErrInvalid", tc.signed, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Unsign(%q) = %q, %v; want %q", tc.signed, got, err, tc.want)
			}
		})
	}
	if _, err := New(""); err == nil {
		t.Fatal("New(\"\") accepted an empty key")
	}
	if a, b := Random().Sign("p", nil), Random().Sign("p", nil); string(a) == string(b) {
		t.Fatal("two random keyrings sign alike")
	}
}

// TestDerivation pins the MAC: HMAC-SHA256 of the data under
// HMAC-SHA256("quarry.signing." + purpose) of the key, the same on the
// first use of a purpose as on later ones (the derived key is cached),
// under every key of the ring, so that values signed before an upgrade
// still verify.
func TestDerivation(t *testing.T) {
	t.Parallel()
	want := func(key, purpose, data string) []byte {
		d := hmac.New(sha256.New, []byte(key))
		d.Write([]byte("quarry.signing." + purpose))
		m := hmac.New(sha256.New, d.Sum(nil))
		m.Write([]byte(data))
		return m.Sum(nil)
	}
	k, _ := New("current-key", "old-key")
	for range 2 {
		for _, p := range []string{"csrf", "api.cursor.posts"} {
			if got := k.Sign(p, []byte("data")); !hmac.Equal(got, want("current-key", p, "data")) {
				t.Errorf("Sign(%q) = %x, want %x", p, got, want("current-key", p, "data"))
			}
			if !k.Verify(p, []byte("data"), want("old-key", p, "data")) {
				t.Errorf("Verify(%q) refuses the old key's MAC", p)
			}
		}
	}
}
