package e2e

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oidcwasm/oidcwasm/dev/devop"
	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// renewalFrame selects the hidden iframe of a silent renewal.
const renewalFrame = `document.querySelector('iframe[title="oidcwasm silent renewal"]')`

func TestRenewByIframeWithoutRefreshTokenLeavesTheParentPageAlone(t *testing.T) {
	t.Parallel()
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: 4 * time.Second})
	cfg := p.Config("i", nil) // no offline_access: no refresh token
	tab := signedIn(t, env.NewTab(t), cfg)

	tok0 := accessToken(tab, "i")
	if s := stored(tab, "sessionStorage", "i"); s == nil || s.RefreshToken != "" {
		t.Fatalf("after sign-in sessionStorage holds %+v, want a session without refresh token", s)
	}
	type page struct {
		Href    string `json:"href"`
		History int    `json:"history"`
	}
	const where = `({ href: location.href, history: history.length })`
	page0 := e2etest.Eval[page](tab, where)
	before, logStart := p.Counts(), len(p.Log())

	waitUntil(t, tab, "the automatic renewal", eventSeen("tokenRefreshed"), renewWait)

	evs := events(tab, "silentRenewStarted", "tokenRefreshed", "silentRenewFailed")
	if len(evs) < 2 || evs[0].Type != "silentRenewStarted" || evs[0].Detail["method"] != "iframe" || evs[1].Type != "tokenRefreshed" {
		t.Fatalf("events %s, want silentRenewStarted/iframe then tokenRefreshed", describe(evs))
	}
	if tok1 := accessToken(tab, "i"); tok1 == tok0 {
		t.Errorf("getAccessToken after tokenRefreshed returns the old token")
	}
	if page1 := e2etest.Eval[page](tab, where); page1 != page0 {
		t.Errorf("the page went from %+v to %+v during the iframe renewal, want no change", page0, page1)
	}
	if n := e2etest.Eval[int](tab, `document.querySelectorAll("iframe").length`); n != 0 {
		t.Errorf("%d iframes left in the page after the renewal", n)
	}
	if a, c, r := delta(p, before, "authorize"), delta(p, before, "token:authorization_code"), delta(p, before, "token:refresh_token"); a != 1 || c != 1 || r != 0 {
		t.Errorf("the provider got %d authorization requests, %d code exchanges and %d refreshes; want 1, 1, 0", a, c, r)
	}
	log := since(p, logStart)
	silent := silentAuthorizations(log)
	if len(silent) != 1 || !silent[0].SessionCookie {
		t.Errorf("prompt=none authorization requests %+v, want one carrying the provider's session cookie (same-site iframe)", silent)
	}
	if got := tokenExchanges(log); len(got) != 1 || got[0] != "authorization_code 200" {
		t.Errorf("token requests %q, want one successful code exchange", got)
	}
}

func TestRenewAfterTheProviderSessionEndedSignsTheConfigOut(t *testing.T) {
	t.Parallel()
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: 4 * time.Second})
	cfg := p.Config("e", nil)
	tab := signedIn(t, env.NewTab(t), cfg)
	logStart := len(p.Log())

	p.EndSessions() // as if the user had signed out at the provider elsewhere

	waitUntil(t, tab, "the automatic renewal to fail", eventSeen("silentRenewFailed"), renewWait)
	failed := events(tab, "silentRenewFailed")
	if failed[0].Detail["code"] != "login_required" {
		t.Errorf("silentRenewFailed code %v, want login_required", failed[0].Detail["code"])
	}
	waitUntil(t, tab, "loggedOut", eventSeen("loggedOut"), 5*time.Second)
	if isAuthenticated(tab, "e") {
		t.Errorf("still authenticated after the provider answered login_required")
	}
	if err := tab.Reject(`oidc.getAccessToken("e")`); err.Code != "login_required" {
		t.Errorf("getAccessToken after the session ended: %v, want login_required", err)
	}
	resps := authorizationResponses(since(p, logStart))
	if len(resps) != 1 || resps[0].Error != "login_required" {
		t.Errorf("authorization responses %+v, want one login_required", resps)
	}
	if evs := events(tab, "silentRenewStarted"); len(evs) != 1 || evs[0].Detail["method"] != "iframe" {
		t.Errorf("silentRenewStarted events %s, want one by iframe and no retry", describe(evs))
	}
}

