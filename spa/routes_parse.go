package spa

import (
	"bytes"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Parsing and normalisation of routes and request paths for RouteTable
// (RFC 3986 §5.2.4, §6.2; the WHATWG URL Standard where browsers differ).

// parseRoute normalises one secure route. reason is "" when it is valid.
func parseRoute(raw string) (k routeKey, depth int, reason string) {
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return k, 0, "it contains a space, control character or backslash"
		}
	}
	if strings.Contains(raw, "#") {
		return k, 0, "a route must not have a fragment"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return k, 0, "it does not parse as a URL"
	}
	scheme, ok := routeScheme(u.Scheme)
	if !ok || u.Opaque != "" || u.Host == "" {
		return k, 0, "a route must be an absolute http or https URL"
	}
	if u.User != nil {
		return k, 0, "a route must not have userinfo"
	}
	if u.RawQuery != "" || u.ForceQuery {
		return k, 0, "a route must not have a query"
	}
	h, port := splitRouteHostPort(u.Host)
	if k.origin.port, ok = canonicalRoutePort(scheme, port); !ok {
		return k, 0, "the port is out of range"
	}
	k.origin.scheme = scheme
	if k.origin.host, k.wildcard, reason = parseRouteHost(h); reason != "" {
		return k, 0, reason
	}
	if k.path, depth, reason = parseRoutePath(parsedRawPath(u)); reason != "" {
		return k, 0, reason
	}
	return k, depth, ""
}

// parseRouteHost validates and folds a route's host; for a wildcard it returns the parent domain.
func parseRouteHost(h string) (host string, wildcard bool, reason string) {
	host, ok := foldRouteHost(h)
	if !ok {
		if strings.HasPrefix(h, "[") {
			return "", false, "the IPv6 address is invalid or has a zone"
		}
		return "", false, "the host has invalid UTF-8 or a character whose lower case IDNA maps differently (write the xn-- form)"
	}
	if host[0] == '[' {
		return host, false, ""
	}
	if strings.HasSuffix(host, ".") {
		return "", false, "the host must not end in a dot"
	}
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		wildcard = true
		host = rest
		if !strings.Contains(host, ".") && host != "localhost" {
			return "", false, "a wildcard must not cover a whole top-level domain"
		}
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" {
			return "", false, "the host has an empty label"
		}
		for _, r := range label {
			if r == '*' {
				return "", false, `"*" may only stand for the whole leftmost label of the host ("https://*.example.com")`
			}
			if r < utf8.RuneSelf && !isRouteLabelByte(byte(r)) {
				return "", false, fmt.Sprintf("the host contains %q", r)
			}
			if r == '\u3002' || r == '\uff0e' || r == '\uff61' { // IDNA maps these to '.'
				return "", false, fmt.Sprintf("the host contains %q, which IDNA reads as a dot; write \".\"", r)
			}
		}
	}
	if hostEndsInNumber(host) {
		if a, err := netip.ParseAddr(host); wildcard || err != nil || !a.Is4() || a.String() != host {
			return "", false, "a host that ends in a number must be an IPv4 address in dotted-decimal form"
		}
	}
	return host, wildcard, ""
}

// parseRoutePath validates a route's escaped path and returns its normal form
// ("" for the whole origin, else "/seg/seg") and its number of segments.
func parseRoutePath(p string) (path string, depth int, reason string) {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return "", 0, ""
	}
	segs := strings.Split(p, "/")
	switch segs[len(segs)-1] {
	case "*": // "/api/*" is the same route as "/api"
		segs = segs[:len(segs)-1]
	case "": // and so is "/api/"
		segs = segs[:len(segs)-1]
	}
	var b []byte
	for _, s := range segs {
		start := len(b)
		b = append(b, '/')
		var ambiguous bool
		b, ambiguous = appendRouteSegment(b, s)
		seg := string(b[start+1:])
		switch {
		case ambiguous:
			return "", 0, "an encoded slash or backslash (%2F, %5C) in a route is ambiguous"
		case seg == "":
			return "", 0, "the path has an empty segment"
		case isDotSegmentBytes(b[start+1 : start+1+strings.IndexByte(seg+";", ';')]):
			return "", 0, "the path has a dot segment"
		case strings.Contains(seg, "*"):
			return "", 0, `"*" is valid only as the whole last path segment ("/api/*")`
		}
	}
	return string(b), len(segs), ""
}

