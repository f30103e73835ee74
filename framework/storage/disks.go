package storage

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/quarry-go/quarry/framework/signing"
)

// DefaultDiskURL is the default disk's URL when none is configured.
const DefaultDiskURL = "file:./var/media"

// DefaultDisk is the name of the disk used when none is named.
const DefaultDisk = "default"

// SignedPath is where Disks.Handler serves the presigned URLs of the
// disks that sign their own (Local, Memory): SignedPath + name + "/" + key.
const SignedPath = "/_storage/"

// OpenDisk opens the disk at rawURL:
//
//	file:./var/media     a directory (relative to the working directory)
//	file:/srv/media      an absolute one (file:///srv/media too)
//	mem:                 memory (tests, development)
//	s3://bucket/prefix?endpoint=host:port&region=…&insecure=true&path_style=true
//	                     an S3-compatible bucket (endpoint default
//	                     s3.amazonaws.com), credentials from opts
//
// opts applies to it as given (an s3:// disk signs its own URLs: its
// Signer is not used).
func OpenDisk(rawURL string, opts DiskOptions) (Storage, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error repeats the URL: say only what is wrong, without it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("storage: disk URL %q: %w", redactRaw(rawURL), err)
	}
	switch u.Scheme {
	case "file":
		dir := u.Opaque
		if dir == "" {
			if u.Host != "" && u.Host != "localhost" {
				return nil, fmt.Errorf("storage: disk URL %q: a file URL names a directory of this machine, not of %s", redact(u), u.Host)
			}
			dir = u.Path
		}
		if dir == "" {
			return nil, fmt.Errorf("storage: disk URL %q names no directory (file:./var/media, file:/srv/media)", redact(u))
		}
		return NewLocal(dir, opts)
	case "mem", "memory":
		return NewMemory(opts), nil
	case "s3":
		return openS3(u, opts)
	case "":
		return nil, fmt.Errorf("storage: disk URL %q has no scheme (file:./var/media, mem:)", redact(u))
	}
	return nil, fmt.Errorf("storage: disk URL %q: unknown scheme %q (want file:, mem: or s3:)", redact(u), u.Scheme)
}

// openS3 opens s3://bucket/prefix?endpoint=…&region=…&insecure=…&path_style=….
func openS3(u *url.URL, opts DiskOptions) (Storage, error) {
	if u.User != nil {
		return nil, fmt.Errorf("storage: disk URL %q holds credentials: give them in QUARRY_STORAGE_<NAME>_ACCESS_KEY_ID and _SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)", redact(u))
	}
	q := u.Query()
	for k := range q {
		switch k {
		case "endpoint", "region", "insecure", "path_style":
		default:
			return nil, fmt.Errorf("storage: disk URL %q: unknown parameter %q (endpoint, region, insecure, path_style)", redact(u), k)
		}
	}
	flag := func(name string) (bool, error) {
		switch v := q.Get(name); v {
		case "", "false", "0":
			return false, nil
		case "true", "1":
			return true, nil
		default:
			return false, fmt.Errorf("storage: disk URL %q: %s=%q (want true or false)", redact(u), name, v)
		}
	}
	insecure, err := flag("insecure")
	if err != nil {
		return nil, err
	}
	pathStyle, err := flag("path_style")
	if err != nil {
		return nil, err
	}
	endpoint := q.Get("endpoint")
	if endpoint == "" {
		endpoint = "s3.amazonaws.com"
	}
	s, err := NewS3(S3Options{Endpoint: endpoint, Insecure: insecure, Region: q.Get("region"), Bucket: u.Host,
		Prefix: strings.Trim(u.Path, "/"), AccessKeyID: opts.AccessKeyID, SecretAccessKey: opts.SecretAccessKey,
		PathStyle: pathStyle, PublicBaseURL: opts.PublicBaseURL})
	if err != nil {
		return nil, fmt.Errorf("disk URL %q: %w", redact(u), err)
	}
	return s, nil
}

// redactRaw drops the password of a URL that does not parse.
func redactRaw(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	auth, tail, ok := strings.Cut(rest, "@")
	if !ok || strings.ContainsAny(auth, "/?#") {
		return raw
	}
	user, _, _ := strings.Cut(auth, ":")
	return scheme + "://" + user + ":xxxxx@" + tail
}

