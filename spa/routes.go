package spa

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// RouteTable maps request URLs to the config whose access token they may carry.
//
// Every popular JavaScript library decides this with a string prefix, so a route
// "https://api.example.com" also hands the token to "https://api.example.com.evil.net/"
// and to "https://api.example.com@evil.net/". A RouteTable parses routes and
// requests and compares their parts instead (docs/DESIGN.md, "Secure routes: safe by
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
	byPath       map[string]*routeSlot // "" (whole origin) or "/a/b" -> its entries
	maxDepth     int                   // most segments of any route here
}

// routeSlot holds the entries of one normalised route: at most one without
// methods, and at most one per method.
type routeSlot struct {
	all     *routeEntry
	methods map[string]*routeEntry // upper-case method -> the entry that lists it
}

// pick returns the entry for an upper-case method: one that lists it wins
// over one without methods; nil when neither.
func (s *routeSlot) pick(method string) *routeEntry {
	if s == nil {
		return nil
	}
	if e, ok := s.methods[method]; ok {
		return e
	}
	return s.all
}

// routeEntry is one configured entry.
type routeEntry struct {
	configID string
	index    int
	route    Route
}

// Route is one secure-route entry (docs/DESIGN.md, "Route entries and tokens per
// API"). Its identity is the normalised URL plus its methods.
type Route struct {
	// URL follows the rules of RouteTable.
	URL string
	// Methods limits the entry to these HTTP methods (compared
	// case-insensitively); nil means every method. An entry with methods is
	// more specific than one without on the same URL.
	Methods []string
	// FollowRedirects lets the browser follow a redirect of a token-bearing
	// request. A same-origin hop then keeps the Authorization header, possibly
	// out of the route: the entry's owner accepts that. Off by default, and
	// then a redirect answer is refused (redirect_blocked).
	FollowRedirects bool
	// Resource (RFC 8707), Scope and TokenParams say which access token the
	// entry's requests carry (TokenOptions); all empty: the login's own.
	Resource    string
	Scope       string
	TokenParams map[string]string
	// Anonymous sends the request without a token while the config has no
	// session, instead of failing with login_required.
	Anonymous bool
}

