package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// README, "Before the module runs": on a reload oidc.js answers configure,
// checkAuth, getAccessToken, isAuthenticated and getUserData from the early
// records Go keeps in the config's storage, before oidc.ready; everything
// else waits for Go. These tests load e2etest's held.html, whose oidc.wasm
// the server holds back while the browser context carries a hold cookie,
// so whatever the page answers meanwhile it answers without the module,
// and compare with what Go answers once the module is let through.

var holds atomic.Int64

// holdModule makes the tab's next loads of held.html wait for their module
// until release (the tab must be on the app's origin).
func holdModule(t *testing.T, tab *e2etest.Tab) (release func()) {
	t.Helper()
	token := fmt.Sprintf("h%d", holds.Add(1))
	e2etest.Eval[any](tab, `(document.cookie = "e2e_hold=`+token+`; path=/", null)`)
	released := false
	return func() {
		t.Helper()
		if released {
			return
		}
		released = true
		e2etest.Eval[any](tab, `(document.cookie = "e2e_hold=; max-age=0; path=/",
  fetch("/e2e/held-oidc/release?token=`+token+`").then(() => null))`)
	}
}

// heldPage is the test page whose module the server can hold.
func heldPage() string { return env.AppURL() + "/e2e/held.html" }

// earlyAnswers is what the page answered while the module was held: each
// call's value, or its error, or nil when it had not settled after a
// second (it waits for Go).
type earlyAnswers struct {
	Ready           string              `json:"ready"` // oidc.ready then, from record.js
	Configure       *settled            `json:"configure"`
	CheckAuth       *settled            `json:"checkAuth"`
	AccessToken     *settled            `json:"accessToken"`
	IsAuthenticated *settled            `json:"isAuthenticated"`
	UserData        *settled            `json:"userData"`
	CheckAuthURLs   map[string]*settled `json:"checkAuthUrls"`
}

// settled is one call's outcome: V when it resolved, E when it rejected.
type settled struct {
	V json.RawMessage  `json:"v"`
	E *e2etest.JSError `json:"e"`
}

func (s *settled) String() string {
	switch {
	case s == nil:
		return "(not settled)"
	case s.E != nil:
		return "rejected: " + s.E.Error()
	}
	return string(s.V)
}

// askEarly calls configure(cfg) and then the other early methods of
// configID, and checkAuth(url) for each of urls, each given a second.
// Promises that do not settle in that time stay in window.late, so the
// test can read Go's answer to them once the module runs.
func askEarly(tab *e2etest.Tab, cfg any, configID string, urls []string) earlyAnswers {
	tab.T.Helper()
	if urls == nil {
		urls = []string{}
	}
	return e2etest.Eval[earlyAnswers](tab, `(async () => {
  window.late = {};
  const within = (name, p) => {
    const out = p.then((v) => ({ v: v === undefined ? null : v }), (e) => ({ e: e2e.error(e) }));
    late[name] = out;
    return Promise.race([out, new Promise((r) => setTimeout(() => r(null), 1000))]);
  };
  const id = `+e2etest.MustJSON(configID)+`;
  const res = { checkAuthUrls: {} };
  res.configure = await within("configure", oidc.configure(`+e2etest.MustJSON(cfg)+`));
  res.checkAuth = await within("checkAuth", oidc.checkAuth());
  res.accessToken = await within("accessToken", oidc.getAccessToken(id));
  res.isAuthenticated = await within("isAuthenticated", oidc.isAuthenticated(id));
  res.userData = await within("userData", oidc.getUserData(id));
  for (const u of `+e2etest.MustJSON(urls)+`) res.checkAuthUrls[u] = await within("url " + u, oidc.checkAuth(u));
  res.ready = e2e.ready;
  return res;
})()`)
}

