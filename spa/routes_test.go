package spa

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// routeMatchCase is one request against a route table; want is the config ID,
// or "" for no match.
type routeMatchCase struct {
	name string
	url  string
	base string // document URL; "" for none
	want string
}

// routeTestRoutes is the table most match tests run against.
var routeTestRoutes = map[string][]string{
	"api":      {"https://api.example.com"},
	"orders":   {"https://api.example.com/orders", "https://api.example.com/orders/"}, // duplicate kept once
	"admin":    {"https://api.example.com/orders/admin/*"},
	"wild":     {"https://*.example.com/api"},
	"wildroot": {"https://*.apps.example.com"},
	"plain":    {"http://plain.example.com/v1"},
	"port":     {"https://svc.example.com:8443/"},
	"highport": {"https://svc.example.com:65535/"},
	"edges":    {"https://az09-_.example.org/azAZ09oo-._~"},
	"ipv6":     {"http://[::1]:8080/api"},
	"ipv4":     {"http://127.0.0.1:9000"},
	"local":    {"http://localhost:3000/api/"},
	"unicode":  {"https://BÜCHER.example/books"},
	"puny":     {"https://xn--bcher-kva.example/books"},
	"pct":      {"https://files.example.com/a%20b/%7euser"},
}

// routeMatchCaseTables are all the match tables; the fuzz target seeds from them.
var routeMatchCaseTables = [][]routeMatchCase{
	routeMatchHostIsComparedNotPrefixedCases,
	routeMatchPortAndSchemeCases,
	routeMatchWildcardIsOneLeftmostLabelCases,
	routeMatchPathOnSegmentBoundariesCases,
	routeMatchResolvesDotSegmentsFirstCases,
	routeMatchRelativeURLsCases,
	routeMatchMostSpecificWinsCases,
	routeMatchOddInputsCases,
}

func newTestRouteTable(t testing.TB, routes map[string][]string) *RouteTable {
	t.Helper()
	rt, err := NewRouteTable(routes)
	if err != nil {
		t.Fatalf("NewRouteTable: %v", err)
	}
	return rt
}

func runRouteMatchCases(t *testing.T, rt *RouteTable, cases []routeMatchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var base *url.URL
			if tc.base != "" {
				var err error
				if base, err = url.Parse(tc.base); err != nil {
					t.Fatalf("base: %v", err)
				}
			}
			got, ok := rt.Match(tc.url, base)
			if ok != (tc.want != "") || got != tc.want {
				t.Errorf("Match(%q, %q) = %q, %v; want %q", tc.url, tc.base, got, ok, tc.want)
			}
			if !ok && got != "" {
				t.Errorf("unmatched Match returned config %q", got)
			}
		})
	}
}

var routeMatchHostIsComparedNotPrefixedCases = []routeMatchCase{
	{"same host", "https://api.example.com/", "", "api"},
	{"same host no path", "https://api.example.com", "", "api"},
	{"look-alike suffix host", "https://api.example.com.evil.net/", "", ""},
	{"look-alike suffix host with path", "https://api.example.com.evil.net/orders", "", ""},
	{"look-alike prefix host", "https://evilapi.example.com/", "", ""},
	{"userinfo that looks like the host", "https://api.example.com@evil.net/", "", ""},
	{"userinfo with port that looks like the host", "https://api.example.com:443@evil.net/", "", ""},
	{"userinfo on the right host", "https://user:pw@api.example.com/", "", ""},
	{"empty userinfo", "https://@api.example.com/", "", ""},
	{"backslash ends the authority before an at sign", `https://api.example.com\@evil.net/`, "", "api"},
	{"backslash host switch", `https://evil.net\api.example.com/`, "", ""},
	{"upper-case host", "https://API.EXAMPLE.COM/", "", "api"},
	{"upper-case scheme", "HTTPS://api.example.com/", "", "api"},
	{"trailing dot host", "https://api.example.com./", "", ""},
	{"percent-encoded ASCII host", "https://api%2Eexample.com/", "", ""},
	{"fullwidth host never matches the ASCII route", "https://ａｐｉ.example.com/", "", ""},
	{"unicode host as written", "https://bücher.example/books/1", "", "unicode"},
	{"unicode host upper-case", "https://BÜCHER.EXAMPLE/books", "", "unicode"},
	{"unicode host percent-encoded", "https://b%C3%BCcher.example/books", "", "unicode"},
	{"punycode host", "https://XN--BCHER-KVA.example/books", "", "puny"},
	{"dotless capital I never folds to ASCII", "https://İpi.example.com/", "", ""},
	{"other scheme", "ftp://api.example.com/", "", ""},
	{"javascript scheme", "javascript:fetch('https://api.example.com/')", "", ""},
	{"opaque https", "https:api.example.com", "", ""},
	{"empty", "", "", ""},
	{"garbage", "%zz", "", ""},
	{"control character", "https://api.example.com/\x00", "", "api"},
	{"control character in host", "https://api.exam\x00ple.com/", "", ""},
}

