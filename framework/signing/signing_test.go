package signing

import (
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