// isCleanRoutePath reports whether the escaped request path p is already in
// normal form, so normalizeRoutePath would return it unchanged: it starts with
// "/", has no escapes, no characters to escape, and no segment that is a dot
// segment or starts like one with parameters.
func isCleanRoutePath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for i := 1; i < len(p); i++ {
		c := p[i]
		if c == '%' || !isPchar(c) && c != '/' {
			return false
		}
		if c == '.' && p[i-1] == '/' { // a segment starting with '.'
			j := i + 1
			if j < len(p) && p[j] == '.' {
				j++
			}
			if j == len(p) || p[j] == '/' || p[j] == ';' {
				return false
			}
		}
	}
	return true
}

// normalizeRoutePath appends to dst the normal form of the escaped request path
// p: segments percent-normalised (RFC 3986 §6.2.2.2) and dot segments removed
// (RFC 3986 §5.2.4, which also treats "%2e" as "." because "." is unreserved).
// The result starts with "/"; a trailing "/" stands for an empty last segment.
// ambiguous reports an encoded slash or backslash, or a dot segment with parameters.
func normalizeRoutePath(dst []byte, p string) (out []byte, ambiguous bool) {
	root := len(dst)
	p = strings.TrimPrefix(p, "/")
	for {
		seg, rest, more := strings.Cut(p, "/")
		p = rest
		start := len(dst)
		dst = append(dst, '/')
		var amb bool
		dst, amb = appendRouteSegment(dst, seg)
		ambiguous = ambiguous || amb
		s := dst[start+1:]
		base := s
		if i := bytes.IndexByte(s, ';'); i >= 0 {
			base = s[:i]
		}
		if isDotSegmentBytes(base) {
			if len(base) != len(s) {
				ambiguous = true // "..;x": a dot segment to some servers, a name to others
			} else {
				dst = dst[:start]
				if len(base) == 2 { // ".." also removes the last output segment
					if j := bytes.LastIndexByte(dst[root:], '/'); j >= 0 {
						dst = dst[:root+j]
					}
				}
				if !more {
					dst = append(dst, '/') // "/a/.." is "/", "/a/." is "/a/"
				}
			}
		}
		if !more {
			return dst, ambiguous
		}
	}
}

// appendRouteSegment appends one path segment in normal form: escapes of
// unreserved characters decoded, other escapes upper-cased, characters outside
// RFC 3986's pchar escaped. ambiguous reports an encoded or literal slash or backslash.
func appendRouteSegment(dst []byte, seg string) ([]byte, bool) {
	const hex = "0123456789ABCDEF"
	ambiguous := false
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if c == '%' && i+2 < len(seg) && isHexDigit(seg[i+1]) && isHexDigit(seg[i+2]) {
			v := unhexDigit(seg[i+1])<<4 | unhexDigit(seg[i+2])
			i += 2
			if isUnreserved(v) {
				dst = append(dst, v)
				continue
			}
			if v == '/' || v == '\\' {
				ambiguous = true
			}
			dst = append(dst, '%', hex[v>>4], hex[v&15])
			continue
		}
		if c == '\\' {
			ambiguous = true
		}
		if isPchar(c) {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', hex[c>>4], hex[c&15])
		}
	}
	return dst, ambiguous
}

// browserURLText applies the first steps of the WHATWG basic URL parser, so Go's
// parser sees what the browser sees: leading and trailing C0 controls and spaces
// are dropped, tabs and newlines removed, and (http and https being special
// schemes) a backslash before the query or fragment is a slash.
func browserURLText(s string) string {
	for len(s) > 0 && s[0] <= ' ' { // UTF-8 never has bytes <= ' ' inside a rune
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] <= ' ' {
		s = s[:len(s)-1]
	}
	bs := strings.IndexByte(s, '\\')
	if bs >= 0 {
		if q := strings.IndexAny(s, "?#"); q >= 0 && q < bs {
			bs = -1 // only in the query or fragment, where it stays
		}
	}
	if bs < 0 && strings.IndexByte(s, '\t') < 0 && strings.IndexByte(s, '\n') < 0 && strings.IndexByte(s, '\r') < 0 {
		return s
	}
	inPath := true
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\t' || c == '\n' || c == '\r':
		case c == '\\' && inPath:
			b = append(b, '/')
		default:
			if c == '?' || c == '#' {
				inPath = false
			}
			b = append(b, c)
		}
	}
	return string(b)
}

// parsedRawPath is the path of a URL that url.Parse produced, as written: its
// RawPath when set (url.URL.EscapedPath would re-escape Path and turn "%2F" into
// "/" when RawPath has a character that needs escaping).
func parsedRawPath(u *url.URL) string {
	if u.RawPath != "" {
		return u.RawPath
	}
	return u.EscapedPath()
}