func TestRouteMatchHostIsComparedNotPrefixed(t *testing.T) {
	runRouteMatchCases(t, newTestRouteTable(t, routeTestRoutes), routeMatchHostIsComparedNotPrefixedCases)
}

var routeMatchPortAndSchemeCases = []routeMatchCase{
	{"explicit default https port", "https://api.example.com:443/x", "", "api"},
	{"explicit default https port with zeros", "https://api.example.com:00443/x", "", "api"},
	{"empty port", "https://api.example.com:/x", "", "api"},
	{"explicit default http port", "http://plain.example.com:80/v1/x", "", "plain"},
	{"http default port on https", "https://api.example.com:80/", "", ""},
	{"https default port on http", "http://plain.example.com:443/v1", "", ""},
	{"different port", "https://api.example.com:8443/", "", ""},
	{"port out of range", "https://api.example.com:65979/", "", ""},
	{"http instead of https", "http://api.example.com/", "", ""},
	{"https instead of http", "https://plain.example.com/v1", "", ""},
	{"route port", "https://svc.example.com:8443/x", "", "port"},
	{"route port with zeros", "https://svc.example.com:08443/x", "", "port"},
	{"route port missing", "https://svc.example.com/x", "", ""},
	{"IPv6 loopback", "http://[::1]:8080/api/x", "", "ipv6"},
	{"IPv6 long form", "http://[0:0:0:0:0:0:0:1]:8080/api", "", "ipv6"},
	{"IPv6 wrong port", "http://[::1]:8081/api", "", ""},
	{"IPv6 default port", "http://[::1]/api", "", ""},
	{"IPv6 other address", "http://[::2]:8080/api", "", ""},
	{"IPv6 zone", "http://[::1%25lo]:8080/api", "", ""},
	{"IPv4", "http://127.0.0.1:9000/x", "", "ipv4"},
	{"IPv4 short form is not compared", "http://127.1:9000/x", "", ""},
	{"IPv4 hex form is not compared", "http://0x7f.0.0.1:9000/x", "", ""},
	{"localhost", "http://localhost:3000/api", "", "local"},
	{"LOCALHOST", "http://LOCALHOST:3000/api/", "", "local"},
}

func TestRouteMatchPortAndScheme(t *testing.T) {
	runRouteMatchCases(t, newTestRouteTable(t, routeTestRoutes), routeMatchPortAndSchemeCases)
}

