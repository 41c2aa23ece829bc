package demo

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite static/demo.json from the default-port settings")

// TestStaticDemoJSONIsTheDefaultPortSettings keeps the static template in
// the repository equal to what the demo serves on its default ports.
func TestStaticDemoJSONIsTheDefaultPortSettings(t *testing.T) {
	want := newSettings(origins{
		app: fmt.Sprintf("http://localhost:%d", DefaultAppPort), appIP: fmt.Sprintf("http://127.0.0.1:%d", DefaultAppPort),
		api:       fmt.Sprintf("http://localhost:%d", DefaultAPIPort),
		providerA: fmt.Sprintf("http://localhost:%d", DefaultProviderAPort),
		providerB: fmt.Sprintf("http://localhost:%d", DefaultProviderBPort),
		clientA:   ClientA, users: []string{"alice/alice", "bob/bob"},
	}).JSON()
	path := filepath.Join("..", "..", "static", "demo.json")
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("static/demo.json differs from the default-port settings; run: go test ./demo -run StaticDemoJSON -update\n got: %s\nwant: %s", got, want)
	}
}

func TestDemoJSONNamesThePortsInUse(t *testing.T) {
	d := startDemo(t, Config{})
	resp, body := get(t, d.AppURL()+"/demo.json")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /demo.json: %s, Content-Type %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	if body != string(d.Settings().JSON()) {
		t.Errorf("/demo.json is not Settings().JSON():\n%s", body)
	}
	s := d.Settings()
	if len(s.Bridge.Configs) != 2 || len(s.GoApp.Configs) != 2 {
		t.Fatalf("want two configs per page, got %+v", s)
	}
	a, b := s.Bridge.Configs[0], s.Bridge.Configs[1]
	checks := []struct{ name, got, want string }{
		{"a.authority", a.Authority, d.ProviderA().Issuer()},
		{"b.authority", b.Authority, d.ProviderB().Issuer()},
		{"a.redirectUrl", a.RedirectURL, d.AppURL() + "/bridge/"},
		{"goapp a.redirectUrl", s.GoApp.Configs[0].RedirectURL, d.AppURL() + "/"},
		{"a.secureRoutes", fmt.Sprint(a.SecureRoutes...), fmt.Sprint(d.AppURL()+"/api", RouteEntry{URL: d.APIURL() + APICPath, Resource: d.APIURL() + APICPath, Scope: APICScope})},
		{"b.secureRoutes", fmt.Sprint(b.SecureRoutes...), d.APIURL() + "/api/b"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !a.UseRefreshToken || !strings.Contains(a.Scope, "offline_access") || b.UseRefreshToken {
		t.Errorf("want a to renew by refresh token and b by iframe; got a %+v, b %+v", a, b)
	}
}

func TestStaticServerServesWasmForStreamingAndNeverStale(t *testing.T) {
	d := startDemo(t, Config{})
	resp, _ := get(t, d.AppURL()+"/oidc/oidc.wasm")
	if ct := resp.Header.Get("Content-Type"); ct != "application/wasm" {
		t.Errorf("oidc.wasm Content-Type %q, want application/wasm", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("oidc.wasm Cache-Control %q, want no-cache", cc)
	}
	if resp, _ := get(t, d.AppURL()+"/empty/"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("folder without index.html: %s, want 404 (no listings)", resp.Status)
	}
	if resp, body := get(t, d.AppURL()+"/bridge/"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "<title>bridge") {
		t.Errorf("/bridge/: %s %q", resp.Status, body)
	}
	if resp, body := get(t, d.AppURL()+"/"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `href="/bridge/"`) {
		t.Errorf("/ without the go-app build: %s, want the landing page linking the bridge demo", resp.Status)
	}
	resp, body := get(t, d.AppURL()+"/silent-refresh.html")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'self'") ||
		!strings.Contains(body, "postMessage") {
		t.Errorf("/silent-refresh.html: %s, CSP %q", resp.Status, resp.Header.Get("Content-Security-Policy"))
	}
}

func TestGoAppIndexReplacesTheLandingPage(t *testing.T) {
	dir := fakeStatic(t)
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("<title>go-app</title>"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDemo(t, Config{StaticDir: dir})
	if _, body := get(t, d.AppURL()+"/"); !strings.Contains(body, "go-app") {
		t.Errorf("/ = %q, want static/index.html", body)
	}
}

func TestSampleAPIsCheckSignatureIssuerAudienceAndRevocation(t *testing.T) {
	d := startDemo(t, Config{})
	s := d.Settings()
	a, b := s.Bridge.Configs[0], s.Bridge.Configs[1]
	tokA := signIn(t, a.Authority, a.ClientID, a.RedirectURL, a.Scope)
	tokB := signIn(t, b.Authority, b.ClientID, b.RedirectURL, b.Scope)
	apiA, _ := s.Target(TargetAPIA)
	apiB, _ := s.Target(TargetAPIB)

	tests := []struct {
		name      string
		url       string
		header    []string
		status    int
		auth      string
		challenge string // WWW-Authenticate must contain this; "" means no header
		reason    string
	}{
		{"no token", apiA.URL, nil, 401, AuthNone, `Bearer realm="api-a"`, "no Authorization header"},
		{"A's token at A", apiA.URL, []string{"Authorization", "Bearer " + tokA}, 200, AuthValid, "", ""},
		{"B's token at B", apiB.URL, []string{"Authorization", "Bearer " + tokB}, 200, AuthValid, "", ""},
		{"B's token at A", apiA.URL, []string{"Authorization", "Bearer " + tokB}, 401, AuthInvalid, `error="invalid_token"`, "does not publish"},
		{"A's token at B", apiB.URL, []string{"Authorization", "Bearer " + tokA}, 401, AuthInvalid, `error="invalid_token"`, "does not publish"},
		{"not a JWT", apiA.URL, []string{"Authorization", "Bearer not-a-jwt"}, 401, AuthInvalid, `error="invalid_token"`, "not a signed JWT"},
		{"tampered", apiA.URL, []string{"Authorization", "Bearer " + tokA[:len(tokA)-4] + "AAAA"}, 401, AuthInvalid, `error="invalid_token"`, "signature"},
		{"Basic scheme", apiA.URL, []string{"Authorization", "Basic " + tokA}, 401, AuthInvalid, `error="invalid_token"`, "not a Bearer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, r := call(t, "GET", tt.url, tt.header...)
			if status != tt.status || r.Authorization != tt.auth || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("status %d authorization %q reason %q; want %d %q %q", status, r.Authorization, r.Reason, tt.status, tt.auth, tt.reason)
			}
			if got := h.Get("WWW-Authenticate"); (tt.challenge == "") != (got == "") || !strings.Contains(got, tt.challenge) {
				t.Errorf("WWW-Authenticate %q, want one containing %q", got, tt.challenge)
			}
			if tt.status == 401 && tt.auth == AuthNone && strings.Contains(h.Get("WWW-Authenticate"), "error=") {
				t.Errorf("a request without a token must get a challenge without an error code (RFC 6750 §3.1)")
			}
		})
	}
	_, _, r := call(t, "GET", apiA.URL, "Authorization", "Bearer "+tokA)
	if r.Subject != "user-alice" || !slices.Contains(r.Audience, ClientA) || r.Issuer != a.Authority || r.Fingerprint != Fingerprint(tokA) {
		t.Errorf("valid answer %+v: want sub user-alice, aud %s, iss %s and the token's fingerprint", r, ClientA, a.Authority)
	}
	if strings.Contains(fmt.Sprint(r), tokA) {
		t.Error("the answer holds the token")
	}

	// A revoked JWT still verifies; the API asks the provider.
	resp, err := http.PostForm(a.Authority+"/revoke", url.Values{"token": {tokA}, "token_type_hint": {"access_token"}, "client_id": {a.ClientID}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("revoke: %v %v", err, resp.Status)
	}
	resp.Body.Close()
	status, h, r := call(t, "GET", apiA.URL, "Authorization", "Bearer "+tokA)
	if status != 401 || r.Authorization != AuthInvalid || !strings.Contains(r.Reason, "revoked") || !strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("revoked token: %d %+v", status, r)
	}
}

func TestVerifierRefusesAnExpiredToken(t *testing.T) {
	d := startDemo(t, Config{})
	a := d.Settings().Bridge.Configs[0]
	tok := signIn(t, a.Authority, a.ClientID, a.RedirectURL, a.Scope)
	v := &verifier{issuer: a.Authority, audience: ClientA, http: http.DefaultClient,
		now: func() time.Time { return time.Now().Add(2 * time.Hour) }}
	_, err := v.verify(t.Context(), tok)
	var rej *errRejected
	if !errors.As(err, &rej) || !strings.Contains(rej.reason, "expired") {
		t.Errorf("verify two hours later: %v, want expired", err)
	}
	v.now, v.audience = time.Now, "someone-else"
	if _, err := v.verify(t.Context(), tok); !errors.As(err, &rej) || !strings.Contains(rej.reason, "audience") {
		t.Errorf("verify for another audience: %v, want an audience error", err)
	}
}

// TestSampleAPIFollowsAKeyRotation checks that a token signed with the
// provider's new key verifies right after a rotation, although the API has
// cached the JWKS (the unknown kid makes it refetch), and that one signed
// with the old key still verifies while the provider publishes it.
func TestSampleAPIFollowsAKeyRotation(t *testing.T) {
	d := startDemo(t, Config{})
	a := d.Settings().Bridge.Configs[0]
	apiA, _ := d.Settings().Target(TargetAPIA)
	old := signIn(t, a.Authority, a.ClientID, a.RedirectURL, a.Scope)
	if status, _, r := call(t, "GET", apiA.URL, "Authorization", "Bearer "+old); status != http.StatusOK {
		t.Fatalf("before the rotation: %d %q", status, r.Reason)
	}
	if err := d.ProviderA().RotateKey(); err != nil {
		t.Fatal(err)
	}
	fresh := signIn(t, a.Authority, a.ClientID, a.RedirectURL, a.Scope)
	if oldHeader, _, _ := strings.Cut(old, "."); strings.HasPrefix(fresh, oldHeader+".") {
		t.Fatal("the token after the rotation has the same JWS header (kid) as the one before")
	}
	for name, tok := range map[string]string{"new key": fresh, "old key": old} {
		if status, _, r := call(t, "GET", apiA.URL, "Authorization", "Bearer "+tok); status != http.StatusOK || r.Authorization != AuthValid {
			t.Errorf("%s after the rotation: %d %q, want 200", name, status, r.Reason)
		}
	}
}

// TestVerifierTellsAnUnreachableJWKSFromABadToken checks that when the
// provider's JWKS cannot be fetched, verify says the provider could not be
// asked (the API answers 503), not that the token is bad (401).
func TestVerifierTellsAnUnreachableJWKSFromABadToken(t *testing.T) {
	d := startDemo(t, Config{})
	a := d.Settings().Bridge.Configs[0]
	tok := signIn(t, a.Authority, a.ClientID, a.RedirectURL, a.Scope)
	var issuer string
	op := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"issuer": issuer, "jwks_uri": issuer + "/jwks"})
	}))
	defer op.Close()
	issuer = op.URL
	v := &verifier{issuer: issuer, audience: ClientA, http: op.Client(), now: time.Now}
	_, err := v.verify(t.Context(), tok)
	var rej *errRejected
	if err == nil || errors.As(err, &rej) || !strings.Contains(err.Error(), "JWKS") {
		t.Errorf("verify with the JWKS answering 404: %v, want an error that is not a rejection", err)
	}
}

