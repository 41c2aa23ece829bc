package spa

import (
	"strings"
	"testing"
)

// TestRouteEntriesWithMethods: an entry with methods covers only those
// methods (case-insensitively) and beats an entry without methods on the same
// route; a request whose method no entry of the longest route lists falls to
// a shorter route (docs/DESIGN.md, "Route entries and tokens per API").
func TestRouteEntriesWithMethods(t *testing.T) {
	tbl, err := NewRouteTableOf(map[string][]Route{
		"reader": {{URL: "https://api.example/v1"}},
		"writer": {{URL: "https://api.example/v1", Methods: []string{"post", "PUT"}, FollowRedirects: true}},
		"admin":  {{URL: "https://api.example/v1/admin", Methods: []string{"DELETE"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		method, url, want string
		follow            bool
	}{
		{"GET", "https://api.example/v1/x", "reader", false},
		{"POST", "https://api.example/v1/x", "writer", true},
		{"post", "https://api.example/v1/x", "writer", true},
		{"Put", "https://api.example/v1", "writer", true},
		{"PATCH", "https://api.example/v1/x", "reader", false},
		{"DELETE", "https://api.example/v1/admin/u/1", "admin", false},
		{"GET", "https://api.example/v1/admin/u/1", "reader", false}, // admin lists DELETE only: the shorter route
		{"POST", "https://api.example/v1/admin", "writer", true},
		{"GET", "https://api.example/v1x", "", false},
	} {
		m, ok := tbl.MatchRequest(tt.url, tt.method, nil)
		if m.ConfigID != tt.want || ok != (tt.want != "") || m.Route.FollowRedirects != tt.follow {
			t.Errorf("%s %s = %q (followRedirects %v), want %q (%v)", tt.method, tt.url, m.ConfigID, m.Route.FollowRedirects, tt.want, tt.follow)
		}
	}
	if m, _ := tbl.MatchRequest("https://api.example/v1/x", "post", nil); strings.Join(m.Route.Methods, ",") != "POST,PUT" {
		t.Errorf("matched entry's methods %v, want [POST PUT] (upper-cased, sorted)", m.Route.Methods)
	}
}

// TestRouteEntriesAreValidated: bad methods name the entry and the method,
// and an identity claimed twice (by two configs, or with other options in one
// config) is invalid_config; the same entry twice in one config is kept once.
func TestRouteEntriesAreValidated(t *testing.T) {
	for _, tt := range []struct {
		name   string
		routes map[string][]Route
		field  string // "" = valid
		msg    string
	}{
		{"empty methods", map[string][]Route{"a": {{URL: "https://x.example/", Methods: []string{}}}}, "secureRoutes[0].methods", "is empty"},
		{"method with a space", map[string][]Route{"a": {{URL: "https://x.example/", Methods: []string{"GET", "PO ST"}}}}, "secureRoutes[0].methods[1]", "not an HTTP method"},
		{"empty method", map[string][]Route{"a": {{URL: "https://x.example/", Methods: []string{""}}}}, "secureRoutes[0].methods[0]", "not an HTTP method"},
		{"method with a control character", map[string][]Route{"a": {{URL: "https://x.example/", Methods: []string{"GE\x1fT"}}}}, "secureRoutes[0].methods[0]", "not an HTTP method"},
		{"method with DEL", map[string][]Route{"a": {{URL: "https://x.example/", Methods: []string{"GET\x7f"}}}}, "secureRoutes[0].methods[0]", "not an HTTP method"},
		{"method with a separator", map[string][]Route{"a": {{URL: "https://x.example/", Methods: []string{"GET/1"}}}}, "secureRoutes[0].methods[0]", "not an HTTP method"},
		{"every token character (RFC 9110 §5.6.2)", map[string][]Route{"a": {{URL: "https://x.example/", Methods: []string{"!#$%&'*+-.^_`|~09AZaz"}}}}, "", ""},
		{"two configs, same method", map[string][]Route{
			"a": {{URL: "https://x.example/api", Methods: []string{"GET", "POST"}}},
			"b": {{URL: "https://x.example/api/", Methods: []string{"post"}}}}, "secureRoutes[0]", `for POST is the same route`},
		{"two configs, both every method", map[string][]Route{
			"a": {{URL: "https://x.example/api"}}, "b": {{URL: "https://X.example/api/*"}}}, "secureRoutes[0]", "of config"},
		{"one config, other options", map[string][]Route{
			"a": {{URL: "https://x.example/api"}, {URL: "https://x.example/api/", FollowRedirects: true}}}, "secureRoutes[1]", "other options"},
		{"two configs, other methods", map[string][]Route{
			"a": {{URL: "https://x.example/api", Methods: []string{"GET"}}},
			"b": {{URL: "https://x.example/api", Methods: []string{"POST"}}}}, "", ""},
		{"one config, same entry twice", map[string][]Route{
			"a": {{URL: "https://x.example/api", Methods: []string{"get"}}, {URL: "https://x.example/api/", Methods: []string{"GET"}}}}, "", ""},
	} {
		_, err := NewRouteTableOf(tt.routes)
		if tt.field == "" {
			if err != nil {
				t.Errorf("%s: %v, want valid", tt.name, err)
			}
			continue
		}
		e, ok := err.(*Error)
		if !ok || e.Code != CodeInvalidConfig || e.Field != tt.field || !strings.Contains(e.Message, tt.msg) {
			t.Errorf("%s: %v, want invalid_config on %s saying %q", tt.name, err, tt.field, tt.msg)
		}
	}
}