var routeMatchWildcardIsOneLeftmostLabelCases = []routeMatchCase{
	{"one label", "https://a.example.com/api", "", "wild"},
	{"one label below", "https://a.example.com/api/x", "", "wild"},
	{"one label upper-case", "https://A.Example.COM/api", "", "wild"},
	{"bare parent", "https://example.com/api", "", ""},
	{"two labels", "https://a.b.example.com/api", "", ""},
	{"empty label", "https://.example.com/api", "", ""},
	{"path not covered", "https://a.example.com/apix", "", ""},
	{"look-alike parent", "https://a.example.com.evil.net/api", "", ""},
	{"look-alike parent label", "https://a.badexample.com/api", "", ""},
	{"non-ASCII label", "https://ä.example.com/api", "", ""},
	{"ideographic full stop in label", "https://a。b.example.com/api", "", ""},
	{"punycode label", "https://xn--4ca.example.com/api", "", "wild"},
	{"wildcard root route", "https://x.apps.example.com/anything", "", "wildroot"},
	{"wildcard root route, deeper host", "https://y.x.apps.example.com/anything", "", ""},
	{"wildcard root route, bare parent", "https://apps.example.com/", "", ""},
	{"wildcard wrong scheme", "http://a.example.com/api", "", ""},
	{"wildcard wrong port", "https://a.example.com:444/api", "", ""},
}

func TestRouteMatchWildcardIsOneLeftmostLabel(t *testing.T) {
	runRouteMatchCases(t, newTestRouteTable(t, routeTestRoutes), routeMatchWildcardIsOneLeftmostLabelCases)
}

var routeMatchPathOnSegmentBoundariesCases = []routeMatchCase{
	{"route path", "http://plain.example.com/v1", "", "plain"},
	{"route path trailing slash", "http://plain.example.com/v1/", "", "plain"},
	{"below route path", "http://plain.example.com/v1/users/7", "", "plain"},
	{"sibling with same prefix", "http://plain.example.com/v1x", "", ""},
	{"sibling with same prefix, deeper", "http://plain.example.com/v1x/users", "", ""},
	{"parent", "http://plain.example.com/", "", ""},
	{"no path", "http://plain.example.com", "", ""},
	{"path is case-sensitive", "http://plain.example.com/V1", "", ""},
	{"double slash inside", "http://plain.example.com/v1//x", "", "plain"},
	{"double slash before", "http://plain.example.com//v1", "", ""},
	{"route with trailing slash covers its bare path", "http://localhost:3000/api", "", "local"},
	{"route with trailing slash not a prefix", "http://localhost:3000/apix", "", ""},
	{"query ignored", "http://plain.example.com/v1?x=/../../admin", "", "plain"},
	{"query on parent ignored", "http://plain.example.com/?/v1", "", ""},
	{"fragment ignored", "http://plain.example.com/v1#/../admin", "", "plain"},
	{"query with question mark only", "http://plain.example.com/v1?", "", "plain"},
	{"percent-encoded unreserved", "http://plain.example.com/%76%31/x", "", "plain"},
	{"percent-encoded route path, escapes upper-cased", "https://files.example.com/a%20b/~user/x", "", "pct"},
	{"percent-encoded route path, raw space", "https://files.example.com/a b/%7Euser", "", "pct"},
	{"percent-encoded route path, lower-case hex", "https://files.example.com/a%20b/%7euser", "", "pct"},
	{"percent-encoded route path, differs", "https://files.example.com/a+b/~user", "", ""},
}

func TestRouteMatchPathOnSegmentBoundaries(t *testing.T) {
	runRouteMatchCases(t, newTestRouteTable(t, routeTestRoutes), routeMatchPathOnSegmentBoundariesCases)
}

