package devop_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/devop"
	"github.com/oidcwasm/oidcwasm/internal/dpop"
	"github.com/oidcwasm/oidcwasm/internal/dpop/dpoptest"
)

// tokenDPoP posts a token request with an optional DPoP proof and returns
// the response and its headers.
func tokenDPoP(t *testing.T, srv *devop.Server, form url.Values, proof string) (tokenResponse, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.Issuer()+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr tokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		t.Fatalf("token response: %v", err)
	}
	tr.status = resp.StatusCode
	return tr, resp.Header
}

func codeForm(code string, p pkce) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"client_id": {clientID}, "code_verifier": {p.verifier}}
}

func refreshForm(rt string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {clientID}}
}

// cnfJKT returns the cnf.jkt claim of a JWT access token, "" without one.
func cnfJKT(t *testing.T, srv *devop.Server, at string) string {
	t.Helper()
	_, claims := verify(t, jwks(t, srv), at)
	cnf, _ := claims["cnf"].(map[string]any)
	jkt, _ := cnf["jkt"].(string)
	return jkt
}

func TestDiscoveryAnnouncesPARAndDPoP(t *testing.T) {
	for _, require := range []bool{false, true} {
		srv := start(t, devop.Config{RequirePushedAuthorizationRequests: require})
		var doc map[string]any
		getJSON(t, srv.Issuer()+"/.well-known/openid-configuration", &doc)
		if got := doc["pushed_authorization_request_endpoint"]; got != srv.Issuer()+"/par" {
			t.Errorf("pushed_authorization_request_endpoint = %v", got)
		}
		if got := doc["require_pushed_authorization_requests"]; got != require {
			t.Errorf("require_pushed_authorization_requests = %v, want %v", got, require)
		}
		algs, _ := doc["dpop_signing_alg_values_supported"].([]any)
		if len(algs) != 1 || algs[0] != "ES256" {
			t.Errorf("dpop_signing_alg_values_supported = %v, want [ES256]", doc["dpop_signing_alg_values_supported"])
		}
	}
}

// TestDPoPBindsTokens runs a code exchange and refreshes with DPoP proofs
// (RFC 9449 §5): the access tokens carry cnf.jkt and token_type DPoP, the
// refresh token of the public client is bound to the key, and a refused
// refresh does not use it up.
func TestDPoPBindsTokens(t *testing.T) {
	srv := start(t, devop.Config{AutoLogin: "alice"})
	key, other := dpoptest.NewKey(), dpoptest.NewKey()
	tokenURL := srv.Issuer() + "/oauth/token"
	p := newPKCE("d")
	code := newBrowser(t, srv).signIn(p, "openid offline_access", "alice")

	// A refused proof leaves the code unredeemed.
	if tr, _ := tokenDPoP(t, srv, codeForm(code, p), key.Proof("POST", srv.Issuer()+"/userinfo", "", "")); tr.status != http.StatusBadRequest || tr.Error != dpop.ErrInvalidProof {
		t.Fatalf("proof for another URL: %d %q, want 400 invalid_dpop_proof", tr.status, tr.Error)
	}
	tr, _ := tokenDPoP(t, srv, codeForm(code, p), key.Proof("POST", tokenURL, "", ""))
	if tr.status != http.StatusOK || tr.TokenType != "DPoP" || tr.RefreshToken == "" {
		t.Fatalf("code exchange with proof: %d %q token_type %q", tr.status, tr.Error, tr.TokenType)
	}
	if got := cnfJKT(t, srv, tr.AccessToken); got != key.JKT() {
		t.Errorf("cnf.jkt = %q, want the proof key's thumbprint %q", got, key.JKT())
	}
	rt := tr.RefreshToken

	for name, proof := range map[string]string{"no proof": "", "another key": other.Proof("POST", tokenURL, "", "")} {
		if r, _ := tokenDPoP(t, srv, refreshForm(rt), proof); r.status != http.StatusBadRequest || r.Error != "invalid_grant" {
			t.Errorf("refresh with %s: %d %q, want 400 invalid_grant", name, r.status, r.Error)
		}
	}
	r, _ := tokenDPoP(t, srv, refreshForm(rt), key.Proof("POST", tokenURL, "", ""))
	if r.status != http.StatusOK || r.TokenType != "DPoP" {
		t.Fatalf("refresh with the bound key after the refusals: %d %q, want 200 DPoP", r.status, r.Error)
	}
	if got := cnfJKT(t, srv, r.AccessToken); got != key.JKT() {
		t.Errorf("refreshed cnf.jkt = %q, want %q", got, key.JKT())
	}
	// The rotated refresh token is still bound.
	if r2, _ := tokenDPoP(t, srv, refreshForm(r.RefreshToken), other.Proof("POST", tokenURL, "", "")); r2.Error != "invalid_grant" {
		t.Errorf("rotated refresh token with another key: %d %q, want invalid_grant", r2.status, r2.Error)
	}

	// Without a DPoP header everything is Bearer, as before.
	p2 := newPKCE("b")
	plain := exchange(t, srv, newBrowser(t, srv).signIn(p2, "openid offline_access", "alice"), p2.verifier)
	if plain.status != http.StatusOK || plain.TokenType != "Bearer" || cnfJKT(t, srv, plain.AccessToken) != "" {
		t.Errorf("exchange without proof: %d token_type %q cnf %q, want Bearer without cnf", plain.status, plain.TokenType, cnfJKT(t, srv, plain.AccessToken))
	}
	if r := refresh(t, srv, plain.RefreshToken); r.status != http.StatusOK || r.TokenType != "Bearer" {
		t.Errorf("Bearer refresh: %d %q", r.status, r.TokenType)
	}
}

