package devop_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/devop"
)

// TestCORS checks that the endpoints a SPA fetches answer CORS for the
// configured origin only, never with "*".
func TestCORS(t *testing.T) {
	srv := start(t, devop.Config{Clients: []devop.Client{{ID: clientID, RedirectURIs: []string{redirectURI},
		Origins: []string{spaOrigin, "http://localhost:8081"}}}})
	paths := []string{"/.well-known/openid-configuration", "/keys", "/oauth/token", "/userinfo", "/revoke"}

	preflight := func(path, origin, headers string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, srv.Issuer()+path, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", headers)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, path := range paths {
		for _, origin := range []string{spaOrigin, "http://localhost:8081"} {
			resp := preflight(path, origin, "authorization,content-type")
			if resp.StatusCode/100 != 2 || resp.Header.Get("Access-Control-Allow-Origin") != origin {
				t.Errorf("%s preflight from %s: %s, Allow-Origin %q", path, origin, resp.Status, resp.Header.Get("Access-Control-Allow-Origin"))
			}
			allowed := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
			if !strings.Contains(allowed, "authorization") || !strings.Contains(allowed, "content-type") {
				t.Errorf("%s preflight: Allow-Headers %q, want Authorization and Content-Type", path, allowed)
			}
		}
		for _, origin := range []string{"http://localhost:9999", "http://evil.example", "null"} {
			if resp := preflight(path, origin, "authorization"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("%s preflight from %s: Allow-Origin %q, want none", path, origin, resp.Header.Get("Access-Control-Allow-Origin"))
			}
		}
		if resp := preflight(path, spaOrigin, "x-custom"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s preflight asking for x-custom: allowed, want refused", path)
		}
	}

	get := func(origin string) string {
		req, _ := http.NewRequest(http.MethodGet, srv.Issuer()+"/.well-known/openid-configuration", nil)
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("Access-Control-Allow-Origin")
	}
	if got := get(spaOrigin); got != spaOrigin {
		t.Errorf("discovery GET from %s: Allow-Origin %q", spaOrigin, got)
	}
	if got := get("http://evil.example"); got != "" {
		t.Errorf("discovery GET from another origin: Allow-Origin %q, want none", got)
	}
}

// TestClientOriginsDefaultToRedirectOrigins checks the Origins default.
func TestClientOriginsDefaultToRedirectOrigins(t *testing.T) {
	srv := start(t, devop.Config{})
	req, _ := http.NewRequest(http.MethodGet, srv.Issuer()+"/keys", nil)
	req.Header.Set("Origin", spaOrigin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != spaOrigin {
		t.Errorf("Allow-Origin %q, want the redirect URI's origin %q", got, spaOrigin)
	}
}