var routeMatchResolvesDotSegmentsFirstCases = []routeMatchCase{
	{"dot-dot escapes the route", "https://api.example.com/api/../admin", "", ""},
	{"dot-dot escapes the route, trailing", "https://api.example.com/api/x/../../admin/", "", ""},
	{"dot-dot back into the route", "https://api.example.com/admin/../api/x", "", "api"},
	{"dot-dot at the end", "https://api.example.com/api/x/..", "", "api"},
	{"dot-dot leaves the route at the end", "https://api.example.com/api/..", "", ""},
	{"dot-dot above root", "https://api.example.com/../../api/x", "", "api"},
	{"single dot", "https://api.example.com/./api/./x", "", "api"},
	{"encoded dot-dot lower", "https://api.example.com/api/%2e%2e/admin", "", ""},
	{"encoded dot-dot upper", "https://api.example.com/api/%2E%2E/admin", "", ""},
	{"encoded dot-dot mixed 1", "https://api.example.com/api/%2e./admin", "", ""},
	{"encoded dot-dot mixed 2", "https://api.example.com/api/.%2E/admin", "", ""},
	{"encoded single dot", "https://api.example.com/%2e/api/x", "", "api"},
	{"encoded dot-dot back into the route", "https://api.example.com/x/%2e%2e/api", "", "api"},
	{"three dots is a name", "https://api.example.com/api/.../admin", "", "api"},
	{"dot-dot with parameters is ambiguous", "https://api.example.com/api/..;/admin", "", ""},
	{"dot-dot with parameters into the route is ambiguous", "https://api.example.com/admin/..;/api/x", "", ""},
	{"backslash dot-dot", `https://api.example.com/api\..\admin`, "", ""},
	{"backslash is a separator", `https://api.example.com/api\x`, "", "api"},
	{"backslash in the query is not", `https://api.example.com/api/x?a\..\..\b`, "", "api"},
	{"encoded slash dot-dot", "https://api.example.com/api/..%2fadmin", "", ""},
	{"encoded slash below route is ambiguous", "https://api.example.com/api/a%2Fb", "", ""},
	{"encoded slash into the route is ambiguous", "https://api.example.com/admin%2F..%2Fapi/x%20y", "", ""},
	{"encoded backslash is ambiguous", "https://api.example.com/api/a%5cb", "", ""},
	{"encoded slash under a whole-origin route", "https://other.example.com/a%2F..%2F..%2Fb", "", "other"},
	{"dot-dot with parameters under a whole-origin route", "https://other.example.com/a/..;/b", "", "other"},
	{"double-encoded dot-dot is a name", "https://api.example.com/api/%252e%252e/admin", "", "api"},
	{"tab inside is removed", "https://api.example.com/a\tpi/x", "", "api"},
	{"newline in dot-dot is removed", "https://api.example.com/api/.\n./admin", "", ""},
	{"leading and trailing spaces are dropped", "  https://api.example.com/api/..  ", "", ""},
	{"trailing space is dropped before dot-dot", "https://api.example.com/api/x/.. ", "", "api"},
}

func TestRouteMatchResolvesDotSegmentsFirst(t *testing.T) {
	rt := newTestRouteTable(t, map[string][]string{
		"api":   {"https://api.example.com/api"},
		"other": {"https://other.example.com"},
	})
	runRouteMatchCases(t, rt, routeMatchResolvesDotSegmentsFirstCases)
}

// routeDocURL is the document URL relative requests resolve against.
const routeDocURL = "https://app.example.com/shop/cart?x=1#top"

