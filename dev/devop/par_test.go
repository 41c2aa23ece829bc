package devop_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/devop"
	"github.com/oidcwasm/oidcwasm/internal/dpop/dpoptest"
)

type parResponse struct {
	status     int
	RequestURI string `json:"request_uri"`
	ExpiresIn  int    `json:"expires_in"`
	Error      string `json:"error"`
}

func push(t *testing.T, srv *devop.Server, form url.Values, headers ...string) parResponse {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.Issuer()+"/par", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var pr parResponse
	if err := json.NewDecoder(resp.Body).Decode(&pr); err != nil {
		t.Fatalf("PAR response: %v", err)
	}
	pr.status = resp.StatusCode
	return pr
}

func byReference(uri string) url.Values {
	return url.Values{"client_id": {clientID}, "request_uri": {uri}}
}

// TestPARCodeFlow pushes a request (RFC 9126 §2), then completes the code
// flow with /authorize?client_id&request_uri only (§4); parameters in the
// query are ignored, and the request_uri is good for one use.
func TestPARCodeFlow(t *testing.T) {
	srv := start(t, devop.Config{AutoLogin: "alice"})
	p := newPKCE("p")
	pr := push(t, srv, authParams(p, "openid offline_access"))
	if pr.status != http.StatusCreated || !strings.HasPrefix(pr.RequestURI, "urn:ietf:params:oauth:request_uri:") || pr.ExpiresIn != 60 {
		t.Fatalf("PAR: %+v, want 201 with a request_uri URN and expires_in 60", pr)
	}
	if n := srv.Counts()["par"]; n != 1 {
		t.Errorf("Counts()[par] = %d, want 1", n)
	}
	b := newBrowser(t, srv)
	q := byReference(pr.RequestURI)
	q.Set("state", "from-the-query") // ignored (§4)
	q.Set("redirect_uri", "http://evil.example/")
	s := b.authorize(q)
	code := s.response.Get("code")
	if code == "" || s.response.Get("state") != "st-"+p.verifier[:6] || !strings.HasPrefix(s.location, redirectURI) {
		t.Fatalf("authorization response %q, want a code and the pushed state at the pushed redirect URI", s.location)
	}
	if s.response.Get("iss") != srv.Issuer() {
		t.Errorf("iss = %q", s.response.Get("iss"))
	}
	if tr := exchange(t, srv, code, p.verifier); tr.status != http.StatusOK || tr.RefreshToken == "" {
		t.Errorf("code exchange: %d %q", tr.status, tr.Error)
	}
	// Second use: invalid_request_uri at the pushed redirect URI.
	again := b.authorize(byReference(pr.RequestURI))
	if again.response.Get("error") != "invalid_request_uri" || !strings.HasPrefix(again.location, redirectURI) {
		t.Errorf("second use: %d %q, want error=invalid_request_uri at the redirect URI", again.status, again.location)
	}
	// A request_uri never issued, or issued to another client: a page.
	for name, q := range map[string]url.Values{
		"unknown":      byReference("urn:ietf:params:oauth:request_uri:nope"),
		"other client": {"client_id": {"other"}, "request_uri": {pr.RequestURI}},
	} {
		if s := b.authorize(q); s.status != http.StatusBadRequest || s.response != nil {
			t.Errorf("%s request_uri: %d %q, want a 400 page", name, s.status, s.location)
		}
	}
}

func TestPARExpiredRequestURI(t *testing.T) {
	srv := start(t, devop.Config{AutoLogin: "alice", PushedRequestLifetime: 100 * time.Millisecond})
	pr := push(t, srv, authParams(newPKCE("e"), "openid"))
	if pr.status != http.StatusCreated || pr.ExpiresIn != 1 {
		t.Fatalf("PAR: %+v", pr)
	}
	time.Sleep(150 * time.Millisecond)
	s := newBrowser(t, srv).authorize(byReference(pr.RequestURI))
	if s.response.Get("error") != "invalid_request_uri" {
		t.Errorf("expired request_uri: %d %q, want error=invalid_request_uri", s.status, s.location)
	}
}