func redact(u *url.URL) string {
	if u.User != nil {
		c := *u
		c.User = url.User(u.User.Username())
		return c.String()
	}
	return u.String()
}

// Disks are an app's named disks.
type Disks struct {
	disks   map[string]Storage
	signers map[string]*Signer
}

var envDisk = regexp.MustCompile(`^QUARRY_STORAGE_([A-Z][A-Z0-9_]*)_URL$`)

// DisksFromEnv opens the disks named in environ (os.Environ()):
// QUARRY_STORAGE_<NAME>_URL for each disk (see OpenDisk; NAME in upper
// case, the disk's name is it in lower case), with an optional
// QUARRY_STORAGE_<NAME>_PUBLIC_URL (its public base, a CDN) and, for an
// s3:// disk, QUARRY_STORAGE_<NAME>_ACCESS_KEY_ID and
// QUARRY_STORAGE_<NAME>_SECRET_ACCESS_KEY (default AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY). An S3 disk is not contacted here: call its
// Check at start-up to fail fast. The default
// disk is DEFAULT, file:./var/media unless set. Local and memory disks
// sign their presigned URLs with keys, served under SignedPath by
// Handler. A malformed URL fails naming its variable; the disks opened
// before it are closed.
func DisksFromEnv(environ []string, keys *signing.Keyring) (*Disks, error) {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && (strings.HasPrefix(k, "QUARRY_STORAGE_") || strings.HasPrefix(k, "AWS_")) {
			env[k] = v
		}
	}
	urls := map[string]string{DefaultDisk: DefaultDiskURL}
	for k, v := range env {
		if m := envDisk.FindStringSubmatch(k); m != nil && !strings.HasSuffix(m[1], "_PUBLIC") {
			urls[strings.ToLower(m[1])] = v
		}
	}
	orEnv := func(k, fallback string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return env[fallback]
	}
	d := &Disks{disks: map[string]Storage{}, signers: map[string]*Signer{}}
	names := make([]string, 0, len(urls))
	for n := range urls {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		signer := &Signer{Keys: keys, BaseURL: SignedPath + name}
		up := "QUARRY_STORAGE_" + strings.ToUpper(name)
		opts := DiskOptions{PublicBaseURL: env[up+"_PUBLIC_URL"], Signer: signer,
			AccessKeyID: orEnv(up+"_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"), SecretAccessKey: orEnv(up+"_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY")}
		s, err := OpenDisk(urls[name], opts)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("QUARRY_STORAGE_%s_URL: %w", strings.ToUpper(name), err), d.Close())
		}
		d.disks[name] = s
		if _, self := s.(*S3); !self {
			d.signers[name] = signer
		}
	}
	return d, nil
}

// Disk returns the disk called name, or an error naming the disks there are.
func (d *Disks) Disk(name string) (Storage, error) {
	if s, ok := d.disks[name]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("storage: no disk %q (configured: %s; add QUARRY_STORAGE_%s_URL)", name, strings.Join(d.Names(), ", "), strings.ToUpper(name))
}

// Default returns the default disk.
func (d *Disks) Default() Storage { return d.disks[DefaultDisk] }

// Names lists the disks' names, sorted.
func (d *Disks) Names() []string {
	names := make([]string, 0, len(d.disks))
	for n := range d.disks {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Middleware serves the presigned URLs under SignedPath (see Handler) and
// passes every other request on. Give it to app.WrapRouter, so that it
// runs before the app's route middleware (app.Use): a presigned URL is
// its own authority, and the auth layer's CSRF check would refuse every
// presigned PUT, which no browser form sends.
func (d *Disks) Middleware(next http.Handler) http.Handler {
	h := d.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, SignedPath) {
			h.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Handler serves the presigned URLs of every disk under SignedPath (404
// for an unknown disk); Middleware mounts it.
func (d *Disks) Handler() http.Handler {
	mux := http.NewServeMux()
	for name, s := range d.disks {
		if sg := d.signers[name]; sg != nil {
			mux.Handle(SignedPath+name+"/", http.StripPrefix(SignedPath+name, sg.Handler(s)))
		}
	}
	return mux
}

// Close closes the disks that hold resources (Local's directory).
func (d *Disks) Close() error {
	var errs []error
	for _, s := range d.disks {
		if c, ok := s.(io.Closer); ok {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}
