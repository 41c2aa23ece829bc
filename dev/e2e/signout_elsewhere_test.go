package e2e

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/e2etest"
	"github.com/oidcwasm/oidcwasm/dev/internal/engine"
)

// docs/DESIGN.md, "Sign-out from elsewhere": a session the provider ended ends
// here too, in every tab, with loggedOut reason "provider". The provider is
// devop (its own sign-out page /signout renders the clients' front-channel
// logout iframes; /check_session is its check_session_iframe); the tabs
// are Chromium's.

// fcConfig is a config of p with front-channel logout (the test pages'
// copy of frontchannel-logout.html), overridden by fields.
func fcConfig(p *e2etest.Provider, id string, fields map[string]any) map[string]any {
	f := map[string]any{"frontchannelLogoutUrl": env.AppURL() + e2etest.FrontchannelLogoutPagePath}
	for k, v := range fields {
		f[k] = v
	}
	return p.Config(id, f)
}

// signOutAtProvider opens the provider's own sign-out page in tab, signs out
// there, and waits until the page has loaded every front-channel logout
// iframe it renders. It returns when the button was clicked and the URLs
// the iframes loaded.
func signOutAtProvider(t *testing.T, tab *e2etest.Tab, p *e2etest.Provider) (time.Time, []string) {
	t.Helper()
	tab.Open(p.Issuer() + "/signout")
	tab.WaitFor(`document.querySelector("#signout")`)
	at := time.Now()
	click(t, tab, "#signout")
	tab.WaitFor(`document.querySelector("h1")?.textContent === "Signed out" && document.querySelectorAll("li.done").length === document.querySelectorAll("iframe").length`)
	return at, e2etest.Eval[[]string](tab, `Array.from(document.querySelectorAll("iframe"), (f) => f.src)`)
}

// consoleSays waits up to limit for a console message of tab that contains
// want, and reports whether one came.
func consoleSays(tab *e2etest.Tab, want string, limit time.Duration) bool {
	for deadline := time.Now().Add(limit); ; time.Sleep(50 * time.Millisecond) {
		for _, m := range tab.Console() {
			if strings.Contains(m.Text, want) {
				return true
			}
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// signedOutByProvider checks that tab's session of id ended once, with
// reason "provider", no later than limit after since, and that nothing of it
// is left; it returns how long it took.
func signedOutByProvider(t *testing.T, tab *e2etest.Tab, id, storage string, since time.Time, limit time.Duration) time.Duration {
	t.Helper()
	waitUntil(t, tab, "loggedOut", eventSeen("loggedOut"), limit+time.Second)
	lo := events(tab, "loggedOut")
	if len(lo) != 1 || lo[0].Detail["reason"] != "provider" || lo[0].Detail["configId"] != id {
		t.Errorf("loggedOut events %+v, want one for %s with reason provider", lo, id)
	}
	took := time.UnixMilli(lo[0].At).Sub(since)
	if took > limit {
		t.Errorf("signed out %v after the provider's sign-out, want within %v", took, limit)
	}
	if isAuthenticated(tab, id) {
		t.Error("loggedOut, but still signed in")
	}
	if err := tab.Reject(`oidc.getAccessToken(` + e2etest.MustJSON(id) + `)`); err.Code != "login_required" {
		t.Errorf("getAccessToken: %v, want login_required", err)
	}
	if stored(tab, storage+"Storage", id) != nil {
		t.Error("the session is still stored")
	}
	return took
}

// TestFrontchannelLogoutSignsOutEveryTab: OpenID Connect Front-Channel Logout
// 1.0 with the provider's own sign-out page: one open tab, two with a
// session each, two sharing one; every tab ends its session within 2 s,
// with reason "provider". The logout page got iss and sid and nothing else,
// and sent the provider nothing (a token least of all): after the sign-out
// the provider heard only its own page.
func TestFrontchannelLogoutSignsOutEveryTab(t *testing.T) {
	// The provider frames the app's logout page: in WebKit that frame's
	// BroadcastChannel and storage are not the app tabs' (README.md, "Browser
	// support").
	env.Require(t, engine.CapSharedFrameStorage)
	t.Parallel()
	for _, c := range []struct {
		name, storage string
		tabs          int
	}{
		{"one tab", "session", 1},
		{"two tabs, a session each", "session", 2},
		{"two tabs, one shared session", "local", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: time.Minute, FrontchannelLogout: true})
			cfg := fcConfig(p, "f", map[string]any{"storage": c.storage})
			first := signedIn(t, env.NewTab(t), cfg)
			tabs := []*e2etest.Tab{first}
			for len(tabs) < c.tabs {
				tabs = append(tabs, anotherTab(t, first, cfg, c.storage))
			}
			logOnFailure(t, p, tabs...)
			sid := sessionSID(t, first, c.storage, "f")

			heard := len(p.Log())
			clicked, frames := signOutAtProvider(t, first.NewTabInSameContext(t), p)
			for i, tab := range tabs {
				took := signedOutByProvider(t, tab.In(t), "f", c.storage, clicked, 2*time.Second)
				t.Logf("tab %d signed out %v after the click at the provider", i+1, took.Round(time.Millisecond))
			}

			want := env.AppURL() + e2etest.FrontchannelLogoutPagePath + "?" + url.Values{"iss": {p.Issuer()}, "sid": {sid}}.Encode()
			if len(frames) != 1 || frames[0] != want {
				t.Errorf("the provider framed %q, want only %q (iss and sid, nothing else)", frames, want)
			}
			for _, x := range p.Log()[heard:] {
				if x.Path != "/signout" && x.Path != "/favicon.ico" {
					t.Errorf("after the sign-out the provider got %s: only its own page should have talked to it", x.Path)
				}
			}
		})
	}
}

