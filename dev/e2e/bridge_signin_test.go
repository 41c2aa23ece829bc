package e2e

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/e2etest"
	"github.com/oidcwasm/oidcwasm/dev/internal/engine"
)

// signInBoth opens the test page and signs in to a and b with the
// providers' auto-login; it returns each config's access token.
func signInBoth(t *testing.T, tab *e2etest.Tab) (tokA, tokB string) {
	t.Helper()
	tab.OpenTestPage()
	tab.Configure()
	for _, id := range []string{"a", "b"} {
		if _, res := tab.SignIn(id, "alice", "alice"); !res[id].IsAuthenticated {
			t.Fatalf("sign-in to %s: %+v", id, res[id])
		}
	}
	return e2etest.Eval[string](tab, `oidc.getAccessToken("a")`), e2etest.Eval[string](tab, `oidc.getAccessToken("b")`)
}

func TestSignInToTwoProvidersThroughTheLoginFormGivesEachConfigItsOwnTokens(t *testing.T) {
	env.SetAutoLogin(t, "")
	tab := env.NewTab(t)
	tab.OpenTestPage()
	tab.Configure()

	users := map[string]struct{ user, sub, name string }{
		"a": {"alice", "user-alice", "Alice Liddell"},
		"b": {"bob", "user-bob", "Bob Builder"},
	}
	for _, id := range []string{"a", "b"} {
		u := users[id]
		callback, res := tab.SignIn(id, u.user, u.user)
		// The provider sent code, state and iss (RFC 9207) back...
		if q := mustQuery(t, callback); !q.Has("code") || !q.Has("state") || !q.Has("iss") {
			t.Fatalf("%s: callback %q lacks code, state or iss", id, redact(callback))
		}
		// ...and checkAuth took them out of the address bar and the history entry.
		if loc := tab.Location(); loc != env.TestPageURL() {
			t.Errorf("%s: after checkAuth location.href = %q, want %q", id, redact(loc), env.TestPageURL())
		}
		if got := res[id]; !got.IsAuthenticated || got.UserData["sub"] != u.sub || got.UserData["name"] != u.name || got.ErrorMessage != nil {
			t.Errorf("%s: checkAuth = %+v, want %s signed in", id, got, u.sub)
		}
	}
	// Only the DevTools protocol lists history entries (README.md, "Browser
	// support"); elsewhere the address bar above is what is checked.
	if env.Supports(engine.CapHistory) {
		for _, e := range tab.History() {
			if q := mustQuery(t, e); q.Has("code") || q.Has("state") {
				t.Errorf("history entry %q still holds the authorization response", redact(e))
			}
		}
	} else {
		t.Logf("history entries not checked: %s has no %s", env.Engine(), engine.CapHistory)
	}
	cfgs := env.Configs()
	for i, id := range []string{"a", "b"} {
		tok := e2etest.Eval[string](tab, `oidc.getAccessToken(`+e2etest.MustJSON(id)+`)`)
		c := e2etest.Claims(t, tok)
		if c["iss"] != cfgs[i].Authority || !slices.Contains(e2etest.Audience(c), cfgs[i].ClientID) || c["sub"] != users[id].sub {
			t.Errorf("%s's access token: iss %v aud %v sub %v; want iss %s, aud %s, sub %s",
				id, c["iss"], c["aud"], c["sub"], cfgs[i].Authority, cfgs[i].ClientID, users[id].sub)
		}
		idc := e2etest.Claims(t, e2etest.Eval[string](tab, `oidc.getIdToken(`+e2etest.MustJSON(id)+`)`))
		if idc["iss"] != cfgs[i].Authority || !slices.Contains(e2etest.Audience(idc), cfgs[i].ClientID) {
			t.Errorf("%s's ID token: iss %v aud %v", id, idc["iss"], idc["aud"])
		}
		if !e2etest.Eval[bool](tab, `oidc.isAuthenticated(`+e2etest.MustJSON(id)+`)`) {
			t.Errorf("isAuthenticated(%s) = false", id)
		}
		if u := e2etest.Eval[map[string]any](tab, `oidc.getUserData(`+e2etest.MustJSON(id)+`)`); u["email"] == nil {
			t.Errorf("getUserData(%s) = %v, want the userinfo claims (email)", id, u)
		}
	}
	// Without a configId a method means the first config.
	if tok, tokA := e2etest.Eval[string](tab, `oidc.getAccessToken()`), e2etest.Eval[string](tab, `oidc.getAccessToken("a")`); tok != tokA {
		t.Error("getAccessToken() is not the first config's token")
	}
}