// urlRawPath is parsedRawPath for a URL from elsewhere: RawPath only when it
// still encodes Path.
func urlRawPath(u *url.URL) string {
	if u.RawPath != "" {
		if p, err := url.PathUnescape(u.RawPath); err == nil && p == u.Path {
			return u.RawPath
		}
	}
	return u.EscapedPath()
}

// routeScheme lower-cases scheme and accepts http and https only.
func routeScheme(s string) (string, bool) {
	switch s {
	case "http", "https":
		return s, true
	}
	if strings.EqualFold(s, "http") {
		return "http", true
	}
	if strings.EqualFold(s, "https") {
		return "https", true
	}
	return "", false
}

// splitRouteHostPort splits url.URL.Host into host (brackets kept) and port.
func splitRouteHostPort(hostport string) (host, port string) {
	if strings.HasPrefix(hostport, "[") {
		if i := strings.LastIndexByte(hostport, ']'); i >= 0 {
			return hostport[:i+1], strings.TrimPrefix(hostport[i+1:], ":")
		}
		return hostport, ""
	}
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 {
		return hostport[:i], hostport[i+1:]
	}
	return hostport, ""
}

// canonicalRoutePort drops leading zeros and the scheme's default port
// (RFC 3986 §6.2.3); ok is false for a port that is not a number up to 65535.
func canonicalRoutePort(scheme, port string) (string, bool) {
	if port == "" {
		return "", true
	}
	p := strings.TrimLeft(port, "0")
	if p == "" {
		p = "0"
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' || len(p) > 5 {
			return "", false
		}
		n = n*10 + int(p[i]-'0')
	}
	if n > 65535 {
		return "", false
	}
	if scheme == "http" && n == 80 || scheme == "https" && n == 443 {
		return "", true
	}
	return p, true
}

// foldRouteHost returns host (without port) in the form hosts are compared in:
// ASCII lower-cased; an IPv6 literal in RFC 5952 form; non-ASCII runes
// lower-cased when that is safe. ok is false when the host cannot be compared
// safely: invalid UTF-8, an IPv6 zone, or a rune whose lower case is ASCII or
// does not map back to it (IDNA maps those differently, e.g. U+0130 İ).
func foldRouteHost(h string) (string, bool) {
	if h == "" {
		return "", false
	}
	if h[0] == '[' {
		if len(h) < 2 || h[len(h)-1] != ']' {
			return "", false
		}
		a, err := netip.ParseAddr(h[1 : len(h)-1])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", false
		}
		return "[" + a.String() + "]", true
	}
	lower, ascii := true, true
	for i := 0; i < len(h); i++ {
		if c := h[i]; c >= utf8.RuneSelf {
			ascii = false
			break
		} else if 'A' <= c && c <= 'Z' {
			lower = false
		}
	}
	if ascii {
		if lower {
			return h, true
		}
		return strings.ToLower(h), true
	}
	if !utf8.ValidString(h) {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(h))
	for _, r := range h {
		l := unicode.ToLower(r)
		if r >= utf8.RuneSelf && l != r && (l < utf8.RuneSelf || unicode.ToUpper(l) != r) {
			return "", false
		}
		b.WriteRune(l)
	}
	return b.String(), true
}

// wildcardLabelOK reports whether a request's leftmost host label may stand
// for "*": non-empty ASCII letters, digits, '-' and '_' (already lower-cased),
// so no IDNA mapping can split it into two labels.
func wildcardLabelOK(label string) bool {
	for i := 0; i < len(label); i++ {
		if !isRouteLabelByte(label[i]) {
			return false
		}
	}
	return label != ""
}

func isRouteLabelByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// hostEndsInNumber reports whether browsers parse host as an IPv4 address
// (WHATWG URL Standard, "ends in a number checker"): its last label is decimal
// digits or 0x-prefixed hex.
func hostEndsInNumber(host string) bool {
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return false
	}
	if strings.HasPrefix(last, "0x") || strings.HasPrefix(last, "0X") {
		for i := 2; i < len(last); i++ {
			if !isHexDigit(last[i]) {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(last); i++ {
		if last[i] < '0' || last[i] > '9' {
			return false
		}
	}
	return true
}

func isDotSegmentBytes(b []byte) bool {
	return len(b) == 1 && b[0] == '.' || len(b) == 2 && b[0] == '.' && b[1] == '.'
}

// isUnreserved reports RFC 3986 §2.3 unreserved characters.
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// isPchar reports characters RFC 3986 §3.3 allows unescaped in a segment
// (besides '%'): unreserved, sub-delims, ':' and '@'.
func isPchar(c byte) bool {
	if isUnreserved(c) {
		return true
	}
	switch c {
	case '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', ':', '@':
		return true
	}
	return false
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhexDigit(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
