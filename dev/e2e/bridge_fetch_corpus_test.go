package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/demo"
	"github.com/oidcwasm/oidcwasm/dev/e2etest"
)

// corpusHelpers is installed in the test page once: the odd inputs a
// careful caller (or an attacker's data) can hand to oidc.fetch.
const corpusHelpers = `(() => {
  const T = {};
  // A Request subclass whose url getter lies.
  T.Liar = class extends Request {
    constructor(real, decoy, init) { super(real, init); this._decoy = decoy; }
    get url() { return this._decoy; }
  };
  // A Request made by another realm (a same-origin iframe).
  const f = document.createElement("iframe");
  document.body.append(f);
  T.FrameRequest = f.contentWindow.Request;
  // An input whose text changes after it has been read once.
  T.flip = (first, later) => { let n = 0; return { toString() { return n++ === 0 ? first : later; } }; };
  // An init whose members come from its prototype or a getter.
  T.inherit = (proto) => Object.create(proto);
  T.getter = (name, value) => Object.defineProperty({}, name, { get() { return value; }, enumerable: false });
  // Calls oidc.fetch; then, in the same task, runs after() (mutations the
  // snapshot must not see). Never rejects: reports the outcome.
  T.run = async (call, after) => {
    let p;
    try { p = call(); } catch (e) { return { outcome: "throw", error: e.name + ": " + e.message }; }
    if (after) after();
    try {
      const r = await p;
      return { outcome: "response", status: r.status, type: r.type };
    } catch (e) {
      return { outcome: "reject", error: e.name + (e.code ? " " + e.code : "") + ": " + e.message, code: e.code || "" };
    }
  };
  T.setBase = (href) => {
    let b = document.querySelector("base");
    if (!b) { b = document.createElement("base"); document.head.prepend(b); }
    b.href = href;
  };
  T.clearBase = () => { const b = document.querySelector("base"); if (b) b.remove(); };
  window.T = T;
  return true;
})()`

type corpusCase struct {
	name  string
	call  string // JS: a function body expression calling oidc.fetch, e.g. oidc.fetch("...")
	after string // JS run right after the call, in the same task ("" = none)
	// wantCode, when set, is the OidcError code the call must reject with.
	wantCode string
	// direct: the case sends no redirect, so what the server saw is what
	// was asked, and matchRoute must agree with whether a token arrived.
	direct bool
}

type corpusOutcome struct {
	Outcome string `json:"outcome"`
	Status  int    `json:"status"`
	Type    string `json:"type"`
	Error   string `json:"error"`
	Code    string `json:"code"`
}