// sameOptions reports whether two entries of one route say the same thing.
func (r Route) sameOptions(o Route) bool {
	if r.FollowRedirects != o.FollowRedirects || !slices.Equal(r.Methods, o.Methods) || r.Anonymous != o.Anonymous ||
		r.Resource != o.Resource || scopeSet(r.Scope) != scopeSet(o.Scope) || len(r.TokenParams) != len(o.TokenParams) {
		return false
	}
	for k, v := range r.TokenParams { // the rest of TokenOptions.Key, without building it
		if w, ok := o.TokenParams[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Routes makes entries without options from URLs.
func Routes(urls ...string) []Route {
	out := make([]Route, len(urls))
	for i, u := range urls {
		out[i] = Route{URL: u}
	}
	return out
}

// RouteMatch is the entry a request matched.
type RouteMatch struct {
	ConfigID string
	// Route is the entry as configured (Methods upper-cased).
	Route Route
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

// NewRouteTable builds the table from configID -> secure route URLs (entries
// without options); see NewRouteTableOf.
func NewRouteTable(routes map[string][]string) (*RouteTable, error) {
	entries := make(map[string][]Route, len(routes))
	for id, urls := range routes {
		entries[id] = Routes(urls...)
	}
	return NewRouteTableOf(entries)
}

// NewRouteTableOf builds the table from configID -> secure route entries (in
// the order given per config). An entry that does not parse is an *Error with
// Code CodeInvalidConfig, the config's ID and Field "secureRoutes[i]" (or
// "secureRoutes[i].methods"). The same entry twice in one config is kept once;
// two entries of one route claiming the same method (or both claiming every
// method) is CodeInvalidConfig naming both: of two configs, a request would not
// know whose token to carry; of one config, which options apply. An empty
// configID is invalid.
func NewRouteTableOf(routes map[string][]Route) (*RouteTable, error) {
	ids := make([]string, 0, len(routes))
	for id := range routes {
		ids = append(ids, id)
	}
	sort.Strings(ids) // deterministic errors

	t := &RouteTable{exact: make(map[string][]*routePaths), wild: make(map[string][]*routePaths)}
	for _, id := range ids {
		if id == "" && len(routes[id]) > 0 {
			return nil, configError("", "configId", "is required for a config with secure routes")
		}
		for i, r := range routes[id] {
			field := fmt.Sprintf("secureRoutes[%d]", i)
			k, depth, reason := parseRoute(r.URL)
			if reason != "" {
				return nil, configError(id, field, "%q is not a valid secure route: %s", r.URL, reason)
			}
			methods, err := routeMethods(id, field, r.Methods)
			if err != nil {
				return nil, err
			}
			r.Methods = methods
			m := t.exact
			if k.wildcard {
				m = t.wild
			}
			o := k.origin
			p := findRoutePaths(m[o.host], o.scheme, o.port)
			if p == nil {
				p = &routePaths{scheme: o.scheme, port: o.port, byPath: make(map[string]*routeSlot)}
				m[o.host] = append(m[o.host], p)
			}
			slot := p.byPath[k.path]
			if slot == nil {
				slot = &routeSlot{}
				p.byPath[k.path] = slot
			}
			e := &routeEntry{configID: id, index: i, route: r}
			if err := slot.add(e, field); err != nil {
				return nil, err
			}
			p.maxDepth = max(p.maxDepth, depth)
		}
	}
	return t, nil
}

// add puts e into the slot, or explains why it cannot go there.
func (s *routeSlot) add(e *routeEntry, field string) error {
	claim := func(cur **routeEntry, what string) error {
		if *cur == nil {
			*cur = e
			return nil
		}
		c := *cur
		if c.configID == e.configID && c.route.sameOptions(e.route) {
			return nil // the same entry twice
		}
		if c.configID == e.configID {
			return configError(e.configID, field, "route %q%s is the same route as %q (secureRoutes[%d]) with other options; give each route and method one entry", e.route.URL, what, c.route.URL, c.index)
		}
		return configError(e.configID, field, "route %q%s is the same route as %q (secureRoutes[%d]) of config %q; a route may carry the token of one config only", e.route.URL, what, c.route.URL, c.index, c.configID)
	}
	if len(e.route.Methods) == 0 {
		return claim(&s.all, "")
	}
	if s.methods == nil {
		s.methods = make(map[string]*routeEntry)
	}
	for _, m := range e.route.Methods {
		cur := s.methods[m]
		if err := claim(&cur, " for "+m); err != nil {
			return err
		}
		s.methods[m] = cur
	}
	return nil
}

// routeMethods validates and upper-cases an entry's methods (RFC 9110 §9.1:
// a method is a token; compared case-insensitively here, as docs/DESIGN.md says).
func routeMethods(configID, field string, methods []string) ([]string, error) {
	if methods == nil {
		return nil, nil
	}
	if len(methods) == 0 {
		return nil, configError(configID, field+".methods", "is empty: leave it out for every method, or list at least one")
	}
	out := make([]string, 0, len(methods))
	for j, m := range methods {
		if m == "" || strings.IndexFunc(m, func(r rune) bool { return r > 0x7e || r <= ' ' || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r) }) >= 0 {
			return nil, configError(configID, fmt.Sprintf("%s.methods[%d]", field, j), "%q is not an HTTP method", m)
		}
		m = strings.ToUpper(m)
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Match returns the configID whose token the request URL may carry. rawURL may
// be relative; it resolves against base, the document URL (RFC 3986 §5.2.2). A
// nil base means relative URLs never match. See RouteTable for the rules.
func (t *RouteTable) Match(rawURL string, base *url.URL) (configID string, ok bool) {
	m, ok := t.MatchRequest(rawURL, "GET", base)
	return m.ConfigID, ok
}

// MatchRequest returns the entry a request with this method matches (see
// Match): the most specific route, and on it an entry that lists the method
// over one without methods.
func (t *RouteTable) MatchRequest(rawURL, method string, base *url.URL) (RouteMatch, bool) {
	e, ok := t.matchRequest(rawURL, strings.ToUpper(method), base)
	if !ok {
		return RouteMatch{}, false
	}
	return RouteMatch{ConfigID: e.configID, Route: e.route}, true
}

func (t *RouteTable) matchRequest(rawURL, method string, base *url.URL) (*routeEntry, bool) {
	if t == nil || len(t.exact) == 0 && len(t.wild) == 0 {
		return nil, false
	}
	s := browserURLText(rawURL)
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" {
		return nil, false
	}
	if u.Scheme != "" {
		if u.Host == "" {
			return nil, false // "https:///evil.net": browsers skip the slashes and find a host
		}
		return t.match(u.Scheme, u.User, u.Host, parsedRawPath(u), method)
	}
	if base == nil || base.Scheme == "" || base.Opaque != "" || base.Host == "" {
		return nil, false
	}
	if strings.HasPrefix(s, "//") { // scheme-relative: the reference brings its own authority
		if u.Host == "" {
			return nil, false // "///evil.net/x" is host evil.net to a browser
		}
		return t.match(base.Scheme, u.User, u.Host, parsedRawPath(u), method)
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
	return t.match(base.Scheme, base.User, base.Host, p, method)
}

// MatchURL is Match for a parsed absolute URL. Relative and opaque URLs never match.
func (t *RouteTable) MatchURL(u *url.URL) (configID string, ok bool) {
	if t == nil || u == nil || u.Scheme == "" || u.Opaque != "" || u.Host == "" {
		return "", false
	}
	e, ok := t.match(u.Scheme, u.User, u.Host, urlRawPath(u), "GET")
	if !ok {
		return "", false
	}
	return e.configID, true
}

// match looks up a resolved request. hostport is as in url.URL.Host; rawPath is
// the path as written (escaped).
func (t *RouteTable) match(scheme string, user *url.Userinfo, hostport, rawPath, method string) (*routeEntry, bool) {
	if t == nil || user != nil {
		return nil, false
	}
	scheme, ok := routeScheme(scheme)
	if !ok {
		return nil, false
	}
	h, port := splitRouteHostPort(hostport)
	host, ok := foldRouteHost(h)
	if !ok {
		return nil, false
	}
	if port, ok = canonicalRoutePort(scheme, port); !ok {
		return nil, false
	}
	exact := findRoutePaths(t.exact[host], scheme, port)
	var wild *routePaths
	if len(t.wild) > 0 {
		if i := strings.IndexByte(host, '.'); i > 0 && wildcardLabelOK(host[:i]) {
			wild = findRoutePaths(t.wild[host[i+1:]], scheme, port)
		}
	}
	if exact == nil && wild == nil {
		return nil, false
	}
	if isCleanRoutePath(rawPath) { // the common case: nothing to normalise
		return lookupRoute(exact, wild, rawPath, false, method)
	}
	var buf [256]byte
	path, ambiguous := normalizeRoutePath(buf[:0], rawPath)
	return lookupRoute(exact, wild, path, ambiguous, method)
}

// lookupRoute looks path up on the exact host first, then under the wildcard.
func lookupRoute[S string | []byte](exact, wild *routePaths, path S, ambiguous bool, method string) (*routeEntry, bool) {
	if exact != nil {
		if e, ok := lookupRoutePath(exact, path, ambiguous, method); ok {
			return e, true
		}
	}
	if wild != nil {
		return lookupRoutePath(wild, path, ambiguous, method)
	}
	return nil, false
}

// lookupRoutePath finds the longest route path that is path or a segment prefix of it.
// path is a normalised request path ("/", "/a/b", "/a/"); an ambiguous path
// matches only the whole-origin route.
func lookupRoutePath[S string | []byte](p *routePaths, path S, ambiguous bool, method string) (*routeEntry, bool) {
	if ambiguous {
		e := p.byPath[""].pick(method)
		return e, e != nil
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
		// An entry limited to other methods does not match: a shorter route may.
		if e := p.byPath[string(path)].pick(method); e != nil {
			return e, true
		}
		if len(path) == 0 {
			return nil, false
		}
		i := len(path) - 1
		for path[i] != '/' {
			i--
		}
		path = path[:i]
	}
}