// anotherTab opens another tab of first's browser, signed in to cfg and
// recording events: with sessionStorage it signs in itself (the provider's
// session cookie makes that a redirect round trip), with localStorage it
// restores the session first signed in to.
func anotherTab(t *testing.T, first *e2etest.Tab, cfg map[string]any, storage string) *e2etest.Tab {
	t.Helper()
	next := first.NewTabInSameContext(t)
	if storage == "session" {
		return signedIn(t, next, cfg)
	}
	id := cfg["configId"].(string)
	next.OpenTestPage()
	next.Configure(cfg)
	if res := next.CheckAuth(); !res[id].IsAuthenticated {
		t.Fatalf("tab 2 does not restore the shared session: %+v", res[id])
	}
	e2etest.Eval[any](next, pageRecorder)
	return next
}

// sessionSID is the sid claim of the stored session of id (the ID token's).
func sessionSID(t *testing.T, tab *e2etest.Tab, storage, id string) string {
	t.Helper()
	raw := e2etest.Eval[*string](tab, storage+`Storage.getItem(`+e2etest.MustJSON("oidcwasm:oidcwasm."+id+".session")+`)`)
	var env struct {
		Session struct {
			Claims struct {
				SID string `json:"sid"`
			} `json:"claims"`
		} `json:"session"`
	}
	if raw == nil || json.Unmarshal([]byte(*raw), &env) != nil || env.Session.Claims.SID == "" {
		t.Fatalf("no sid in the stored session of %s", id)
	}
	return env.Session.Claims.SID
}

// TestFrontchannelLogoutReachesATabThatLoadsLater: no tab of the app is open
// when the provider signs the user out (the one tab is on the provider's
// page); the tab that loads the app next, the same one with its
// sessionStorage or a new one sharing localStorage, ends the session at
// configure, with reason "provider", before checkAuth could restore it.
func TestFrontchannelLogoutReachesATabThatLoadsLater(t *testing.T) {
	// The provider frames the app's logout page: in WebKit that frame's
	// BroadcastChannel and storage are not the app tabs' (README.md, "Browser
	// support").
	env.Require(t, engine.CapSharedFrameStorage)
	t.Parallel()
	for _, storage := range []string{"session", "local"} {
		t.Run(storage, func(t *testing.T) {
			t.Parallel()
			p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: time.Minute, FrontchannelLogout: true})
			cfg := fcConfig(p, "f", map[string]any{"storage": storage})
			tab := signedIn(t, env.NewTab(t), cfg)
			logOnFailure(t, p, tab)

			signOutAtProvider(t, tab, p) // the app's only tab leaves for the provider
			later := tab
			if storage == "local" {
				later = tab.NewTabInSameContext(t)
			}
			later.OpenTestPage()
			later.Configure(cfg)
			if res := later.CheckAuth(); res["f"].IsAuthenticated {
				t.Fatal("the tab that loaded later is signed in")
			}
			var types []string
			for _, e := range later.Events() {
				types = append(types, e.Type)
				if e.Type == "loggedOut" && e.Detail["reason"] != "provider" {
					t.Errorf("loggedOut %v, want reason provider", e.Detail)
				}
			}
			if got := strings.Join(types, " "); got != "configLoaded loggedOut" {
				t.Errorf("events %q, want configLoaded then loggedOut (and no restored sign-in)", got)
			}
			if stored(later, storage+"Storage", "f") != nil {
				t.Error("the session is still stored")
			}
		})
	}
}