// TestFetchCorpusNeverPutsATokenOutsideItsRoute runs a corpus of tricky
// inputs through oidc.fetch in Chromium and checks, for every request the
// servers received, that a token arrived only inside the route of the config
// it belongs to (an oracle written here from the route rules: config a owns
// http://APP/api except /api/admin, config b owns http://APP/api/admin and
// http://API/api/b) and that matchRoute agrees with what fetch did.
func TestFetchCorpusNeverPutsATokenOutsideItsRoute(t *testing.T) {
	tab := env.NewTab(t)
	tokA, tokB := signInBoth(t, tab)
	app, api := env.AppURL(), env.Demo.APIURL()
	configs := env.Configs()
	for i := range configs {
		if configs[i].ConfigID == "b" {
			configs[i].SecureRoutes = append(configs[i].SecureRoutes, app+"/api/admin")
		}
	}
	anyConfigs := make([]any, len(configs))
	for i := range configs {
		anyConfigs[i] = configs[i]
	}
	tab.Configure(anyConfigs...)
	tab.CheckAuth()
	e2etest.Eval[bool](tab, corpusHelpers)

	appHost, apiHost := hostOf(t, app), hostOf(t, api)
	owner := func(hostPath string) string { // the oracle: which config's token may arrive here
		host, path, _ := strings.Cut(hostPath, "/")
		path, _, _ = strings.Cut("/"+path, "?")
		under := func(route string) bool { return path == route || strings.HasPrefix(path, route+"/") }
		switch {
		case host == appHost && under("/api/admin"):
			return "b"
		case host == appHost && under("/api"):
			return "a"
		case host == apiHost && under("/api/b"):
			return "b"
		}
		return ""
	}
	fingerprints := map[string]string{demo.Fingerprint(tokA): "a", demo.Fingerprint(tokB): "b"}

	var cases []corpusCase
	q := e2etest.MustJSON
	leak := app + "/apix/leak"
	targets := []string{
		app + "/api/a/x", app + "/api/x", app + "/api", app + "/api/", app + "/api/a/x?q=1#frag",
		app + "/api/a/x#../../apix", app + "/API/a/x", app + "/api/a/../x", app + "/api/a/../../apix/x",
		app + "/api/%2e%2e/apix/x", app + "/api/a/%2E%2E/%2E%2E/echo", app + "/api/a/%2Fx",
		app + "/apix/x", app + "/apix", app + "/echo", app + "/api/admin/z", app + "/api/adminx",
		strings.ToUpper(app) + "/api/a/x", strings.Replace(app, "localhost", "127.0.0.1", 1) + "/api/a/x",
		api + "/api/b/x", api + "/api/a/x", api + "/api/b/../a", api + "/api/bx",
		"/api/a/x", "api/a/x", "/apix/../api/a/x", "/api/a/./x", `/api\\a\\x`, " /api/a/x ", "\t/api/a/x",
		strings.Replace(app, "http:", "", 1) + "/api/a/x", strings.Replace(app, "http://", "http://user:pw@", 1) + "/api/a/x",
	}
	for _, u := range targets {
		cases = append(cases,
			corpusCase{name: "string " + u, call: `oidc.fetch(` + q(u) + `)`, direct: true},
			corpusCase{name: "string, init null " + u, call: `oidc.fetch(` + q(u) + `, null)`, direct: true},
			corpusCase{name: "URL object " + u, call: `oidc.fetch(new URL(` + q(u) + `, document.baseURI))`, direct: true},
			corpusCase{name: "Request " + u, call: `oidc.fetch(new Request(` + q(u) + `))`, direct: true},
			corpusCase{name: "other realm's Request " + u, call: `oidc.fetch(new T.FrameRequest(new URL(` + q(u) + `, document.baseURI).href))`, direct: true},
			corpusCase{name: "Request subclass, decoy url " + u, call: `oidc.fetch(new T.Liar(` + q(leak) + `, new URL(` + q(u) + `, document.baseURI).href))`, direct: true},
			corpusCase{name: "Request subclass, real url " + u, call: `oidc.fetch(new T.Liar(` + q(u) + `, ` + q(leak) + `))`, direct: true},
			corpusCase{name: "input whose text flips " + u, call: `oidc.fetch(T.flip(new URL(` + q(u) + `, document.baseURI).href, ` + q(leak) + `))`, direct: true},
			corpusCase{name: "URL object changed after the call " + u, call: `(window.U = new URL(` + q(u) + `, document.baseURI), oidc.fetch(U))`, after: `U.pathname = "/apix/leak"`, direct: true},
		)
	}
	// <base href> changed right after the call.
	for _, rel := range []string{"x", "./y", "../a/z", "?q=1"} {
		cases = append(cases, corpusCase{name: "base changed after the call " + rel,
			call: `(T.setBase(` + q(app+"/api/a/") + `), oidc.fetch(` + q(rel) + `))`, after: `T.setBase(` + q(app+"/apix/") + `)`, direct: true})
	}
	// Redirects of every status from a's route to a sibling path, into b's
	// route, and cross-origin; with the caller's redirect modes.
	for _, status := range []int{301, 302, 303, 307, 308} {
		for _, to := range []string{"/apix/y", "/api/admin/z", "/api/a/in-route", api + "/api/b/x", api + "/echo"} {
			from := fmt.Sprintf("%s/api/a/r?%s=%d&%s=%s", app, demo.QueryRedirect, status, demo.QueryTo, url.QueryEscape(to))
			name := fmt.Sprintf("%d to %s", status, to)
			cases = append(cases,
				corpusCase{name: "redirect " + name, call: `oidc.fetch(` + q(from) + `)`, wantCode: "redirect_blocked"},
				corpusCase{name: "redirect, POST " + name, call: `oidc.fetch(` + q(from) + `, {method: "POST", body: "b"})`, wantCode: "redirect_blocked"},
				corpusCase{name: "redirect, Request " + name, call: `oidc.fetch(new Request(` + q(from) + `))`, wantCode: "redirect_blocked"},
				corpusCase{name: "redirect, inherited manual " + name, call: `oidc.fetch(` + q(from) + `, T.inherit({redirect: "manual"}))`},
				corpusCase{name: "redirect, getter manual " + name, call: `oidc.fetch(` + q(from) + `, T.getter("redirect", "manual"))`},
				corpusCase{name: "redirect, error " + name, call: `oidc.fetch(` + q(from) + `, {redirect: "error"})`},
				corpusCase{name: "redirect, inherited error " + name, call: `oidc.fetch(` + q(from) + `, T.inherit({redirect: "error"}))`},
			)
		}
		// A 401 challenge from the redirect target must not make the library
		// renew and send a token there again.
		to := app + "/apix/c?" + demo.QueryChallenge + "=1"
		from := fmt.Sprintf("%s/api/a/r?%s=%d&%s=%s", app, demo.QueryRedirect, status, demo.QueryTo, url.QueryEscape(to))
		cases = append(cases, corpusCase{name: fmt.Sprintf("redirect %d to a 401 challenge", status), call: `oidc.fetch(` + q(from) + `)`, wantCode: "redirect_blocked"})
	}
	// no-cors: the browser would drop the header without a word.
	cases = append(cases,
		corpusCase{name: "no-cors on a secure route", call: `oidc.fetch(` + q(app+"/api/a/x") + `, {mode: "no-cors"})`, wantCode: "invalid_request", direct: true},
		corpusCase{name: "inherited no-cors on a secure route", call: `oidc.fetch(` + q(app+"/api/a/x") + `, T.inherit({mode: "no-cors"}))`, wantCode: "invalid_request", direct: true},
		corpusCase{name: "no-cors Request on a secure route", call: `oidc.fetch(new Request(` + q(app+"/api/a/x") + `, {mode: "no-cors"}))`, wantCode: "invalid_request", direct: true},
		corpusCase{name: "no-cors off the routes", call: `oidc.fetch(` + q(app+"/echo") + `, {mode: "no-cors"})`, direct: true},
	)
	if len(cases) < 150 {
		t.Fatalf("corpus has %d cases, want at least 150", len(cases))
	}

	for _, c := range cases {
		env.Demo.ResetRequests()
		after := "undefined"
		if c.after != "" {
			after = `() => { ` + c.after + ` }`
		}
		out := e2etest.Eval[corpusOutcome](tab, `T.run(() => `+c.call+`, `+after+`)`)
		e2etest.Eval[bool](tab, `(T.clearBase(), true)`)
		seen := env.Demo.Requests()
		// The tokens may have been renewed meanwhile (the timer, a 401 of a
		// route): learn the current ones, so a renewed token is known as its
		// config's and only an unknown one is a stranger.
		for id, tok := range e2etest.Eval[map[string]string](tab, `(async () => ({a: await oidc.getAccessToken("a"), b: await oidc.getAccessToken("b")}))()`) {
			fingerprints[demo.Fingerprint(tok)] = id
		}
		for _, r := range seen {
			if r.Authorization == demo.AuthNone {
				continue
			}
			got := fingerprints[r.Fingerprint]
			if want := owner(r.URL); got == "" || got != want {
				t.Errorf("%s: a token (config %q) arrived at %s, whose route belongs to %q", c.name, got, r.URL, want)
			}
		}
		if c.wantCode != "" && (out.Outcome != "reject" || out.Code != c.wantCode) {
			t.Errorf("%s: %s %d %s; want a rejection with code %s", c.name, out.Outcome, out.Status, out.Error, c.wantCode)
		}
		if c.wantCode == "redirect_blocked" && !strings.Contains(out.Error, "secure route "+app+"/api of config a") {
			t.Errorf("%s: %q does not name the entry (%s/api) and config a", c.name, out.Error, app)
		}
		if c.direct && len(seen) == 1 {
			r := seen[0]
			route := deref(e2etest.Eval[*string](tab, `oidc.matchRoute(`+q("http://"+r.URL)+`)`))
			if got := fingerprints[r.Fingerprint]; r.Authorization == demo.AuthNone && route != "" || r.Authorization != demo.AuthNone && got != route {
				t.Errorf("%s: %s got a token of %q, but matchRoute says %q", c.name, r.URL, got, route)
			}
		}
		if strings.Contains(out.Error, tokA) || strings.Contains(out.Error, tokB) {
			t.Errorf("%s: the error message carries a token", c.name)
		}
	}
	t.Logf("%d cases", len(cases))
}

func hostOf(t *testing.T, origin string) string {
	u, err := url.Parse(origin)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
