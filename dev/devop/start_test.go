package devop_test

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/oidcwasm/oidcwasm/dev/devop"
)

// TestStartRefusesBadConfig checks each bad setting is an error naming it.
func TestStartRefusesBadConfig(t *testing.T) {
	spa := devop.Client{ID: clientID, RedirectURIs: []string{redirectURI}}
	for _, tc := range []struct {
		name string
		cfg  devop.Config
		want string
	}{
		{"all interfaces", devop.Config{Addr: ":0", Clients: []devop.Client{spa}}, "not a loopback address"},
		{"public address", devop.Config{Addr: "192.0.2.1:0", Clients: []devop.Client{spa}}, "not a loopback address"},
		{"no clients", devop.Config{}, "at least one client"},
		{"bad redirect", devop.Config{Clients: []devop.Client{{ID: "x", RedirectURIs: []string{"::bad"}}}},
			`redirect URI "::bad": not an absolute URL`},
		{"redirect with fragment", devop.Config{Clients: []devop.Client{{ID: "x", RedirectURIs: []string{"http://localhost/#f"}}}},
			"fragment"},
		{"wildcard origin", devop.Config{Clients: []devop.Client{{ID: "x", RedirectURIs: []string{redirectURI}, Origins: []string{"*"}}}},
			`origin "*"`},
		{"origin with path", devop.Config{Clients: []devop.Client{{ID: "x", RedirectURIs: []string{redirectURI}, Origins: []string{spaOrigin + "/"}}}},
			"without path"},
		{"duplicate client", devop.Config{Clients: []devop.Client{spa, spa}}, "registered twice"},
		{"issuer with path", devop.Config{Issuer: "http://localhost:1/x", Clients: []devop.Client{spa}}, "Issuer"},
		{"unknown auto-login user", devop.Config{AutoLogin: "mallory", Clients: []devop.Client{spa}}, `AutoLogin "mallory"`},
		{"relative resource", devop.Config{Clients: []devop.Client{spa}, Resources: []devop.Resource{{URI: "/api"}}},
			`Resources: resource "/api": not an absolute URI`},
		{"empty resource", devop.Config{Clients: []devop.Client{spa}, Resources: []devop.Resource{{}}},
			`Resources: resource "": not an absolute URI`},
		{"http resource without host", devop.Config{Clients: []devop.Client{spa}, Resources: []devop.Resource{{URI: "http:/api"}}},
			`Resources: resource "http:/api": not an absolute URI`},
		{"resource with fragment", devop.Config{Clients: []devop.Client{spa}, Resources: []devop.Resource{{URI: "https://a.example/#x"}}},
			`Resources: resource "https://a.example/#x": must not contain a fragment`},
		{"resource with empty fragment", devop.Config{Clients: []devop.Client{spa}, Resources: []devop.Resource{{URI: "https://a.example/#"}}},
			"must not contain a fragment"},
		{"duplicate resource", devop.Config{Clients: []devop.Client{spa}, Resources: []devop.Resource{{URI: "urn:x:api"}, {URI: "urn:x:api"}}},
			`Resources: resource "urn:x:api": listed twice`},
		{"resource scope with space", devop.Config{Clients: []devop.Client{spa}, Resources: []devop.Resource{{URI: "urn:x:api", Scopes: []string{"a b"}}}},
			`Resources: resource "urn:x:api": scope "a b": not a scope token`},
		{"empty resource scope", devop.Config{Clients: []devop.Client{spa}, Resources: []devop.Resource{{URI: "urn:x:api", Scopes: []string{""}}}},
			`scope "": not a scope token`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := devop.Start(t.Context(), tc.cfg)
			if err == nil {
				srv.Close()
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "devop: ") {
				t.Errorf("error %q, want it to start with devop: and contain %q", err, tc.want)
			}
		})
	}
}

// TestStartPortInUse checks a busy port is a listen error.
func TestStartPortInUse(t *testing.T) {
	srv := start(t, devop.Config{})
	_, err := devop.Start(t.Context(), devop.Config{Addr: srv.Addr(),
		Clients: []devop.Client{{ID: clientID, RedirectURIs: []string{redirectURI}}}})
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Fatalf("Start on a busy port: %v, want a *net.OpError", err)
	}
}

// TestTwoProviders checks two providers run side by side with their own
// issuers, keys and sessions.
func TestTwoProviders(t *testing.T) {
	a, b := start(t, devop.Config{}), start(t, devop.Config{AutoLogin: "bob"})
	if a.Issuer() == b.Issuer() || !strings.HasPrefix(a.Issuer(), "http://localhost:") {
		t.Fatalf("issuers %q and %q", a.Issuer(), b.Issuer())
	}
	br := newBrowser(t, a) // one browser, one cookie jar, both providers
	p := newPKCE("a")
	tr := exchange(t, a, br.signIn(p, "openid", "alice"), p.verifier)
	var disc map[string]any
	getJSON(t, b.Issuer()+"/.well-known/openid-configuration", &disc)
	if disc["issuer"] != b.Issuer() {
		t.Errorf("second provider's discovery issuer %v", disc["issuer"])
	}
	jws, err := jose.ParseSigned(tr.IDToken, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if set := jwks(t, b); len(set.Key(jws.Signatures[0].Header.KeyID)) != 0 {
		t.Error("second provider publishes the first one's key")
	}

	// Signing in at b (auto-login) must not replace the session at a:
	// cookies ignore ports, so each provider names its cookie by port.
	br.srv = b
	br.signIn(newPKCE("b"), "openid", "")
	br.srv = a
	if r := br.authorize(authParams(newPKCE("c"), "openid", "prompt", "none")).response; r.Get("code") == "" {
		t.Errorf("session at the first provider lost after signing in at the second: %v", r)
	}
}

// TestCloseStopsServing checks Close stops the listener.
func TestCloseStopsServing(t *testing.T) {
	srv := start(t, devop.Config{})
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get(srv.Issuer() + "/keys"); err == nil {
		resp.Body.Close()
		t.Error("provider still answers after Close")
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestFaviconIsNotA404: the login page's browser asks for /favicon.ico on
// every sign-in; the answer is empty, not an error in the console.
func TestFaviconIsNotA404(t *testing.T) {
	srv := start(t, devop.Config{})
	resp, err := http.Get(srv.Issuer() + "/favicon.ico")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("GET /favicon.ico: %d, want 204", resp.StatusCode)
	}
}
