package e2e

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/devop"
	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// tamperChecks are the development provider's answers that fail one check
// of the ID token, and the code the bridge must reject them with.
var tamperChecks = []struct {
	mode devop.FailMode
	code string
}{
	{devop.TamperSignature, "invalid_id_token"},
	{devop.TamperAtHash, "invalid_id_token"},
	{devop.TamperNonce, "nonce_mismatch"},
	{devop.TamperIssuer, "iss_mismatch"},
	{devop.TamperAudience, "invalid_id_token"},
}

// verifyPath is one way a token answer reaches the bridge in the browser.
type verifyPath struct {
	name    string
	refresh bool // sign in with a refresh token first
	nonce   bool // the request carries a nonce
	signIn  bool // the path renews a session: sign in first
	// run starts the flow whose token answer is changed and returns its
	// rejection.
	run func(t *testing.T, tab *e2etest.Tab, p *e2etest.Provider, cfg map[string]any) *e2etest.JSError
}

const verifyResource = "urn:oidcwasm:e2e:verify"

var verifyPaths = []verifyPath{
	{name: "redirect", nonce: true, run: func(t *testing.T, tab *e2etest.Tab, p *e2etest.Provider, cfg map[string]any) *e2etest.JSError {
		tab.Navigate(`oidc.authorize("v")`)
		tab.WaitURL("the callback", func(u *url.URL) bool {
			return strings.HasPrefix(u.String(), env.TestPageURL()) && u.Query().Has("state")
		})
		tab.WaitReady()
		tab.Configure(cfg)
		return tab.Reject(`oidc.checkAuth()`)
	}},
	{name: "popup", nonce: true, run: func(t *testing.T, tab *e2etest.Tab, p *e2etest.Provider, cfg map[string]any) *e2etest.JSError {
		tab.Gesture(`(window.popup = null, oidc.authorizeWithPopUp(null, null, "v").then(
  (result) => { window.popup = { result }; },
  (e) => { window.popup = { error: e2e.error(e) }; }))`)
		tab.WaitFor(`window.popup`)
		out := e2etest.Eval[popupOutcome](tab, `window.popup`)
		if out.Error == nil {
			t.Fatalf("the popup sign-in with a refused answer resolved: %+v", out.Result)
		}
		return out.Error
	}},
	{name: "refresh grant", refresh: true, signIn: true, run: func(t *testing.T, tab *e2etest.Tab, p *e2etest.Provider, cfg map[string]any) *e2etest.JSError {
		return tab.Reject(`oidc.forceRefreshSession("v")`)
	}},
	{name: "iframe", nonce: true, signIn: true, run: func(t *testing.T, tab *e2etest.Tab, p *e2etest.Provider, cfg map[string]any) *e2etest.JSError {
		return tab.Reject(`oidc.forceRefreshSession("v")`)
	}},
	{name: "per-API token by refresh", refresh: true, signIn: true, run: func(t *testing.T, tab *e2etest.Tab, p *e2etest.Provider, cfg map[string]any) *e2etest.JSError {
		return tab.Reject(`oidc.getAccessToken("v", {resource: "` + verifyResource + `"})`)
	}},
	{name: "per-API token by iframe", nonce: true, signIn: true, run: func(t *testing.T, tab *e2etest.Tab, p *e2etest.Provider, cfg map[string]any) *e2etest.JSError {
		return tab.Reject(`oidc.getAccessToken("v", {resource: "` + verifyResource + `"})`)
	}},
}

// TestNoTokenOfARefusedAnswerReachesAnyServer: for every path that receives
// tokens in the browser (redirect and popup sign-in, refresh, iframe, per-API
// tokens by refresh and by iframe) and every check of the answer's ID token
// (signature, at_hash, nonce, iss, aud), the bridge rejects with the check's
// code, and the answer's tokens reach no server: not the provider (userinfo,
// revocation, anything), not the API behind the secure routes, as those
// servers recorded. Verify, then use (README, "Verification").
func TestNoTokenOfARefusedAnswerReachesAnyServer(t *testing.T) {
	t.Parallel()
	echo := env.AppURL() + "/api/verify" // the demo's echo: it records the token it gets
	for _, path := range verifyPaths {
		t.Run(path.name, func(t *testing.T) {
			t.Parallel()
			p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: time.Minute,
				Resources: []devop.Resource{{URI: verifyResource}}})
			scope := "openid profile email"
			if path.refresh {
				scope = refreshScope
			}
			cfg := p.Config("v", map[string]any{"scope": scope, "useRefreshToken": path.refresh, "secureRoutes": []any{
				echo + "/login",
				map[string]any{"url": echo + "/api", "resource": verifyResource},
			}})
			tab := env.NewTab(t)
			logOnFailure(t, p, tab)
			for _, check := range tamperChecks {
				if check.mode == devop.TamperNonce && !path.nonce {
					continue // a refresh answer carries no nonce to compare (OpenID Connect Core §12.2)
				}
				tab.OpenTestPage()
				tab.Configure(cfg)
				tab.CheckAuth()
				if path.signIn {
					if _, res := tab.SignInWith("v", "alice", "alice", cfg); !res["v"].IsAuthenticated {
						t.Fatalf("%s: signing in first: %+v", check.mode, res["v"])
					}
				}
				if err := p.FailNextToken(1, check.mode); err != nil {
					t.Fatal(err)
				}
				logAt := len(p.Log())
				tampered := len(p.Tampered())
				err := path.run(t, tab, p, cfg)
				issued := p.Tampered()[tampered:]
				if len(issued) == 0 {
					t.Fatalf("%s: the provider changed no answer: the flow asked no token", check.mode)
				}
				if err.Code != check.code {
					t.Errorf("%s: rejected with %v, want %s", check.mode, err, check.code)
				}
				// The app goes on calling its APIs (signed out, they reject).
				for _, u := range []string{echo + "/login/x", echo + "/api/x"} {
					tab.Try(`oidc.fetch(` + e2etest.MustJSON(u) + `).then((r) => r.status)`)
				}
				for _, x := range since(p, logAt) {
					for _, fp := range x.Tokens {
						if slices.Contains(issued, fp) {
							t.Errorf("%s: %s received a token of the refused answer", check.mode, x.Path)
						}
					}
				}
				for _, r := range env.Demo.Requests() {
					if slices.Contains(issued, r.Fingerprint) {
						t.Errorf("%s: the API at %s received a token of the refused answer", check.mode, r.URL)
					}
				}
				if got, _ := tab.Try(`oidc.getAccessToken("v")`); got != nil && slices.Contains(issued, devop.Fingerprint(strings.Trim(string(got), `"`))) {
					t.Errorf("%s: getAccessToken gives a token of the refused answer", check.mode)
				}
				tab.Try(`oidc.logoffLocal("v")`)
			}
		})
	}
}