func TestRejectNextRefusesThatManyRequests(t *testing.T) {
	d := startDemo(t, Config{})
	a := d.Settings().Bridge.Configs[0]
	tok := signIn(t, a.Authority, a.ClientID, a.RedirectURL, a.Scope)
	apiA, _ := d.Settings().Target(TargetAPIA)
	if err := d.RejectNext("A", 1); err != nil {
		t.Fatal(err)
	}
	var got []int
	for range 2 {
		status, _, _ := call(t, "GET", apiA.URL, "Authorization", "Bearer "+tok)
		got = append(got, status)
	}
	if !slices.Equal(got, []int{401, 200}) {
		t.Errorf("statuses %v, want [401 200]", got)
	}
	if err := d.RejectNext("D", 1); err == nil {
		t.Error("RejectNext(D) accepted")
	}
}

func TestLookAlikesEchoWhetherATokenArrived(t *testing.T) {
	d := startDemo(t, Config{})
	d.ResetRequests()
	for _, id := range []string{TargetUnlisted, TargetSibling, TargetIPHost, TargetOtherPort} {
		target, ok := d.Settings().Target(id)
		if !ok {
			t.Fatalf("no target %s", id)
		}
		if target.ConfigID != "" {
			t.Errorf("%s: configId %q, want none", id, target.ConfigID)
		}
		_, _, r := call(t, "GET", target.URL)
		if r.Authorization != AuthNone {
			t.Errorf("%s without a header: authorization %q", id, r.Authorization)
		}
		_, _, r = call(t, "GET", target.URL, "Authorization", "Bearer leaked")
		want := AuthPresent
		if id == TargetIPHost { // the same server: API A itself
			want = AuthInvalid
		}
		if r.Authorization != want || r.Fingerprint != Fingerprint("leaked") {
			t.Errorf("%s with a header: %+v, want authorization %q and the fingerprint", id, r, want)
		}
	}
	if n := len(d.Requests()); n != 8 {
		t.Errorf("Requests() has %d entries, want 8", n)
	}
}

