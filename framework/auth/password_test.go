package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	t.Parallel()
	h := NewHasher()
	enc, err := h.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("encoding %q", enc)
	}
	if again, _ := h.Hash("correct horse battery"); again == enc {
		t.Error("two hashes of one password are equal: no salt")
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batter": false, "": false, strings.Repeat("x", 2000): false} {
		ok, rehash, err := h.Verify(pw, enc)
		if err != nil || ok != want || rehash {
			t.Errorf("Verify(%.20q) = %v, %v, %v; want %v", pw, ok, rehash, err, want)
		}
	}
	// Raising the parameters marks old hashes for a rehash.
	stronger := &Hasher{Params: DefaultParams}
	stronger.Params.Time = 3
	if ok, rehash, _ := stronger.Verify("correct horse battery", enc); !ok || !rehash {
		t.Errorf("stronger hasher: ok %v rehash %v", ok, rehash)
	}
}

func TestParseHashRejects(t *testing.T) {
	t.Parallel()
	good, _ := NewHasher().Hash("x")
	parts := strings.Split(good, "$")
	for name, enc := range map[string]string{
		"empty":          "",
		"bcrypt":         "$2a$10$abcdefghijklmnopqrstuv",
		"argon2i":        strings.Replace(good, "argon2id", "argon2i", 1),
		"old version":    strings.Replace(good, "v=19", "v=16", 1),
		"huge memory":    strings.Replace(good, "m=19456", "m=99999999", 1),
		"zero time":      strings.Replace(good, "t=2", "t=0", 1),
		"bad params":     strings.Replace(good, "m=19456,t=2,p=1", "m=19456,t=2", 1),
		"bad salt":       strings.Join([]string{"", parts[1], parts[2], parts[3], "!!!", parts[5]}, "$"),
		"short key":      strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$"),
		"trailing field": good + "$x",
	} {
		if _, _, _, err := ParseHash(enc); !errors.Is(err, ErrBadHash) {
			t.Errorf("%s: ParseHash = %v; want ErrBadHash", name, err)
		}
	}
}

func TestCheckStrength(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		pw, user, email string
		ok              bool
		msg             string
	}{
		{"tr0ub4dor&3-staple", "ada", "ada@example.com", true, ""},
		{"short1!", "ada", "", false, "at least 10"},
		{"12345678901234", "ada", "", false, "only digits"},
		{"password123", "ada", "", false, "commonly used"},
		{"Qwertyuiop", "ada", "", false, "commonly used"},
		{"lovelace-rocks!", "lovelace", "", false, "too similar"},
		{"my-ada.lovelace-key", "x", "ada.lovelace@example.com", false, "too similar"},
		{strings.Repeat("ab", 600), "ada", "", false, "at most"},
	} {
		err := CheckStrength(tt.pw, tt.user, tt.email)
		if tt.ok != (err == nil) || err != nil && (!errors.Is(err, ErrWeakPassword) || !strings.Contains(err.Error(), tt.msg)) {
			t.Errorf("CheckStrength(%.20q) = %v; want ok=%v %q", tt.pw, err, tt.ok, tt.msg)
		}
	}
}

// FuzzParseHash: no input panics or allocates past the limits; whatever
// parses re-encodes to an equivalent hash.
func FuzzParseHash(f *testing.F) {
	good, _ := NewHasher().Hash("seed")
	for _, s := range []string{good, "", "$argon2id$v=19$m=1,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "$$$$$", "$argon2id$v=19$m=4294967295,t=1,p=1$x$y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, enc string) {
		p, salt, key, err := ParseHash(enc)
		if err != nil {
			if !errors.Is(err, ErrBadHash) {
				t.Fatalf("error %v does not wrap ErrBadHash", err)
			}
			return
		}
		if p.Memory == 0 || p.Memory > maxMemory || p.Time == 0 || p.Time > maxTime || p.Threads == 0 || len(salt) < 8 || len(key) < 16 {
			t.Fatalf("accepted out-of-range hash %q: %+v", enc, p)
		}
	})
}

// TestCheckUsername: 1 to 150 letters, digits and @.+-_, in any script.
func TestCheckUsername(t *testing.T) {
	for name, ok := range map[string]bool{
		"ada": true, "ada.lovelace+x@example.com": true, "Zoë_1-2": true, "用户": true,
		strings.Repeat("a", 150): true, strings.Repeat("é", 150): true,
		"": false, strings.Repeat("a", 151): false, strings.Repeat("é", 151): false,
		"a b": false, "a/b": false, "a\x00": false, "bad\xff": false, "a\u202e": false,
	} {
		if err := CheckUsername(name); (err == nil) != ok {
			t.Errorf("CheckUsername(%q) = %v; want ok %v", name, err, ok)
		}
	}
}
