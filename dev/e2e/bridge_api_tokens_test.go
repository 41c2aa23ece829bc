package e2e

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/demo"
	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// apiC is API C's resource indicator: it takes only tokens with this aud
// and scope demo.APICScope.
func apiC() string { return env.Demo.APIURL() + demo.APICPath }

// fetchSeen sends expr (a promise of a Response) from the tab and returns
// what the servers saw: exactly one request, or the test fails.
func fetchSeen(t *testing.T, tab *e2etest.Tab, expr string) demo.Request {
	t.Helper()
	env.Demo.ResetRequests()
	e2etest.Eval[int](tab, expr+`.then(r => r.status)`)
	seen := env.Demo.Requests()
	if len(seen) != 1 {
		t.Fatalf("%s: the servers saw %d requests, want 1: %+v", expr, len(seen), seen)
	}
	return seen[0]
}

func fetchURL(u string) string { return `oidc.fetch(` + e2etest.MustJSON(u) + `)` }

// TestTwoAPIsOfOneConfigGetTokensOfTheirOwnAudience: one sign-in; API A
// (the login token's route) and API C (an entry with resource and scope) each
// receive a token their own audience check accepts, and getAccessToken with
// the entry's options returns the token C got. After a reload C's token comes
// from the session, without a token request; after logoffAndRevokeTokens it
// is refused by C and no request gets one.
func TestTwoAPIsOfOneConfigGetTokensOfTheirOwnAudience(t *testing.T) {
	tab := env.NewTab(t)
	tab.OpenTestPage()
	tab.Configure()
	if _, res := tab.SignIn("a", "alice", "alice"); !res["a"].IsAuthenticated {
		t.Fatalf("sign-in: %+v", res["a"])
	}
	a := fetchSeen(t, tab, fetchURL(env.Target(demo.TargetAPIA)))
	c := fetchSeen(t, tab, fetchURL(env.Target(demo.TargetAPIC)))
	if a.Authorization != demo.AuthValid || !slices.Contains(a.Audience, demo.ClientA) {
		t.Errorf("API A saw %s (aud %v): %s", a.Authorization, a.Audience, a.Reason)
	}
	if c.Authorization != demo.AuthValid || !slices.Equal(c.Audience, []string{apiC()}) || !slices.Contains(strings.Fields(c.Scope), demo.APICScope) {
		t.Fatalf("API C saw %s (aud %v, scope %q): %s", c.Authorization, c.Audience, c.Scope, c.Reason)
	}
	if a.Fingerprint == c.Fingerprint {
		t.Error("both APIs got the same token")
	}
	opts := `{resource: ` + e2etest.MustJSON(apiC()) + `, scope: "` + demo.APICScope + `"}`
	tokC := e2etest.Eval[string](tab, `oidc.getAccessToken("a", `+opts+`)`)
	if demo.Fingerprint(tokC) != c.Fingerprint {
		t.Error("getAccessToken with the entry's options is not the token API C got")
	}
	if login := e2etest.Eval[string](tab, `oidc.getAccessToken("a")`); demo.Fingerprint(login) != a.Fingerprint {
		t.Error("getAccessToken without options is not the login token")
	}

	refreshes := env.A.Counts()["token"]
	tab.Reload()
	tab.WaitReady()
	tab.Configure()
	tab.CheckAuth()
	if again := fetchSeen(t, tab, fetchURL(env.Target(demo.TargetAPIC))); again.Fingerprint != c.Fingerprint || again.Authorization != demo.AuthValid {
		t.Errorf("after a reload API C saw %s #%s, want the stored token #%s", again.Authorization, again.Fingerprint, c.Fingerprint)
	}
	if n := env.A.Counts()["token"] - refreshes; n != 0 {
		t.Errorf("%d token requests after the reload, want none (the token is in the session)", n)
	}

	tab.Navigate(`oidc.logoffAndRevokeTokens("a", {})`)
	tab.WaitURL("the post-logout redirect", func(u *url.URL) bool {
		return strings.HasPrefix(u.String(), env.TestPageURL())
	})
	tab.WaitReady()
	tab.Configure()
	tab.CheckAuth()
	replay := fetchSeen(t, tab, `fetch(`+e2etest.MustJSON(env.Target(demo.TargetAPIC))+`, {headers: {Authorization: "Bearer " + `+e2etest.MustJSON(tokC)+`}})`)
	if replay.Authorization != demo.AuthInvalid {
		t.Errorf("API C accepted the per-API token after logoffAndRevokeTokens: %s", replay.Authorization)
	}
	env.Demo.ResetRequests()
	if e := tab.Reject(fetchURL(env.Target(demo.TargetAPIC))); e.Code != "login_required" {
		t.Errorf("oidc.fetch to API C after logoff: %+v, want login_required", e)
	}
	if e := tab.Reject(`oidc.getAccessToken("a", ` + opts + `)`); e.Code != "login_required" {
		t.Errorf("getAccessToken with options after logoff: %+v, want login_required", e)
	}
	if seen := env.Demo.Requests(); len(seen) != 0 {
		t.Errorf("requests went out after logoff: %+v", seen)
	}
}

