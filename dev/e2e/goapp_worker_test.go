package e2e

import (
	"strings"
	"testing"

	"github.com/oidcwasm/oidcwasm/dev/demo"
	"github.com/oidcwasm/oidcwasm/dev/e2etest"
	"github.com/oidcwasm/oidcwasm/dev/internal/engine"
)

// TestGoAppsWorkerCarriesWorkerCustodyAndItsCache: the go-app demo's
// service worker is go-app's with oidc-sw.js in it
// (goapp.ServiceWorkerTemplate), the origin's one worker for both demos.
// go-app's cache answers the app (a reload fetches no app.wasm from the
// server, also while the worker starts again after the browser stopped
// it), and the bridge demo's worker mode keeps b's tokens in that worker:
// oidc.js registers nothing over it, and API B gets b's token once.
func TestGoAppsWorkerCarriesWorkerCustodyAndItsCache(t *testing.T) {
	tab := goApp(t, env)
	tab.WaitFor(`navigator.serviceWorker.controller !== null && navigator.serviceWorker.controller.scriptURL.endsWith("/app-worker.js")`)
	fromCache := func(when string) {
		t.Helper()
		before := env.Demo.StaticHits("/web/app.wasm")
		goAppReload(tab)
		if n := env.Demo.StaticHits("/web/app.wasm") - before; n != 0 {
			t.Errorf("%s: the server answered %d requests for /web/app.wasm; want none (go-app's cache)", when, n)
		}
	}
	fromCache("a reload")

	page := env.AppURL() + "/bridge/"
	card := func(id string) string { return `document.querySelector('[data-config="` + id + `"]')` }
	tab.Open(page + "?custody=worker")
	tab.WaitFor(`navigator.serviceWorker.controller !== null && ` + card("b") + `.dataset.state === "out" && ` + card("b") + `.querySelector(".provider-error").hidden`)
	click(t, tab, `[data-config="b"] .act-signin`)
	tab.WaitFor(`location.href.startsWith(` + e2etest.MustJSON(page) + `) && ` + card("b") + `?.dataset.state === "in"`)
	tab.WaitFor(card("b") + `.querySelector(".token-fp").textContent === "in the service worker"`)
	env.Demo.ResetRequests()
	click(t, tab, `[data-target="api-b"] .req-send`)
	tab.WaitFor(`document.querySelector('[data-target="api-b"] .verdict')`)
	if seen := env.Demo.Requests(); len(seen) != 1 || seen[0].Authorization != demo.AuthValid {
		t.Errorf("API B saw %+v; want one request, with b's valid token, added by go-app's worker", seen)
	}
	reg := e2etest.Eval[string](tab, `navigator.serviceWorker.getRegistration("/").then((r) =>
  [r.active && r.active.scriptURL, r.installing && r.installing.scriptURL, r.waiting && r.waiting.scriptURL].join(" "))`)
	if !strings.HasSuffix(strings.Fields(reg)[0], "/app-worker.js") || len(strings.Fields(reg)) != 1 {
		t.Errorf("the origin's worker after the bridge page: %q; want go-app's app-worker.js alone", reg)
	}

	tab.Open(env.AppURL() + "/")
	goAppStarted(tab)
	if env.Supports(engine.CapStopWorkers) {
		tab.StopWorkers()
		fromCache("a reload that starts the stopped worker")
	}
}

