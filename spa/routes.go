package spa

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// RouteTable maps request URLs to the config whose access token they may carry.
//
// Every popular JavaScript library decides this with a string prefix, so a route
// "https://api.example.com" also hands the token to "https://api.example.com.evil.net/"
// and to "https://api.example.com@evil.net/". A RouteTable parses routes and
// requests and compares their parts instead (DESIGN.md, "Secure routes: safe by
// construction"). Wherever Go's URL parser and the browser's (the WHATWG URL
// Standard) could read a request differently, it does not match: no route, no token.
//
// Routes. A route is an absolute http or https URL without userinfo, query or
// fragment. Two routes are the same route when they are equal after this
// normalisation (RFC 3986 §6.2):
//   - scheme and host are compared case-insensitively (§6.2.2.1); a non-ASCII
//     host is lower-cased rune by rune and otherwise compared as given: Go's
//     parser does not apply IDNA, so "bücher.example" and "xn--bcher-kva.example"
//     are different routes, and a route matches requests spelled the same way.
//     Browsers serialise hosts in the xn-- form, so prefer it in routes. A rune
//     whose lower case is ASCII or does not map back (U+0130 İ, U+212A Kelvin
//     sign, U+1E9E ẞ) is rejected, because IDNA maps those differently, and
//     so are the full stops IDNA reads as dots (U+3002 "。", U+FF0E, U+FF61);
//   - the default port is folded (http:80, https:443) and leading zeros are
//     dropped (§6.2.3);
//   - an IPv6 literal is compared as an address (RFC 5952 text form); zones are
//     invalid. A host that ends in a number is read as IPv4 by browsers, so it
//     must be a dotted-decimal IPv4 address ("127.1" and "0x7f.0.0.1" are invalid);
//   - a host with a trailing dot ("api.example.com.") is invalid, and a request
//     to such a host matches no route: outside DNS search lists it names the same
//     server, inside them it may not (RFC 1034 §3.1), and browsers treat it as a
//     different origin anyway;
//   - "*" may stand for exactly one leftmost host label: "https://*.example.com"
//     covers "https://a.example.com" but neither "https://example.com" nor
//     "https://a.b.example.com". A "*" anywhere else in the host is invalid, and
//     so is a wildcard over a single label ("*.com"), except "*.localhost"
//     (RFC 6761 §6.3). The label a request puts in place of "*" must be ASCII
//     letters, digits, '-' or '_', so IDNA can never turn it into two labels;
//   - the path is a list of segments; an empty path, "/" and "/*" cover the whole
//     origin; "/api", "/api/" and "/api/*" are the same route and cover "/api",
//     "/api/" and "/api/x" but not "/apix". A "*" is valid only as the whole last
//     segment; empty segments, dot segments and encoded slashes ("%2F", "%5C")
//     are invalid in a route;
//   - percent-encoded unreserved characters are decoded and other escapes are
//     upper-cased (§6.2.2.2), characters that must be escaped are escaped.
//
// Requests. A request URL is read the way a browser reads it: leading and
// trailing C0 controls and spaces are dropped, tabs and newlines removed, and a
// backslash before the query is a slash (WHATWG URL Standard, "basic URL
// parser"). A relative URL resolves against the document URL (RFC 3986 §5.2.2);
// a scheme-relative one ("//host/x") must name a host ("///evil.net/x" is read
// by browsers as host evil.net, so it never matches). Dot segments are removed
// from the request path before matching, also when percent-encoded ("%2e%2e",
// ".%2E"), as RFC 3986 §5.2.4 and browsers do, so "/api/../admin" is "/admin".
// A request with userinfo, or with a scheme other than http and https, never
// matches. The query and fragment play no part.
//
// A request path whose meaning depends on the server is ambiguous: one with an
// encoded slash or backslash ("%2F", "%5C"; some servers decode them into
// separators, others do not), or with a dot segment carrying parameters
// ("..;x", which Tomcat-like servers read as ".."). An ambiguous request matches
// only a route that covers its whole origin, since no reading can escape that.
//
// Precedence. When several routes match, the most specific wins: an exact host
// beats a wildcard host, then the route with more path segments wins. Two routes
// of different configs never tie: a URL is matched by at most one wildcard
// pattern per scheme and port (its host minus the leftmost label), and two
// matching routes on one host with as many segments have the same path, so they
// are the same route, which NewRouteTable rejects.
//
// A RouteTable is immutable and safe for concurrent use. A nil *RouteTable
// matches nothing.
type RouteTable struct {
	// Indexed by host first (a string key hashes fastest), then by scheme and
	// port in a short list, then by path, so a match costs a few map lookups
	// however many routes there are.
	exact map[string][]*routePaths // host -> its origins
	wild  map[string][]*routePaths // parent domain of "*.parent" -> its origins
}