var routeMatchRelativeURLsCases = []routeMatchCase{
	{"absolute path", "/api/x", routeDocURL, "app"},
	{"absolute path outside", "/apix", routeDocURL, ""},
	{"relative path", "../api/x", routeDocURL, "app"},
	{"relative path below document", "api/x", routeDocURL, ""},
	{"relative path from root document", "api/x", "https://app.example.com/", "app"},
	{"relative path from document without path", "api/x", "https://app.example.com", "app"},
	{"relative dot-dot escapes", "../api/../admin", routeDocURL, ""},
	{"query only", "?q=1", "https://app.example.com/api/list", "app"},
	{"empty reference is the document", "", "https://app.example.com/api/list", "app"},
	{"scheme-relative", "//api.example.com/x", routeDocURL, "api"},
	{"scheme-relative look-alike", "//api.example.com.evil.net/x", routeDocURL, ""},
	{"scheme-relative userinfo", "//api.example.com@evil.net/x", routeDocURL, ""},
	{"three slashes are a host to browsers", "///evil.net/api", routeDocURL, ""},
	{"four slashes are a host to browsers", "////evil.net/api", routeDocURL, ""},
	{"slash backslash is scheme-relative", `/\evil.net/api`, routeDocURL, ""},
	{"backslash backslash is scheme-relative", `\\evil.net/api`, routeDocURL, ""},
	{"backslash slash to a route host", `\/api.example.com/x`, routeDocURL, "api"},
	{"absolute path without base", "/api/x", "", ""},
	{"relative path without base", "api/x", "", ""},
	{"scheme-relative without base", "//api.example.com/x", "", ""},
	{"absolute URL without base", "https://api.example.com/x", "", "api"},
	{"absolute URL ignores base", "https://evil.net/api", routeDocURL, ""},
	{"base with userinfo", "/api/x", "https://u:p@app.example.com/", ""},
	{"base not http", "/api/x", "file:///index.html", ""},
	{"scheme-relative against http base", "//api.example.com/x", "http://app.example.com/", ""},
	{"https without slashes is opaque, not relative", "https:api/x", routeDocURL, ""},
	{"https with three slashes", "https:///api.example.com/x", routeDocURL, ""},
}

func TestRouteMatchRelativeURLs(t *testing.T) {
	rt := newTestRouteTable(t, map[string][]string{
		"app": {"https://app.example.com/api"},
		"api": {"https://api.example.com"},
	})
	runRouteMatchCases(t, rt, routeMatchRelativeURLsCases)
}

var routeMatchMostSpecificWinsCases = []routeMatchCase{
	{"whole origin", "https://api.example.com/v2", "", "origin"},
	{"longer path beats origin", "https://api.example.com/v1", "", "v1"},
	{"longest path wins", "https://api.example.com/v1/users/7", "", "v1users"},
	{"longest path, exact depth", "https://api.example.com/v1/users", "", "v1users"},
	{"sibling falls back to shorter path", "https://api.example.com/v1/groups", "", "v1"},
	{"exact host beats a longer wildcard path", "https://api.example.com/v1/users/deep/deeper/x", "", "v1users"},
	{"wildcard with longer path on another host", "https://x.example.com/v1/users/deep/deeper/x", "", "wild"},
	{"wildcard whole origin on another host", "https://x.example.com/v1/users", "", "wildroot"},
	{"exact host without a matching path falls back to wildcard", "https://other.example.com/v3", "", "wildroot"},
	{"exact host with a matching path", "https://other.example.com/v2/x", "", "other"},
	{"ambiguous path takes the whole-origin route", "https://api.example.com/v1/users/a%2Fb", "", "origin"},
	{"ambiguous path on a host without one falls back to wildcard", "https://other.example.com/v2/a%2Fb", "", "wildroot"},
}