// reloadHeld loads the held test page in tab (a reload, for the session)
// with the module held, and returns the release.
func reloadHeld(t *testing.T, tab *e2etest.Tab) (release func()) {
	t.Helper()
	release = holdModule(t, tab)
	tab.Open(heldPage())
	tab.WaitFor(`window.e2e && window.oidc`)
	return release
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

// TestReloadAnswersBeforeTheModuleWhatGoAnswersAfter: signed in, a reload
// answers configure, checkAuth, getAccessToken, isAuthenticated and
// getUserData before oidc.ready (the module held back), with exactly what
// Go answers the same calls once it runs; Go then restores the session
// itself (authenticated, restored) and says nothing else.
func TestReloadAnswersBeforeTheModuleWhatGoAnswersAfter(t *testing.T) {
	t.Parallel()
	for _, storage := range []string{"session", "local"} {
		t.Run(storage, func(t *testing.T) {
			t.Parallel()
			p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: 10 * time.Minute})
			cfg := p.Config("e", map[string]any{"scope": refreshScope, "useRefreshToken": true, "storage": storage})
			tab := signedIn(t, env.NewTab(t), cfg)

			release := reloadHeld(t, tab)
			early := askEarly(tab, []any{cfg}, "e", nil)
			if early.Ready != "pending" {
				t.Fatalf("oidc.ready is %s while oidc.wasm is held", early.Ready)
			}
			for name, s := range map[string]*settled{"configure": early.Configure, "checkAuth": early.CheckAuth,
				"getAccessToken": early.AccessToken, "isAuthenticated": early.IsAuthenticated, "getUserData": early.UserData} {
				if s == nil || s.E != nil {
					t.Errorf("%s before the module: %+v, want an answer", name, s)
				}
			}
			if t.Failed() {
				release()
				t.FailNow()
			}
			release()
			tab.WaitReady()
			events := tab.Events() // Go's own restore, of the checkAuth answered early

			// Go's answers to the same calls, now that it runs.
			goAuth := e2etest.Eval[json.RawMessage](tab, `oidc.checkAuth()`)
			goToken := e2etest.Eval[json.RawMessage](tab, `oidc.getAccessToken("e")`)
			goIsAuth := e2etest.Eval[json.RawMessage](tab, `oidc.isAuthenticated("e")`)
			goUser := e2etest.Eval[json.RawMessage](tab, `oidc.getUserData("e")`)
			for _, c := range []struct {
				name        string
				early, goes json.RawMessage
			}{{"checkAuth", early.CheckAuth.V, goAuth}, {"getAccessToken", early.AccessToken.V, goToken},
				{"isAuthenticated", early.IsAuthenticated.V, goIsAuth}, {"getUserData", early.UserData.V, goUser}} {
				if !jsonEqual(c.early, c.goes) {
					t.Errorf("%s: before the module %s, Go %s", c.name, c.early, c.goes)
				}
			}
			if !strings.Contains(string(goAuth), `"isAuthenticated":true`) {
				t.Errorf("Go's checkAuth after the reload: %s, want signed in", goAuth)
			}
			var types []string
			for _, ev := range events {
				types = append(types, ev.Type)
				if ev.Type == "authenticated" && ev.Detail["restored"] != true {
					t.Errorf("authenticated after the reload: %v, want restored", ev.Detail)
				}
			}
			if strings.Join(types, ",") != "configLoaded,authenticated" {
				t.Errorf("events after the reload: %v, want Go's configLoaded and authenticated (restored)", types)
			}
		})
	}
}

// TestEarlyAnswersNeverAnAuthorizationResponse: checkAuth on a URL that may
// carry an authorization response (or a logoff's return) is Go's to
// answer, in every shape the response comes in; so is the page the
// provider sends back to after a new sign-in, whose early record went when
// authorize began.
func TestEarlyAnswersNeverAnAuthorizationResponse(t *testing.T) {
	t.Parallel()
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: 10 * time.Minute, RedirectPaths: []string{"/e2e/held.html"}})
	cfg := p.Config("e", map[string]any{"scope": refreshScope, "useRefreshToken": true, "redirectUrl": heldPage()})
	tab := signedIn(t, env.NewTab(t), cfg)
	page := heldPage()
	goes := []string{
		page + "?code=c&state=s",
		page + "?state=s&error=access_denied",
		page + "?app=1&code=c&state=s&iss=" + url.QueryEscape(p.Issuer()),
		page + "#code=c&state=s",     // response_mode=fragment
		page + "?st%61te=s&c%6Fde=c", // the same names, percent-encoded
		page + "?state=s",            // a logoff's return
		page + "?session_state=x",    // any response parameter
		"?code=c&state=s",            // relative to the page
	}
	early := []string{page + "?app=1", page + "#/route/statement", page + "?tab=estate"}

	release := reloadHeld(t, tab)
	got := askEarly(tab, []any{cfg}, "e", append(append([]string{}, goes...), early...))
	if got.Configure == nil || got.CheckAuth == nil {
		release()
		t.Fatalf("no early answer on the plain reload: configure %+v, checkAuth %+v", got.Configure, got.CheckAuth)
	}
	for _, u := range goes {
		if s := got.CheckAuthURLs[u]; s != nil {
			t.Errorf("checkAuth(%s) answered before the module: %+v", u, s)
		}
	}
	for _, u := range early {
		if s := got.CheckAuthURLs[u]; s == nil || s.E != nil || !strings.Contains(string(s.V), `"isAuthenticated":true`) {
			t.Errorf("checkAuth(%s) before the module: %+v, want the restored session", u, s)
		}
	}
	release()
	tab.WaitReady()
	// Go answers the waiting ones: a response without a transaction is
	// state_mismatch; the logoff-return shape without a logoff restores.
	for _, u := range goes {
		s := e2etest.Eval[settled](tab, `late[`+e2etest.MustJSON("url "+u)+`]`)
		wantErr := !strings.Contains(u, "?state=s") || strings.Contains(u, "error=")
		if strings.Contains(u, "session_state") {
			wantErr = false
		}
		if (s.E != nil) != wantErr || (s.E != nil && s.E.Code != "state_mismatch") {
			t.Errorf("Go's checkAuth(%s): %+v", u, s)
		}
	}

	// A new sign-in: the early record goes when authorize starts, so the
	// callback page waits for Go, which completes the sign-in.
	release = holdModule(t, tab)
	tab.Navigate(`oidc.authorize("e")`)
	tab.WaitURL("the callback", func(u *url.URL) bool { return u.Query().Has("state") })
	tab.WaitFor(`window.e2e && window.oidc`)
	got = askEarly(tab, []any{cfg}, "e", nil)
	if got.Configure != nil || got.CheckAuth != nil {
		t.Errorf("the callback page answered before the module: configure %+v, checkAuth %+v", got.Configure, got.CheckAuth)
	}
	release()
	tab.WaitReady()
	if s := e2etest.Eval[settled](tab, `late.checkAuth`); s.E != nil || !strings.Contains(string(s.V), `"isAuthenticated":true`) {
		t.Errorf("Go's checkAuth on the callback: %+v", s)
	}
}