// TestDPoPWithResource checks a resource token request (RFC 8707) with a
// proof is bound too.
func TestDPoPWithResource(t *testing.T) {
	srv := resourceProvider(t)
	key := dpoptest.NewKey()
	p := newPKCE("r")
	code := signInFor(t, srv, p, "openid orders.read", orders)
	form := codeForm(code, p)
	form.Set("resource", orders)
	tr, _ := tokenDPoP(t, srv, form, key.Proof("POST", srv.Issuer()+"/oauth/token", "", ""))
	if tr.status != http.StatusOK || tr.TokenType != "DPoP" || cnfJKT(t, srv, tr.AccessToken) != key.JKT() {
		t.Fatalf("resource exchange with proof: %d %q %q", tr.status, tr.Error, tr.TokenType)
	}
	if _, claims := verify(t, jwks(t, srv), tr.AccessToken); strings.Join(audience(claims), " ") != orders {
		t.Errorf("aud = %v, want [%s]", claims["aud"], orders)
	}
}

// TestDPoPNonce checks RFC 9449 §8: with nonces on, a proof without the
// current nonce gets use_dpop_nonce and the nonce, and a retry with it
// succeeds; a rotated nonce is refused.
func TestDPoPNonce(t *testing.T) {
	srv := start(t, devop.Config{AutoLogin: "alice"})
	key := dpoptest.NewKey()
	tokenURL := srv.Issuer() + "/oauth/token"
	resp := postForm(t, srv, "/admin/dpop-nonce", url.Values{"on": {"1"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /admin/dpop-nonce?on=1: %s", resp.Status)
	}
	p := newPKCE("n")
	code := newBrowser(t, srv).signIn(p, "openid offline_access", "alice")
	tr, h := tokenDPoP(t, srv, codeForm(code, p), key.Proof("POST", tokenURL, "", ""))
	nonce := h.Get("DPoP-Nonce")
	if tr.status != http.StatusBadRequest || tr.Error != "use_dpop_nonce" || nonce == "" {
		t.Fatalf("proof without nonce: %d %q DPoP-Nonce %q, want 400 use_dpop_nonce with a nonce", tr.status, tr.Error, nonce)
	}
	tr, h = tokenDPoP(t, srv, codeForm(code, p), key.Proof("POST", tokenURL, "", nonce))
	if tr.status != http.StatusOK || tr.TokenType != "DPoP" || h.Get("DPoP-Nonce") != nonce {
		t.Fatalf("retry with the nonce: %d %q, DPoP-Nonce %q", tr.status, tr.Error, h.Get("DPoP-Nonce"))
	}
	resp = postForm(t, srv, "/admin/dpop-nonce/rotate", nil)
	resp.Body.Close()
	fresh := srv.DPoPNonce()
	if fresh == nonce || fresh == "" {
		t.Fatalf("rotate: nonce %q -> %q", nonce, fresh)
	}
	tr, h = tokenDPoP(t, srv, refreshForm(tr.RefreshToken), key.Proof("POST", tokenURL, "", nonce))
	if tr.Error != "use_dpop_nonce" || h.Get("DPoP-Nonce") != fresh {
		t.Errorf("old nonce: %d %q DPoP-Nonce %q, want use_dpop_nonce with %q", tr.status, tr.Error, h.Get("DPoP-Nonce"), fresh)
	}
	srv.RequireDPoPNonce(false)
	if _, h := tokenDPoP(t, srv, refreshForm("x"), ""); h.Get("DPoP-Nonce") != "" {
		t.Errorf("nonces off: DPoP-Nonce %q still sent", h.Get("DPoP-Nonce"))
	}
}

// TestDPoPBindsCodeWithDPoPJKT checks RFC 9449 §10: a code asked for with
// dpop_jkt is exchanged with a proof of that key only.
func TestDPoPBindsCodeWithDPoPJKT(t *testing.T) {
	srv := start(t, devop.Config{AutoLogin: "alice"})
	key, other := dpoptest.NewKey(), dpoptest.NewKey()
	tokenURL := srv.Issuer() + "/oauth/token"
	p := newPKCE("j")
	s := newBrowser(t, srv).authorize(authParams(p, "openid", "dpop_jkt", key.JKT()))
	code := s.response.Get("code")
	if code == "" {
		t.Fatalf("no code: %v", s.response)
	}
	for name, proof := range map[string]string{"no proof": "", "another key": other.Proof("POST", tokenURL, "", "")} {
		if tr, _ := tokenDPoP(t, srv, codeForm(code, p), proof); tr.Error != dpop.ErrInvalidProof {
			t.Errorf("%s: %d %q, want invalid_dpop_proof", name, tr.status, tr.Error)
		}
	}
	if tr, _ := tokenDPoP(t, srv, codeForm(code, p), key.Proof("POST", tokenURL, "", "")); tr.status != http.StatusOK {
		t.Errorf("the dpop_jkt key: %d %q, want 200", tr.status, tr.Error)
	}
}

// dpopTokens signs in and exchanges the code with a proof of key.
func dpopTokens(t *testing.T, srv *devop.Server, key *dpoptest.Key) tokenResponse {
	t.Helper()
	p := newPKCE("u")
	code := newBrowser(t, srv).signIn(p, "openid profile offline_access", "alice")
	tr, _ := tokenDPoP(t, srv, codeForm(code, p), key.Proof("POST", srv.Issuer()+"/oauth/token", "", ""))
	if tr.status != http.StatusOK || tr.TokenType != "DPoP" {
		t.Fatalf("DPoP code exchange: %d %q", tr.status, tr.Error)
	}
	return tr
}

// TestDPoPUserinfo checks RFC 9449 §7 at userinfo.
func TestDPoPUserinfo(t *testing.T) {
	srv := start(t, devop.Config{AutoLogin: "alice"})
	key, other := dpoptest.NewKey(), dpoptest.NewKey()
	at := dpopTokens(t, srv, key).AccessToken
	u := srv.Issuer() + "/userinfo"
	call := func(method, scheme, proof string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest(method, u, nil)
		req.Header.Set("Authorization", scheme+" "+at)
		if proof != "" {
			req.Header.Set("DPoP", proof)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp, m
	}
	for _, method := range []string{"GET", "POST"} {
		resp, m := call(method, "DPoP", key.Proof(method, u, at, ""))
		if resp.StatusCode != http.StatusOK || m["sub"] != "user-alice" {
			t.Errorf("%s with DPoP and a good proof: %s %v", method, resp.Status, m)
		}
	}
	cases := []struct{ name, scheme, proof, challenge string }{
		{"as Bearer", "Bearer", "", `error="invalid_token"`},
		{"as Bearer with proof", "Bearer", key.Proof("GET", u, at, ""), `error="invalid_token"`},
		{"no proof", "DPoP", "", `error="invalid_dpop_proof"`},
		{"no ath", "DPoP", key.Proof("GET", u, "", ""), `error="invalid_dpop_proof"`},
		{"another key", "DPoP", other.Proof("GET", u, at, ""), `error="invalid_dpop_proof"`},
		{"wrong htm", "DPoP", key.Proof("POST", u, at, ""), `error="invalid_dpop_proof"`},
	}
	for _, c := range cases {
		resp, _ := call("GET", c.scheme, c.proof)
		wa := resp.Header.Get("WWW-Authenticate")
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(wa, "DPoP ") || !strings.Contains(wa, c.challenge) {
			t.Errorf("%s: %s WWW-Authenticate %q, want 401 DPoP %s", c.name, resp.Status, wa, c.challenge)
		}
	}
	// An unbound token with the DPoP scheme.
	p := newPKCE("x")
	plain := exchange(t, srv, newBrowser(t, srv).signIn(p, "openid", "alice"), p.verifier).AccessToken
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "DPoP "+plain)
	req.Header.Set("DPoP", key.Proof("GET", u, plain, ""))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("unbound token as DPoP: %s %q", resp.Status, resp.Header.Get("WWW-Authenticate"))
	}
	if resp, m := userinfo(t, srv, plain); resp.StatusCode != http.StatusOK || m["sub"] != "user-alice" {
		t.Errorf("unbound token as Bearer: %s", resp.Status)
	}
}

// TestRevokeWithDPoPHeader checks revocation answers whether or not the
// request carries a proof.
func TestRevokeWithDPoPHeader(t *testing.T) {
	srv := start(t, devop.Config{AutoLogin: "alice"})
	key := dpoptest.NewKey()
	tr := dpopTokens(t, srv, key)
	req, _ := http.NewRequest(http.MethodPost, srv.Issuer()+"/revoke",
		strings.NewReader(url.Values{"token": {tr.RefreshToken}, "client_id": {clientID}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("DPoP", key.Proof("POST", srv.Issuer()+"/revoke", "", ""))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke with a DPoP header: %s", resp.Status)
	}
	if r, _ := tokenDPoP(t, srv, refreshForm(tr.RefreshToken), key.Proof("POST", srv.Issuer()+"/oauth/token", "", "")); r.Error != "invalid_grant" {
		t.Errorf("refresh after revocation: %d %q, want invalid_grant", r.status, r.Error)
	}
}

// TestCORSAllowsDPoP checks the preflights of the endpoints a DPoP client
// calls allow the DPoP header, and responses expose DPoP-Nonce.
func TestCORSAllowsDPoP(t *testing.T) {
	srv := start(t, devop.Config{})
	for _, path := range []string{"/oauth/token", "/userinfo", "/revoke", "/par"} {
		req, _ := http.NewRequest(http.MethodOptions, srv.Issuer()+path, nil)
		req.Header.Set("Origin", spaOrigin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,dpop")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 || !strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "dpop") {
			t.Errorf("%s preflight with dpop: %s Allow-Headers %q", path, resp.Status, resp.Header.Get("Access-Control-Allow-Headers"))
		}
		req, _ = http.NewRequest(http.MethodPost, srv.Issuer()+path, strings.NewReader(""))
		req.Header.Set("Origin", spaOrigin)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		expose := resp.Header.Get("Access-Control-Expose-Headers")
		if !strings.Contains(expose, "DPoP-Nonce") || !strings.Contains(expose, "WWW-Authenticate") {
			t.Errorf("%s: Expose-Headers %q, want DPoP-Nonce and WWW-Authenticate", path, expose)
		}
	}
}
