package spa

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// routeFuzzRoutes is the fixed table of FuzzRouteMatch; the fuzzer adds one route of its own.
var routeFuzzRoutes = map[string][]string{
	"api":      {"https://api.example.com"},
	"orders":   {"https://api.example.com/orders"},
	"admin":    {"https://api.example.com/orders/admin/*"},
	"app":      {"https://app.example.com/api", "https://app.example.com/shop/x/"},
	"page":     {"https://app.example.com"}, // the document's own origin, as relative requests resolve there
	"wild":     {"https://*.example.com/api"},
	"wilddeep": {"https://*.example.com/api/v1/deep"},
	"wildroot": {"https://*.apps.example.com"},
	"plain":    {"http://plain.example.com/v1"},
	"port":     {"https://svc.example.com:8443/"},
	"ipv6":     {"http://[::1]:8080/api"},
	"ipv4":     {"http://127.0.0.1:9000"},
	"local":    {"http://localhost:3000/api/"},
	"unicode":  {"https://BÜCHER.example/books"},
	"pct":      {"https://files.example.com/a%20b/%7euser"},
}

// FuzzRouteMatch checks Match against an independent, slow reading of the URL
// modelled on the WHATWG URL Standard (what the browser will actually request):
//   - Match never panics, and NewRouteTable never panics on the fuzzed route;
//   - the fast path for clean request paths agrees with the full normalisation;
//   - a URL whose authority has userinfo never matches;
//   - when Match returns config C, one of C's routes covers the URL: same
//     scheme and port, host equal (or one label under a wildcard's parent),
//     and the URL's cleaned path at or below the route's path on a segment
//     boundary;
//   - for plain URLs (no escapes, parameters, backslashes, userinfo, IPv6) Match
//     agrees with the reference exactly, most-specific rule included.
func FuzzRouteMatch(f *testing.F) {
	for _, table := range routeMatchCaseTables {
		for _, tc := range table {
			f.Add(tc.url, tc.base, "")
		}
	}
	for _, r := range []string{"https://*.example.com/api/v1", "https://api.example.com/orders/v2/*", "https://x.apps.example.com/a", "http://[::2]/"} {
		f.Add("https://a.example.com/api/v1/x", routeDocURL, r)
	}
	for _, u := range []string{
		"https://api.example.com/orders%2F..%2F..%2Fx",
		"https://api.example.com/orders%2fx",
		"https://api.example.com/orders/admin%5C..%5C..%5Cx",
		"https://api.example.com/orders/..;/admin/x",
		"https://api.example.com/orders/admin/.%2e/.%2E/x",
		"https://x.example.com/api/v1/deep%2F..%2Fx",
		"https://x.example.com/api/v1/deep/../../v2",
		"https://[0::1]:8080/api/x",
		"http://[::ffff:127.0.0.1]:9000/",
		"http://127.0.0.1:09000/x",
		"https://svc.example.com:08443/x",
		"https://bücher.example/books/x",
	} {
		f.Add(u, "", "")
	}
	baseTable := newTestRouteTable(f, routeFuzzRoutes)

	f.Fuzz(func(t *testing.T, rawURL, rawBase, route string) {
		rt, routes := baseTable, routeFuzzRoutes
		if route != "" {
			withFuzz := map[string][]string{"fuzz": {route}}
			for id, rs := range routeFuzzRoutes {
				withFuzz[id] = rs
			}
			if tbl, err := NewRouteTable(withFuzz); err == nil {
				rt, routes = tbl, withFuzz
				if _, ok := parseRefRoute(route); !ok {
					t.Fatalf("NewRouteTable accepted %q, which the reference cannot read", route)
				}
			} else if ErrorCode(err) != CodeInvalidConfig {
				t.Fatalf("NewRouteTable error without invalid_config: %v", err)
			}
		}
		// The fast path must agree with the full normalisation.
		for _, p := range []string{rawURL, "/" + rawURL} {
			if isCleanRoutePath(p) {
				if out, amb := normalizeRoutePath(nil, p); amb || string(out) != p {
					t.Fatalf("isCleanRoutePath(%q) but normalizeRoutePath = %q, %v", p, out, amb)
				}
			}
		}
		base, err := url.Parse(rawBase)
		if err != nil || rawBase == "" {
			base = nil
		}

		id, ok := rt.Match(rawURL, base)
		if !ok {
			if id != "" {
				t.Fatalf("Match(%q) = %q, false", rawURL, id)
			}
		} else if _, known := routes[id]; !known {
			t.Fatalf("Match(%q) = unknown config %q", rawURL, id)
		}
		if u, err := url.Parse(rawURL); err == nil {
			if mid, mok := rt.MatchURL(u); mok && u.User != nil {
				t.Fatalf("MatchURL(%q) = %q despite userinfo", rawURL, mid)
			}
		}

		req, readable := readRefURL(rawURL, base)
		if ok {
			if !readable {
				t.Fatalf("Match(%q, %q) = %q, but a browser would not request it", rawURL, rawBase, id)
			}
			if req.userinfo {
				t.Fatalf("Match(%q, %q) = %q despite userinfo", rawURL, rawBase, id)
			}
			covered := false
			for _, r := range routes[id] {
				rr, ok := parseRefRoute(r)
				if ok && rr.covers(req) {
					covered = true
				}
			}
			if !covered {
				t.Fatalf("Match(%q, %q) = %q, but none of its routes %q covers %+v", rawURL, rawBase, id, routes[id], req)
			}
		}

		// "*" in a request host is one label to a browser, but Match only lets
		// letters, digits, '-' and '_' stand for a wildcard.
		if !isPlainRouteText(rawURL) || !isPlainRouteText(rawBase) || strings.Contains(rawURL+rawBase, "*") || !isPlainRouteText(route) || !readable {
			return
		}
		if _, err := url.Parse(rawURL); err != nil {
			return // Go cannot parse it; Match does not match it (fail closed)
		}
		wantID, wantOK, tie := refBestMatch(routes, req)
		if tie {
			t.Fatalf("two configs match %q equally specifically: %s", rawURL, wantID)
		}
		if ok != wantOK || id != wantID {
			t.Fatalf("Match(%q, %q) = %q, %v; reference says %q, %v (request %+v)", rawURL, rawBase, id, ok, wantID, wantOK, req)
		}
	})
}

