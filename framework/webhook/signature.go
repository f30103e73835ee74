// Package webhook signs the webhooks an app sends and verifies the ones
// it receives, with HMAC-SHA256.
//
// Quarry's own scheme is Stripe's: the header carries the time of
// signing and one or more signatures of "<time>.<body>",
//
//	Webhook-Signature: t=1800000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
//
// so that a receiver can refuse a replay outside its tolerance, and a
// sender rotating its secret can send one signature per secret. Verifier
// checks that scheme (Stripe's own header is Stripe-Signature) and
// GitHub's X-Hub-Signature-256 ("sha256=<hex>" of the body, no time).
// Every comparison is constant-time.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header is the header Quarry's webhooks carry their signature in.
const Header = "Webhook-Signature"

// GitHubHeader is the header GitHub signs its deliveries in.
const GitHubHeader = "X-Hub-Signature-256"

// DefaultTolerance is how far a signature's time may be from the
// receiver's clock.
const DefaultTolerance = 5 * time.Minute

var (
	// ErrNoSignature is a request without the signature header, or with
	// one that is not of the scheme.
	ErrNoSignature = errors.New("webhook: no signature of the expected form")
	// ErrSignature is a signature no secret makes: a forged or altered
	// request, or a sender with another secret.
	ErrSignature = errors.New("webhook: the signature does not match")
	// ErrTimestamp is a signature made too long ago (a replay) or in the
	// future, beyond the tolerance.
	ErrTimestamp = errors.New("webhook: the signature's time is outside the tolerance")
	// ErrTooLarge is a body over Verifier.MaxBytes.
	ErrTooLarge = errors.New("webhook: the body is too large")
)

// MinSecretBytes is the shortest secret Sign and Verifier take: an empty
// or short secret (an unset environment variable) is one anyone can sign
// with.
const MinSecretBytes = 16

func checkSecrets(secrets [][]byte) error {
	if len(secrets) == 0 {
		return errors.New("webhook: no secret")
	}
	for _, s := range secrets {
		if len(s) < MinSecretBytes {
			return fmt.Errorf("webhook: a secret of %d bytes: give at least %d (random)", len(s), MinSecretBytes)
		}
	}
	return nil
}

func mac(secret []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, secret)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// Sign returns the Webhook-Signature header value of body sent at t: the
// time and one v1 signature per secret (the new one first while a
// rotation lasts). It refuses no secret, or one shorter than
// MinSecretBytes.
func Sign(t time.Time, body []byte, secrets ...[]byte) (string, error) {
	if err := checkSecrets(secrets); err != nil {
		return "", err
	}
	ts := strconv.FormatInt(t.Unix(), 10)
	var b strings.Builder
	b.WriteString("t=" + ts)
	for _, s := range secrets {
		b.WriteString(",v1=" + hex.EncodeToString(mac(s, []byte(ts), []byte("."), body)))
	}
	return b.String(), nil
}

// Verifier checks the signatures of incoming webhooks.
type Verifier struct {
	// Secrets are the shared secrets a signature may be made with: the
	// current one and, while a rotation lasts, the previous. Required,
	// each of MinSecretBytes or more.
	Secrets [][]byte
	// Header names the signature header. Default Header; Stripe sends
	// "Stripe-Signature", GitHub GitHubHeader (set GitHub too).
	Header string
	// GitHub selects GitHub's scheme: "sha256=<hex>" of the body, with
	// no time (so no replay window: deduplicate on X-GitHub-Delivery).
	GitHub bool
	// Tolerance bounds the distance between the signature's time and the
	// clock. Default DefaultTolerance.
	Tolerance time.Duration
	// MaxBytes bounds the body read. Default 1 MiB.
	MaxBytes int64
	// Now is the clock (tests inject one). Default time.Now.
	Now func() time.Time
}

// Read reads r's body and returns it once its signature verifies, or
// no body and ErrNoSignature, ErrSignature, ErrTimestamp or ErrTooLarge
// (answer them with 400, or 413 for ErrTooLarge).
func (v *Verifier) Read(r *http.Request) ([]byte, error) {
	if err := checkSecrets(v.Secrets); err != nil {
		return nil, err
	}
	max := v.MaxBytes
	if max <= 0 || max > 1<<40 {
		max = 1 << 20
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("webhook: read the body: %w", err)
	}
	if int64(len(body)) > max {
		return nil, ErrTooLarge
	}
	header := v.Header
	switch {
	case header == "" && v.GitHub:
		header = GitHubHeader
	case header == "":
		header = Header
	}
	values := r.Header.Values(header)
	if len(values) != 1 {
		return nil, ErrNoSignature
	}
	verify := v.verify
	if v.GitHub {
		verify = v.verifyGitHub
	}
	if err := verify(values[0], body); err != nil {
		return nil, err
	}
	return body, nil
}

func (v *Verifier) verifyGitHub(header string, body []byte) error {
	sig, ok := strings.CutPrefix(header, "sha256=")
	got, err := hex.DecodeString(sig)
	if !ok || err != nil || len(got) != sha256.Size {
		return ErrNoSignature
	}
	for _, s := range v.Secrets {
		if hmac.Equal(got, mac(s, body)) {
			return nil
		}
	}
	return ErrSignature
}

func (v *Verifier) verify(header string, body []byte) error {
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			if ts != "" {
				return ErrNoSignature
			}
			ts = val
		case "v1":
			if sig, err := hex.DecodeString(val); err == nil && len(sig) == sha256.Size {
				sigs = append(sigs, sig)
			}
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrNoSignature
	}
	ok := false
	for _, sig := range sigs {
		for _, s := range v.Secrets {
			ok = hmac.Equal(sig, mac(s, []byte(ts), []byte("."), body)) || ok
		}
	}
	if !ok {
		return ErrSignature
	}
	// Checked after the signature: a time nobody signed says nothing.
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	tol := v.Tolerance
	if tol <= 0 {
		tol = DefaultTolerance
	}
	if d := now().Sub(time.Unix(t, 0)); d > tol || d < -tol {
		return ErrTimestamp
	}
	return nil
}