// TestEarlyAnswersNeverASessionThatEnded: a session ended in another tab
// (shared localStorage) is never answered signed in before the module; nor
// is a record whose session went without Go rewriting it.
func TestEarlyAnswersNeverASessionThatEnded(t *testing.T) {
	t.Parallel()
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: 10 * time.Minute})
	cfg := p.Config("e", map[string]any{"scope": refreshScope, "useRefreshToken": true, "storage": "local"})
	tab1 := signedIn(t, env.NewTab(t), cfg)
	tab2 := tab1.NewTabInSameContext(t)
	tab2.OpenTestPage()
	tab2.Configure(cfg)
	if res := tab2.CheckAuth(); !res["e"].IsAuthenticated {
		t.Fatalf("tab 2 does not restore the shared session: %+v", res["e"])
	}

	const sessionKey = "oidcwasm:oidcwasm.e.session"
	var saved string
	t.Run("ended in another tab", func(t *testing.T) {
		saved = e2etest.Eval[string](tab1.In(t), `localStorage.getItem(`+e2etest.MustJSON(sessionKey)+`)`)
		e2etest.Eval[any](tab2, `oidc.logoffLocal("e")`)
		tab1.In(t).WaitFor(`oidc.isAuthenticated("e").then((a) => !a)`)
		release := reloadHeld(t, tab1)
		got := askEarly(tab1.In(t), []any{cfg}, "e", nil)
		release()
		if s := got.CheckAuth; s != nil && strings.Contains(string(s.V), `"isAuthenticated":true`) {
			t.Errorf("checkAuth before the module: %s, after the session ended in another tab", s.V)
		}
		if s := got.AccessToken; s != nil && s.E == nil {
			t.Errorf("getAccessToken before the module: %s, after the session ended in another tab", s.V)
		}
		tab1.In(t).WaitReady()
		if s := e2etest.Eval[settled](tab1.In(t), `late.checkAuth`); s.E != nil || strings.Contains(string(s.V), `"isAuthenticated":true`) {
			t.Errorf("Go's checkAuth: %+v, want signed out", s)
		}
	})

	t.Run("a session back under a signed-out record", func(t *testing.T) {
		tab := tab1.In(t)
		release := reloadHeld(t, tab)
		e2etest.Eval[any](tab, `localStorage.setItem(`+e2etest.MustJSON(sessionKey)+`, `+e2etest.MustJSON(saved)+`)`)
		got := askEarly(tab, []any{cfg}, "e", nil)
		release()
		if got.Configure != nil || got.CheckAuth != nil {
			t.Errorf("answered before the module from a signed-out record with a session stored: %+v", got)
		}
		tab.WaitReady()
	})

	t.Run("session gone under the record", func(t *testing.T) {
		tab := tab1.In(t)
		if _, res := tab.SignInWith("e", "alice", "alice", cfg); !res["e"].IsAuthenticated {
			t.Fatalf("sign-in again: %+v", res["e"])
		}
		release := reloadHeld(t, tab)
		e2etest.Eval[any](tab, `localStorage.removeItem(`+e2etest.MustJSON(sessionKey)+`)`)
		got := askEarly(tab, []any{cfg}, "e", nil)
		release()
		if got.Configure != nil || got.CheckAuth != nil || got.AccessToken != nil {
			t.Errorf("answered before the module without the session the record names: %+v", got)
		}
		tab.WaitReady()
	})
}

