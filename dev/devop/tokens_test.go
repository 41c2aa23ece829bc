package devop_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/devop"
)

// signInOffline returns tokens of a code flow with offline_access.
func signInOffline(t *testing.T, srv *devop.Server, seed string) tokenResponse {
	t.Helper()
	p := newPKCE(seed)
	tr := exchange(t, srv, newBrowser(t, srv).signIn(p, "openid profile offline_access", "alice"), p.verifier)
	if tr.status != http.StatusOK || tr.RefreshToken == "" {
		t.Fatalf("exchange with offline_access: %d %q, refresh token present: %v", tr.status, tr.Error, tr.RefreshToken != "")
	}
	return tr
}

// TestRefreshRotation checks that every refresh returns a new refresh token
// and that presenting a rotated one again is invalid_grant and revokes the
// family (RFC 9700 §4.14.2).
func TestRefreshRotation(t *testing.T) {
	srv := start(t, devop.Config{})
	first := signInOffline(t, srv, "r")

	second := refresh(t, srv, first.RefreshToken)
	if second.status != http.StatusOK || second.AccessToken == "" || second.IDToken == "" {
		t.Fatalf("refresh: %d %q", second.status, second.Error)
	}
	if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
		t.Fatal("refresh did not rotate the refresh token")
	}
	_, claims := verify(t, jwks(t, srv), second.IDToken)
	if claims["sub"] != "user-alice" {
		t.Errorf("refreshed ID token sub = %v", claims["sub"])
	}

	if reuse := refresh(t, srv, first.RefreshToken); reuse.status != http.StatusBadRequest || reuse.Error != "invalid_grant" {
		t.Fatalf("reusing a rotated refresh token: %d %q, want 400 invalid_grant", reuse.status, reuse.Error)
	}
	if after := refresh(t, srv, second.RefreshToken); after.Error != "invalid_grant" {
		t.Errorf("after reuse was detected the family must be revoked; newest token gave %d %q", after.status, after.Error)
	}
	if resp, _ := userinfo(t, srv, second.AccessToken); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("access token of a revoked family: userinfo %s, want 401", resp.Status)
	}
}

// TestConcurrentRefreshOneWins checks that refreshes racing with the same
// token cannot both succeed: one rotates it, the others get invalid_grant.
func TestConcurrentRefreshOneWins(t *testing.T) {
	srv := start(t, devop.Config{})
	rt := signInOffline(t, srv, "q").RefreshToken
	const n = 4
	results := make([]tokenResponse, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = refresh(t, srv, rt) })
	}
	wg.Wait()
	wins := 0
	for _, r := range results {
		if r.status == http.StatusOK {
			wins++
		} else if r.Error != "invalid_grant" {
			t.Errorf("losing refresh: %d %q, want invalid_grant", r.status, r.Error)
		}
	}
	if wins != 1 {
		t.Errorf("%d concurrent refreshes with one token succeeded, want exactly 1", wins)
	}
}

func revoke(t *testing.T, srv *devop.Server, tok, hint string) int {
	t.Helper()
	form := url.Values{"token": {tok}, "client_id": {clientID}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	resp := postForm(t, srv, "/revoke", form)
	resp.Body.Close()
	return resp.StatusCode
}

// introspect asks RFC 7662 §2.1 as the confidential client "api".
func introspect(t *testing.T, srv *devop.Server, tok string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.Issuer()+"/oauth/introspect",
		strings.NewReader(url.Values{"token": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("api", "api-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Active bool `json:"active"`
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("introspect: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r.Active
}

// TestRevocation checks RFC 7009: a revoked access token fails userinfo and
// introspection, a revoked refresh token no longer refreshes, and unknown
// tokens are answered 200.
func TestRevocation(t *testing.T) {
	srv := start(t, devop.Config{Clients: []devop.Client{
		{ID: clientID, RedirectURIs: []string{redirectURI}},
		{ID: "api", Secret: "api-secret", RedirectURIs: []string{"http://localhost:9090/cb"}},
	}})
	tr := signInOffline(t, srv, "v")

	if !introspect(t, srv, tr.AccessToken) {
		t.Fatal("fresh access token not active at introspection")
	}
	if got := revoke(t, srv, tr.AccessToken, "access_token"); got != http.StatusOK {
		t.Fatalf("revoke access token: %d", got)
	}
	resp, body := userinfo(t, srv, tr.AccessToken)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("userinfo with revoked token: %s %q, want 401 with a Bearer invalid_token challenge", resp.Status, resp.Header.Get("WWW-Authenticate"))
	}
	if body["error"] != "invalid_token" {
		t.Errorf("userinfo error = %v", body["error"])
	}
	if introspect(t, srv, tr.AccessToken) {
		t.Error("revoked access token still active at introspection")
	}

	// The refresh token survives revoking the access token, then is revoked
	// itself without a hint.
	next := refresh(t, srv, tr.RefreshToken)
	if next.status != http.StatusOK {
		t.Fatalf("refresh after access token revocation: %d %q", next.status, next.Error)
	}
	if got := revoke(t, srv, next.RefreshToken, ""); got != http.StatusOK {
		t.Fatalf("revoke refresh token: %d", got)
	}
	if r := refresh(t, srv, next.RefreshToken); r.Error != "invalid_grant" {
		t.Errorf("refresh with revoked token: %d %q, want invalid_grant", r.status, r.Error)
	}
	if introspect(t, srv, next.AccessToken) {
		t.Error("access token of a revoked refresh token still active (RFC 7009 §2.1)")
	}
	if got := revoke(t, srv, "not-a-token", ""); got != http.StatusOK {
		t.Errorf("revoke unknown token: %d, want 200 (RFC 7009 §2.2)", got)
	}
}

// TestEndSession checks RP-Initiated Logout: a registered
// post_logout_redirect_uri gets state back, the session ends, and
// unregistered or unidentified URIs are refused.
func TestEndSession(t *testing.T) {
	srv := start(t, devop.Config{})
	b := newBrowser(t, srv)
	p := newPKCE("l")
	tr := exchange(t, srv, b.signIn(p, "openid", "alice"), p.verifier)

	for _, form := range []url.Values{
		{"id_token_hint": {tr.IDToken}, "post_logout_redirect_uri": {"http://localhost:8080/elsewhere"}},
		{"post_logout_redirect_uri": {logoutURI}},
	} {
		resp := b.get(srv.Issuer() + "/end_session?" + form.Encode())
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("end_session %v: %s, want 400", form, resp.Status)
		}
	}
	if r := b.authorize(authParams(newPKCE("m"), "openid", "prompt", "none")).response; r.Get("code") == "" {
		t.Fatalf("a refused end_session must not end the session: %v", r)
	}

	resp := b.get(srv.Issuer() + "/end_session?" + url.Values{"id_token_hint": {tr.IDToken},
		"post_logout_redirect_uri": {logoutURI}, "state": {"bye"}}.Encode())
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != logoutURI+"?state=bye" {
		t.Fatalf("end_session: %s to %q, want 302 to %q", resp.Status, loc, logoutURI+"?state=bye")
	}
	if r := b.authorize(authParams(newPKCE("n"), "openid", "prompt", "none")).response; r.Get("error") != "login_required" {
		t.Errorf("prompt=none after end_session: %v, want login_required", r)
	}
}