// routeMatchOddInputsCases are URLs the browser cleans up before it requests
// them (WHATWG URL Standard, basic URL parser): the match must be that of the
// URL the browser will actually ask for.
var routeMatchOddInputsCases = []routeMatchCase{
	{"leading spaces", "  https://api.example.com/orders/x", "", "orders"},
	{"leading C0 control", "\x01https://api.example.com/orders/x", "", "orders"},
	{"trailing space and control", "https://api.example.com/orders/x \x1f", "", "orders"},
	{"tab in the host", "https://api.exa\tmple.com/orders/x", "", "orders"},
	{"newline in the path", "https://api.example.com/or\nders/x", "", "orders"},
	{"carriage return in the path", "https://api.example.com/orders/ad\rmin/x", "", "admin"},
	{"backslashes in the path", `https://api.example.com\orders\admin\x`, "", "admin"},
	{"backslash ends the host", `https://api.example.com\orders`, "", "orders"},
	{"backslash in the query stays", `https://api.example.com/x?orders\admin`, "", "api"},
	{"backslash in the fragment stays", `https://api.example.com/x#\orders`, "", "api"},
	{"the only upper-case letter is A", "https://Api.example.com/orders/x", "", "orders"},
	{"the only upper-case letter is Z", "https://Zz.apps.example.com/x", "", "wildroot"},
	{"the highest port", "https://svc.example.com:65535/x", "", "highport"},
	{"the highest port with leading zeros", "https://svc.example.com:0065535/x", "", "highport"},
	{"a port past the highest", "https://svc.example.com:65536/x", "", ""},
	{"unreserved characters at the edges of their ranges, escaped", "https://az09-_.example.org/%61%7a%41%5A%30%39%6f%6F%2D%2E%5F%7E/x", "", "edges"},
	{"a host of the label characters' edges, upper-cased", "https://AZ09-_.EXAMPLE.ORG/azAZ09oo-._~", "", "edges"},
	// Go's parser refuses an invalid escape, which the browser would send as
	// written: no match, so no token (fail closed).
	{"truncated escape at the end", "https://api.example.com/orders/%4", "", ""},
	{"lone percent at the end", "https://api.example.com/orders/%", "", ""},
	{"truncated escape in the segment name", "https://api.example.com/orders%4", "", ""},
}

func TestRouteMatchOddInputs(t *testing.T) {
	runRouteMatchCases(t, newTestRouteTable(t, routeTestRoutes), routeMatchOddInputsCases)
}

func TestRouteMatchMostSpecificWins(t *testing.T) {
	rt := newTestRouteTable(t, map[string][]string{
		"origin":   {"https://api.example.com"},
		"v1":       {"https://api.example.com/v1"},
		"v1users":  {"https://api.example.com/v1/users/*"},
		"wild":     {"https://*.example.com/v1/users/deep/deeper"},
		"wildroot": {"https://*.example.com"},
		"other":    {"https://other.example.com/v2"},
	})
	runRouteMatchCases(t, rt, routeMatchMostSpecificWinsCases)
}

func TestRouteMatchURL(t *testing.T) {
	rt := newTestRouteTable(t, map[string][]string{"api": {"https://api.example.com/api"}})
	for _, tc := range []struct {
		name string
		u    *url.URL
		want string
	}{
		{"absolute", &url.URL{Scheme: "https", Host: "api.example.com", Path: "/api/x"}, "api"},
		{"upper-case scheme and host", &url.URL{Scheme: "HTTPS", Host: "API.example.com:443", Path: "/api"}, "api"},
		{"dot-dot", &url.URL{Scheme: "https", Host: "api.example.com", Path: "/api/../admin"}, ""},
		{"raw path with encoded slash", &url.URL{Scheme: "https", Host: "api.example.com", Path: "/api/a/b", RawPath: "/api/a%2Fb"}, ""},
		{"stale raw path is ignored", &url.URL{Scheme: "https", Host: "api.example.com", Path: "/api/x", RawPath: "/admin"}, "api"},
		{"backslash in path", &url.URL{Scheme: "https", Host: "api.example.com", Path: `/api\..\admin`}, ""},
		{"userinfo", &url.URL{Scheme: "https", User: url.User("u"), Host: "api.example.com", Path: "/api"}, ""},
		{"relative", &url.URL{Path: "/api"}, ""},
		{"no host", &url.URL{Scheme: "https", Path: "/api"}, ""},
		{"opaque", &url.URL{Scheme: "https", Opaque: "//api.example.com/api"}, ""},
		{"nil", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := rt.MatchURL(tc.u)
			if ok != (tc.want != "") || got != tc.want {
				t.Errorf("MatchURL = %q, %v; want %q", got, ok, tc.want)
			}
		})
	}
}