// TestResourceEntriesWithMethodsAndAnonymous: an entry's methods decide
// which requests get its API's token, and an anonymous entry's requests go
// without one while signed out (a non-anonymous entry's are refused and
// never sent), as the servers saw them.
func TestResourceEntriesWithMethodsAndAnonymous(t *testing.T) {
	tab := env.NewTab(t)
	tab.OpenTestPage()
	c := env.Target(demo.TargetAPIC)
	configs := configsWithRoutes(t, map[string][]any{"a": {
		env.AppURL() + "/api",
		map[string]any{"url": c + "write", "methods": []string{"POST"}, "resource": apiC(), "scope": demo.APICScope},
		map[string]any{"url": c + "public", "resource": apiC(), "scope": demo.APICScope, "anonymous": true},
	}})
	tab.Configure(configs...)
	tab.CheckAuth()

	if got := fetchSeen(t, tab, fetchURL(c+"public/menu")); got.Authorization != demo.AuthNone {
		t.Errorf("anonymous entry, signed out: API C saw %s, want no token", got.Authorization)
	}
	env.Demo.ResetRequests()
	if e := tab.Reject(`oidc.fetch(` + e2etest.MustJSON(c+"write/1") + `, {method: "POST"})`); e.Code != "login_required" {
		t.Errorf("entry without anonymous, signed out: %+v, want login_required", e)
	}
	if seen := env.Demo.Requests(); len(seen) != 0 {
		t.Errorf("a request went out without a session: %+v", seen)
	}

	if _, res := tab.SignInWith("a", "alice", "alice", maps(configs)...); !res["a"].IsAuthenticated {
		t.Fatalf("sign-in: %+v", res["a"])
	}
	post := fetchSeen(t, tab, `oidc.fetch(`+e2etest.MustJSON(c+"write/1")+`, {method: "POST"})`)
	if post.Authorization != demo.AuthValid || !slices.Equal(post.Audience, []string{apiC()}) {
		t.Errorf("POST on the POST entry: API C saw %s (aud %v): %s", post.Authorization, post.Audience, post.Reason)
	}
	if get := fetchSeen(t, tab, fetchURL(c+"write/1")); get.Authorization != demo.AuthNone {
		t.Errorf("GET where the entry lists POST only: API C saw %s, want no token", get.Authorization)
	}
	if pub := fetchSeen(t, tab, fetchURL(c+"public/menu")); pub.Authorization != demo.AuthValid || pub.Fingerprint != post.Fingerprint {
		t.Errorf("anonymous entry, signed in: API C saw %s #%s, want the same API C token #%s", pub.Authorization, pub.Fingerprint, post.Fingerprint)
	}
}

// TestAPITokenByIframeForAConfigWithoutRefreshToken: prompt=none in the
// hidden iframe with the entry's resource, then the code exchange with it;
// API C accepts the token, and the login token is left as it was.
func TestAPITokenByIframeForAConfigWithoutRefreshToken(t *testing.T) {
	tab := env.NewTab(t)
	tab.OpenTestPage()
	configs := configsWithRoutes(t, map[string][]any{"a": {
		env.AppURL() + "/api",
		map[string]any{"url": apiC(), "resource": apiC(), "scope": demo.APICScope},
	}})
	all := maps(configs)
	all[0]["scope"] = "openid profile email " + demo.APICScope // no offline_access: no refresh token
	all[0]["useRefreshToken"] = false
	tab.Configure(anys(all)...)
	if _, res := tab.SignInWith("a", "alice", "alice", all...); !res["a"].IsAuthenticated {
		t.Fatalf("sign-in: %+v", res["a"])
	}
	login := e2etest.Eval[string](tab, `oidc.getAccessToken("a")`)
	before := env.A.Counts()
	e2etest.Eval[any](tab, `(() => { window.__events = []; oidc.addEventListener("tokenRefreshed", e => window.__events.push(e.detail)); return null; })()`)
	c := fetchSeen(t, tab, fetchURL(env.Target(demo.TargetAPIC)))
	if c.Authorization != demo.AuthValid || !slices.Equal(c.Audience, []string{apiC()}) {
		t.Fatalf("API C saw %s (aud %v): %s", c.Authorization, c.Audience, c.Reason)
	}
	after := env.A.Counts()
	if after["authorize"]-before["authorize"] != 1 || after["token"]-before["token"] != 1 {
		t.Errorf("provider counts before %v after %v: want one silent authorization and one code exchange", before, after)
	}
	if now := e2etest.Eval[string](tab, `oidc.getAccessToken("a")`); now != login {
		t.Error("the login token changed")
	}
	if got := e2etest.Eval[[]map[string]any](tab, `window.__events`); len(got) != 1 || got[0]["resource"] != apiC() {
		t.Errorf("tokenRefreshed details %v, want one naming the resource", got)
	}
}

// maps is configsWithRoutes' answer as SignInWith takes it.
func maps(cs []any) []map[string]any {
	out := make([]map[string]any, len(cs))
	for i, c := range cs {
		out[i] = c.(map[string]any)
	}
	return out
}

func anys(ms []map[string]any) []any {
	out := make([]any, len(ms))
	for i, m := range ms {
		out[i] = m
	}
	return out
}