// routeOrigin is a normalised scheme, host and port; port is "" for the scheme's default.
type routeOrigin struct{ scheme, host, port string }

// routePaths holds the routes of one origin (or one wildcard pattern).
type routePaths struct {
	scheme, port string
	byPath       map[string]string // "" (whole origin) or "/a/b" -> configID
	maxDepth     int               // most segments of any route here
}

// findRoutePaths returns the entry of list for scheme and port, or nil.
func findRoutePaths(list []*routePaths, scheme, port string) *routePaths {
	for _, p := range list {
		if p.scheme == scheme && p.port == port {
			return p
		}
	}
	return nil
}

// routeKey identifies a route after normalisation.
type routeKey struct {
	wildcard bool
	origin   routeOrigin
	path     string
}

// NewRouteTable builds the table from configID -> secure routes (in the order
// given per config). A route that does not parse is an *Error with Code
// CodeInvalidConfig, the config's ID and Field "secureRoutes[i]". The same route
// twice in one config is kept once; two configs claiming routes that are equal
// after normalisation is CodeInvalidConfig naming both configs and the route.
// An empty configID is invalid.
func NewRouteTable(routes map[string][]string) (*RouteTable, error) {
	ids := make([]string, 0, len(routes))
	for id := range routes {
		ids = append(ids, id)
	}
	sort.Strings(ids) // deterministic errors

	type claim struct {
		configID string
		index    int
		raw      string
	}
	claims := make(map[routeKey]claim)
	t := &RouteTable{exact: make(map[string][]*routePaths), wild: make(map[string][]*routePaths)}
	for _, id := range ids {
		if id == "" && len(routes[id]) > 0 {
			return nil, configError("", "configId", "is required for a config with secure routes")
		}
		for i, raw := range routes[id] {
			field := fmt.Sprintf("secureRoutes[%d]", i)
			k, depth, reason := parseRoute(raw)
			if reason != "" {
				return nil, configError(id, field, "%q is not a valid secure route: %s", raw, reason)
			}
			if c, dup := claims[k]; dup {
				if c.configID == id {
					continue
				}
				return nil, configError(id, field, "route %q is the same route as %q (secureRoutes[%d]) of config %q; a route may carry the token of one config only", raw, c.raw, c.index, c.configID)
			}
			claims[k] = claim{configID: id, index: i, raw: raw}
			m := t.exact
			if k.wildcard {
				m = t.wild
			}
			o := k.origin
			p := findRoutePaths(m[o.host], o.scheme, o.port)
			if p == nil {
				p = &routePaths{scheme: o.scheme, port: o.port, byPath: make(map[string]string)}
				m[o.host] = append(m[o.host], p)
			}
			p.byPath[k.path] = id
			p.maxDepth = max(p.maxDepth, depth)
		}
	}
	return t, nil
}