func TestSilentRenewTimesOutWhenSilentRefreshPageNeverAnswers(t *testing.T) {
	t.Parallel()
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: time.Minute,
		RedirectPaths: []string{e2etest.NoAnswerPagePath}})
	noAnswer := env.AppURL() + e2etest.NoAnswerPagePath
	cfg := p.Config("t", map[string]any{"silentRenewUrl": noAnswer, "silentRenewTimeoutInSeconds": 2})
	tab := signedIn(t, env.NewTab(t), cfg)
	logStart := len(p.Log())

	type outcome struct {
		Err *e2etest.JSError `json:"err"`
		Ms  float64          `json:"ms"`
	}
	res := e2etest.Eval[outcome](tab, `(async () => {
  const t0 = performance.now();
  try { await oidc.forceRefreshSession("t"); return { err: null, ms: performance.now() - t0 }; }
  catch (e) { return { err: e2e.error(e), ms: performance.now() - t0 }; }
})()`)
	if res.Err == nil || res.Err.Code != "timeout" {
		t.Fatalf("forceRefreshSession: %v, want a rejection with code timeout", res.Err)
	}
	if res.Ms < 2000 || res.Ms > 4000 {
		t.Errorf("forceRefreshSession rejected after %.0f ms, want about silentRenewTimeoutInSeconds (2 s)", res.Ms)
	}
	failed := events(tab, "silentRenewFailed")
	if len(failed) != 1 || failed[0].Detail["code"] != "timeout" {
		t.Errorf("silentRenewFailed events %s, want one with code timeout", describe(failed))
	}
	if n := e2etest.Eval[int](tab, `document.querySelectorAll("iframe").length`); n != 0 {
		t.Errorf("%d iframes left in the page after the timeout", n)
	}
	// The provider did answer, and the iframe reached the page, which kept quiet.
	if resps := authorizationResponses(since(p, logStart)); len(resps) != 1 || !resps[0].Code {
		t.Errorf("authorization responses %+v, want one with a code", resps)
	}
	reached := false
	for _, u := range env.PageRequests() {
		reached = reached || strings.HasPrefix(u, e2etest.NoAnswerPagePath+"?")
	}
	if !reached {
		t.Errorf("the iframe never loaded %s: the app's server got no request for it", noAnswer)
	}
	// A timeout is no answer from the provider: the session stays.
	if !isAuthenticated(tab, "t") {
		t.Errorf("signed out by a timeout")
	}
}