func TestNilAndEmptyRouteTableMatchNothing(t *testing.T) {
	var nilTable *RouteTable
	empty := newTestRouteTable(t, nil)
	base, _ := url.Parse("https://app.example.com/")
	for name, rt := range map[string]*RouteTable{"nil": nilTable, "empty": empty} {
		if id, ok := rt.Match("https://app.example.com/", base); ok || id != "" {
			t.Errorf("%s table: Match = %q, %v", name, id, ok)
		}
		if id, ok := rt.MatchURL(base); ok || id != "" {
			t.Errorf("%s table: MatchURL = %q, %v", name, id, ok)
		}
	}
}

func TestNewRouteTableRejectsMalformedRoutes(t *testing.T) {
	for _, tc := range []struct {
		route string
		why   string // a word the message must contain
	}{
		{"", "absolute"},
		{"/api", "absolute"},
		{"api.example.com/api", "absolute"},
		{"//api.example.com/api", "absolute"},
		{"ftp://api.example.com", "absolute"},
		{"https:api.example.com", "absolute"},
		{"https:///api", "absolute"},
		{"https://user@api.example.com", "userinfo"},
		{"https://api.example.com/api?x=1", "query"},
		{"https://api.example.com/api?", "query"},
		{"https://api.example.com/api#top", "fragment"},
		{"https://api.example.com/api#", "fragment"},
		{" https://api.example.com", "space"},
		{"https://api.example.com/api ", "space"},
		{`https://api.example.com\api`, "backslash"},
		{"https://api.example.com:99999", "port"},
		{"https://api.example.com:abc", "URL"},
		{"https://api.example.com./api", "dot"},
		{"https://api..example.com", "empty label"},
		{"https://*", `"*"`},
		{"https://*.com", "top-level"},
		{"https://a.*.example.com", `"*"`},
		{"https://*.*.example.com", `"*"`},
		{"https://*a.example.com", `"*"`},
		{"https://a*.example.com", `"*"`},
		{"https://api.example.*", `"*"`},
		{"https://*.1.2.3", "IPv4"},
		{"https://127.1", "IPv4"},
		{"https://0x7f.0.0.1", "IPv4"},
		{"https://1.2.3.04", "IPv4"},
		{"https://[fe80::1%25eth0]", "zone"},
		{"https://a!b.example.com", "contains"},
		{"https://İ.example.com", "IDNA"},
		{"https://\u212Aey.example.com", "IDNA"},
		{"https://%FF.example.com", "UTF-8"},
		{"https://api。example.com", "dot"},
		{"https://api.example.com/api*", `"*"`},
		{"https://api.example.com/*/x", `"*"`},
		{"https://api.example.com/api/**", `"*"`},
		{"https://api.example.com/api/*/", `"*"`},
		{"https://api.example.com/a*b/", `"*"`},
		{"https://api.example.com//api", "empty segment"},
		{"https://api.example.com/api//", "empty segment"},
		{"https://api.example.com/api/../admin", "dot segment"},
		{"https://api.example.com/./api", "dot segment"},
		{"https://api.example.com/api/%2e%2E", "dot segment"},
		{"https://api.example.com/api/..;x", "dot segment"},
		{"https://api.example.com/api%2Fx", "ambiguous"},
		{"https://api.example.com/api%5cx", "ambiguous"},
	} {
		t.Run(tc.route, func(t *testing.T) {
			_, err := NewRouteTable(map[string][]string{
				"good": {"https://good.example.com"},
				"cfg":  {"https://ok.example.com/x", tc.route},
			})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v; want *Error", err)
			}
			if e.Code != CodeInvalidConfig || e.ConfigID != "cfg" || e.Field != "secureRoutes[1]" {
				t.Errorf("err = %+v; want invalid_config, cfg, secureRoutes[1]", e)
			}
			if !strings.Contains(e.Error(), tc.why) {
				t.Errorf("err = %q; want it to say %q", e.Error(), tc.why)
			}
		})
	}
}

