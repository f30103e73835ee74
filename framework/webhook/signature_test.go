package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/framework/webhook"
)

// TestVerify drives the Verifier with signed requests and every way a
// forger, a replayer or a broken sender could alter one.
func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	oldKey, newKey := []byte("old-secret-0123456789"), []byte("new-secret-0123456789")
	body := `{"event":"post.created","id":7}`
	sign := func(at time.Time, b string, secrets ...[]byte) string {
		h, err := webhook.Sign(at, []byte(b), secrets...)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	good := sign(now, body, newKey)

	// Sign writes t and HMAC-SHA256("<t>.<body>") in hex.
	m := hmac.New(sha256.New, newKey)
	m.Write([]byte("1800000000." + body))
	if want := "t=1800000000,v1=" + hex.EncodeToString(m.Sum(nil)); good != want {
		t.Fatalf("Sign = %s, want %s", good, want)
	}

	v := &webhook.Verifier{Secrets: [][]byte{newKey}, Now: clock}
	for _, c := range []struct {
		name    string
		v       *webhook.Verifier
		headers []string
		body    string
		want    error
	}{
		{name: "signed", headers: []string{good}},
		{name: "spaces after commas", headers: []string{strings.ReplaceAll(good, ",", ", ")}},
		{name: "body altered", headers: []string{good}, body: body + " ", want: webhook.ErrSignature},
		{name: "time altered", headers: []string{strings.Replace(good, "t=1800000000", "t=1800000001", 1)}, want: webhook.ErrSignature},
		{name: "other secret", headers: []string{sign(now, body, []byte("another-secret-0123"))}, want: webhook.ErrSignature},
		{name: "rotating sender, new receiver", headers: []string{sign(now, body, newKey, oldKey)}},
		{name: "rotating sender, old receiver", v: &webhook.Verifier{Secrets: [][]byte{oldKey}, Now: clock}, headers: []string{sign(now, body, newKey, oldKey)}},
		{name: "rotating receiver", v: &webhook.Verifier{Secrets: [][]byte{newKey, oldKey}, Now: clock}, headers: []string{sign(now, body, oldKey)}},
		{name: "within tolerance", headers: []string{sign(now.Add(-5*time.Minute), body, newKey)}},
		{name: "replayed later", headers: []string{sign(now.Add(-5*time.Minute-time.Second), body, newKey)}, want: webhook.ErrTimestamp},
		{name: "from the future", headers: []string{sign(now.Add(6*time.Minute), body, newKey)}, want: webhook.ErrTimestamp},
		{name: "wider tolerance", v: &webhook.Verifier{Secrets: [][]byte{newKey}, Now: clock, Tolerance: time.Hour}, headers: []string{sign(now.Add(-30*time.Minute), body, newKey)}},
		{name: "forged and old", headers: []string{sign(now.Add(-time.Hour), body, []byte("another-secret-0123"))}, want: webhook.ErrSignature},
		{name: "no header", want: webhook.ErrNoSignature},
		{name: "two headers", headers: []string{good, good}, want: webhook.ErrNoSignature},
		{name: "no time", headers: []string{good[strings.Index(good, ",")+1:]}, want: webhook.ErrNoSignature},
		{name: "time twice", headers: []string{"t=1," + good}, want: webhook.ErrNoSignature},
		{name: "time not a number", headers: []string{strings.Replace(good, "t=1800000000", "t=soon", 1)}, want: webhook.ErrNoSignature},
		{name: "no v1", headers: []string{strings.Replace(good, "v1=", "v0=", 1)}, want: webhook.ErrNoSignature},
		{name: "v1 not hex", headers: []string{"t=1800000000,v1=zz"}, want: webhook.ErrNoSignature},
		{name: "v1 short", headers: []string{good[:len(good)-2]}, want: webhook.ErrNoSignature},
		{name: "empty", headers: []string{""}, want: webhook.ErrNoSignature},
		{name: "too large", v: &webhook.Verifier{Secrets: [][]byte{newKey}, Now: clock, MaxBytes: 10}, headers: []string{good}, want: webhook.ErrTooLarge},
		{name: "in another header than the one read", v: &webhook.Verifier{Secrets: [][]byte{newKey}, Now: clock, Header: "Stripe-Signature"}, headers: []string{good}, want: webhook.ErrNoSignature},
	} {
		t.Run(c.name, func(t *testing.T) {
			verifier := v
			if c.v != nil {
				verifier = c.v
			}
			b := body
			if c.body != "" {
				b = c.body
			}
			r := httptest.NewRequest("POST", "/hooks", strings.NewReader(b))
			for _, h := range c.headers {
				r.Header.Add(webhook.Header, h)
			}
			got, err := verifier.Read(r)
			if !errors.Is(err, c.want) || err != nil && c.want == nil {
				t.Fatalf("Read: %v, want %v", err, c.want)
			}
			if err != nil && got != nil {
				t.Errorf("Read refused the body and returned it: %q", got)
			}
			if err == nil && string(got) != b {
				t.Errorf("Read returned %q, want the body", got)
			}
		})
	}
	// No secret, or one anyone could guess (an unset variable), signs and
	// verifies nothing.
	for _, secrets := range [][][]byte{nil, {{}}, {newKey, []byte("short")}} {
		if _, err := (&webhook.Verifier{Secrets: secrets, Now: clock}).Read(httptest.NewRequest("POST", "/", strings.NewReader(body))); err == nil {
			t.Errorf("a Verifier with secrets %q verified", secrets)
		}
		if h, err := webhook.Sign(now, []byte(body), secrets...); err == nil {
			t.Errorf("Sign with secrets %q: %s", secrets, h)
		}
	}
}

// TestVerifyGitHub checks GitHub's scheme against the example in its
// documentation and against altered deliveries.
func TestVerifyGitHub(t *testing.T) {
	t.Parallel()
	v := &webhook.Verifier{Secrets: [][]byte{[]byte("It's a Secret to Everybody")}, GitHub: true}
	for _, c := range []struct {
		name, header, body string
		want               error
	}{
		{"documented example", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "Hello, World!", nil},
		{"body altered", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "Hello, World?", webhook.ErrSignature},
		{"sha1 scheme", "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59", "Hello, World!", webhook.ErrNoSignature},
		{"no prefix", "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "Hello, World!", webhook.ErrNoSignature},
		{"not hex", "sha256=xyz", "Hello, World!", webhook.ErrNoSignature},
	} {
		r := httptest.NewRequest("POST", "/hooks", strings.NewReader(c.body))
		r.Header.Set(webhook.GitHubHeader, c.header)
		if _, err := v.Read(r); !errors.Is(err, c.want) || err != nil && c.want == nil {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}
