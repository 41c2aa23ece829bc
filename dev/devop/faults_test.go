package devop_test

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/devop"
)

// TestFailNextToken checks both failure modes: the next n token requests
// fail, then the same code still exchanges.
func TestFailNextToken(t *testing.T) {
	srv := start(t, devop.Config{AutoLogin: "alice"})
	b := newBrowser(t, srv)

	p := newPKCE("f")
	code := b.signIn(p, "openid", "")
	if err := srv.FailNextToken(2, devop.FailStatus500); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if tr := exchange(t, srv, code, p.verifier); tr.status != http.StatusInternalServerError || tr.Error != "server_error" {
			t.Fatalf("token request %d: %d %q, want 500 server_error", i+1, tr.status, tr.Error)
		}
	}
	if tr := exchange(t, srv, code, p.verifier); tr.status != http.StatusOK {
		t.Fatalf("token request after the failures: %d %q", tr.status, tr.Error)
	}

	p = newPKCE("g")
	code = b.signIn(p, "openid", "")
	if err := srv.FailNextToken(1, devop.FailClose); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"client_id": {clientID}, "code_verifier": {p.verifier}}
	if resp, err := http.PostForm(srv.Issuer()+"/oauth/token", form); err == nil {
		resp.Body.Close()
		t.Fatalf("token request with FailClose: %s, want a transport error", resp.Status)
	}
	if tr := token(t, srv, form); tr.status != http.StatusOK {
		t.Fatalf("token request after the closed connection: %d %q", tr.status, tr.Error)
	}

	if err := srv.FailNextToken(1, "teapot"); err == nil {
		t.Error("FailNextToken accepted an unknown mode")
	}
}

// TestDelay checks that a delayed endpoint answers late, that a client
// giving up is fine, and that a zero delay removes it.
func TestDelay(t *testing.T) {
	srv := start(t, devop.Config{})
	const d = 150 * time.Millisecond
	if err := srv.Delay(devop.EndpointJWKS, d); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	jwks(t, srv)
	if took := time.Since(began); took < d {
		t.Errorf("delayed JWKS answered in %v, want at least %v", took, d)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.Issuer()+"/keys", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Error("a client timeout shorter than the delay still got an answer")
	}

	if err := srv.Delay(devop.EndpointJWKS, 0); err != nil {
		t.Fatal(err)
	}
	began = time.Now()
	jwks(t, srv)
	if took := time.Since(began); took >= d {
		t.Errorf("JWKS after removing the delay took %v", took)
	}
	if err := srv.Delay("nope", time.Second); err == nil {
		t.Error("Delay accepted an unknown endpoint")
	}
}

// TestCounts checks the per-endpoint counts a client's behaviour is judged
// by, split by grant type, without CORS preflights, and their reset.
func TestCounts(t *testing.T) {
	srv := start(t, devop.Config{AutoLogin: "alice"})
	b := newBrowser(t, srv)

	var disc map[string]any
	getJSON(t, srv.Issuer()+"/.well-known/openid-configuration", &disc)
	jwks(t, srv)
	tr := signInOffline(t, srv, "c")
	tr = refresh(t, srv, tr.RefreshToken)
	userinfo(t, srv, tr.AccessToken)
	revoke(t, srv, tr.RefreshToken, "refresh_token")
	resp := b.get(srv.Issuer() + "/end_session")
	resp.Body.Close()
	req, _ := http.NewRequest(http.MethodOptions, srv.Issuer()+"/oauth/token", nil)
	req.Header.Set("Origin", spaOrigin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}

	want := map[string]int{
		"discovery": 1, "jwks": 1, "authorize": 1, "login": 1, "token": 2,
		"token:authorization_code": 1, "token:refresh_token": 1,
		"userinfo": 1, "revoke": 1, "end_session": 1,
	}
	if got := srv.Counts(); !maps.Equal(got, want) {
		t.Errorf("Counts() = %v\nwant %v", got, want)
	}
	srv.ResetCounts()
	if got := srv.Counts(); len(got) != 0 {
		t.Errorf("after ResetCounts: %v", got)
	}
}

// TestAutoLogin checks that auto-login signs the user in without the form,
// that prompt=none still needs a session, and that it can be switched.
func TestAutoLogin(t *testing.T) {
	srv := start(t, devop.Config{AutoLogin: "alice"})

	params := authParams(newPKCE("s"), "openid", "prompt", "none")
	if r := newBrowser(t, srv).authorize(params).response; r.Get("error") != "login_required" {
		t.Errorf("prompt=none without session under auto-login: %v, want login_required", r)
	}

	b := newBrowser(t, srv)
	p := newPKCE("t")
	s := b.authorize(authParams(p, "openid"))
	if s.response.Get("code") == "" || s.response.Get("iss") != srv.Issuer() {
		t.Fatalf("auto-login: %d %v, want a code at once", s.status, s.response)
	}
	_, claims := verify(t, jwks(t, srv), exchange(t, srv, s.response.Get("code"), p.verifier).IDToken)
	if claims["sub"] != "user-alice" {
		t.Errorf("auto-login signed in %v, want user-alice", claims["sub"])
	}
	if r := b.authorize(authParams(newPKCE("u"), "openid", "prompt", "none")).response; r.Get("code") == "" {
		t.Errorf("prompt=none after auto-login: %v, want a code (the session cookie is set)", r)
	}

	if err := srv.SetAutoLogin(""); err != nil {
		t.Fatal(err)
	}
	if s := newBrowser(t, srv).authorize(authParams(newPKCE("w"), "openid")); s.status != http.StatusOK || s.response != nil {
		t.Errorf("auto-login off: %d %v, want the login form", s.status, s.response)
	}
	if err := srv.SetAutoLogin("mallory"); err == nil {
		t.Error("SetAutoLogin accepted an unknown user")
	}
}

// TestEndSessions checks the switch ends every browser session.
func TestEndSessions(t *testing.T) {
	srv := start(t, devop.Config{})
	a, b := newBrowser(t, srv), newBrowser(t, srv)
	a.signIn(newPKCE("x"), "openid", "alice")
	b.signIn(newPKCE("y"), "openid", "bob")
	srv.EndSessions()
	for _, br := range []*browser{a, b} {
		if r := br.authorize(authParams(newPKCE("z"), "openid", "prompt", "none")).response; r.Get("error") != "login_required" {
			t.Errorf("prompt=none after EndSessions: %v, want login_required", r)
		}
	}
}