// TestEarlyAnswersOnlyTheSameInputInWebStorage: memory storage keeps no
// early record; a configure() whose input differs from the one the records
// were written for, or is not plain JSON data, waits for Go.
func TestEarlyAnswersOnlyTheSameInputInWebStorage(t *testing.T) {
	t.Parallel()
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: 10 * time.Minute})
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		cfg := p.Config("m", map[string]any{"storage": "memory"})
		tab := signedIn(t, env.NewTab(t), cfg)
		if keys := e2etest.Eval[[]string](tab, `[...Object.keys(sessionStorage), ...Object.keys(localStorage)].filter((k) => k.endsWith(".early"))`); len(keys) != 0 {
			t.Errorf("early records with storage memory: %v", keys)
		}
		release := reloadHeld(t, tab)
		got := askEarly(tab, []any{cfg}, "m", nil)
		release()
		if got.Configure != nil {
			t.Errorf("configure answered before the module with storage memory: %+v", got.Configure)
		}
		tab.WaitReady()
		// With a config in sessionStorage beside it, that one's record is
		// not enough: the set waits.
		other := p.Config("s", nil)
		tab.Configure(other, cfg)
		if _, res := tab.SignInWith("s", "alice", "alice", other, cfg); !res["s"].IsAuthenticated {
			t.Fatalf("sign-in to s: %+v", res["s"])
		}
		release = reloadHeld(t, tab)
		got = askEarly(tab, []any{other, cfg}, "s", nil)
		release()
		if got.Configure != nil {
			t.Errorf("configure answered before the module for a set with storage memory: %+v", got.Configure)
		}
		tab.WaitReady()
	})
	t.Run("another input", func(t *testing.T) {
		t.Parallel()
		cfg := p.Config("e", map[string]any{"scope": refreshScope, "useRefreshToken": true})
		tab := signedIn(t, env.NewTab(t), cfg)
		for name, expr := range map[string]string{
			"another value":       `[Object.assign({}, cfg, { silentRenewTimeoutInSeconds: 21 })]`,
			"an object, no array": `cfg`,
			"an undefined field":  `[Object.assign({}, cfg, { postLogoutRedirectUri: undefined })]`,
			"a NaN":               `[Object.assign({}, cfg, { timeoutFactor: NaN })]`,
		} {
			release := reloadHeld(t, tab)
			answered := e2etest.Eval[bool](tab, `(() => { const cfg = `+e2etest.MustJSON(cfg)+`;
  const p = oidc.configure(`+expr+`).then(() => true, () => true);
  return Promise.race([p, new Promise((r) => setTimeout(() => r(false), 1000))]); })()`)
			release()
			if answered {
				t.Errorf("%s: configure answered before the module", name)
			}
			tab.WaitReady()
		}
		// JSON.stringify writes NaN as null: configured with null (the
		// default), a reload's configure with NaN (which Go rejects) is
		// another input all the same.
		withNull := `[Object.assign({}, ` + e2etest.MustJSON(cfg) + `, { timeoutFactor: null })]`
		e2etest.Eval[any](tab, `oidc.configure(`+withNull+`)`)
		release := reloadHeld(t, tab)
		answered := e2etest.Eval[bool](tab, `(() => { const p = oidc.configure(`+strings.Replace(withNull, "null", "NaN", 1)+`).then(() => true, () => true);
  return Promise.race([p, new Promise((r) => setTimeout(() => r(false), 1000))]); })()`)
		release()
		if answered {
			t.Error("configure with NaN answered before the module from records written for null")
		}
		tab.WaitReady()
		if e := tab.Reject(`oidc.configure(` + strings.Replace(withNull, "null", "NaN", 1) + `)`); e.Code != "invalid_config" {
			t.Errorf("Go's configure with NaN: %v, want invalid_config", e)
		}
		// An input that is not plain JSON data gets no records from Go: the
		// same data without the undefined field then waits too.
		e2etest.Eval[any](tab, `oidc.configure([Object.assign({}, `+e2etest.MustJSON(cfg)+`, { silentRenewUrl: undefined })])`)
		release = reloadHeld(t, tab)
		if got := askEarly(tab, []any{cfg}, "e", nil); got.Configure != nil {
			t.Error("configure answered before the module from an input with an undefined field")
		}
		release()
		tab.WaitReady()
		// Each configure Go accepted wrote the records for its own input (or
		// none, for the undefined field): configured again with the first
		// one, the next reload answers early again.
		tab.Configure(cfg)
		release = reloadHeld(t, tab)
		got := askEarly(tab, []any{cfg}, "e", nil)
		release()
		if got.Configure == nil {
			t.Error("the same input waited for the module")
		}
		tab.WaitReady()
	})
}