// TestSilentRenewIgnoresForgedMessages posts forged authorization responses
// to the page while an iframe renewal waits for the real one, which the
// provider holds back (devop Delay). Each forged message carries a
// valid-looking code, so an implementation that took it would exchange that
// code and fail with invalid_grant; the renewal must instead complete with
// the real answer, and the provider must see exactly one code exchange.
func TestSilentRenewIgnoresForgedMessages(t *testing.T) {
	t.Parallel()
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: time.Minute})
	other := startOtherOrigin(t)
	cfg := p.Config("g", nil)
	tab := signedIn(t, env.NewTab(t), cfg)
	if err := p.Delay(devop.EndpointAuthorize, 800*time.Millisecond); err != nil {
		t.Fatal(err)
	}

	// forged builds, in the page, a forged response to the pending renewal:
	// its redirect_uri with a made-up code, the given state and the issuer.
	const forged = `const frame = ` + renewalFrame + `;
  const src = new URL(frame.src);
  const realState = src.searchParams.get("state");
  const forged = (state) => {
    const u = new URL(src.searchParams.get("redirect_uri"));
    u.search = new URLSearchParams({ code: "forged-code", state, iss: ` + "`${src.origin}`" + ` });
    return u.href;
  };`

	cases := []struct {
		name string
		// forge posts forged messages to the page; given realState, forged,
		// frame and OTHER (the other origin).
		forge string
		// origin of the forged messages as the page receives them.
		origin func() string
		n      int
	}{{
		// The renewal iframe itself is sent to a page of another origin that
		// posts the forged response with the REAL state (read from the
		// iframe's src) and then goes on to the real authorization URL. The
		// message comes from our iframe's window with the pending state: only
		// the origin check stands between it and the code exchange.
		name: "from another origin in the renewal iframe, with the real state",
		forge: `frame.contentWindow.location.href = OTHER + "/forge.html?" +
    new URLSearchParams({ forge: forged(realState), next: frame.src });`,
		origin: func() string { return other.origin },
		n:      1,
	}, {
		// Another window of the app's own origin (an iframe: any script of the
		// origin could make one) posts a response with a guessed state, and one
		// with the real state. Same origin, so only the source check (and, for
		// the guess, the state check) can refuse them.
		name: "from another window of the same origin, with a guessed and the real state",
		forge: `const guessed = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))).replace(/[+/=]/g, "x");
  const w = document.createElement("iframe");
  w.id = "forger";
  w.srcdoc = "<script>" + [forged(guessed), forged(realState)].map((u) =>
    "parent.postMessage(" + JSON.stringify(u) + ", " + JSON.stringify(location.origin) + ");").join("") + "<\/script>";
  document.body.appendChild(w);`,
		origin: env.AppURL,
		n:      2,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tab := tab.In(t)
			tok0 := accessToken(tab, "g")
			before, logStart := p.Counts(), len(p.Log())
			e2etest.Eval[any](tab, `void (rec.messages = [], window.renewal = oidc.forceRefreshSession("g").then(
  () => ({ ok: true, at: Date.now() }), (e) => ({ ok: false, err: e2e.error(e), at: Date.now() })))`)
			waitUntil(t, tab, "the renewal iframe", renewalFrame, 5*time.Second)
			e2etest.Eval[any](tab, `(() => { const OTHER = `+e2etest.MustJSON(other.origin)+`;
  `+forged+`
  `+c.forge+`
})()`)
			type settled struct {
				OK  bool             `json:"ok"`
				Err *e2etest.JSError `json:"err"`
				At  int64            `json:"at"`
			}
			res := e2etest.Eval[settled](tab, `window.renewal`)
			if !res.OK {
				t.Fatalf("the renewal failed: %v; events %s", res.Err, describe(events(tab)))
			}

			type message struct {
				Origin string `json:"origin"`
				Data   string `json:"data"`
				At     int64  `json:"at"`
			}
			var forgedSeen []message
			for _, m := range e2etest.Eval[[]message](tab, `rec.messages`) {
				if strings.Contains(m.Data, "code=forged-code") {
					forgedSeen = append(forgedSeen, m)
				}
			}
			if len(forgedSeen) != c.n {
				t.Fatalf("the page received %d forged messages, want %d: the test did not forge what it meant to", len(forgedSeen), c.n)
			}
			for _, m := range forgedSeen {
				if m.Origin != c.origin() || m.At > res.At {
					t.Errorf("forged message from %s at %d, want from %s before the renewal settled at %d", m.Origin, m.At, c.origin(), res.At)
				}
			}
			if tok1 := accessToken(tab, "g"); tok1 == tok0 {
				t.Errorf("the renewal resolved but the access token did not change")
			}
			if n := delta(p, before, "token:authorization_code"); n != 1 {
				t.Errorf("%d code exchanges, want 1: the real code only", n)
			}
			if got := tokenExchanges(since(p, logStart)); len(got) != 1 || got[0] != "authorization_code 200" {
				t.Errorf("token requests %q, want the real code's exchange only", got)
			}
			if evs := events(tab, "silentRenewFailed", "loggedOut"); len(evs) > 0 {
				t.Errorf("events %s during a renewal that must succeed", describe(evs))
			}
			e2etest.Eval[any](tab, `document.getElementById("forger")?.remove()`)
		})
	}
	if n := other.served.Load(); n != 1 {
		t.Errorf("the other origin served its page %d times, want 1", n)
	}
}

