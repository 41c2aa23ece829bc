package e2e

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/demo"
	"github.com/oidcwasm/oidcwasm/dev/e2etest"
	"github.com/oidcwasm/oidcwasm/dev/internal/engine"
)

// Worker custody (custody: "worker", README "Worker custody (in progress)"):
// config a keeps its tokens in the service worker oidc-sw.js.

// workerConfigs is config a alone with custody "worker" (without its
// front-channel logout URL: TestWorkerCustodyFrontchannelLogoutSignsOutEveryTab
// has a provider of its own for that).
func workerConfigs(t *testing.T) map[string]any {
	t.Helper()
	for _, c := range env.Configs() {
		if c.ConfigID != "a" {
			continue
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		m["custody"] = "worker"
		delete(m, "frontchannelLogoutUrl")
		return m
	}
	t.Fatal("no config a")
	return nil
}

// openControlled opens the test page, configures worker custody (which
// registers oidc-sw.js), waits until the worker controls the page, and
// opens the page again, now controlled from its start.
func openControlled(t *testing.T, tab *e2etest.Tab) {
	t.Helper()
	openControlledWith(t, tab, workerConfigs(t))
}

// openControlledWith is openControlled for the configs given.
func openControlledWith(t *testing.T, tab *e2etest.Tab, configs ...map[string]any) {
	t.Helper()
	tab.OpenTestPage()
	tab.Configure(anys(configs)...)
	tab.WaitFor(`navigator.serviceWorker.controller !== null`)
	tab.Reload()
	tab.WaitReady()
	if !e2etest.Eval[bool](tab, `navigator.serviceWorker.controller !== null`) {
		t.Fatal("a normal reload is not controlled by the worker")
	}
	tab.Configure(anys(configs)...)
}

// workerSignedIn is a new tab controlled by the worker, with cfg (a
// per-test provider's, custody "worker") signed in through it.
func workerSignedIn(t *testing.T, cfg map[string]any) *e2etest.Tab {
	t.Helper()
	tab := env.NewTab(t)
	openControlledWith(t, tab, cfg)
	id := cfg["configId"].(string)
	if _, res := tab.SignInWith(id, "alice", "alice", cfg); !res[id].IsAuthenticated {
		t.Fatalf("sign-in through the worker: %+v", res[id])
	}
	return tab
}

// signInWorker signs config a in through the worker: the worker makes the
// authorization request, the page navigates, and on the callback the page
// hands the URL to the worker, which validates and exchanges.
func signInWorker(t *testing.T, tab *e2etest.Tab) map[string]e2etest.LoginResponse {
	t.Helper()
	tab.Navigate(`oidc.authorize("a")`)
	tab.WaitURL("the callback", func(u *url.URL) bool {
		return strings.HasPrefix(u.String(), env.TestPageURL()) && u.Query().Has("state")
	})
	tab.WaitReady()
	tab.Configure(workerConfigs(t))
	res := tab.CheckAuth()
	if !res["a"].IsAuthenticated {
		t.Fatalf("after the callback a is not signed in: %+v", res["a"])
	}
	if loc := tab.Location(); strings.Contains(loc, "code=") || strings.Contains(loc, "state=") {
		t.Fatalf("code and state stayed in the address bar: %s", loc)
	}
	return res
}

// TestWorkerCustodyModuleRunsInTheServiceWorker: the bridge's Go module
// starts in the service worker (no document, no window), answers the page
// without telling configLoaded a second time, and says how long it took and
// how much memory it has (logged: the figures are the README's, this test
// only asserts that it runs).
func TestWorkerCustodyModuleRunsInTheServiceWorker(t *testing.T) {
	tab := env.NewTab(t)
	openControlled(t, tab)
	st := workerStats(t, tab)
	if st.InstanceID == "" || st.Marks["registered"] == 0 || st.MemoryBytes == 0 {
		t.Fatalf("the worker's module did not run: %+v", st)
	}
	t.Logf("%s: worker script → module registered %.0f ms (instantiated at %.0f ms, install event at %.0f ms); wasm memory %.1f MB",
		env.BrowserVersion(), st.Marks["registered"], st.Marks["instantiated"], st.Marks["install"], st.MemoryBytes/(1<<20))
	// The worker answers for a config it was configured with.
	if e2etest.Eval[bool](tab, `oidc.isAuthenticated("a")`) {
		t.Fatal("signed in before any sign-in")
	}
	// configLoaded once per configure, from the page's module: the worker,
	// configured with the same set, does not tell it again.
	if n := e2etest.Eval[int](tab, `e2e.events.filter((e) => e.type === "configLoaded" && e.detail.configId === "a").length`); n != 1 {
		t.Errorf("%d configLoaded events for a after one configure; want 1: %+v", n, tab.Events())
	}
}

// workerStats are what oidc-sw.js says of itself ("stats"): an id per
// worker start, its start-up moments (ms since the worker started) and the
// module's memory.
type workerStatsReply struct {
	InstanceID  string             `json:"instanceId"`
	Marks       map[string]float64 `json:"marks"`
	MemoryBytes float64            `json:"memoryBytes"`
}

func workerStats(t *testing.T, tab *e2etest.Tab) workerStatsReply {
	t.Helper()
	raw := e2etest.Eval[string](tab, `new Promise((resolve) => {
  const ch = new MessageChannel();
  ch.port1.onmessage = (e) => resolve(JSON.stringify(e.data.value));
  navigator.serviceWorker.controller.postMessage({oidcwasm: "call", name: "stats", args: []}, [ch.port2]);
})`)
	var st workerStatsReply
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestWorkerCustodyTokenStaysInTheWorker: after sign-in with worker
// custody, a plain fetch (no library) to a's secure route arrives with a's
// token, one to another origin and one to an unlisted URL without; the page
// cannot read the token, and a script searching every place a page can
// reach (storage, IndexedDB, window globals, the events) finds none.
func TestWorkerCustodyTokenStaysInTheWorker(t *testing.T) {
	tab := env.NewTab(t)
	openControlled(t, tab)
	signInWorker(t, tab)
	t.Logf("%s: wasm memory after sign-in %.1f MB", env.BrowserVersion(), workerStats(t, tab).MemoryBytes/(1<<20))

	env.Demo.ResetRequests()
	r := tab.PlainFetch(e2etest.MustJSON(env.Target(demo.TargetAPIA)), "")
	seen := env.Demo.Requests()
	if len(seen) != 1 || seen[0].Authorization != demo.AuthValid || r.Status != 200 {
		t.Fatalf("plain fetch to a's route: status %d, the server saw %+v; want one request with a valid token", r.Status, seen)
	}
	fp := seen[0].Fingerprint
	if !strings.Contains(strings.Join(seen[0].Audience, " "), env.Configs()[0].ClientID) {
		t.Errorf("the token's aud %v is not config a's client", seen[0].Audience)
	}
	for _, target := range []string{demo.TargetAPIB, demo.TargetUnlisted} {
		env.Demo.ResetRequests()
		tab.PlainFetch(e2etest.MustJSON(env.Target(target)), "")
		seen := env.Demo.Requests()
		if len(seen) != 1 || seen[0].Authorization != demo.AuthNone {
			t.Errorf("plain fetch to %s (%s): the server saw %+v; want one request without Authorization", target, env.Target(target), seen)
		}
	}
	// oidc.fetch goes through the worker too.
	env.Demo.ResetRequests()
	tab.Fetch(e2etest.MustJSON(env.Target(demo.TargetAPIA)), "")
	if seen := env.Demo.Requests(); len(seen) != 1 || seen[0].Fingerprint != fp {
		t.Errorf("oidc.fetch to a's route: the server saw %+v; want a's token #%s", seen, fp)
	}

	for _, call := range []string{`oidc.getAccessToken("a")`, `oidc.getIdToken("a")`} {
		if e := tab.Reject(call); e.Code != "token_in_worker" || e.ConfigID != "a" {
			t.Errorf("%s: %v; want token_in_worker for a", call, e)
		}
	}
	if name := e2etest.Eval[string](tab, `oidc.getUserData("a").then((u) => u.name)`); name == "" {
		t.Error("getUserData gives no claims of the ID token")
	}
	noTokenForPageScripts(t, tab, fp)
}

// noTokenForPageScripts runs attackerSearch on the page and fails when it
// finds the token of fingerprint fp, or anything shaped like a JWT.
func noTokenForPageScripts(t *testing.T, tab *e2etest.Tab, fp string) {
	t.Helper()
	found := e2etest.Eval[[]string](tab, attackerSearch)
	if len(found) == 0 {
		t.Fatal("the search found no strings at all: it searched nothing")
	}
	jwt := regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.?`)
	for _, s := range found {
		for _, word := range regexp.MustCompile(`[A-Za-z0-9._~+/=-]{16,}`).FindAllString(s, -1) {
			if demo.Fingerprint(word) == fp || jwt.MatchString(word) {
				t.Fatalf("a page script found a token (#%s) in %q…", demo.Fingerprint(word), short(s))
			}
		}
	}
}

// attackerSearch is what a script on the page (an XSS) can read: every
// string in localStorage, sessionStorage, IndexedDB, the window's own
// properties (two levels deep) and the bridge's events as recorded (on an
// e2e page).
const attackerSearch = `(async () => {
  const out = [];
  for (const st of [localStorage, sessionStorage]) {
    for (let i = 0; i < st.length; i++) out.push(st.key(i) + "=" + st.getItem(st.key(i)));
  }
  const dbs = indexedDB.databases ? await indexedDB.databases() : [];
  for (const d of dbs) {
    const db = await new Promise((ok, fail) => { const r = indexedDB.open(d.name); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
    for (const name of db.objectStoreNames) {
      const all = await new Promise((ok) => { const r = db.transaction(name).objectStore(name).getAll(); r.onsuccess = () => ok(r.result); r.onerror = () => ok([]); });
      out.push(d.name + "/" + name + "=" + JSON.stringify(all, (k, v) => (typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype ? String(v) : v)));
    }
    db.close();
  }
  const seen = new Set();
  const walk = (v, path, depth) => {
    if (typeof v === "string") { out.push(path + "=" + v); return; }
    if (v === null || (typeof v !== "object" && typeof v !== "function") || depth > 2 || seen.has(v)) return;
    seen.add(v);
    let keys = [];
    try { keys = Object.getOwnPropertyNames(v); } catch (e) { return; }
    for (const k of keys) {
      let x;
      try { x = v[k]; } catch (e) { continue; }
      walk(x, path + "." + k, depth + 1);
    }
  };
  walk(window, "window", 0);
  if (typeof e2e !== "undefined") out.push("events=" + JSON.stringify(e2e.events));
  return out;
})()`

// TestWorkerCustodyUncontrolledPageIsUnavailableAndSendsNoToken: a page
// the worker does not control reports worker_unavailable for the
// worker-custody config, never falls back to page custody, and its requests
// to the secure route arrive without a token, as the server saw them. Two
// ways to such a page: a forced reload (it bypasses the worker; Chromium
// only, the other engines' protocols cannot force one), and in every engine
// a reload after the worker was unregistered (a browser without it).
func TestWorkerCustodyUncontrolledPageIsUnavailableAndSendsNoToken(t *testing.T) {
	for _, tt := range []struct {
		name  string
		needs engine.Capability
		lose  func(tab *e2etest.Tab)
	}{
		{"forced reload", engine.CapForcedReload, func(tab *e2etest.Tab) { tab.ForceReload() }},
		{"worker unregistered", "", func(tab *e2etest.Tab) {
			e2etest.Eval[any](tab, `navigator.serviceWorker.getRegistration().then((r) => r.unregister())`)
			tab.Reload()
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needs != "" {
				env.Require(t, tt.needs)
			}
			tab := env.NewTab(t)
			openControlled(t, tab)
			signInWorker(t, tab)
			tt.lose(tab)
			tab.WaitReady()
			if e2etest.Eval[bool](tab, `navigator.serviceWorker.controller !== null`) {
				t.Fatal("the page is controlled by the worker")
			}
			uncontrolledSendsNoToken(t, tab)
		})
	}
}

func uncontrolledSendsNoToken(t *testing.T, tab *e2etest.Tab) {
	t.Helper()
	tab.Configure(workerConfigs(t))
	res := tab.CheckAuth()
	if a := res["a"]; a.IsAuthenticated || a.ErrorMessage == nil || !strings.Contains(*a.ErrorMessage, "service worker") {
		t.Errorf("checkAuth on the uncontrolled page: %+v; want a signed out with the worker_unavailable message", a)
	}
	var reported bool
	for _, ev := range tab.Events() {
		if ev.Type == "error" && ev.Detail["code"] == "worker_unavailable" && ev.Detail["configId"] == "a" {
			reported = true
		}
	}
	if !reported {
		t.Errorf("no error event with code worker_unavailable for a: %+v", tab.Events())
	}
	for _, expr := range []string{`oidc.getAccessToken("a")`, `oidc.fetch(` + e2etest.MustJSON(env.Target(demo.TargetAPIA)) + `)`, `oidc.authorize("a")`} {
		if e := tab.Reject(expr); e.Code != "worker_unavailable" || e.ConfigID != "a" {
			t.Errorf("%s: %v; want worker_unavailable for a", expr, e)
		}
	}
	if seen := fetchAPIA(t, tab); len(seen) != 1 || seen[0].Authorization != demo.AuthNone {
		t.Errorf("plain fetch to a's route from the uncontrolled page: the server saw %+v; want one request without Authorization", seen)
	}
}

func short(s string) string {
	if len(s) > 80 {
		return s[:80]
	}
	return s
}

// signedInWorkerTabs are two tabs of one browser context controlled by
// the worker, with config a signed in through it, and the token the API
// received from the first.
func signedInWorkerTabs(t *testing.T, lasting time.Duration) (tab, other *e2etest.Tab, fp string) {
	t.Helper()
	tab = env.NewTabLasting(t, lasting)
	openControlled(t, tab)
	signInWorker(t, tab)
	other = tab.NewTabInSameContext(t)
	other.OpenTestPage()
	if !e2etest.Eval[bool](other, `navigator.serviceWorker.controller !== null`) {
		t.Fatal("the second tab is not controlled by the worker")
	}
	other.Configure(workerConfigs(t))
	if !e2etest.Eval[bool](other, `oidc.isAuthenticated("a")`) {
		t.Fatal("the second tab does not share the worker's session")
	}
	seen := fetchAPIA(t, tab)
	if len(seen) != 1 || seen[0].Authorization != demo.AuthValid {
		t.Fatalf("plain fetch to a's route: the server saw %+v; want one request with a valid token", seen)
	}
	return tab, other, seen[0].Fingerprint
}

// workerTokenAtAPIA is a new tab controlled by the worker, with a signed in
// through it, and the request API A saw from a plain fetch to a's route,
// with a valid token.
func workerTokenAtAPIA(t *testing.T) (*e2etest.Tab, demo.Request) {
	t.Helper()
	tab := env.NewTab(t)
	openControlled(t, tab)
	signInWorker(t, tab)
	seen := fetchAPIA(t, tab)
	if len(seen) != 1 || seen[0].Authorization != demo.AuthValid {
		t.Fatalf("plain fetch to a's route: %+v; want a valid token", seen)
	}
	return tab, seen[0]
}

// fetchAPIA sends one plain fetch from tab to a's secure route (API A) and
// returns what the server saw of it.
func fetchAPIA(t *testing.T, tab *e2etest.Tab) []demo.Request {
	t.Helper()
	env.Demo.ResetRequests()
	tab.PlainFetch(e2etest.MustJSON(env.Target(demo.TargetAPIA)), "")
	return env.Demo.Requests()
}

// restartedEvents counts a tab's loggedOut events with reason
// worker_restarted for config a.
const restartedEvents = `e2e.events.filter((e) => e.type === "loggedOut" && e.detail.configId === "a" && e.detail.reason === "worker_restarted").length`

// TestWorkerCustodyStoppedWorkerSignsInAgainSilently: the browser stops
// the service worker (Chromium: at once through DevTools, as it stops an
// idle one; Firefox: by itself, idle for 30 s), and its memory, the tokens
// with it, is gone. The next request to the secure route starts it again;
// while the provider's session lasts, the worker signs a in again by one
// prompt=none request run in the requesting page's iframe, and the
// request arrives with a new valid token, as the server saw it. No tab is
// told the session ended, and both read it signed in.
func TestWorkerCustodyStoppedWorkerSignsInAgainSilently(t *testing.T) {
	env.Require(t, engine.CapStopWorkers)
	tab, other, fp := signedInWorkerTabs(t, e2etest.TabTimeout+engine.FirefoxIdleWorkerStop)
	first := workerStats(t, tab).InstanceID
	tab.StopWorkers()
	counts := env.A.Counts()
	seen := fetchAPIA(t, tab)
	if len(seen) != 1 || seen[0].Authorization != demo.AuthValid || seen[0].Fingerprint == fp {
		t.Errorf("plain fetch to a's route after the worker stopped: the server saw %+v; want one request with a new valid token (not #%s)", seen, fp)
	}
	if a, tk := env.A.Counts()["authorize"]-counts["authorize"], env.A.Counts()["token"]-counts["token"]; a != 1 || tk != 1 {
		t.Errorf("a's provider got %d authorization and %d token requests; want one silent sign-in: one of each", a, tk)
	}
	if id := resumedWorker(t, tab); id == first {
		t.Fatalf("the worker was not started again (instance %s)", first)
	}
	for _, tb := range []*e2etest.Tab{tab, other} {
		if !e2etest.Eval[bool](tb, `oidc.isAuthenticated("a")`) {
			t.Error("a reads signed out after the silent sign-in")
		}
		if n := e2etest.Eval[int](tb, restartedEvents); n != 0 {
			t.Errorf("%d loggedOut events with reason worker_restarted; want none", n)
		}
	}
}

// TestWorkerCustodyStoppedWorkerEndsTheSessionInEveryTab: as above, with
// the provider's session over meanwhile: the silent sign-in is answered
// login_required, the request arrives without a token, every open tab gets
// loggedOut with reason worker_restarted for a, once, and a reads signed
// out; a worker stopped again after that tells nothing more.
func TestWorkerCustodyStoppedWorkerEndsTheSessionInEveryTab(t *testing.T) {
	env.Require(t, engine.CapStopWorkers)
	tab, other, _ := signedInWorkerTabs(t, e2etest.TabTimeout+2*engine.FirefoxIdleWorkerStop)
	first := workerStats(t, tab).InstanceID
	env.A.EndSessions() // as if the user had signed out at the provider elsewhere
	tab.StopWorkers()
	if seen := fetchAPIA(t, tab); len(seen) != 1 || seen[0].Authorization != demo.AuthNone {
		t.Errorf("plain fetch to a's route after the worker stopped: the server saw %+v; want one request without Authorization", seen)
	}
	for _, tb := range []*e2etest.Tab{tab, other} {
		tb.WaitFor(restartedEvents + ` === 1`)
		var code any
		for _, ev := range tb.Events() {
			if ev.Type == "loggedOut" {
				code = ev.Detail["code"]
			}
		}
		if code != "login_required" {
			t.Errorf("loggedOut's code %v; want login_required, what the silent sign-in was answered", code)
		}
	}
	if id := resumedWorker(t, tab); id == first {
		t.Fatalf("the worker was not started again (instance %s)", first)
	}
	for _, tb := range []*e2etest.Tab{tab, other} {
		if e2etest.Eval[bool](tb, `oidc.isAuthenticated("a")`) {
			t.Error("a reads signed in after the worker that kept its tokens stopped")
		}
	}

	// Stopped again with nothing signed in: nothing more to tell.
	tab.StopWorkers()
	second := resumedWorker(t, tab) // starts it again
	if second == first {
		t.Fatal("the worker was not started again")
	}
	tab.PlainFetch(e2etest.MustJSON(env.Target(demo.TargetAPIA)), "")
	for _, tb := range []*e2etest.Tab{tab, other} {
		if n := e2etest.Eval[int](tb, restartedEvents); n != 1 {
			t.Errorf("%d loggedOut events with reason worker_restarted for a; want the one", n)
		}
	}
}

// resumedWorker is the worker's instance id once it has read which configs
// its stopped predecessor had signed in and told the pages (oidc-sw.js's
// "resumed" mark).
func resumedWorker(t *testing.T, tab *e2etest.Tab) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		st := workerStats(t, tab)
		if st.Marks["resumed"] > 0 {
			return st.InstanceID
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker never resumed: %+v", st)
		}
	}
}

// TestWorkerCustodySignInCutByAWorkerStopIsRefusedAndSendsNothing: the
// browser stops the worker while the user is away at the provider (the
// worker holds the sign-in's state, nonce and PKCE verifier in its memory
// alone, never in storage a page script could read). The callback is
// refused with state_mismatch saying so, the code never reaches the token endpoint,
// code and state leave the address bar, and the config reads signed out.
func TestWorkerCustodySignInCutByAWorkerStopIsRefusedAndSendsNothing(t *testing.T) {
	env.Require(t, engine.CapStopWorkers)
	tab := env.NewTabLasting(t, e2etest.TabTimeout+engine.FirefoxIdleWorkerStop)
	openControlled(t, tab)
	tab.Navigate(`oidc.authorize("a")`)
	tab.WaitURL("the callback", func(u *url.URL) bool {
		return strings.HasPrefix(u.String(), env.TestPageURL()) && u.Query().Has("state")
	})
	tab.StopWorkers()
	tokens := env.A.Counts()["token"]
	tab.WaitReady()
	tab.Configure(workerConfigs(t))
	if e := tab.Reject(`oidc.checkAuth()`); e.Code != "state_mismatch" || !strings.Contains(e.Message, "stops the worker") {
		t.Errorf("checkAuth on the callback: %v; want state_mismatch saying the worker was stopped", e)
	}
	if n := env.A.Counts()["token"] - tokens; n != 0 {
		t.Errorf("the provider got %d token requests; want none", n)
	}
	if loc := tab.Location(); strings.Contains(loc, "code=") || strings.Contains(loc, "state=") {
		t.Errorf("code and state stayed in the address bar: %s", redact(loc))
	}
	if e2etest.Eval[bool](tab, `oidc.isAuthenticated("a")`) {
		t.Error("a reads signed in")
	}
}

// TestWorkerCustodyRenewsOnTimeByAPagesIframe: a worker-custody config
// without a refresh token (no offline_access) renews on time in the worker:
// its scheduler makes a prompt=none request, which a page of the worker's
// loads in its hidden iframe and hands back; the worker validates and
// exchanges it. The provider gets one authorization request with its
// session cookie and one code exchange, no refresh; the page is told
// silentRenewStarted (iframe) and tokenRefreshed, no iframe is left, the
// page stays where it was, and the config stays signed in.
func TestWorkerCustodyRenewsOnTimeByAPagesIframe(t *testing.T) {
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: 4 * time.Second})
	cfg := p.Config("i", map[string]any{"custody": "worker"}) // no offline_access: no refresh token
	tab := workerSignedIn(t, cfg)
	e2etest.Eval[any](tab, pageRecorder)
	href := tab.Location()
	before, logStart := p.Counts(), len(p.Log())

	waitUntil(t, tab, "the renewal in the worker", eventSeen("tokenRefreshed"), renewWait)
	evs := events(tab, "silentRenewStarted", "tokenRefreshed", "silentRenewFailed")
	if len(evs) < 2 || evs[0].Type != "silentRenewStarted" || evs[0].Detail["method"] != "iframe" || evs[1].Type != "tokenRefreshed" {
		t.Fatalf("events %s, want silentRenewStarted/iframe then tokenRefreshed", describe(evs))
	}
	if a, c, r := delta(p, before, "authorize"), delta(p, before, "token:authorization_code"), delta(p, before, "token:refresh_token"); a != 1 || c != 1 || r != 0 {
		t.Errorf("the provider got %d authorization requests, %d code exchanges and %d refreshes; want 1, 1, 0", a, c, r)
	}
	if silent := silentAuthorizations(since(p, logStart)); len(silent) != 1 || !silent[0].SessionCookie {
		t.Errorf("prompt=none authorization requests %+v, want one carrying the provider's session cookie", silent)
	}
	if n := e2etest.Eval[int](tab, `document.querySelectorAll("iframe").length`); n != 0 {
		t.Errorf("%d iframes left in the page after the renewal", n)
	}
	if loc := tab.Location(); loc != href {
		t.Errorf("the page went from %s to %s during the renewal", redact(href), redact(loc))
	}
	if !isAuthenticated(tab, "i") {
		t.Error("signed out after the renewal")
	}
	if e := tab.Reject(`oidc.getAccessToken("i")`); e.Code != "token_in_worker" {
		t.Errorf("getAccessToken after the renewal: %v; want token_in_worker", e)
	}
}

// TestWorkerCustodyRevokesAndSignsOutInTheWorker: revocation and sign-out
// of a worker-custody config run in the worker, which holds the tokens.
// revokeAccessToken revokes the session's own token (naming one is refused:
// the page has none), after which the next request to the route carries a
// new valid token, not the revoked one; logoffAndRevokeTokens revokes both
// tokens, ends the provider's session through the page's navigation and
// leaves the config signed out, its route's requests without a token.
func TestWorkerCustodyRevokesAndSignsOutInTheWorker(t *testing.T) {
	tab, first := workerTokenAtAPIA(t)
	if e := tab.Reject(`oidc.revokeAccessToken("a", "some-token")`); e.Code != "invalid_request" || e.Field != "token" {
		t.Errorf("revokeAccessToken naming a token: %v; want invalid_request for field token", e)
	}
	counts := env.A.Counts()
	e2etest.Eval[any](tab, `oidc.revokeAccessToken("a").then(() => null)`)
	if n := env.A.Counts()["revoke"] - counts["revoke"]; n != 1 {
		t.Errorf("%d revocation requests; want 1", n)
	}
	if seen := fetchAPIA(t, tab); len(seen) != 1 || seen[0].Authorization != demo.AuthValid || seen[0].Fingerprint == first.Fingerprint {
		t.Errorf("plain fetch after the revocation: %+v; want a new valid token, not the revoked #%s", seen, first.Fingerprint)
	}

	counts = env.A.Counts()
	tab.Navigate(`oidc.logoffAndRevokeTokens("a")`)
	tab.WaitURL("the post-logout redirect", func(u *url.URL) bool {
		return strings.HasPrefix(u.String(), env.TestPageURL())
	})
	if r, e := env.A.Counts()["revoke"]-counts["revoke"], env.A.Counts()["end_session"]-counts["end_session"]; r != 2 || e != 1 {
		t.Errorf("%d revocation and %d end_session requests; want 2 (refresh token, access token) and 1", r, e)
	}
	tab.WaitReady()
	tab.Configure(workerConfigs(t))
	if e2etest.Eval[bool](tab, `oidc.isAuthenticated("a")`) {
		t.Error("a reads signed in after logoffAndRevokeTokens")
	}
	if seen := fetchAPIA(t, tab); len(seen) != 1 || seen[0].Authorization != demo.AuthNone {
		t.Errorf("plain fetch after the sign-out: %+v; want one request without Authorization", seen)
	}
}

// TestWorkerCustodyThreeTabsShareOneRenewal: three tabs of one browser
// context share the worker, so they share its session and its renewals:
// the provider gets one refresh per renewal however many tabs are open, and
// every tab is told each renewal, with the same expiry.
func TestWorkerCustodyThreeTabsShareOneRenewal(t *testing.T) {
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: 4 * time.Second})
	cfg := p.Config("r", map[string]any{"scope": refreshScope, "useRefreshToken": true, "custody": "worker"})
	tab := workerSignedIn(t, cfg)
	tabs := []*e2etest.Tab{tab}
	for range 2 {
		o := tab.NewTabInSameContext(t)
		o.OpenTestPage()
		o.Configure(cfg)
		if !e2etest.Eval[bool](o, `oidc.isAuthenticated("r")`) {
			t.Fatal("another tab does not share the worker's session")
		}
		tabs = append(tabs, o)
	}
	before := p.Counts()
	for _, tb := range tabs {
		e2etest.Eval[any](tb, pageRecorder)
	}
	// Two renewals (4 s tokens), told to every tab.
	renewals := `rec.events.filter((e) => e.type === "tokenRefreshed").length >= 2`
	waitUntil(t, tab, "two renewals", renewals, 2*renewWait)
	expiries := func(tb *e2etest.Tab) []float64 {
		var out []float64
		for _, ev := range events(tb, "tokenRefreshed") {
			out = append(out, ev.Detail["expiresAt"].(float64))
		}
		return out
	}
	want := expiries(tab)
	if n := delta(p, before, "token:refresh_token"); n != len(want) && n != len(want)+1 { // one may be under way
		t.Errorf("the provider got %d refreshes for %d renewals told; want one per renewal, not one per tab", n, len(want))
	}
	for i, tb := range tabs[1:] {
		waitUntil(t, tb, "the renewals in another tab", renewals, renewWait)
		if got := expiries(tb); !isPrefixFloat(want, got) && !isPrefixFloat(got, want) {
			t.Errorf("tab %d was told renewals with expiries %v; the first tab %v", i+2, got, want)
		}
	}
}

func isPrefixFloat(a, b []float64) bool {
	if len(a) > len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestWorkerCustodyRenewsOnA401AndRetriesOnce: a secure route that refuses
// the worker's token (401 invalid_token) gets the request once more with a
// renewed token, and the page sees the second answer; refused twice, the
// page gets the second 401 as it is, after one renewal and two requests,
// as the API and the provider saw them (Go's rule, the same as oidc.fetch's
// on a page).
func TestWorkerCustodyRenewsOnA401AndRetriesOnce(t *testing.T) {
	tab := env.NewTab(t)
	openControlled(t, tab)
	signInWorker(t, tab)
	t.Cleanup(func() { env.Demo.RejectNext("A", 0) })
	for _, c := range []struct {
		rejections, status int
	}{{1, 200}, {2, 401}} {
		if err := env.Demo.RejectNext("A", c.rejections); err != nil {
			t.Fatal(err)
		}
		env.Demo.ResetRequests()
		refreshes := env.A.Counts()["token:refresh_token"]
		r := tab.PlainFetch(e2etest.MustJSON(env.Target(demo.TargetAPIA)), "")
		seen := env.Demo.Requests()
		if r.Status != c.status || len(seen) != 2 || seen[0].Fingerprint == seen[1].Fingerprint {
			t.Errorf("refused %d times: the page got %d and API A saw %+v; want %d after two requests with two tokens", c.rejections, r.Status, seen, c.status)
		}
		if n := env.A.Counts()["token:refresh_token"] - refreshes; n != 1 {
			t.Errorf("refused %d times: %d renewals; want 1", c.rejections, n)
		}
	}
}

// TestWorkerCustodyReloadAnswersBeforeTheModule: signed in through the
// worker, a reload (oidc.wasm held back) has configure and checkAuth
// answered before oidc.ready, checkAuth with the worker's own answer, and
// every call about a goes to the worker (getAccessToken rejects with
// token_in_worker there too); a plain fetch to a's route then arrives with
// its token. Once the module runs, Go answers the same, and nobody is told
// a was signed out.
func TestWorkerCustodyReloadAnswersBeforeTheModule(t *testing.T) {
	tab := env.NewTab(t)
	openControlled(t, tab)
	signInWorker(t, tab)

	release := reloadHeld(t, tab)
	defer release()
	if !e2etest.Eval[bool](tab, `navigator.serviceWorker.controller !== null`) {
		t.Fatal("the reloaded held page is not controlled by the worker")
	}
	early := askEarly(tab, []any{workerConfigs(t)}, "a", nil)
	if early.Ready != "pending" {
		t.Fatalf("oidc.ready is %s while oidc.wasm is held", early.Ready)
	}
	for name, s := range map[string]*settled{"configure": early.Configure, "checkAuth": early.CheckAuth,
		"isAuthenticated": early.IsAuthenticated, "getUserData": early.UserData} {
		if s == nil || s.E != nil {
			t.Errorf("%s before the module: %v; want an answer", name, s)
		}
	}
	if s := early.AccessToken; s == nil || s.E == nil || s.E.Code != "token_in_worker" {
		t.Errorf("getAccessToken before the module: %v; want the worker's token_in_worker", s)
	}
	if t.Failed() {
		t.FailNow()
	}
	if !strings.Contains(string(early.CheckAuth.V), `"isAuthenticated":true`) || string(early.IsAuthenticated.V) != "true" {
		t.Fatalf("before the module: checkAuth %s, isAuthenticated %s; want a signed in", early.CheckAuth.V, early.IsAuthenticated.V)
	}
	if seen := fetchAPIA(t, tab); len(seen) != 1 || seen[0].Authorization != demo.AuthValid {
		t.Errorf("plain fetch to a's route before the module: the server saw %+v; want one request with a valid token", seen)
	}

	release()
	tab.WaitReady()
	goAuth := e2etest.Eval[json.RawMessage](tab, `oidc.checkAuth()`)
	goIsAuth := e2etest.Eval[json.RawMessage](tab, `oidc.isAuthenticated("a")`)
	goUser := e2etest.Eval[json.RawMessage](tab, `oidc.getUserData("a")`)
	for _, c := range []struct {
		name        string
		early, goes json.RawMessage
	}{{"checkAuth", early.CheckAuth.V, goAuth}, {"isAuthenticated", early.IsAuthenticated.V, goIsAuth}, {"getUserData", early.UserData.V, goUser}} {
		if !jsonEqual(c.early, c.goes) {
			t.Errorf("%s: before the module %s, after %s", c.name, c.early, c.goes)
		}
	}
	for _, ev := range tab.Events() {
		if ev.Type == "loggedOut" || ev.Type == "error" {
			t.Errorf("after the module ran: %s %v; want no sign-out and no error", ev.Type, ev.Detail)
		}
	}
}

// TestWorkerCustodyUncontrolledReloadWaitsForTheModule: the early records
// name a as the worker's, but a reload the worker does not control (it was
// unregistered) has nobody to answer for a: configure and checkAuth wait
// for the module, which reports a worker_unavailable, and no token goes.
func TestWorkerCustodyUncontrolledReloadWaitsForTheModule(t *testing.T) {
	tab := env.NewTab(t)
	openControlled(t, tab)
	signInWorker(t, tab)
	e2etest.Eval[any](tab, `navigator.serviceWorker.getRegistration().then((r) => r.unregister())`)

	release := reloadHeld(t, tab)
	defer release()
	if e2etest.Eval[bool](tab, `navigator.serviceWorker.controller !== null`) {
		t.Fatal("the page is controlled by the worker")
	}
	early := askEarly(tab, []any{workerConfigs(t)}, "a", nil)
	if early.Configure != nil || early.CheckAuth != nil {
		t.Errorf("before the module, uncontrolled: configure %v, checkAuth %v; want both waiting for Go", early.Configure, early.CheckAuth)
	}
	release()
	tab.WaitReady()
	res := e2etest.Eval[[]e2etest.LoginResponse](tab, `late.checkAuth.then((r) => r.v)`)
	if len(res) != 1 || res[0].IsAuthenticated || res[0].ErrorMessage == nil || !strings.Contains(*res[0].ErrorMessage, "service worker") {
		t.Errorf("checkAuth answered by the module: %+v; want a signed out with the worker_unavailable message", res)
	}
	if seen := fetchAPIA(t, tab); len(seen) != 1 || seen[0].Authorization != demo.AuthNone {
		t.Errorf("plain fetch to a's route from the uncontrolled page: the server saw %+v; want one request without Authorization", seen)
	}
}

// TestWorkerCustodyDPoPKeepsTheKeyInTheWorker: a worker-custody config
// with dpop signs in and calls its API with proofs the worker signs, with
// a key that lives in the worker's memory only: API A (a real proof
// checker, asking for a nonce) refuses the first proof, which has none,
// and accepts the one the worker sends again with it, DPoP-bound; a page
// script searching storage, IndexedDB and the window finds no CryptoKey
// object (the page-custody DPoP key is one, in IndexedDB).
func TestWorkerCustodyDPoPKeepsTheKeyInTheWorker(t *testing.T) {
	cfg := workerConfigs(t)
	cfg["dpop"] = true
	tab := workerSignedIn(t, cfg)
	if err := env.Demo.RequireDPoPNonce("A", true); err != nil {
		t.Fatal(err)
	}
	defer env.Demo.RequireDPoPNonce("A", false)
	seen := fetchAPIA(t, tab)
	if len(seen) != 2 || seen[0].Status != 401 || seen[1].Status != 200 || seen[1].Authorization != demo.AuthValid ||
		seen[1].Scheme != "DPoP" || !seen[1].DPoP || seen[1].DPoPJKT == "" {
		t.Fatalf("plain fetch to a's route: the server saw %+v; want a proof without the nonce refused, then one DPoP-bound request with a proof the API accepted", seen)
	}
	for _, s := range e2etest.Eval[[]string](tab, attackerSearch) {
		if strings.Contains(s, "[object CryptoKey]") {
			t.Errorf("a page script finds a key: %s", short(s))
		}
	}
}

// workerPopupCall starts authorizeWithPopUp for config a as a click handler
// would and keeps its outcome in window.popup ({result} or {error}).
const workerPopupCall = `(window.popup = null, oidc.authorizeWithPopUp(null, null, "a").then(
  (result) => { window.popup = { result }; },
  (e) => { window.popup = { error: e2e.error(e) }; }))`

// TestWorkerCustodySignsInWithAPopup: authorizeWithPopUp of a
// worker-custody config opens the popup in the click, the worker makes the
// request and, from the answer the page's popup took, exchanges the code:
// the page never navigates, the one token request is the popup's code
// exchange, no transaction is in the page's storage, the popup closes, and
// the next plain fetch to a's route arrives with a's token, which the page
// cannot read.
func TestWorkerCustodySignsInWithAPopup(t *testing.T) {
	env.SetAutoLogin(t, "")
	tab := env.NewTab(t)
	openControlled(t, tab)
	before, counts := tab.Location(), env.A.Counts()
	e2etest.Eval[any](tab, `window.__stayed = true`)
	popup := tab.Popup(t, func() { tab.Gesture(workerPopupCall) })
	popup.WaitURL("the provider's login form in the popup", func(u *url.URL) bool {
		return strings.HasPrefix(u.String(), env.A.Issuer()+"/login")
	})
	if n := len(pendingStates(tab)); n != 0 {
		t.Errorf("%d transactions in the page's sessionStorage; want none (the worker keeps it)", n)
	}
	popup.FillLogin("alice", "alice")
	tab.WaitFor(`window.popup`)
	out := e2etest.Eval[popupOutcome](tab, `window.popup`)
	if out.Error != nil || out.Result == nil || !out.Result.IsAuthenticated || out.Result.ConfigID != "a" {
		t.Fatalf("authorizeWithPopUp: %+v %v", out.Result, out.Error)
	}
	if here := tab.Location(); here != before || !e2etest.Eval[bool](tab, `window.__stayed === true`) {
		t.Errorf("the page navigated (from %s to %s)", redact(before), redact(here))
	}
	after := env.A.Counts()
	if c, r := after["token:authorization_code"]-counts["token:authorization_code"], after["token:refresh_token"]-counts["token:refresh_token"]; c != 1 || r != 0 {
		t.Errorf("%d code exchanges and %d refreshes at the provider; want the popup's one exchange", c, r)
	}
	waitUntilClosed(t, popup)
	if e := tab.Reject(`oidc.getAccessToken("a")`); e.Code != "token_in_worker" {
		t.Errorf("getAccessToken after the popup: %v; want token_in_worker", e)
	}
	if seen := fetchAPIA(t, tab); len(seen) != 1 || seen[0].Authorization != demo.AuthValid {
		t.Errorf("plain fetch to a's route after the popup: the server saw %+v; want one request with a valid token", seen)
	}
}

// TestWorkerCustodyPopupClosedDropsTheWorkersTransaction: a popup the user
// closes rejects with popup_closed, and the worker's transaction goes with
// it: the page tells the worker to discard that state (as the page's
// messages to the worker show), and the state then no longer completes.
func TestWorkerCustodyPopupClosedDropsTheWorkersTransaction(t *testing.T) {
	env.SetAutoLogin(t, "")
	tab := env.NewTab(t)
	openControlled(t, tab)
	// What the page asks the worker, by name and arguments.
	e2etest.Eval[any](tab, `(() => {
  const c = navigator.serviceWorker.controller, post = c.postMessage.bind(c);
  window.__calls = [];
  c.postMessage = (m, t) => { if (m && m.oidcwasm === "call") __calls.push([m.name, m.args]); return post(m, t); };
})()`)
	popup := tab.Popup(t, func() { tab.Gesture(workerPopupCall) })
	popup.WaitURL("the provider's login form in the popup", func(u *url.URL) bool {
		return strings.HasPrefix(u.String(), env.A.Issuer()+"/login")
	})
	time.Sleep(500 * time.Millisecond) // the user looks at the form (see TestPopupClosedByTheUserRejectsAndDropsTheTransaction)
	popup.Close()
	tab.WaitFor(`window.popup`)
	out := e2etest.Eval[popupOutcome](tab, `window.popup`)
	if out.Error == nil || out.Error.Code != "popup_closed" || out.Error.ConfigID != "a" {
		t.Fatalf("authorizeWithPopUp after the popup closed: %+v %+v; want popup_closed for a", out.Result, out.Error)
	}
	tab.WaitFor(`__calls.some((c) => c[0] === "discardPopup")`)
	state := e2etest.Eval[string](tab, `__calls.find((c) => c[0] === "discardPopup")[1][1]`)
	replay := e2etest.MustJSON([]string{"a", state, env.AppURL() + "/silent-refresh.html?code=forged&state=" + url.QueryEscape(state)})
	got := e2etest.Eval[string](tab, `new Promise((resolve) => {
  const ch = new MessageChannel();
  ch.port1.onmessage = (e) => resolve(e.data.error ? e.data.error.code : "completed");
  navigator.serviceWorker.controller.postMessage({oidcwasm: "call", name: "completePopup", args: `+replay+`}, [ch.port2]);
})`)
	if got != "state_mismatch" {
		t.Errorf("completing the closed popup's state afterwards: %s; want state_mismatch (the worker dropped it)", got)
	}
	if isAuthenticated(tab, "a") {
		t.Error("signed in")
	}
}

// TestWorkerCustodyANewBuildTakesTheSessionsOver: a new build of the
// worker (another script URL, as a deploy with hashed file names has it)
// installs while the old one
// runs, takes its sessions over from it, worker to worker, and controls the
// page: the next request carries the same token, the provider is asked
// for nothing, and no tab is told anything. A page script that asks the
// worker for the handover gets no answer.
func TestWorkerCustodyANewBuildTakesTheSessionsOver(t *testing.T) {
	tab, first := workerTokenAtAPIA(t)
	// A page script asking for the handover gets nothing: only a worker
	// of the origin may.
	if got := e2etest.Eval[string](tab, `new Promise((resolve) => {
  const ch = new MessageChannel();
  ch.port1.onmessage = (e) => resolve(JSON.stringify(e.data));
  navigator.serviceWorker.controller.postMessage({oidcwasm: "handover"}, [ch.port2]);
  setTimeout(() => resolve("no answer"), 1000);
})`); got != "no answer" {
		t.Fatalf("a page's handover request was answered (%d bytes, not shown: it may hold tokens)", len(got))
	}
	old := workerStats(t, tab).InstanceID
	counts := env.A.Counts()
	// A deploy that renames the script (a hashed file name): another script
	// URL for the same scope, so the browser installs it.
	e2etest.Eval[any](tab, `(window.__cc = 0, navigator.serviceWorker.addEventListener("controllerchange", () => window.__cc++),
  navigator.serviceWorker.register("/e2e/held-oidc/oidc-sw.js", {scope: "/"}).then(() => null))`)
	tab.WaitFor(`window.__cc > 0`)
	if now := workerStats(t, tab).InstanceID; now == old {
		t.Fatal("the same worker controls the page after the update")
	}
	if seen := fetchAPIA(t, tab); len(seen) != 1 || seen[0].Authorization != demo.AuthValid || seen[0].Fingerprint != first.Fingerprint {
		t.Errorf("plain fetch after the update: %+v; want one request with the token #%s the old worker had", seen, first.Fingerprint)
	}
	after := env.A.Counts()
	if a, c := after["authorize"]-counts["authorize"], after["token"]-counts["token"]; a != 0 || c != 0 {
		t.Errorf("the provider got %d authorization and %d token requests during the update; want none", a, c)
	}
	for _, ev := range tab.Events() {
		if ev.Type == "loggedOut" || ev.Type == "error" || ev.Type == "silentRenewStarted" {
			t.Errorf("during the update: %s %v", ev.Type, ev.Detail)
		}
	}
}

// TestWorkerCustodyFrontchannelLogoutSignsOutEveryTab: a worker-custody
// config with front-channel logout, signed in in two tabs through the
// worker; the user signs out at the provider, whose page frames the app's
// logout page, whose broadcast the worker hears: the worker ends the
// session (with spa's checks of iss and sid), and both tabs get loggedOut
// with reason provider once and read signed out.
func TestWorkerCustodyFrontchannelLogoutSignsOutEveryTab(t *testing.T) {
	env.Require(t, engine.CapSharedFrameStorage) // WebKit partitions the provider's frame (README, "Browser support")
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: time.Minute, FrontchannelLogout: true})
	cfg := fcConfig(p, "f", map[string]any{"custody": "worker"})
	tab := workerSignedIn(t, cfg)
	other := tab.NewTabInSameContext(t)
	other.OpenTestPage()
	other.Configure(cfg)
	if !isAuthenticated(other, "f") {
		t.Fatal("the second tab does not share the worker's session")
	}
	logOnFailure(t, p, tab, other)
	for _, tb := range []*e2etest.Tab{tab, other} {
		e2etest.Eval[any](tb, pageRecorder)
	}
	signOutAtProvider(t, tab.NewTabInSameContext(t), p)
	for i, tb := range []*e2etest.Tab{tab, other} {
		waitUntil(t, tb, "loggedOut", eventSeen("loggedOut"), 3*time.Second)
		lo := events(tb, "loggedOut")
		if len(lo) != 1 || lo[0].Detail["reason"] != "provider" || lo[0].Detail["configId"] != "f" {
			t.Errorf("tab %d: loggedOut events %+v; want one for f with reason provider", i+1, lo)
		}
		if isAuthenticated(tb, "f") {
			t.Errorf("tab %d: still signed in", i+1)
		}
	}
}