func TestReloadRestoresBothSessionsFromSessionStorage(t *testing.T) {
	tab := env.NewTab(t)
	tokA, tokB := signInBoth(t, tab)
	before := tokenRequests()

	tab.Open(env.TestPageURL())
	tab.WaitReady()
	tab.Configure()
	res := tab.CheckAuth()
	for _, id := range []string{"a", "b"} {
		if !res[id].IsAuthenticated || res[id].UserData["sub"] != "user-alice" {
			t.Errorf("after reload, %s: %+v", id, res[id])
		}
	}
	if got := e2etest.Eval[string](tab, `oidc.getAccessToken("a")`); got != tokA {
		t.Error("a's access token changed over the reload")
	}
	if got := e2etest.Eval[string](tab, `oidc.getAccessToken("b")`); got != tokB {
		t.Error("b's access token changed over the reload")
	}
	if after := tokenRequests(); after != before {
		t.Errorf("the restore sent %d token requests, want none", after-before)
	}
	if n := e2etest.Eval[int](tab, `Object.keys(sessionStorage).length`); n == 0 {
		t.Error("nothing in sessionStorage")
	}
	var restored []string
	for _, ev := range tab.Events() {
		if ev.Type == "authenticated" && ev.Detail["restored"] == true {
			restored = append(restored, ev.Detail["configId"].(string))
		}
	}
	if !slices.Equal(restored, []string{"a", "b"}) {
		t.Errorf("authenticated events with restored: true for %v, want [a b]", restored)
	}
}

func TestLogoffEndsThatConfigsSessionAtTheProviderAndComesBackSignedOut(t *testing.T) {
	tab := env.NewTab(t)
	signInBoth(t, tab)
	endSessions := env.A.Counts()["end_session"]
	// Events of the page that navigates away are kept in sessionStorage.
	e2etest.Eval[any](tab, `oidc.addEventListener("loggedOut", (ev) => sessionStorage.setItem("e2e:loggedOut", JSON.stringify(ev.detail)))`)

	tab.Navigate(`oidc.logoff("a")`)
	tab.WaitURL("the post-logout redirect", func(u *url.URL) bool {
		return u.String() == env.TestPageURL() || strings.HasPrefix(u.String(), env.TestPageURL()+"?state=")
	})
	if n := env.A.Counts()["end_session"] - endSessions; n != 1 {
		t.Errorf("provider A's end_session got %d requests, want 1", n)
	}
	tab.WaitReady()
	if d := e2etest.Eval[string](tab, `sessionStorage.getItem("e2e:loggedOut") || ""`); !strings.Contains(d, `"configId":"a"`) {
		t.Errorf("loggedOut event detail %q, want configId a", d)
	}
	tab.Configure()
	res := tab.CheckAuth()
	if res["a"].IsAuthenticated || !res["b"].IsAuthenticated {
		t.Errorf("after logoff(a): a signed in %v, b signed in %v; want false, true", res["a"].IsAuthenticated, res["b"].IsAuthenticated)
	}
	// checkAuth recognised the state its own logoff sent and took it out of the address bar.
	if here := e2etest.Eval[string](tab, `location.href`); here != env.TestPageURL() {
		t.Errorf("after the post-logout redirect and checkAuth the address is %s, want %s", here, env.TestPageURL())
	}
	if err := tab.Reject(`oidc.getAccessToken("a")`); err.Code != "login_required" || err.ConfigID != "a" {
		t.Errorf("getAccessToken(a) after logoff: %v, want login_required", err)
	}
	// The provider's session ended too: signing in again asks for the password.
	env.SetAutoLogin(t, "")
	tab.Navigate(`oidc.authorize("a")`)
	tab.WaitURL("provider A's login form", func(u *url.URL) bool {
		return strings.HasPrefix(u.String(), env.A.Issuer()+"/login")
	})
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// redact drops the code from a URL before it goes into a test message.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	q := u.Query()
	if q.Has("code") {
		q.Set("code", "REDACTED")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// tokenRequests counts the token requests both providers got.
func tokenRequests() int {
	return env.A.Counts()["token"] + env.B.Counts()["token"]
}