func TestNewRouteTableRejectsRouteClaimedByTwoConfigs(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"https://api.example.com", "https://api.example.com"},
		{"https://api.example.com", "https://API.Example.COM/"},
		{"https://api.example.com", "HTTPS://api.example.com:443"},
		{"https://api.example.com", "https://api.example.com:0443/*"},
		{"http://api.example.com/x", "http://api.example.com:80/x/"},
		{"https://api.example.com/api", "https://api.example.com/api/"},
		{"https://api.example.com/api", "https://api.example.com/api/*"},
		{"https://api.example.com/api", "https://api.example.com/%61pi"},
		{"https://api.example.com/a%7Eb", "https://api.example.com/a~b"},
		{"https://api.example.com/a%7cb", "https://api.example.com/a|b"},
		{"https://api.example.com/", "https://api.example.com/*"},
		{"https://*.example.com/api", "https://*.EXAMPLE.com:443/api/"},
		{"http://[::1]:8080", "http://[0:0::1]:8080/"},
		{"https://bücher.example", "https://BÜCHER.example"},
	} {
		t.Run(tc.a+" "+tc.b, func(t *testing.T) {
			_, err := NewRouteTable(map[string][]string{
				"first":  {"https://unrelated.example.com", tc.a},
				"second": {tc.b},
			})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v; want *Error", err)
			}
			msg := e.Error()
			if e.Code != CodeInvalidConfig || e.ConfigID != "second" || e.Field != "secureRoutes[0]" {
				t.Errorf("err = %+v; want invalid_config, second, secureRoutes[0]", e)
			}
			for _, want := range []string{`"first"`, `"second"`, "secureRoutes[1]", tc.a, tc.b} {
				if !strings.Contains(msg, want) {
					t.Errorf("err = %q; want it to name %s", msg, want)
				}
			}
			if ErrorCode(err) != CodeInvalidConfig {
				t.Errorf("ErrorCode = %q", ErrorCode(err))
			}
		})
	}
}

func TestNewRouteTableKeepsDistinctRoutes(t *testing.T) {
	// Each pair looks alike but is a different route, so two configs may claim them.
	for _, tc := range []struct{ a, b string }{
		{"https://api.example.com", "http://api.example.com"},
		{"https://api.example.com", "https://api.example.com:8443"},
		{"https://api.example.com/api", "https://api.example.com/API"},
		{"https://api.example.com/api", "https://api.example.com/api/v1"},
		{"https://api.example.com", "https://*.example.com"},
		{"https://*.example.com", "https://*.api.example.com"},
		{"https://api.example.com/a+b", "https://api.example.com/a%2Bb"},
		{"https://bücher.example", "https://xn--bcher-kva.example"},
	} {
		if _, err := NewRouteTable(map[string][]string{"a": {tc.a}, "b": {tc.b}}); err != nil {
			t.Errorf("%s and %s: %v", tc.a, tc.b, err)
		}
	}
}

func TestNewRouteTableDeduplicatesWithinConfig(t *testing.T) {
	rt := newTestRouteTable(t, map[string][]string{
		"api": {"https://api.example.com/api", "https://API.example.com/api/", "https://api.example.com:443/api/*"},
	})
	if id, ok := rt.Match("https://api.example.com/api/x", nil); !ok || id != "api" {
		t.Errorf("Match = %q, %v", id, ok)
	}
}

func TestNewRouteTableRejectsEmptyConfigID(t *testing.T) {
	_, err := NewRouteTable(map[string][]string{"": {"https://api.example.com"}})
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeInvalidConfig || e.Field != "configId" {
		t.Errorf("err = %v; want invalid_config on configId", err)
	}
}

func TestRouteMatchDoesNotAllocateMuch(t *testing.T) {
	rt := newTestRouteTable(t, routeTestRoutes)
	allocs := testing.AllocsPerRun(100, func() {
		rt.Match("https://api.example.com/orders/admin/x/y?z=1", nil)
	})
	if allocs > 3 {
		t.Errorf("Match allocates %v times per call; want at most 3", allocs)
	}
}
