package demo

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeStatic makes a static/ folder with the files Start and the tests
// need, so these tests do not depend on `make build`.
func fakeStatic(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"oidc/oidc.wasm":    "\x00asm\x01\x00\x00\x00",
		"oidc/oidc.js":      "/* loader */",
		"bridge/index.html": "<!doctype html><title>bridge</title>",
		"bridge/bridge.css": "body{}",
		"empty/.keep":       "",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// startDemo runs a demo on free ports with auto-login for the test.
func startDemo(t *testing.T, cfg Config) *Demo {
	t.Helper()
	if cfg.StaticDir == "" {
		cfg.StaticDir = fakeStatic(t)
	}
	if cfg.AutoLogin == "" && cfg.Issuer == "" {
		cfg.AutoLogin = "alice"
	}
	d, err := Start(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// signIn runs the authorization code flow with PKCE over plain HTTP, as
// the bridge would, with the provider's auto-login, and returns the token
// response's access token.
func signIn(t *testing.T, issuer, clientID, redirectURI, scope string) string {
	t.Helper()
	return signInWith(t, issuer, clientID, redirectURI, scope, "")
}

// signInWith is signIn with a DPoP proof (RFC 9449 §5) at the token
// endpoint when proof is not "".
func signInWith(t *testing.T, issuer, clientID, redirectURI, scope, proof string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if !strings.HasPrefix(r.URL.String(), issuer+"/") {
			return http.ErrUseLastResponse // the authorization response: stop at the app
		}
		return nil
	}}
	verifier := strings.Repeat("v", 43)
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"client_id": {clientID}, "redirect_uri": {redirectURI}, "response_type": {"code"},
		"scope": {scope}, "state": {"state-1"}, "nonce": {"nonce-1"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	resp, err := client.Get(issuer + "/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorization response: status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	form := url.Values{
		"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {redirectURI},
		"client_id": {clientID}, "code_verifier": {verifier}}
	req, _ := http.NewRequest(http.MethodPost, issuer+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || resp.StatusCode != http.StatusOK || tr.AccessToken == "" {
		t.Fatalf("token response: status %d, err %v", resp.StatusCode, err)
	}
	return tr.AccessToken
}

// call sends a request with optional headers (name, value pairs) and
// returns the status, the response headers and the decoded APIResponse.
func call(t *testing.T, method, u string, headers ...string) (int, http.Header, APIResponse) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var r APIResponse
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatalf("%s %s: body %q: %v", method, u, body, err)
		}
	}
	return resp.StatusCode, resp.Header, r
}

func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}
