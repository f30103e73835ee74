package admin

import (
	"math"
	"net/url"
	"strconv"
	"strings"
)

// Branding is how the admin presents itself to one request: a tenant's
// name, logo and colour (see [Options.Branding]). Empty fields keep the
// defaults.
type Branding struct {
	// Title replaces Options.Title in the header and the window title.
	// It is text (HTML-escaped), not markup.
	Title string
	// LogoURL is an image shown before the title: an https URL, or a path
	// on this site starting with a single "/". Anything else is ignored.
	LogoURL string
	// Accent is the accent colour, strictly "#rrggbb" (hex digits); it
	// sets the --accent CSS variable (and a readable --accent-fg and a
	// light --accent-soft) in light and dark mode. Anything else is
	// ignored.
	Accent string
}

// brand fills the page's site title, logo and accent from
// Options.Title and Options.Branding, dropping values that fail the
// checks.
func (rq *request) brand(b *base) {
	b.Site = rq.a.opts.Title
	if rq.a.opts.Branding == nil {
		return
	}
	br := rq.a.opts.Branding(rq.r)
	if t := strings.TrimSpace(br.Title); t != "" {
		b.Site = t
	}
	if br.LogoURL != "" {
		if LogoURLOK(br.LogoURL) {
			b.Logo = br.LogoURL
		} else {
			rq.a.log.DebugContext(rq.ctx(), "admin: branding logo URL ignored (not https or a local path)")
		}
	}
	if br.Accent != "" {
		if AccentOK(br.Accent) {
			b.Accent, b.AccentFG = strings.ToLower(br.Accent), accentFG(br.Accent)
		} else {
			rq.a.log.DebugContext(rq.ctx(), "admin: branding accent ignored (not #rrggbb)")
		}
	}
}

// AccentOK reports whether s is a colour Branding.Accent accepts: "#"
// and six hex digits.
func AccentOK(s string) bool {
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	for _, c := range s[1:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// LogoURLOK reports whether s is a logo URL Branding.LogoURL accepts: an
// https URL with a host and no user information, or a path on this site
// ("/static/logo.svg", not "//host"); no spaces, backslashes or control
// characters, at most 2,048 bytes.
func LogoURLOK(s string) bool {
	if s == "" || len(s) > 2048 || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }) {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.User != nil || u.Opaque != "" {
		return false
	}
	if u.Scheme == "" {
		return u.Host == "" && strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//")
	}
	return u.Scheme == "https" && u.Host != ""
}

// accentFG is the text colour on the accent: white on dark accents, near
// black on light ones (by relative luminance).
func accentFG(hex string) string {
	ch := func(i int) float64 {
		v, _ := strconv.ParseUint(hex[i:i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	l := 0.2126*ch(1) + 0.7152*ch(3) + 0.0722*ch(5)
	if l > 0.179 {
		return "#0d1020"
	}
	return "#ffffff"
}