func TestCORSAllowsTheAppOriginOnly(t *testing.T) {
	d := startDemo(t, Config{})
	apiB, _ := d.Settings().Target(TargetAPIB)
	for _, tt := range []struct {
		origin string
		status int
		allow  string
	}{
		{d.AppURL(), http.StatusNoContent, d.AppURL()},
		{"http://evil.localhost:1", http.StatusForbidden, ""},
	} {
		status, h, _ := call(t, "OPTIONS", apiB.URL, "Origin", tt.origin,
			"Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "authorization,dpop")
		if status != tt.status || h.Get("Access-Control-Allow-Origin") != tt.allow {
			t.Errorf("preflight from %s: %d, allow-origin %q; want %d %q", tt.origin, status, h.Get("Access-Control-Allow-Origin"), tt.status, tt.allow)
		}
		if tt.allow != "" && !strings.EqualFold(h.Get("Access-Control-Allow-Headers"), "authorization,dpop") {
			t.Errorf("preflight allows headers %q, want Authorization and DPoP", h.Get("Access-Control-Allow-Headers"))
		}
	}
	_, h, _ := call(t, "GET", apiB.URL, "Origin", d.AppURL())
	if h.Get("Access-Control-Expose-Headers") != "WWW-Authenticate, DPoP-Nonce" {
		t.Errorf("expose headers %q, want WWW-Authenticate and DPoP-Nonce", h.Get("Access-Control-Expose-Headers"))
	}
}

func TestStartReportsAPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	taken := ln.Addr().(*net.TCPAddr).Port
	for _, tt := range []struct {
		name string
		cfg  Config
	}{
		{"app", Config{AppPort: taken}},
		{"api", Config{APIPort: taken}},
		{"provider-a", Config{ProviderAPort: taken}},
		{"provider-b", Config{ProviderBPort: taken}},
	} {
		tt.cfg.StaticDir = fakeStatic(t)
		_, err := Start(t.Context(), tt.cfg)
		var pe *PortError
		if !errors.As(err, &pe) || pe.Name != tt.name || pe.Port != taken || !pe.InUse() {
			t.Errorf("%s port taken: %v, want a PortError in use", tt.name, err)
		}
	}
}