// Match returns the configID whose token the request URL may carry. rawURL may
// be relative; it resolves against base, the document URL (RFC 3986 §5.2.2). A
// nil base means relative URLs never match. See RouteTable for the rules.
func (t *RouteTable) Match(rawURL string, base *url.URL) (configID string, ok bool) {
	if t == nil || len(t.exact) == 0 && len(t.wild) == 0 {
		return "", false
	}
	s := browserURLText(rawURL)
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" {
		return "", false
	}
	if u.Scheme != "" {
		if u.Host == "" {
			return "", false // "https:///evil.net": browsers skip the slashes and find a host
		}
		return t.match(u.Scheme, u.User, u.Host, parsedRawPath(u))
	}
	if base == nil || base.Scheme == "" || base.Opaque != "" || base.Host == "" {
		return "", false
	}
	if strings.HasPrefix(s, "//") { // scheme-relative: the reference brings its own authority
		if u.Host == "" {
			return "", false // "///evil.net/x" is host evil.net to a browser
		}
		return t.match(base.Scheme, u.User, u.Host, parsedRawPath(u))
	}
	p := parsedRawPath(u)
	switch {
	case p == "":
		p = urlRawPath(base)
	case p[0] != '/': // merge with the base path's directory (RFC 3986 §5.2.3)
		bp := urlRawPath(base)
		p = bp[:strings.LastIndexByte(bp, '/')+1] + p
		if p[0] != '/' {
			p = "/" + p
		}
	}
	return t.match(base.Scheme, base.User, base.Host, p)
}

// MatchURL is Match for a parsed absolute URL. Relative and opaque URLs never match.
func (t *RouteTable) MatchURL(u *url.URL) (configID string, ok bool) {
	if t == nil || u == nil || u.Scheme == "" || u.Opaque != "" || u.Host == "" {
		return "", false
	}
	return t.match(u.Scheme, u.User, u.Host, urlRawPath(u))
}

// match looks up a resolved request. hostport is as in url.URL.Host; rawPath is
// the path as written (escaped).
func (t *RouteTable) match(scheme string, user *url.Userinfo, hostport, rawPath string) (string, bool) {
	if t == nil || user != nil {
		return "", false
	}
	scheme, ok := routeScheme(scheme)
	if !ok {
		return "", false
	}
	h, port := splitRouteHostPort(hostport)
	host, ok := foldRouteHost(h)
	if !ok {
		return "", false
	}
	if port, ok = canonicalRoutePort(scheme, port); !ok {
		return "", false
	}
	exact := findRoutePaths(t.exact[host], scheme, port)
	var wild *routePaths
	if len(t.wild) > 0 {
		if i := strings.IndexByte(host, '.'); i > 0 && wildcardLabelOK(host[:i]) {
			wild = findRoutePaths(t.wild[host[i+1:]], scheme, port)
		}
	}
	if exact == nil && wild == nil {
		return "", false
	}
	if isCleanRoutePath(rawPath) { // the common case: nothing to normalise
		return lookupRoute(exact, wild, rawPath, false)
	}
	var buf [256]byte
	path, ambiguous := normalizeRoutePath(buf[:0], rawPath)
	return lookupRoute(exact, wild, path, ambiguous)
}

// lookupRoute looks path up on the exact host first, then under the wildcard.
func lookupRoute[S string | []byte](exact, wild *routePaths, path S, ambiguous bool) (string, bool) {
	if exact != nil {
		if id, ok := lookupRoutePath(exact, path, ambiguous); ok {
			return id, true
		}
	}
	if wild != nil {
		return lookupRoutePath(wild, path, ambiguous)
	}
	return "", false
}

// lookupRoutePath finds the longest route path that is path or a segment prefix of it.
// path is a normalised request path ("/", "/a/b", "/a/"); an ambiguous path
// matches only the whole-origin route.
func lookupRoutePath[S string | []byte](p *routePaths, path S, ambiguous bool) (string, bool) {
	if ambiguous {
		id, ok := p.byPath[""]
		return id, ok
	}
	// Skip segments deeper than any route here: cut after maxDepth segments.
	n := 0
	for i := 0; i < len(path); i++ {
		if path[i] == '/' {
			if n == p.maxDepth {
				path = path[:i]
				break
			}
			n++
		}
	}
	for {
		if id, ok := p.byPath[string(path)]; ok {
			return id, true
		}
		if len(path) == 0 {
			return "", false
		}
		i := len(path) - 1
		for path[i] != '/' {
			i--
		}
		path = path[:i]
	}
}