// TestEarlyAnswersUntilTheRenewalPoint: past the token's renewal point a
// restore renews, so checkAuth and getAccessToken wait for Go (configure
// still does not: it needs no token).
func TestEarlyAnswersUntilTheRenewalPoint(t *testing.T) {
	t.Parallel()
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: 4 * time.Second})
	cfg := p.Config("e", map[string]any{"scope": refreshScope, "useRefreshToken": true, "silentRenew": false})
	tab := signedIn(t, env.NewTab(t), cfg)
	time.Sleep(3500 * time.Millisecond) // past 0.75 of 4 s
	release := reloadHeld(t, tab)
	got := askEarly(tab, []any{cfg}, "e", nil)
	release()
	if got.Configure == nil {
		t.Error("configure waited for the module")
	}
	if got.CheckAuth != nil || got.AccessToken != nil || got.IsAuthenticated != nil {
		t.Errorf("answered past the renewal point before the module: checkAuth %+v, getAccessToken %+v, isAuthenticated %+v",
			got.CheckAuth, got.AccessToken, got.IsAuthenticated)
	}
	tab.WaitReady()
	if s := e2etest.Eval[settled](tab, `late.checkAuth`); s.E != nil || !strings.Contains(string(s.V), `"isAuthenticated":true`) {
		t.Errorf("Go's checkAuth past the renewal point: %+v, want renewed and signed in", s)
	}
}

// TestEarlyAnswersNotARevokedAccessToken: after revokeAccessToken the
// session has no access token, so a restore renews: Go answers.
func TestEarlyAnswersNotARevokedAccessToken(t *testing.T) {
	t.Parallel()
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: 10 * time.Minute})
	cfg := p.Config("e", map[string]any{"scope": refreshScope, "useRefreshToken": true})
	tab := signedIn(t, env.NewTab(t), cfg)
	e2etest.Eval[any](tab, `oidc.revokeAccessToken("e")`)
	release := reloadHeld(t, tab)
	got := askEarly(tab, []any{cfg}, "e", nil)
	release()
	if got.CheckAuth != nil || got.AccessToken != nil || got.IsAuthenticated != nil {
		t.Errorf("answered before the module without an access token: checkAuth %+v, getAccessToken %+v, isAuthenticated %+v",
			got.CheckAuth, got.AccessToken, got.IsAuthenticated)
	}
	tab.WaitReady()
}

// TestEarlyAnswerGoDisagreesWithSaysLoggedOut: when Go, restoring, finds
// signed out a session the early answer reported signed in (here: its
// stored record no longer reads), the page gets loggedOut.
func TestEarlyAnswerGoDisagreesWithSaysLoggedOut(t *testing.T) {
	t.Parallel()
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: 10 * time.Minute})
	cfg := p.Config("e", map[string]any{"scope": refreshScope, "useRefreshToken": true})
	tab := signedIn(t, env.NewTab(t), cfg)
	release := reloadHeld(t, tab)
	e2etest.Eval[any](tab, `sessionStorage.setItem("oidcwasm:oidcwasm.e.session", "{}")`)
	got := askEarly(tab, []any{cfg}, "e", nil)
	release()
	if got.CheckAuth == nil || !strings.Contains(string(got.CheckAuth.V), `"isAuthenticated":true`) {
		t.Fatalf("checkAuth before the module: %+v, want the record's answer", got.CheckAuth)
	}
	tab.WaitReady()
	var loggedOut []map[string]any
	for _, ev := range tab.Events() {
		if ev.Type == "loggedOut" {
			loggedOut = append(loggedOut, ev.Detail)
		}
	}
	if len(loggedOut) != 1 || loggedOut[0]["configId"] != "e" {
		t.Errorf("loggedOut events once Go ran: %v, want one for e", loggedOut)
	}
	if isAuthenticated(tab, "e") {
		t.Error("still signed in")
	}
}