// otherOrigin is a web server on another port of localhost: another origin
// than the app's, on the same site.
type otherOrigin struct {
	origin string
	served atomic.Int32
}

// startOtherOrigin serves /forge.html, a page that posts ?forge= to its
// parent with target origin "*" and then goes on to ?next=.
func startOtherOrigin(t *testing.T) *otherOrigin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &otherOrigin{origin: fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /forge.html", func(w http.ResponseWriter, r *http.Request) {
		o.served.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><title>another origin</title>
<script>
const q = new URLSearchParams(location.search);
parent.postMessage(q.get("forge"), "*");
location.replace(q.get("next"));
</script>`)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return o
}

func TestSilentRenewFromACrossSiteProviderEndsInLoginRequired(t *testing.T) {
	t.Parallel()
	// The provider as http://127.0.0.1:PORT, the app on http://localhost:PORT:
	// two sites, as an app and its identity provider usually are.
	p := env.StartProvider(t, e2etest.ProviderOptions{AccessTokenLifetime: time.Minute, CrossSite: true})
	if !strings.HasPrefix(p.Issuer(), "http://127.0.0.1:") {
		t.Fatalf("issuer %s, want http://127.0.0.1:PORT", p.Issuer())
	}
	cfg := p.Config("x", map[string]any{"silentRenew": false})
	tab := signedIn(t, env.NewTab(t), cfg) // the top-level login works cross-site
	logStart := len(p.Log())

	// The browser holds the provider's session cookie...
	jar := tab.Cookies(p.Issuer() + "/")
	lax := false
	for _, c := range jar {
		lax = lax || (strings.HasPrefix(c.Name, "devop_session_") && c.SameSite == "lax")
	}
	if !lax {
		t.Fatalf("no SameSite=Lax devop session cookie for %s after the login: %+v", p.Issuer(), jar)
	}

	// ...but does not send it in the app's iframe, a cross-site subresource:
	// login_required at once (not a wait for silentRenewTimeoutInSeconds),
	// with a message that says why and what to do.
	start := time.Now()
	err := tab.Reject(`oidc.forceRefreshSession("x")`)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("forceRefreshSession took %v: it waited for the timeout instead of the provider's answer", took)
	}
	if err.Code != "login_required" {
		t.Errorf("forceRefreshSession: %v, want login_required", err)
	}
	for _, want := range []string{"another site", "third-party cookies", "useRefreshToken: true", "offline_access"} {
		if !strings.Contains(err.Message, want) {
			t.Errorf("the login_required message lacks %q: %s", want, err.Message)
		}
	}
	log := since(p, logStart)
	if silent := silentAuthorizations(log); len(silent) != 1 || silent[0].SessionCookie {
		t.Errorf("prompt=none authorization requests %+v, want one without the session cookie", silent)
	}
	if resps := authorizationResponses(log); len(resps) != 1 || resps[0].Error != "login_required" {
		t.Errorf("authorization responses %+v, want one login_required", resps)
	}
	if failed := events(tab, "silentRenewFailed"); len(failed) != 1 || failed[0].Detail["code"] != "login_required" {
		t.Errorf("silentRenewFailed events %s, want one login_required", describe(failed))
	}
	waitUntil(t, tab, "loggedOut", eventSeen("loggedOut"), 5*time.Second)
	if isAuthenticated(tab, "x") {
		t.Errorf("still authenticated after login_required")
	}
}