// TestGoAppWorkerCustodyKeepsTheTokensInTheWorker: the go-app demo's worker
// mode (?custody=worker) keeps b's tokens in go-app's service worker
// (goapp.Options.Worker): web/goapp signs b in there (the worker completes
// the callback), shows the session from the worker's answers, and its
// Fetch to API B arrives with b's token, added by the worker, while a page
// script finds no token anywhere; b's iframe renewal runs in this page for
// the worker; a reload finds b signed in from the worker, and the sign-out
// ends the worker's session at the provider.
func TestGoAppWorkerCustodyKeepsTheTokensInTheWorker(t *testing.T) {
	tab := goApp(t, env)
	tab.WaitFor(`navigator.serviceWorker.controller !== null && navigator.serviceWorker.controller.scriptURL.endsWith("/app-worker.js")`)
	tab.Open(env.AppURL() + "/?custody=worker")
	goAppStarted(tab)
	goAppSignIn(tab, "b")
	if name := e2etest.Eval[string](tab, `document.querySelector("#user-b").textContent`); name != "Alice Liddell" {
		t.Errorf("b shows user %q after the worker's sign-in, want Alice Liddell", name)
	}
	if loc := tab.Location(); strings.Contains(loc, "code=") || strings.Contains(loc, "state=") {
		t.Errorf("the address bar still holds the authorization response: %s", loc)
	}

	callB := func() demo.Request {
		t.Helper()
		tab.WaitFor(`!!document.querySelector("#nav-apis")`) // WebKit: the reloaded page may not have rendered it yet
		goAppView(tab, "apis")
		env.Demo.ResetRequests()
		e2etest.Eval[any](tab, `(document.querySelectorAll("tr.call").forEach((r) => r.remove()), null)`)
		goAppClick(tab, "#call-"+demo.TargetAPIB)
		tab.WaitFor(`document.querySelector("tr.call[data-target='` + demo.TargetAPIB + `']")`)
		seen := env.Demo.Requests()
		if len(seen) != 1 {
			t.Fatalf("API B saw %d requests (%+v); want one", len(seen), seen)
		}
		return seen[0]
	}
	r := callB()
	if r.Authorization != demo.AuthValid || r.Scheme != "Bearer" {
		t.Fatalf("API B saw %q (%s, scheme %q); want b's valid token, added by the worker", r.Authorization, r.Reason, r.Scheme)
	}
	if cfg := e2etest.Eval[string](tab, `document.querySelector("tr.call[data-target='`+demo.TargetAPIB+`']").dataset.config || ""`); cfg != "b" {
		t.Errorf("the page says API B's request carried the token of %q, want b", cfg)
	}
	noTokenForPageScripts(t, tab, r.Fingerprint)

	// b renews in a hidden iframe: the worker has no document, so this
	// page runs the iframe for it (web.CustodyWorker), and the worker's
	// tokenRefreshed reaches the page's event log.
	goAppView(tab, "sessions")
	goAppClick(tab, "#renew-b")
	goAppView(tab, "events")
	tab.WaitFor(`!!document.querySelector("tr.event[data-type=tokenRefreshed][data-config=b]")`)
	if renewed := callB(); renewed.Authorization != demo.AuthValid || renewed.Fingerprint == r.Fingerprint {
		t.Fatalf("API B after the renewal saw %q, token #%s; want a new valid token (was #%s)", renewed.Authorization, renewed.Fingerprint, r.Fingerprint)
	} else {
		r = renewed
	}

	goAppView(tab, "sessions") // the pills goAppReload waits for
	goAppReload(tab)
	if b := goAppPill(tab, "b"); b != "Signed in" {
		t.Fatalf("after a reload b shows %q; want signed in, from the worker", b)
	}
	if again := callB(); again.Fingerprint != r.Fingerprint {
		t.Errorf("after the reload API B got token #%s, want the worker's #%s", again.Fingerprint, r.Fingerprint)
	}
	noTokenForPageScripts(t, tab, r.Fingerprint)

	goAppView(tab, "sessions")
	goAppClick(tab, "#logout-b")
	tab.WaitFor(`document.querySelector("#pill-b")?.textContent === "Signed out"`)
	if r := callB(); r.Authorization != demo.AuthNone {
		t.Errorf("API B after signing out of b saw %q; want no token", r.Authorization)
	}
}

// TestGoAppWorkerCustodySignsInWithAPopup: in the worker mode, b's popup
// sign-in is the worker's (it makes the request and exchanges the answer)
// while the go-app page runs the popup: the page never navigates, the
// provider exchanges one code, and API B then gets b's token from the
// worker.
func TestGoAppWorkerCustodySignsInWithAPopup(t *testing.T) {
	tab := goApp(t, env)
	tab.WaitFor(`navigator.serviceWorker.controller !== null && navigator.serviceWorker.controller.scriptURL.endsWith("/app-worker.js")`)
	tab.Open(env.AppURL() + "/?custody=worker")
	goAppStarted(tab)
	e2etest.Eval[any](tab, `window.__stayed = true`) // a document that is replaced loses this mark
	counts := env.B.Counts()
	popup := tab.Popup(t, func() { goAppClick(tab, "#popup-b") })
	tab.WaitFor(`document.querySelector("#pill-b")?.textContent === "Signed in"`)
	if !e2etest.Eval[bool](tab, `window.__stayed === true`) {
		t.Errorf("the page navigated: its document was replaced")
	}
	if c := env.B.Counts()["token:authorization_code"] - counts["token:authorization_code"]; c != 1 {
		t.Errorf("%d code exchanges at b's provider; want the popup's one", c)
	}
	if n := len(pendingStates(tab)); n != 0 {
		t.Errorf("%d transactions in the page's sessionStorage; want none (the worker keeps it)", n)
	}
	waitUntilClosed(t, popup)
	goAppView(tab, "apis")
	env.Demo.ResetRequests()
	goAppClick(tab, "#call-"+demo.TargetAPIB)
	tab.WaitFor(`document.querySelector("tr.call[data-target='` + demo.TargetAPIB + `']")`)
	if seen := env.Demo.Requests(); len(seen) != 1 || seen[0].Authorization != demo.AuthValid {
		t.Fatalf("API B saw %+v; want one request with b's valid token", seen)
	}
	noTokenForPageScripts(t, tab, env.Demo.Requests()[0].Fingerprint)
}