func TestExternalProviderReplacesTheBundledOnes(t *testing.T) {
	d := startDemo(t, Config{Issuer: "https://login.example.com/", ClientID: "my-spa"})
	if d.ProviderA() != nil || d.ProviderB() != nil {
		t.Error("bundled providers started with an external issuer")
	}
	s := d.Settings()
	if len(s.Bridge.Configs) != 1 || s.Bridge.Configs[0].Authority != "https://login.example.com" || s.Bridge.Configs[0].ClientID != "my-spa" {
		t.Errorf("configs %+v, want one for the external provider", s.Bridge.Configs)
	}
	if _, ok := s.Target(TargetAPIB); ok {
		t.Error("API B listed without provider B")
	}
	if !slices.Contains(d.RedirectURIs(), d.AppURL()+"/silent-refresh.html") {
		t.Errorf("RedirectURIs %v lack silent-refresh.html", d.RedirectURIs())
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "StaticDir"},
		{Config{StaticDir: t.TempDir()}, "make build"},
		{Config{StaticDir: fakeStatic(t), Issuer: "https://x.example"}, "ClientID"},
		{Config{StaticDir: fakeStatic(t), AppPort: 70000}, "AppPort"},
		{Config{StaticDir: fakeStatic(t), RedirectPaths: []string{"e2e"}}, "RedirectPaths"},
		{Config{StaticDir: fakeStatic(t), Mount: map[string]http.Handler{"/api/x": http.NotFoundHandler()}}, "Mount"},
	} {
		_, err := Start(t.Context(), tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Start(%+v) = %v, want an error naming %s", tt.cfg, err, tt.want)
		}
	}
}
