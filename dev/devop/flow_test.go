package devop_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/devop"
)

// TestPublicClientCodeFlow walks the flow a SPA runs: discovery, login,
// code + PKCE, token, ID-token signature, JWT access token, userinfo.
func TestPublicClientCodeFlow(t *testing.T) {
	srv := start(t, devop.Config{})
	b := newBrowser(t, srv)

	var disc map[string]any
	getJSON(t, srv.Issuer()+"/.well-known/openid-configuration", &disc)
	for key, want := range map[string]any{
		"issuer":                 srv.Issuer(),
		"authorization_endpoint": srv.Issuer() + "/authorize",
		"token_endpoint":         srv.Issuer() + "/oauth/token",
		"jwks_uri":               srv.Issuer() + "/keys",
		"authorization_response_iss_parameter_supported": true,
	} {
		if disc[key] != want {
			t.Errorf("discovery %s = %v, want %v", key, disc[key], want)
		}
	}
	if m, _ := disc["code_challenge_methods_supported"].([]any); len(m) != 1 || m[0] != "S256" {
		t.Errorf("code_challenge_methods_supported = %v, want [S256]", m)
	}

	p := newPKCE("a")
	params := authParams(p, "openid profile email")
	first := b.authorize(params)
	if first.status != http.StatusOK || !strings.Contains(first.page, `name="password"`) {
		t.Fatalf("authorize without session: status %d, want the login form", first.status)
	}
	wrong := b.login(first.page, "alice", "bob")
	if wrong.status != http.StatusUnauthorized || wrong.response != nil || !strings.Contains(wrong.page, "Wrong username or password") {
		t.Fatalf("wrong password: status %d response %v, want 401 and the form again", wrong.status, wrong.response)
	}
	ok := b.login(wrong.page, "alice", "alice")
	resp := ok.response
	if resp.Get("state") != params.Get("state") || resp.Get("iss") != srv.Issuer() || resp.Get("code") == "" {
		t.Fatalf("authorization response %v: want code, state %q and iss %q (RFC 9207)", resp, params.Get("state"), srv.Issuer())
	}
	code := resp.Get("code")

	if tr := exchange(t, srv, code, ""); tr.status != http.StatusBadRequest || tr.Error != "invalid_request" {
		t.Errorf("exchange without code_verifier: %d %q, want 400 invalid_request", tr.status, tr.Error)
	}
	if tr := exchange(t, srv, code, newPKCE("b").verifier); tr.status != http.StatusBadRequest || tr.Error != "invalid_grant" {
		t.Errorf("exchange with wrong code_verifier: %d %q, want 400 invalid_grant", tr.status, tr.Error)
	}
	tr := exchange(t, srv, code, p.verifier)
	if tr.status != http.StatusOK || tr.AccessToken == "" || tr.IDToken == "" || tr.TokenType != "Bearer" {
		t.Fatalf("exchange: status %d error %q", tr.status, tr.Error)
	}
	if tr.ExpiresIn < 55 || tr.ExpiresIn > 60 {
		t.Errorf("expires_in = %d, want the 60s default", tr.ExpiresIn)
	}
	if tr.RefreshToken != "" {
		t.Error("refresh token issued without offline_access")
	}
	if again := exchange(t, srv, code, p.verifier); again.Error != "invalid_grant" {
		t.Errorf("second exchange of one code: %d %q, want invalid_grant", again.status, again.Error)
	}

	keys := jwks(t, srv)
	_, id := verify(t, keys, tr.IDToken)
	if id["iss"] != srv.Issuer() || id["sub"] != "user-alice" || id["nonce"] != params.Get("nonce") ||
		!slices.Contains(audience(id), clientID) {
		t.Errorf("ID token claims %v", id)
	}
	_, at := verify(t, keys, tr.AccessToken)
	if !slices.Contains(audience(at), clientID) || at["sub"] != "user-alice" || at["scope"] != "openid profile email" {
		t.Errorf("access token claims aud=%v sub=%v scope=%v", at["aud"], at["sub"], at["scope"])
	}

	uresp, info := userinfo(t, srv, tr.AccessToken)
	if uresp.StatusCode != http.StatusOK {
		t.Fatalf("userinfo: %s", uresp.Status)
	}
	for k, want := range map[string]any{"sub": "user-alice", "name": "Alice Liddell", "given_name": "Alice",
		"family_name": "Liddell", "email": "alice@example.com", "email_verified": true} {
		if info[k] != want {
			t.Errorf("userinfo %s = %v, want %v", k, info[k], want)
		}
	}
}

// TestPromptNone checks silent authentication (OpenID Connect Core
// §3.1.2.6): a code while the session lives, login_required with state and
// iss when it does not.
func TestPromptNone(t *testing.T) {
	srv := start(t, devop.Config{})
	b := newBrowser(t, srv)
	b.signIn(newPKCE("c"), "openid", "bob")

	silent := b.authorize(authParams(newPKCE("d"), "openid", "prompt", "none"))
	if silent.response.Get("code") == "" || silent.response.Get("iss") != srv.Issuer() {
		t.Fatalf("prompt=none with session: %v, want a code and iss", silent.response)
	}

	stranger := newBrowser(t, srv)
	params := authParams(newPKCE("e"), "openid", "prompt", "none")
	r := stranger.authorize(params).response
	if r.Get("error") != "login_required" || r.Get("state") != params.Get("state") || r.Get("iss") != srv.Issuer() {
		t.Fatalf("prompt=none without session: %v, want login_required with state and iss", r)
	}

	// prompt=login forces the form even with a session.
	if s := b.authorize(authParams(newPKCE("f"), "openid", "prompt", "login")); s.status != http.StatusOK || s.response != nil {
		t.Errorf("prompt=login with session: %d %v, want the login form", s.status, s.response)
	}
}

// TestAuthorizeRefusesBadRequests checks PKCE is required and S256-only for
// public clients, and that redirect URIs match exactly.
func TestAuthorizeRefusesBadRequests(t *testing.T) {
	srv := start(t, devop.Config{AutoLogin: "alice"})
	b := newBrowser(t, srv)
	for _, tc := range []struct {
		name   string
		params func() map[string]string
	}{
		{"no code_challenge", func() map[string]string { return map[string]string{"code_challenge": "", "code_challenge_method": ""} }},
		{"plain method", func() map[string]string { return map[string]string{"code_challenge_method": "plain"} }},
		{"implicit flow", func() map[string]string { return map[string]string{"response_type": "id_token"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			params := authParams(newPKCE("g"), "openid")
			for k, v := range tc.params() {
				if v == "" {
					params.Del(k)
				} else {
					params.Set(k, v)
				}
			}
			r := b.authorize(params).response
			if r.Get("code") != "" || r.Get("error") == "" || r.Get("iss") != srv.Issuer() {
				t.Errorf("response %v: want an error with iss and no code", r)
			}
		})
	}
	for _, uri := range []string{redirectURI + "/", redirectURI + "?x=1", strings.ToUpper(redirectURI), "http://evil.example/callback"} {
		params := authParams(newPKCE("h"), "openid")
		params.Set("redirect_uri", uri)
		s := b.authorize(params)
		if s.status != http.StatusBadRequest || s.location != "" {
			t.Errorf("redirect_uri %q: status %d location %q, want 400 and no redirect", uri, s.status, s.location)
		}
	}
}