// attackerServer serves, on another origin of the app's site
// (http://localhost:PORT), a page that frames the URL in its src parameter.
func attackerServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ErrorLog: log.New(io.Discard, "", 0), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>not the provider</title><iframe src="%s"></iframe>`, html.EscapeString(r.URL.Query().Get("src")))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
}

// TestForgedFrontchannelLogoutChangesNothing: loads of the logout page that
// are not the provider ending this session leave the session as it was and
// say why in the tab's console: the page framed by another origin or loaded
// outside a frame with the session's very iss and sid, the provider ending
// another of its sessions (another sid), another provider ending one of its
// own (another iss), a provider that sends neither; and the demo's own copy
// of the page, which only the providers may frame, does not even run.
func TestForgedFrontchannelLogoutChangesNothing(t *testing.T) {
	t.Parallel()
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: time.Minute, FrontchannelLogout: true})
	cfg := fcConfig(p, "f", nil)
	tab := signedIn(t, env.NewTab(t), cfg)
	logOnFailure(t, p, tab)
	sid := sessionSID(t, tab, "session", "f")
	attacker := attackerServer(t)
	framed := func(page, iss, sid string) string {
		return attacker + "/?src=" + url.QueryEscape(page+"?"+url.Values{"iss": {iss}, "sid": {sid}}.Encode())
	}
	page := env.AppURL() + e2etest.FrontchannelLogoutPagePath
	// signOutElsewhere signs in at q as another config (a session of q that
	// this tab's config does not have) in a tab of its own, and signs out there.
	signOutElsewhere := func(t *testing.T, q *e2etest.Provider, prompt string) {
		other := tab.NewTabInSameContext(t)
		c := q.Config("other", map[string]any{"customParamsAuthRequest": map[string]any{"prompt": prompt}})
		signedIn(t, other, c)
		signOutAtProvider(t, other, q)
	}
	storedRequests := func() int {
		return e2etest.Eval[int](tab, `JSON.parse(localStorage.getItem("oidcwasm:frontchannel-logout") || "[]").length`)
	}

	for _, c := range []struct {
		name   string
		attack func(t *testing.T)
		says   string // in the tab's console; "" when nothing reaches the tab
	}{
		{"framed by another origin, with the session's iss and sid", func(t *testing.T) {
			tab.NewTabInSameContext(t).Open(framed(page, p.Issuer(), sid))
		}, "framed by " + attacker + ", not by the provider"},
		{"loaded outside a frame, with the session's iss and sid", func(t *testing.T) {
			tab.NewTabInSameContext(t).Open(page + "?" + url.Values{"iss": {p.Issuer()}, "sid": {sid}}.Encode())
		}, "loaded outside a frame"},
		{"the provider ends another of its sessions", func(t *testing.T) {
			signOutElsewhere(t, p, "login") // a new browser session at p: another sid
		}, "the sid is not the session's"},
		{"another provider ends one of its sessions", func(t *testing.T) {
			signOutElsewhere(t, env.StartProvider(t, e2etest.ProviderOptions{FrontchannelLogout: true}), "")
		}, "which is the issuer of no config with frontchannelLogoutUrl"},
		{"a provider that sends no iss and sid", func(t *testing.T) {
			signOutElsewhere(t, env.StartProvider(t, e2etest.ProviderOptions{FrontchannelLogout: true, FrontchannelWithoutSession: true}), "")
		}, "the request carries no iss and sid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Whether a framed request reached the tab and was refused: only
			// where a logout frame reaches the tabs at all.
			if !strings.HasPrefix(c.name, "loaded outside a frame") {
				env.Require(t, engine.CapSharedFrameStorage)
			}
			c.attack(t)
			if !consoleSays(tab, c.says, 5*time.Second) {
				t.Errorf("the tab's console does not say %q", c.says)
			}
			if !isAuthenticated(tab.In(t), "f") || len(events(tab.In(t), "loggedOut")) != 0 {
				t.Fatal("the session ended")
			}
			if strings.Contains(consoleText(tab), sid) {
				t.Error("the console shows the session's sid")
			}
		})
	}

	t.Run("the demo's copy framed by another origin does not run", func(t *testing.T) {
		before := storedRequests()
		attackerTab := tab.NewTabInSameContext(t)
		attackerTab.Open(framed(env.AppURL()+"/frontchannel-logout.html", p.Issuer(), sid))
		// The refusal is the browser's own log: only console events show it.
		if !env.Supports(engine.CapConsole) {
			t.Logf("the refusal is not checked: %s has no %s; the stored requests below are", env.Engine(), engine.CapConsole)
		} else if !consoleSays(attackerTab, "frame-ancestors", 5*time.Second) {
			t.Error("the browser did not refuse the frame (frame-ancestors)")
		}
		if n := storedRequests(); n != before {
			t.Errorf("the page ran in a frame of another origin: %d stored requests, %d before", n, before)
		}
		if !isAuthenticated(tab.In(t), "f") {
			t.Fatal("the session ended")
		}
	})
	// Still usable: the provider takes its token.
	if s := stored(tab, "sessionStorage", "f"); s == nil || !usableAccess(t, p.Issuer(), s.AccessToken) {
		t.Error("the session's token no longer works")
	}
}

func consoleText(tab *e2etest.Tab) string {
	var b strings.Builder
	for _, m := range tab.Console() {
		b.WriteString(m.Text + "\n")
	}
	return b.String()
}

// TestCheckSessionUnchangedThenChanged: OpenID Connect Session Management 1.0
// against devop's check_session_iframe, which reads its own cookie in the
// app's page. Unchanged: the iframe is loaded once and nothing renews. The
// user signs in again at the provider (a new browser state): one prompt=none
// renewal in the iframe, though the session has a refresh token, and the
// session goes on with the new session_state, asked about from then on. The
// user signs out at the provider: changed, one prompt=none renewal,
// login_required, and the session ends with reason "provider".
func TestCheckSessionUnchangedThenChanged(t *testing.T) {
	t.Parallel()
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: time.Minute})
	cfg := p.Config("c", map[string]any{"scope": refreshScope, "useRefreshToken": true, "checkSession": true, "checkSessionIntervalInSeconds": 0.5})
	tab := signedIn(t, env.NewTab(t), cfg)
	e2etest.Eval[any](tab, `oidc.addEventListener("checkSessionFailed", (e) => rec.events.push({ type: "checkSessionFailed", detail: e.detail, at: Date.now() }))`)
	logOnFailure(t, p, tab)
	count := func(path, prompt string) int {
		n := 0
		for _, x := range p.Log() {
			if x.Path == path && (prompt == "" || x.Prompt == prompt) {
				n++
			}
		}
		return n
	}

	time.Sleep(3 * time.Second) // six questions
	if n := count("/check_session", ""); n != 1 {
		t.Errorf("the check_session_iframe was loaded %d times, want once", n)
	}
	if n := count("/authorize", "none"); n != 0 || len(events(tab, "silentRenewStarted", "checkSessionFailed", "loggedOut")) != 0 {
		t.Fatalf("unchanged: %d prompt=none requests, events %s", n, describe(events(tab)))
	}

	// Signed in again at the provider: a new browser state.
	other := tab.NewTabInSameContext(t)
	signedIn(t, other, p.Config("other", map[string]any{"customParamsAuthRequest": map[string]any{"prompt": "login"}}))
	waitUntil(t, tab, "the renewal after changed", eventSeen("tokenRefreshed"), 10*time.Second)
	started := events(tab, "silentRenewStarted")
	if len(started) != 1 || started[0].Detail["method"] != "iframe" {
		t.Fatalf("renewals %+v, want one in the iframe", started)
	}
	time.Sleep(2 * time.Second) // four more questions, about the new state
	if n := count("/authorize", "none"); n != 1 || len(events(tab, "checkSessionFailed", "loggedOut")) != 0 || !isAuthenticated(tab, "c") {
		t.Fatalf("after the same user signed in again: %d prompt=none requests, events %s", n, describe(events(tab)))
	}

	// Signed out at the provider.
	clicked, _ := signOutAtProvider(t, other, p)
	took := signedOutByProvider(t, tab, "c", "session", clicked, 5*time.Second)
	t.Logf("check-session signed the tab out %v after the sign-out at the provider", took.Round(time.Millisecond))
	if n := count("/authorize", "none"); n != 2 {
		t.Errorf("%d prompt=none requests in all, want 2", n)
	}
	if f := events(tab, "silentRenewFailed"); len(f) != 1 || f[0].Detail["code"] != "login_required" {
		t.Errorf("silentRenewFailed %+v, want one with login_required", f)
	}
	if n := len(events(tab, "checkSessionFailed")); n != 0 {
		t.Errorf("%d checkSessionFailed", n)
	}
}