// refRequest is the reference reading of a request URL.
type refRequest struct {
	scheme   string
	userinfo bool
	host     string // lower-cased, percent-decoded, brackets kept for IPv6
	port     int
	segments []string // decoded, dot segments removed
}

// readRefURL reads rawURL the way a browser does for http(s), written
// independently of routes.go and deliberately simple. ok is false when the
// browser would not make an http(s) request.
func readRefURL(rawURL string, base *url.URL) (req refRequest, ok bool) {
	s := strings.Trim(rawURL, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	s = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(s)
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	s = strings.ReplaceAll(s, `\`, "/")

	var scheme, authority, path string
	hasAuthority := false
	if i := strings.IndexByte(s, ':'); i > 0 && isRefScheme(s[:i]) {
		scheme = strings.ToLower(s[:i])
		if scheme != "http" && scheme != "https" {
			return req, false
		}
		rest := s[i+1:]
		if base != nil && strings.EqualFold(base.Scheme, scheme) && !strings.HasPrefix(rest, "/") {
			s = rest // "https:x" relative to an https document
		} else {
			hasAuthority = true
			authority, path = cutRefAuthority(strings.TrimLeft(rest, "/"))
		}
	}
	if !hasAuthority {
		if base == nil || base.Host == "" || base.Opaque != "" {
			return req, false
		}
		scheme = strings.ToLower(base.Scheme)
		if scheme != "http" && scheme != "https" {
			return req, false
		}
		switch {
		case strings.HasPrefix(s, "//"):
			hasAuthority = true
			authority, path = cutRefAuthority(strings.TrimLeft(s, "/"))
		case strings.HasPrefix(s, "/"):
			authority, path = base.Host, s
		case s == "":
			authority, path = base.Host, base.EscapedPath()
		default:
			bp := base.EscapedPath()
			if bp == "" {
				bp = "/"
			}
			authority, path = base.Host, bp[:strings.LastIndexByte(bp, '/')+1]+s
		}
		req.userinfo = !hasAuthority && base.User != nil
	}
	req.scheme = scheme
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		req.userinfo = true
		authority = authority[i+1:]
	}
	host, port := authority, ""
	if strings.HasPrefix(host, "[") {
		if i := strings.IndexByte(host, ']'); i >= 0 {
			host, port = host[:i+1], strings.TrimPrefix(host[i+1:], ":")
		}
	} else if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host, port = host[:i], host[i+1:]
	}
	if dec, err := url.PathUnescape(host); err == nil {
		host = dec
	}
	if host == "" {
		return req, false
	}
	req.host = strings.ToLower(host)
	req.port = map[string]int{"http": 80, "https": 443}[scheme]
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 0 || n > 65535 {
			return req, false
		}
		req.port = n
	}
	req.segments = refSegments(path, true)
	return req, true
}

func cutRefAuthority(s string) (authority, path string) {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return s[:i], s[i:]
	}
	return s, "/"
}

func isRefScheme(s string) bool {
	for i, c := range s {
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return s != ""
}

// refSegments splits path into decoded segments; with resolve, "." and ".."
// (also percent-encoded) are removed as RFC 3986 §5.2.4 does.
func refSegments(path string, resolve bool) []string {
	var out []string
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, p := range parts {
		if dec, err := url.PathUnescape(p); err == nil {
			p = dec
		}
		last := i == len(parts)-1
		switch {
		case resolve && p == ".":
			if last {
				out = append(out, "")
			}
		case resolve && p == "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, p)
		}
	}
	return out
}

// refRoute is the reference reading of a route.
type refRoute struct {
	scheme   string
	wildcard bool
	host     string // parent domain for a wildcard
	port     int
	segments []string
}

func parseRefRoute(raw string) (r refRoute, ok bool) {
	scheme, rest, found := strings.Cut(raw, "://")
	if !found {
		return r, false
	}
	r.scheme = strings.ToLower(scheme)
	authority, path := cutRefAuthority(rest)
	host, port := authority, ""
	if strings.HasPrefix(host, "[") {
		i := strings.IndexByte(host, ']')
		host, port = host[:i+1], strings.TrimPrefix(host[i+1:], ":")
	} else if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host, port = host[:i], host[i+1:]
	}
	if dec, err := url.PathUnescape(host); err == nil {
		host = dec
	}
	r.host = strings.ToLower(host)
	if p, ok := strings.CutPrefix(r.host, "*."); ok {
		r.wildcard, r.host = true, p
	}
	r.port = map[string]int{"http": 80, "https": 443}[r.scheme]
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil {
			return r, false
		}
		r.port = n
	}
	path = strings.TrimSuffix(path, "*")
	path = strings.TrimSuffix(path, "/")
	if path != "" {
		r.segments = refSegments(path, false)
	}
	return r, true
}

// covers reports whether the route covers the request: the rule of docs/DESIGN.md
// written out directly.
func (r refRoute) covers(q refRequest) bool {
	if r.scheme != q.scheme || r.port != q.port || q.userinfo {
		return false
	}
	if r.wildcard {
		label, ok := strings.CutSuffix(q.host, "."+r.host)
		if !ok || label == "" || strings.Contains(label, ".") {
			return false
		}
	} else if !refSameHost(r.host, q.host) {
		return false
	}
	if len(q.segments) < len(r.segments) {
		return false
	}
	for i, s := range r.segments {
		if q.segments[i] != s {
			return false
		}
	}
	return true
}

func refSameHost(a, b string) bool {
	if strings.HasPrefix(a, "[") && strings.HasPrefix(b, "[") {
		x, err1 := netip.ParseAddr(strings.Trim(a, "[]"))
		y, err2 := netip.ParseAddr(strings.Trim(b, "[]"))
		return err1 == nil && err2 == nil && x == y
	}
	return a == b
}

// refBestMatch picks the most specific covering route: exact host over
// wildcard, then more segments. tie reports two configs equally specific.
func refBestMatch(routes map[string][]string, q refRequest) (id string, ok, tie bool) {
	bestScore := -1
	for cid, rs := range routes {
		for _, raw := range rs {
			r, rok := parseRefRoute(raw)
			if !rok || !r.covers(q) {
				continue
			}
			score := len(r.segments)
			if !r.wildcard {
				score += 1 << 20
			}
			switch {
			case score > bestScore:
				bestScore, id, tie = score, cid, false
			case score == bestScore && cid != id:
				tie = true
				id += " and " + cid
			}
		}
	}
	return id, bestScore >= 0, tie
}

// isPlainRouteText reports text without the features where Match deliberately
// fails closed (escapes, parameters, backslashes, userinfo, IPv6, controls,
// non-ASCII, host labels with characters other than letters, digits, '-' and
// '_'), and without "scheme:" forms Go reads differently from browsers.
func isPlainRouteText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._/:?#*", c) >= 0) {
			return false
		}
	}
	if i := strings.IndexByte(s, ':'); i >= 0 && isRefScheme(s[:i]) {
		rest := s[i+1:]
		return strings.HasPrefix(rest, "//") && !strings.HasPrefix(rest, "///")
	}
	return !strings.HasPrefix(s, "///")
}