// TestPARRefusesBadRequests checks the validation of pushed requests
// (RFC 9126 §2.1, §2.3).
func TestPARRefusesBadRequests(t *testing.T) {
	srv := start(t, devop.Config{Clients: []devop.Client{
		{ID: clientID, RedirectURIs: []string{redirectURI}},
		{ID: "conf", Secret: "s3cret", RedirectURIs: []string{redirectURI}},
	}})
	p := newPKCE("v")
	with := func(kv ...string) url.Values {
		v := authParams(p, "openid")
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v
	}
	cases := []struct {
		name   string
		form   url.Values
		status int
		err    string
	}{
		{"request_uri in body", with("request_uri", "urn:ietf:params:oauth:request_uri:x"), 400, "invalid_request"},
		{"no client_id", with("client_id", ""), 401, "invalid_client"},
		{"unknown client", with("client_id", "nobody"), 401, "invalid_client"},
		{"redirect_uri not registered", with("redirect_uri", "http://localhost:8080/other"), 400, "invalid_request"},
		{"no redirect_uri", with("redirect_uri", ""), 400, "invalid_request"},
		{"response_type token", with("response_type", "token"), 400, "unauthorized_client"},
		{"no PKCE for a public client", with("code_challenge", "", "code_challenge_method", ""), 400, "invalid_request"},
		{"plain PKCE", with("code_challenge_method", "plain"), 400, "invalid_request"},
		{"unknown resource", with("resource", "https://unknown.example"), 400, "invalid_target"},
		{"confidential client without secret", with("client_id", "conf"), 401, "invalid_client"},
	}
	for _, c := range cases {
		if pr := push(t, srv, c.form); pr.status != c.status || pr.Error != c.err {
			t.Errorf("%s: %d %q, want %d %q", c.name, pr.status, pr.Error, c.status, c.err)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, srv.Issuer()+"/par", strings.NewReader(with("client_id", "conf", "code_challenge", "", "code_challenge_method", "").Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("conf", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("confidential client with client_secret_basic: %s, want 201", resp.Status)
	}
	resp, err = http.Get(srv.Issuer() + "/par")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /par: %s, want 405", resp.Status)
	}
}

// TestRequirePushedAuthorizationRequests checks RFC 9126 §5.
func TestRequirePushedAuthorizationRequests(t *testing.T) {
	srv := start(t, devop.Config{AutoLogin: "alice", RequirePushedAuthorizationRequests: true})
	b := newBrowser(t, srv)
	p := newPKCE("q")
	s := b.authorize(authParams(p, "openid"))
	if s.response.Get("error") != "invalid_request" || s.response.Get("state") != "st-"+p.verifier[:6] {
		t.Errorf("plain /authorize: %d %q, want error=invalid_request with state at the redirect URI", s.status, s.location)
	}
	bad := authParams(p, "openid", "redirect_uri", "http://evil.example/cb")
	if s := b.authorize(bad); s.status != http.StatusBadRequest || s.response != nil {
		t.Errorf("plain /authorize to an unregistered redirect URI: %d %q, want a 400 page", s.status, s.location)
	}
	pr := push(t, srv, authParams(p, "openid"))
	if s := b.authorize(byReference(pr.RequestURI)); s.response.Get("code") == "" {
		t.Errorf("pushed request: %d %q, want a code", s.status, s.location)
	}
}

// TestPARWithDPoPBindsTheCode checks RFC 9449 §10.1: a DPoP proof at the
// PAR endpoint binds the code to its key.
func TestPARWithDPoPBindsTheCode(t *testing.T) {
	srv := start(t, devop.Config{AutoLogin: "alice"})
	key, other := dpoptest.NewKey(), dpoptest.NewKey()
	p := newPKCE("k")
	if pr := push(t, srv, authParams(p, "openid"), "DPoP", key.Proof("POST", srv.Issuer()+"/oauth/token", "", "")); pr.Error != "invalid_dpop_proof" {
		t.Errorf("PAR with a proof for the token endpoint: %+v, want invalid_dpop_proof", pr)
	}
	pr := push(t, srv, authParams(p, "openid"), "DPoP", key.Proof("POST", srv.Issuer()+"/par", "", ""))
	if pr.status != http.StatusCreated {
		t.Fatalf("PAR with a proof: %+v", pr)
	}
	code := newBrowser(t, srv).authorize(byReference(pr.RequestURI)).response.Get("code")
	tokenURL := srv.Issuer() + "/oauth/token"
	if tr, _ := tokenDPoP(t, srv, codeForm(code, p), other.Proof("POST", tokenURL, "", "")); tr.Error != "invalid_dpop_proof" {
		t.Errorf("exchange with another key: %d %q, want invalid_dpop_proof", tr.status, tr.Error)
	}
	if tr, _ := tokenDPoP(t, srv, codeForm(code, p), key.Proof("POST", tokenURL, "", "")); tr.status != http.StatusOK || tr.TokenType != "DPoP" {
		t.Errorf("exchange with the pushed key: %d %q", tr.status, tr.Error)
	}

	// With nonces on, the PAR endpoint asks for one too (RFC 9449 §8).
	srv.RequireDPoPNonce(true)
	form := authParams(newPKCE("m"), "openid")
	req, _ := http.NewRequest(http.MethodPost, srv.Issuer()+"/par", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("DPoP", key.Proof("POST", srv.Issuer()+"/par", "", ""))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	nonce := resp.Header.Get("DPoP-Nonce")
	if resp.StatusCode != http.StatusBadRequest || nonce == "" || nonce != srv.DPoPNonce() {
		t.Fatalf("PAR proof without nonce: %s DPoP-Nonce %q, want 400 with the nonce", resp.Status, nonce)
	}
	if pr := push(t, srv, form, "DPoP", key.Proof("POST", srv.Issuer()+"/par", "", nonce)); pr.status != http.StatusCreated {
		t.Errorf("PAR retry with the nonce: %+v", pr)
	}
}
